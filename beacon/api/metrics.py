"""GET /metrics/summary: NPS, CSAT and CES with sample size and 95% interval."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Query, Router

from beacon.analytics import metrics
from beacon.api.auth import org_of
from beacon.api.lookups import Refs
from beacon.api.schemas import ErrorOut, MetricFilters, MetricOut, SummaryOut, ValidationErrorOut
from beacon.cxmodel.models import Persona, Stage, Touchpoint
from beacon.orgs.models import Team
from beacon.surveys.models import Survey

router = Router(tags=["metrics"])


def metric_out(m: metrics.MetricValue) -> MetricOut:
    return MetricOut(
        label=m.label, unit=m.unit, value=m.value, low=m.low, high=m.high, n=m.n,
        min_n=m.min_n, enough=m.enough,
    )  # fmt: skip


@router.get(
    "/metrics/summary",
    response={200: SummaryOut, 401: ErrorOut, 422: ValidationErrorOut},
    operation_id="metricsSummary",
    summary="Metric summary",
    description=(
        "NPS (-100..100), CSAT (% of 4s and 5s) and CES (mean on 1-7, 7 = very easy) over "
        "the answers matching the filters. Each comes with `n`, the number of answers, and "
        "a 95% interval (`low`..`high`). Below the organisation's minimum sample size "
        "(`min_n`) `enough` is false and `value`, `low` and `high` are null: too few "
        "answers to say anything.\n\n"
        "`start` and `end` are days (UTC), both included. The id filters must name rows of "
        "your organisation (422 naming the field otherwise)."
    ),
)
def summary(request: HttpRequest, filters: Query[MetricFilters]) -> SummaryOut:
    org = org_of(request)
    refs = Refs(org)
    if filters.start and filters.end and filters.end < filters.start:
        refs.errors["end"] = "must be on or after start"
    refs.get(Survey, filters.survey_id, "survey_id")
    refs.get(Stage, filters.stage_id, "stage_id")
    refs.get(Persona, filters.persona_id, "persona_id")
    refs.get(Team, filters.team_id, "team_id")
    refs.get(Touchpoint, filters.touchpoint_id, "touchpoint_id")
    refs.check()
    values = metrics.summary(
        org,
        metrics.Filters(
            start=filters.start,
            end=filters.end,
            survey_id=filters.survey_id,
            stage_id=filters.stage_id,
            persona_id=filters.persona_id,
            team_id=filters.team_id,
            touchpoint_id=filters.touchpoint_id,
        ),
    )
    return SummaryOut(
        nps=metric_out(values["nps"]),
        csat=metric_out(values["csat"]),
        ces=metric_out(values["ces"]),
    )
