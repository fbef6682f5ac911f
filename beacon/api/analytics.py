"""Analytics endpoints: trend, breakdown, comparison, drivers, rates and drill-down.

Thin: parameters are checked by beacon.analytics.params (the same checks the staff pages
use) and the numbers come from beacon.analytics, so API and pages never disagree.
"""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status

from beacon.analytics import drivers, metrics
from beacon.analytics.params import MAX_LIMIT, Checker
from beacon.analytics.theme_drivers import ThemeDriver, stored_theme_drivers
from beacon.api.auth import org_of
from beacon.api.lookups import Refs
from beacon.api.metrics import metric_out
from beacon.api.schemas import (
    ComputingOut,
    ErrorOut,
    MetricOut,
    QueryId,
    ValidationErrorOut,
    computing,
)
from beacon.core import clock
from beacon.cxmodel.models import Persona, Stage, Touchpoint
from beacon.insights.models import Theme
from beacon.orgs.models import Organization, Team
from beacon.responses.queries import FeedCursor, after, parse_cursor
from beacon.surveys.models import Survey

router = Router(tags=["analytics"])
ERRORS = {401: ErrorOut, 422: ValidationErrorOut}
METRIC_HELP = f"One of {', '.join(metrics.METRICS)}."


class Scope(Schema):
    start: dt.date | None = Field(
        None, description="First day included (UTC); default 12 weeks before end."
    )
    end: dt.date | None = Field(None, description="Last day included (UTC); default today.")
    survey_id: QueryId | None = None
    stage_id: QueryId | None = None
    persona_id: QueryId | None = None
    team_id: QueryId | None = None
    touchpoint_id: QueryId | None = None
    theme_id: QueryId | None = Field(
        None, description="Only responses whose comment mentions this theme."
    )
    sentiment: str | None = Field(
        None,
        description="positive, negative, neutral or mixed. With theme_id: that theme's "
        "sentiment in the response; without: the comment's overall sentiment.",
    )


def _filters(org: Organization, scope: Scope, check: Checker) -> metrics.Filters:
    start, end = check.period(scope.start, scope.end)
    refs = Refs(org)
    refs.get(Survey, scope.survey_id, "survey_id")
    refs.get(Stage, scope.stage_id, "stage_id")
    refs.get(Persona, scope.persona_id, "persona_id")
    refs.get(Team, scope.team_id, "team_id")
    refs.get(Touchpoint, scope.touchpoint_id, "touchpoint_id")
    refs.get(Theme, scope.theme_id, "theme_id")
    check.errors.update(refs.errors)
    check.sentiment(scope.sentiment)
    return metrics.Filters(
        start=start, end=end, survey_id=scope.survey_id, stage_id=scope.stage_id,
        persona_id=scope.persona_id, team_id=scope.team_id, touchpoint_id=scope.touchpoint_id,
        theme_id=scope.theme_id, sentiment=scope.sentiment,
    )  # fmt: skip


def _checker(org: Organization) -> Checker:
    return Checker(org, clock.now().date())


# --- trend --------------------------------------------------------------------------------


class TrendQuery(Scope):
    metric: str = Field("nps", description=METRIC_HELP)
    grain: str = Field("week", description="day, week (Monday-based) or month.")


class PointOut(MetricOut):
    period_start: dt.date


class TrendOut(Schema):
    metric: str
    grain: str
    start: dt.date
    end: dt.date
    points: list[PointOut]


@router.get(
    "/analytics/trend",
    response={200: TrendOut, **ERRORS},
    operation_id="analyticsTrend",
    summary="Metric trend with its 95% band",
    description="One point per day, week or month from start to end, each with n and its "
    "95% interval; buckets with fewer answers than the organisation's minimum have "
    "`enough` false and null values. At most 400 points.",
)
def trend(request: HttpRequest, q: Query[TrendQuery]) -> TrendOut:
    org = org_of(request)
    check = _checker(org)
    key, grain = check.metric(q.metric), check.grain(q.grain)
    f = _filters(org, q, check)
    check.buckets(f.start or check.today, f.end or check.today, grain)
    check.check()
    points = [
        PointOut(period_start=day, **metric_out(v).dict())
        for day, v in metrics.series(org, key, grain, f)
    ]
    return TrendOut(metric=key, grain=grain, start=f.start, end=f.end, points=points)  # type: ignore[arg-type]


# --- breakdown ----------------------------------------------------------------------------


class BreakdownQuery(Scope):
    metric: str = Field("nps", description=METRIC_HELP)
    dimension: str = Field(
        "stage",
        description="stage, persona, team, touchpoint, survey, theme, sentiment, or "
        "attribute:<key> for a contact attribute the organisation chose for breakdowns.",
    )


