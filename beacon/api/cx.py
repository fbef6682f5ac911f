"""GET /cx/journey-map: the journey map's figures, the same as the page shows."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from beacon.analytics import journey
from beacon.api.auth import org_of
from beacon.api.metrics import metric_out
from beacon.api.schemas import ErrorOut, MetricOut, ValidationErrorOut
from beacon.core import clock
from beacon.orgs.models import Membership

router = Router(tags=["cx"])


class OwnerOut(Schema):
    id: int
    display_name: str
    deactivated: bool = Field(description="True when the owner no longer works here.")


class TrendOut(Schema):
    direction: Literal["up", "down", "flat", "unknown"] = Field(
        description="up/down only for a significant change (p < 0.05); flat otherwise; "
        "unknown when either period has too few answers."
    )
    text: str
    diff: float | None = Field(description="This period minus the previous one.")
    low: float | None
    high: float | None
    p_value: float | None


class NeedOut(Schema):
    id: int
    description: str
    successful_outcome: str
    persona_id: int | None
    owner: OwnerOut
    orphaned: bool
    measure: str = Field(description='"nps", "csat", "ces", "question" or "" (none).')
    question_id: int | None
    target: float | None
    status: Literal["met", "not_met", "unclear", "not_enough", "unmeasured"] = Field(
        description="met only when the whole 95% interval is at or above the target, "
        "not_met when it is wholly below, unclear when it spans the target."
    )
    value: MetricOut | None = Field(description="The measure over the period (native scale).")


class OwnerChangeOut(Schema):
    owner_id: int
    previous_owner_id: int | None
    at: dt.datetime
    event_id: int


class StageOut(Schema):
    id: int
    name: str
    position: int
    inside_company: bool
    owner: OwnerOut
    flags: list[str] = Field(description='e.g. "orphaned": no owner, or a deactivated one.')
    scores: dict[str, MetricOut] = Field(description="nps, csat and ces over the period.")
    trends: dict[str, TrendOut]
    volume: int = Field(description="Responses at this stage over the period.")
    open_cases: int
    overdue_cases: int
    needs: list[NeedOut]
    owner_history: list[OwnerChangeOut]


class JourneyOut(Schema):
    id: int
    name: str
    stages: list[StageOut]


class JourneyMapOut(Schema):
    start: dt.date
    end: dt.date
    before_start: dt.date
    before_end: dt.date
    scale: Literal["native", "perfect"]
    journeys: list[JourneyOut]


class JourneyMapQuery(Schema):
    scale: Literal["native", "perfect"] = Field(
        "native", description='"perfect": every score as % of perfect (0-100).'
    )


def _owner(member: Membership) -> OwnerOut:
    return OwnerOut(
        id=member.pk, display_name=member.display_name, deactivated=journey.orphaned(member)
    )


def _trend(t: journey.Trend) -> TrendOut:
    d = t.comparison.difference if t.comparison.enough else None
    return TrendOut(
        direction=t.direction,  # type: ignore[arg-type]
        text=t.text,
        diff=d.diff if d else None,
        low=d.low if d else None,
        high=d.high if d else None,
        p_value=d.p_value if d else None,
    )


def _need(n: journey.NeedStatus) -> NeedOut:
    need = n.need
    return NeedOut(
        id=need.pk,
        description=need.description,
        successful_outcome=need.successful_outcome,
        persona_id=need.persona_id,
        owner=_owner(need.owner),
        orphaned=n.orphaned,
        measure=need.measure,
        question_id=need.measure_question_id,
        target=need.target,
        status=n.status,  # type: ignore[arg-type]
        value=metric_out(n.value) if n.value else None,
    )


def _stage(f: journey.StageFigures) -> StageOut:
    stage = f.stage
    return StageOut(
        id=stage.pk,
        name=stage.name,
        position=stage.position,
        inside_company=stage.inside_company,
        owner=_owner(stage.owner),
        flags=f.flags,
        scores={k: metric_out(v) for k, v in f.scores.items()},
        trends={k: _trend(v) for k, v in f.trends.items()},
        volume=f.volume,
        open_cases=f.open_cases,
        overdue_cases=f.overdue_cases,
        needs=[_need(n) for n in f.needs],
        owner_history=[
            OwnerChangeOut(
                owner_id=c.owner_id,
                previous_owner_id=c.previous_owner_id,
                at=c.created_at,
                event_id=c.event_id,
            )
            for c in f.owner_history
        ],
    )


@router.get(
    "/cx/journey-map",
    response={200: JourneyMapOut, 401: ErrorOut, 403: ErrorOut, 422: ValidationErrorOut},
    operation_id="cxJourneyMap",
    summary="Journey map",
    description=(
        "Every journey's stages in order, with the same figures as the journey map page: the "
        "accountable owner and flags, NPS/CSAT/CES over the last 84 days with n and 95% "
        "interval, the trend against the 84 days before, response volume, open and overdue "
        "cases, each need's measure, target and status, and the stage's owners over time."
    ),
)
def journey_map(request: HttpRequest, query: Query[JourneyMapQuery]) -> JourneyMapOut:
    org = org_of(request)
    m = journey.journey_map(org, clock.now(), perfect=query.scale == "perfect")
    return JourneyMapOut(
        start=m.start,
        end=m.end,
        before_start=m.before_start,
        before_end=m.before_end,
        scale=query.scale,
        journeys=[
            JourneyOut(id=j.pk, name=j.name, stages=[_stage(f) for f in figs])
            for j, figs in m.journeys
        ],
    )