class RowOut(MetricOut):
    id: int | None = Field(
        description="Id of the stage/persona/theme/...; null for attribute values and sentiments."
    )
    name: str


class BreakdownOut(Schema):
    metric: str
    dimension: str
    rows: list[RowOut]


@router.get(
    "/analytics/breakdown",
    response={200: BreakdownOut, **ERRORS},
    operation_id="analyticsBreakdown",
    summary="Metric per value of a dimension",
    description="Attribute breakdowns honour only the period and survey filters, unless "
    "theme_id or sentiment is given: then they read answers and honour every filter. "
    "dimension=theme: the metric among the responses that mention each active theme (a "
    "response counts once under every theme it mentions, so rows overlap); "
    "dimension=sentiment: per overall sentiment of the comment, rows named positive, "
    "negative, neutral and mixed. Both combine with every filter, theme_id and sentiment "
    "included.",
)
def breakdown(request: HttpRequest, q: Query[BreakdownQuery]) -> BreakdownOut:
    org = org_of(request)
    check = _checker(org)
    key, dimension = check.metric(q.metric), check.dimension(q.dimension)
    f = _filters(org, q, check)
    check.check()
    if dimension.startswith("attribute:"):
        attr = dimension.split(":", 1)[1]
        rows = [
            RowOut(id=None, name=label, **metric_out(v).dict())
            for label, v in metrics.attribute_breakdown(org, key, attr, f)
        ]
    else:
        rows = [
            RowOut(id=pk or None, name=label, **metric_out(v).dict())
            for label, pk, v in metrics.breakdown(org, key, dimension, f)
        ]
    return BreakdownOut(metric=key, dimension=dimension, rows=rows)


# --- compare ------------------------------------------------------------------------------


class CompareQuery(Scope):
    metric: str = Field("nps", description=METRIC_HELP)
    a_start: dt.date | None = Field(None, description="Period A; default: the period before B.")
    a_end: dt.date | None = None
    b_start: dt.date | None = Field(None, description="Period B; default: start..end.")
    b_end: dt.date | None = None
    dimension: str | None = Field(None, description="Compare two groups of this dimension.")
    a_id: QueryId | None = Field(None, description="Group A (with dimension).")
    b_id: QueryId | None = Field(None, description="Group B (with dimension).")


class DifferenceOut(Schema):
    diff: float = Field(description="B minus A.")
    low: float
    high: float
    p_value: float
    significant: bool = Field(description="p < 0.05 and both sides have enough answers.")
    test: str


class CompareOut(Schema):
    metric: str
    a: MetricOut
    b: MetricOut
    a_start: dt.date
    a_end: dt.date
    b_start: dt.date
    b_end: dt.date
    difference: DifferenceOut | None


GROUP_DIMENSIONS = ("stage", "persona", "team", "touchpoint", "survey", "theme")


@router.get(
    "/analytics/compare",
    response={200: CompareOut, **ERRORS},
    operation_id="analyticsCompare",
    summary="Two periods or two groups, with a significance test",
    description="NPS: z-test of the difference (variance of promoter minus detractor "
    "shares); CSAT and easy-CES shares: two-proportion z-test; CES mean: Welch's t-test. "
    "Without a_*/b_* dates, B is start..end and A the same number of days just before.",
)
def compare(request: HttpRequest, q: Query[CompareQuery]) -> CompareOut:
    org = org_of(request)
    check = _checker(org)
    key = check.metric(q.metric)
    base = _filters(org, q, check)
    assert base.start is not None and base.end is not None
    b_start, b_end = check.period(q.b_start or base.start, q.b_end or base.end, prefix="b_")
    length = (b_end - b_start).days + 1
    a_start, a_end = check.period(
        q.a_start or (b_start - dt.timedelta(days=length)),
        q.a_end or (b_start - dt.timedelta(days=1)),
        prefix="a_",
    )
    a_group: dict[str, int] = {}
    b_group: dict[str, int] = {}
    if q.dimension is not None:
        if q.dimension not in GROUP_DIMENSIONS:
            check.errors["dimension"] = f"one of {', '.join(GROUP_DIMENSIONS)}"
        elif q.a_id is None or q.b_id is None:
            check.errors["a_id" if q.a_id is None else "b_id"] = "needed with dimension"
        else:
            model = metrics.DIMENSIONS[q.dimension][1]
            refs = Refs(org)
            refs.get(model, q.a_id, "a_id")
            refs.get(model, q.b_id, "b_id")
            check.errors.update(refs.errors)
            column = metrics.DIMENSIONS[q.dimension][0]
            a_group, b_group = {column: q.a_id}, {column: q.b_id}
    check.check()
    fa = metrics.Filters(**{**base.__dict__, "start": a_start, "end": a_end, **a_group})
    fb = metrics.Filters(**{**base.__dict__, "start": b_start, "end": b_end, **b_group})
    c = metrics.compare(org, key, fa, fb)
    d = c.difference
    return CompareOut(
        metric=key, a=metric_out(c.a), b=metric_out(c.b), a_start=a_start, a_end=a_end,
        b_start=b_start, b_end=b_end,
        difference=None if d is None else DifferenceOut(
            diff=d.diff, low=d.low, high=d.high, p_value=d.p_value,
            significant=c.significant, test=d.test,
        ),
    )  # fmt: skip


# --- drivers ------------------------------------------------------------------------------


class DriversQuery(Scope):
    survey_id: QueryId = Field(description="The survey whose questions are analysed.")


class DriverOut(Schema):
    question_id: int
    question: str
    weight: float = Field(description="Share of NPS variance this question explains (0..1).")
    low: float
    high: float


class DriversOut(Schema):
    as_of: dt.datetime = Field(
        description="When the worker computed these figures; they are recomputed on the "
        "first request 15 minutes or more after that."
    )
    outcome: str
    n: int
    min_n: int
    enough: bool
    r2: float | None
    drivers: list[DriverOut]


@router.get(
    "/analytics/drivers",
    response={200: DriversOut, 202: ComputingOut, **ERRORS},
    operation_id="analyticsDrivers",
    summary="Key drivers of NPS",
    description="Johnson's relative weights of the survey's CSAT, CES and rating questions "
    "on its NPS question, with 95% bootstrap intervals; only responses that answered all "
    "of them, at most the newest 20,000. Computed by the worker: the first request for a "
    "filter answers 202 while it computes (usually seconds; the figures are kept and "
    "recomputed after 15 minutes).",
)
def key_drivers(request: HttpRequest, q: Query[DriversQuery]) -> Status[DriversOut | ComputingOut]:
    org = org_of(request)
    check = _checker(org)
    f = _filters(org, q, check)
    check.check()
    stored = drivers.stored_key_drivers(org, q.survey_id, f)
    r = stored.result
    if r is None or stored.computed.as_of is None:
        return computing()
    return Status(200, DriversOut(
        as_of=stored.computed.as_of, outcome=r.outcome, n=r.n, min_n=r.min_n,
        enough=r.enough, r2=r.r2,
        drivers=[DriverOut(question_id=d.question_id, question=d.label, weight=d.weight,
                           low=d.low, high=d.high) for d in r.drivers],
    ))  # fmt: skip


# --- rates --------------------------------------------------------------------------------


class RateOut(Schema):
    label: str
    numerator: int
    denominator: int
    value: float | None = Field(description="% ; null when the denominator is below min_n.")
    low: float | None
    high: float | None
    enough: bool


class RatesOut(Schema):
    responses: int
    response_rate: RateOut
    coverage: RateOut


def _rate(r: metrics.Rate) -> RateOut:
    return RateOut(label=r.label, numerator=r.numerator, denominator=r.denominator,
                   value=r.value, low=r.low, high=r.high, enough=r.enough)  # fmt: skip


@router.get(
    "/analytics/rates",
    response={200: RatesOut, **ERRORS},
    operation_id="analyticsRates",
    summary="Response volume, response rate and coverage",
    description="Response rate: invitations created in the period that were answered. "
    "Coverage: interactions in the period that got an invitation. theme_id and sentiment "
    "narrow the response count only: invitations and interactions have no comment.",
)
def rates(request: HttpRequest, q: Query[Scope]) -> RatesOut:
    org = org_of(request)
    check = _checker(org)
    f = _filters(org, q, check)
    check.check()
    return RatesOut(
        responses=metrics.response_volume(org, f),
        response_rate=_rate(metrics.response_rate(org, f)),
        coverage=_rate(metrics.coverage(org, f)),
    )


# --- themes as drivers --------------------------------------------------------------------


class ThemeDriverOut(Schema):
    theme_id: int
    theme: str
    n: int = Field(description="Responses that mention the theme.")
    share: RateOut = Field(description="n of all responses with a classified comment, in %.")
    mentioned: MetricOut = Field(description="NPS of the responses that mention the theme.")
    rest: MetricOut = Field(description="NPS of those that do not.")
    enough: bool = Field(description="Both groups reach the organisation's minimum sample.")
    difference: float | None = Field(description="NPS mentioned minus rest; null if not enough.")
    difference_low: float | None
    difference_high: float | None
    p_value: float | None
    impact: float | None = Field(
        description="Points the overall NPS would move if the responses mentioning the "
        "theme scored like the rest: share x (rest - mentioned); positive means the theme "
        "holds NPS down."
    )
    impact_low: float | None
    impact_high: float | None


class ThemeDriversOut(Schema):
    as_of: dt.datetime = Field(
        description="When the worker counted the responses behind these figures; they are "
        "recounted on the first request 15 minutes or more after that."
    )
    overall: MetricOut = Field(description="NPS of all responses with a classified comment.")
    themes: list[ThemeDriverOut]


@router.get(
    "/analytics/theme-drivers",
    response={200: ThemeDriversOut, 202: ComputingOut, **ERRORS},
    operation_id="analyticsThemeDrivers",
    summary="Themes as drivers of NPS",
    description="For each active theme, among the responses with a classified comment in "
    "the filter: how many mention it, the NPS of those that do and of those that do not, "
    "the difference with its 95% interval (z-test) and the impact on the overall NPS "
    "(share x (NPS of the rest - NPS of those mentioning it), its interval the "
    "difference's interval times the share). Sorted by impact, largest first; themes "
    "where either group is below the organisation's minimum sample have `enough` false, "
    "null numbers, and come last. Counted by the worker: the first request for a filter "
    "answers 202 while it counts (the counts are kept and recounted after 15 minutes).",
)
def theme_drivers(request: HttpRequest, q: Query[Scope]) -> Status[ThemeDriversOut | ComputingOut]:
    org = org_of(request)
    check = _checker(org)
    f = _filters(org, q, check)
    check.check()
    stored = stored_theme_drivers(org, f)
    r = stored.result
    if r is None or stored.computed.as_of is None:
        return computing()
    return Status(200, ThemeDriversOut(
        as_of=stored.computed.as_of, overall=metric_out(r.overall),
        themes=[_theme_driver(d) for d in r.themes],
    ))  # fmt: skip


def _theme_driver(d: ThemeDriver) -> ThemeDriverOut:
    return ThemeDriverOut(
        theme_id=d.theme_id, theme=d.name, n=d.n, share=_rate(d.share),
        mentioned=metric_out(d.mentioned), rest=metric_out(d.rest), enough=d.enough,
        difference=d.diff, difference_low=d.diff_low, difference_high=d.diff_high,
        p_value=d.difference.p_value if d.enough and d.difference else None,
        impact=d.impact, impact_low=d.impact_low, impact_high=d.impact_high,
    )  # fmt: skip


# --- drill-down ---------------------------------------------------------------------------


class VerbatimQuery(Scope):
    metric: str = Field("nps", description=METRIC_HELP)
    band: str = Field("all", description=f"One of {', '.join(metrics.BANDS)}.")
    limit: int = Field(50, description=f"At most {MAX_LIMIT}.")
    after: str | None = Field(
        None,
        max_length=40,
        description="Next page: the `next_after` of the previous page (comments older than "
        "its last one). Omit for the newest.",
    )


class VerbatimOut(Schema):
    response_id: int
    responded_at: dt.datetime
    text: str


class VerbatimsOut(Schema):
    items: list[VerbatimOut]
    next_after: str | None = Field(
        description="Pass as `after` for the next page; null on the last page. There is no "
        "total: counting every comment behind a number costs more than the page."
    )


@router.get(
    "/analytics/verbatims",
    response={200: VerbatimsOut, **ERRORS},
    operation_id="analyticsVerbatims",
    summary="The comments behind a number",
    description="Free-text answers of the responses counted in a metric cell (metric, "
    "filters and score band, e.g. NPS detractors of one stage last month), newest first, "
    "`limit` at a time; `next_after` leads to the next page.",
)
def verbatims(request: HttpRequest, q: Query[VerbatimQuery]) -> VerbatimsOut:
    org = org_of(request)
    check = _checker(org)
    key, band = check.metric(q.metric), check.band(q.band)
    limit = check.limit(q.limit)
    f = _filters(org, q, check)
    cursor = parse_cursor(q.after) if q.after else None
    if q.after and cursor is None:
        check.errors["after"] = "not a position in this list: pass a `next_after` as it came"
    check.check()
    # One row more than asked says whether there is a next page.
    found = list(after(metrics.verbatims_behind(org, key, f, band), cursor)[: limit + 1])
    rows = found[:limit]
    return VerbatimsOut(
        items=[
            VerbatimOut(
                response_id=a.response_id, responded_at=a.response.responded_at, text=a.text
            )
            for a in rows
        ],
        next_after=FeedCursor.of(rows[-1]).token if len(found) > limit else None,
    )
