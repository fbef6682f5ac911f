"""One function per metric, read from the score rollups; used by API and pages alike."""

from __future__ import annotations

import datetime as dt
import functools
import operator
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

from django.db.models import BigIntegerField, Exists, F, OuterRef, Q, Sum, Value
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast, TruncDate

from beacon.analytics import stats
from beacon.analytics.perfect import percent_of_perfect
from beacon.contacts.models import Interaction
from beacon.cxmodel.models import Persona, Stage, Touchpoint
from beacon.insights import queries as insight_queries
from beacon.insights.models import AnswerInsight, Sentiment, Theme, ThemeMention
from beacon.orgs.models import Organization, Team
from beacon.responses import rollups
from beacon.responses.models import (
    Answer,
    ResponseCountRollup,
    ScoreRollup,
    SliceRollup,
    WeeklySliceRollup,
)
from beacon.responses.queries import verbatims
from beacon.surveys.models import Invitation, Question, QuestionKind, Survey
from beacon.surveys.scales import (
    CES_EASY_MIN,
    CSAT_SATISFIED_MIN,
    nps_band,
    nps_contribution,
    top_box_contribution,
)


@dataclass(frozen=True)
class MetricDef:
    key: str
    label: str
    question_kind: str
    unit: str
    compute: Callable[[Mapping[int, int]], stats.Estimate | None]
    # What one answer adds, so the metric is the mean of these (tests of a change use it).
    contribution: Callable[[int], float]
    higher_is_better: bool = True


METRICS: dict[str, MetricDef] = {
    "nps": MetricDef("nps", "NPS", QuestionKind.NPS, "", stats.nps, nps_contribution),
    # CSAT is the share of 4s and 5s (top-2 box).
    "csat": MetricDef(
        "csat",
        "CSAT",
        QuestionKind.CSAT,
        "%",
        lambda h: stats.top_box(h, CSAT_SATISFIED_MIN),
        lambda s: top_box_contribution(s, CSAT_SATISFIED_MIN),
    ),
    # CES on 1-7 where 7 is "very easy"; the mean, with the share of 5-7 alongside.
    "ces": MetricDef("ces", "CES", QuestionKind.CES, "", stats.mean, float),
    "ces_easy": MetricDef(
        "ces_easy",
        "Easy (CES 5-7)",
        QuestionKind.CES,
        "%",
        lambda h: stats.top_box(h, CES_EASY_MIN),
        lambda s: top_box_contribution(s, CES_EASY_MIN),
    ),
}


def as_perfect(metric: MetricDef) -> MetricDef:
    """The metric shown as "% of perfect" (analytics.perfect): same answers, one 0-100 axis."""
    return MetricDef(
        "percent",
        f"{metric.label} (% of perfect)",
        metric.question_kind,
        "%",
        lambda h: percent_of_perfect(metric.key, h),
        metric.contribution,
    )


def shown_metric(key: str, *, perfect: bool = False) -> MetricDef:
    return as_perfect(METRICS[key]) if perfect else METRICS[key]


class _Gated:
    """An estimate shown only once its sample reaches the organisation's minimum."""

    estimate: stats.Estimate | None
    min_n: int

    @property
    def sample_size(self) -> int:
        raise NotImplementedError

    @property
    def enough(self) -> bool:
        return self.estimate is not None and self.sample_size >= self.min_n

    @property
    def value(self) -> float | None:
        return self.estimate.value if self.enough and self.estimate else None

    @property
    def low(self) -> float | None:
        return self.estimate.low if self.enough and self.estimate else None

    @property
    def high(self) -> float | None:
        return self.estimate.high if self.enough and self.estimate else None


@dataclass(frozen=True)
class MetricValue(_Gated):
    key: str
    label: str
    unit: str
    n: int
    min_n: int
    estimate: stats.Estimate | None

    @property
    def sample_size(self) -> int:
        return self.n

    @property
    def margin(self) -> float | None:
        if self.value is None or self.low is None or self.high is None:
            return None
        return max(self.high - self.value, self.value - self.low)


DIMENSIONS: dict[str, tuple[str, type[Any]]] = {
    "stage": ("stage_id", Stage),
    "persona": ("persona_id", Persona),
    "team": ("team_id", Team),
    "touchpoint": ("touchpoint_id", Touchpoint),
    "survey": ("survey_id", Survey),
    # Active themes; a response counts once under every theme its comments mention.
    "theme": ("theme_id", Theme),
}
# Per overall sentiment of the comment (AnswerInsight.sentiment); no model behind it, so
# its rows are named by the sentiment itself ("positive", ...).
SENTIMENT_DIMENSION = "sentiment"
SENTIMENTS: tuple[str, ...] = tuple(Sentiment.values)


@dataclass(frozen=True)
class Filters:
    start: dt.date | None = None
    end: dt.date | None = None  # inclusive
    survey_id: int | None = None
    stage_id: int | None = None
    persona_id: int | None = None
    team_id: int | None = None
    touchpoint_id: int | None = None
    # Responses whose comment mentions this theme (insights.ThemeMention).
    theme_id: int | None = None
    # With theme_id: that theme's sentiment in the response; without: the comment's
    # overall sentiment (insights.AnswerInsight). One of SENTIMENTS.
    sentiment: str | None = None

    @property
    def about_words(self) -> bool:
        """Whether the filter involves what comments say, which no rollup knows."""
        return bool(self.theme_id or self.sentiment)

    def to_params(self) -> dict[str, Any]:
        """As JSON, for a stored analysis (`beacon.core.computed`) to be computed from."""
        return {k: v.isoformat() if isinstance(v, dt.date) else v for k, v in asdict(self).items()}

    @classmethod
    def from_params(cls, params: Mapping[str, Any]) -> Filters:
        dates = {k: dt.date.fromisoformat(params[k]) for k in ("start", "end") if params.get(k)}
        return cls(**{**params, "start": None, "end": None, **dates})


_DIMENSION_FILTERS = ("stage_id", "persona_id", "team_id", "touchpoint_id")
# Columns only answers (with their comments' insights) can group on.
_WORD_COLUMNS = ("theme_id", "sentiment")


def question_ids(org: Organization, metric: MetricDef, f: Filters) -> list[int]:
    question_ids = Question.objects.for_org(org).filter(kind=metric.question_kind)
    if f.survey_id:
        question_ids = question_ids.filter(survey_id=f.survey_id)
    return list(question_ids.values_list("pk", flat=True))


def _cells_of(org: Organization, question_ids: list[int], f: Filters, by: str | None = None) -> Any:
    """Rollup rows matching the filters, from the smallest table that can answer.

    With at most one dimension involved (filtered on or broken down by) a slice answers;
    only a combination of dimensions needs the full cube. `by` is the column to group on
    (e.g. "stage_id"); the rows returned carry it under that name either way.
    """
    if f.about_words or by in _WORD_COLUMNS:
        return answer_cells(org, question_ids, f, by)
    which = _slice_of(f, by)
    qs: Any
    if which is not None:
        qs = _slices(SliceRollup, org, question_ids, which, by)
    else:
        qs = ScoreRollup.objects.filter(organization_id=org.pk, question_id__in=question_ids)
        for name in _DIMENSION_FILTERS:
            if getattr(f, name):
                qs = qs.filter(**{name: getattr(f, name)})
    return _within(qs, f.start, f.end)


# A slice to read: its dimension ("" for none, "stage", "attribute:plan"...) and the one
# value kept (None for every value).
Slice = tuple[str, str | None]


def _slice_of(f: Filters, by: str | None) -> Slice | None:
    """The slice that answers for the filters and breakdown, or None when they involve
    several dimensions and only the cube can."""
    involved = {name for name in _DIMENSION_FILTERS if getattr(f, name)}
    if by in _DIMENSION_FILTERS:
        involved.add(by)
    if len(involved) > 1:
        return None
    column = next(iter(involved), None)
    if column is None:
        return ("", None)
    value = getattr(f, column)
    return (column.removesuffix("_id"), str(value) if value else None)


def _slices(model: Any, org: Organization, question_ids: list[int], which: Slice,
            by: str | None) -> Any:  # fmt: skip
    """Rows of a slice table (daily or weekly) of one dimension, any dates."""
    dimension, value = which
    qs = model.objects.filter(
        organization_id=org.pk, dimension=dimension, question_id__in=question_ids
    )
    if value is not None:
        qs = qs.filter(value=value)
    if by in _DIMENSION_FILTERS:
        qs = qs.annotate(**{by: Cast("value", BigIntegerField())})
    return qs


def _within(qs: Any, start: dt.date | None, end: dt.date | None) -> Any:
    if start:
        qs = qs.filter(day__gte=start)
    if end:
        qs = qs.filter(day__lte=end)
    return qs


def whole_weeks(
    start: dt.date | None, end: dt.date | None
) -> tuple[dt.date | None, dt.date | None]:
    """The Mondays of the first and last whole weeks inside [start, end] (None: unbounded
    on that side). With no whole week inside, the first comes after the last."""
    first = None if start is None else week_start(start + dt.timedelta(days=6))
    last = None if end is None else week_start(end + dt.timedelta(days=1)) - dt.timedelta(weeks=1)
    return first, last


def _sums(org: Organization, question_ids: list[int], f: Filters, fields: list[str],
          by: str | None = None, *, weekly: bool = True,
          which: Slice | None = None) -> list[dict[str, Any]]:  # fmt: skip
    """Sum of counts (`c`) per distinct `fields` of the rollup rows _cells_of would give
    (or of the slice `which`, where only the dates of `f` apply).

    Where a slice answers and `weekly` allows (no field needs a day finer than its
    week: a "day" field then carries a week's Monday for whole weeks), the whole weeks
    inside the window come from the weekly slices and only the days of partial weeks
    at its edges from the daily ones: a twelve-week window reads about a fifth of the
    rows. Both parts are read in one statement and added up here.
    """
    if which is None and not (f.about_words or by in _WORD_COLUMNS):
        which = _slice_of(f, by)
    if which is None:  # what comments say, or several dimensions: answers or the cube
        return list(_grouped(_cells_of(org, question_ids, f, by), fields))
    days = _within(_slices(SliceRollup, org, question_ids, which, by), f.start, f.end)
    try:
        first, last = whole_weeks(f.start, f.end)
    except OverflowError:  # a window reaching the calendar's ends (year 1 or 9999)
        weekly = False
        first = last = None
    if not weekly or (first and last and first > last):
        return list(_grouped(days, fields))
    weeks = _within(_slices(WeeklySliceRollup, org, question_ids, which, by), first, last)
    parts = [_grouped(weeks, fields)]
    # The partial weeks' days: before the first whole week and after the last.
    edges = [Q(day__lt=first)] if first else []
    if last:
        edges.append(Q(day__gt=last + dt.timedelta(days=6)))
    if edges:
        parts.append(_grouped(days.filter(functools.reduce(operator.or_, edges)), fields))
    totals: dict[tuple[Any, ...], int] = defaultdict(int)
    for r in parts[0].union(*parts[1:], all=True):
        totals[tuple(r[name] for name in fields)] += int(r["c"] or 0)
    return [{**dict(zip(fields, key, strict=True)), "c": c} for key, c in totals.items()]


def _grouped(qs: Any, fields: list[str]) -> Any:
    return qs.values(*fields).annotate(c=Sum("count")).order_by()


def responses_q(org: Organization, f: Filters, *, commented: bool = False, via: str = "") -> Q:
    """The responses a filter keeps, as a condition on a model with `response`.

    `via` is the path to that model ("" when the condition is on it directly);
    `commented` keeps only responses with a comment Beacon could classify.
    """
    q = Q(**{f"{via}response__responded_at__{op}": v for op, v in day_range(f).items()})
    for name in ("survey_id", *_DIMENSION_FILTERS):
        if getattr(f, name):
            q &= Q(**{f"{via}response__{name}": getattr(f, name)})
    if f.theme_id:
        mentions = ThemeMention.objects.filter(organization_id=org.pk, theme_id=f.theme_id)
        if f.sentiment:
            mentions = mentions.filter(sentiment=f.sentiment)
        q &= Q(**{f"{via}response_id__in": mentions.values("response_id")})
    elif f.sentiment:
        overall = _insights(org).filter(sentiment=f.sentiment)
        q &= Q(**{f"{via}response_id__in": overall.values("response_id")})
    if commented:
        q &= Q(**{f"{via}response_id__in": _insights(org).values("response_id")})
    return q


def _insights(org: Organization) -> Any:
    return AnswerInsight.objects.filter(organization_id=org.pk, unclassifiable=False)


def _first_per_response(qs: Any, column: str) -> Any:
    """One row per (response, column value): a response whose two comments both mention a
    theme (or are both positive) still counts once under it."""
    twins = qs.model.objects.filter(
        response_id=OuterRef("response_id"), **{column: OuterRef(column)}, pk__lt=OuterRef("pk")
    )
    return qs.filter(~Exists(twins))


def answer_cells(
    org: Organization,
    question_ids: list[int],
    f: Filters,
    by: str | None = None,
    *,
    commented: bool = False,
) -> Any:
    """Scored answers shaped like rollup rows (day, score, count, question_id, `by`).

    Rollups have no theme or sentiment columns, so filters and breakdowns by what comments
    say read answers. `day` is the UTC day of responded_at, as in the rollups. Grouping by
    theme starts from the themes and joins the responses that mention each one (once per
    response) and their scored answers; grouping by sentiment likewise from the insights.
    """
    qs: Any
    via = ""  # the path from the starting model to the one with `response`
    if by == "theme_id":
        # From Theme, not ThemeMention: its `score` field would clash with the rollups' name.
        qs = Theme.objects.filter(organization_id=org.pk, active=True)
        mentions = ThemeMention.objects.filter(organization_id=org.pk)
        via, start = "mentions__", {"mentions__in": _first_per_response(mentions, "theme_id")}
    elif by == "sentiment":
        qs = _first_per_response(_insights(org).filter(sentiment__in=SENTIMENTS), "sentiment")
        start = {}
    else:
        qs, start = Answer.objects.filter(organization_id=org.pk), {}
    answer = f"{via}response__answers__" if by in _WORD_COLUMNS else ""
    # One filter() call: conditions on a multi-valued relation in separate calls would each
    # get their own join; in one they share it, and the annotations below reuse it.
    qs = qs.filter(
        responses_q(org, f, commented=commented, via=via),
        **start,
        **{f"{answer}question_id__in": question_ids, f"{answer}number__isnull": False},
    )
    names: dict[str, Any] = {
        "day": TruncDate(f"{via}response__responded_at", tzinfo=dt.UTC),
        "score": F(f"{answer}number"),
        "count": Value(1, output_field=BigIntegerField()),
    }
    if answer:
        names["question_id"] = F(f"{answer}question_id")
    if by == "theme_id":
        names["theme_id"] = F("pk")
    if by in (*_DIMENSION_FILTERS, "survey_id"):
        names[by] = F(f"response__{by}")
    return qs.annotate(**names)


def question_histogram(org: Organization, question_id: int, f: Filters) -> dict[int, int]:
    """Scores of one question (the organisation's own; another's id reads as no answers)."""
    if not Question.objects.for_org(org).filter(pk=question_id).exists():
        return {}
    rows = _sums(org, [question_id], f, ["score"])
    return {r["score"]: int(r["c"]) for r in rows if r["c"]}


def value_of(org: Organization, metric: MetricDef, hist: Mapping[int, int]) -> MetricValue:
    return MetricValue(
        key=metric.key,
        label=metric.label,
        unit=metric.unit,
        n=sum(hist.values()),
        min_n=org.min_sample_size,
        estimate=metric.compute(hist),
    )


def histogram(org: Organization, key: str, f: Filters = Filters()) -> dict[int, int]:
    rows = _sums(org, question_ids(org, METRICS[key], f), f, ["score"])
    return {r["score"]: int(r["c"]) for r in rows if r["c"]}


def metric(org: Organization, key: str, f: Filters = Filters()) -> MetricValue:
    return value_of(org, METRICS[key], histogram(org, key, f))


def summary(org: Organization, f: Filters = Filters()) -> dict[str, MetricValue]:
    """NPS, CSAT and CES in one read of the rollups (the same numbers as metric())."""
    keys = ("nps", "csat", "ces")
    key_of_kind = {METRICS[k].question_kind: k for k in keys}
    questions = Question.objects.for_org(org).filter(kind__in=list(key_of_kind))
    if f.survey_id:
        questions = questions.filter(survey_id=f.survey_id)
    kind_of = dict(questions.values_list("pk", "kind"))
    rows = _sums(org, list(kind_of), f, ["question_id", "score"])
    hists: dict[str, dict[int, int]] = {k: defaultdict(int) for k in keys}
    for r in rows:
        if r["c"]:
            hists[key_of_kind[kind_of[r["question_id"]]]][r["score"]] += int(r["c"])
    return {k: value_of(org, METRICS[k], dict(hists[k])) for k in keys}


def week_start(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def trend(
    org: Organization,
    key: str,
    *,
    weeks: int,
    today: dt.date,
    f: Filters = Filters(),
) -> list[tuple[dt.date, MetricValue]]:
    """Weekly values for the last `weeks` weeks (Monday-based), oldest first."""
    first = week_start(today) - dt.timedelta(weeks=weeks - 1)
    bounded = Filters(**{**f.__dict__, "start": max(first, f.start or first), "end": f.end})
    rows = _sums(org, question_ids(org, METRICS[key], bounded), bounded, ["day", "score"])
    buckets: dict[dt.date, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    for r in rows:
        buckets[week_start(r["day"])][r["score"]] += int(r["c"])
    return [
        (
            first + dt.timedelta(weeks=i),
            value_of(org, METRICS[key], buckets.get(first + dt.timedelta(weeks=i), {})),
        )
        for i in range(weeks)
    ]


def breakdown(
    org: Organization,
    key: str,
    dimension: str,
    f: Filters = Filters(),
    *,
    perfect: bool = False,
) -> list[tuple[str, int, MetricValue]]:
    """The metric per value of a dimension: (label, id, value), best-known labels first.

    Sentiment rows are named by the sentiment and have id 0. `perfect` shows each value
    as % of perfect (analytics.perfect).
    """
    shown_as = shown_metric(key, perfect=perfect)
    if dimension == SENTIMENT_DIMENSION:
        hists = histograms_by(org, key, f, "sentiment")
        return [(s, 0, value_of(org, shown_as, hists.get(s, {}))) for s in SENTIMENTS]
    column, model = DIMENSIONS[dimension]
    buckets = histograms_by(org, key, f, column)
    labelled = _labelled(org, model)
    out = [(str(obj), obj.pk, value_of(org, shown_as, buckets.get(obj.pk, {}))) for obj in labelled]
    if buckets.get(0):
        out.append(("(none)", 0, value_of(org, shown_as, buckets[0])))
    return out


def histograms_by(
    org: Organization, key: str, f: Filters, column: str
) -> dict[Any, dict[int, int]]:
    """Score histograms of the metric per value of `column` (e.g. "stage_id"), one read."""
    rows = _sums(org, question_ids(org, METRICS[key], f), f, [column, "score"], by=column)
    buckets: dict[Any, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    for r in rows:
        buckets[r[column] or 0][r["score"]] += int(r["c"])
    return buckets


def _labelled(org: Organization, model: type[Any]) -> Any:
    if model is Theme:
        return insight_queries.themes(org)
    ordering = ("journey_id", "position") if model is Stage else ("pk",)
    return model.objects.for_org(org).order_by(*ordering)


# --- questions people ask: trend by grain, breakdown by attribute, comparison ------------

GRAINS = ("day", "week", "month")
# Buckets a single series may have: a daily trend over 10 years is a mistake, not a chart.
MAX_BUCKETS = 400

DIFFERENCES: dict[
    str, Callable[[Mapping[int, int], Mapping[int, int]], stats.Difference | None]
] = {
    "nps": stats.nps_difference,
    "csat": lambda a, b: stats.proportion_difference(a, b, CSAT_SATISFIED_MIN),
    "ces": stats.mean_difference,
    "ces_easy": lambda a, b: stats.proportion_difference(a, b, CES_EASY_MIN),
}


def bucket_start(day: dt.date, grain: str) -> dt.date:
    if grain == "day":
        return day
    if grain == "week":
        return week_start(day)
    return day.replace(day=1)


def next_bucket(start: dt.date, grain: str) -> dt.date:
    if grain == "day":
        return start + dt.timedelta(days=1)
    if grain == "week":
        return start + dt.timedelta(weeks=1)
    return (start.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def buckets(start: dt.date, end: dt.date, grain: str) -> list[dt.date]:
    out = []
    current = bucket_start(start, grain)
    while current <= end:
        out.append(current)
        current = next_bucket(current, grain)
    return out


def series(
    org: Organization, key: str, grain: str, f: Filters
) -> list[tuple[dt.date, MetricValue]]:
    """The metric per day, week or month from f.start to f.end (both required), oldest first.

    Every bucket is present, empty ones as "not enough answers", so a chart's band has
    gaps where the data has gaps instead of drawing a line through them.
    """
    assert f.start is not None and f.end is not None
    # A week never straddles two weeks, but it does two days or two months.
    rows = _sums(org, question_ids(org, METRICS[key], f), f, ["day", "score"],
                 weekly=grain == "week")  # fmt: skip
    hist: dict[dt.date, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    for r in rows:
        hist[bucket_start(r["day"], grain)][r["score"]] += int(r["c"])
    return [
        (b, value_of(org, METRICS[key], hist.get(b, {}))) for b in buckets(f.start, f.end, grain)
    ]


def attribute_keys(org: Organization) -> list[str]:
    return rollups.attribute_keys(org.pk)


def dimension_names(org: Organization) -> list[str]:
    return [*DIMENSIONS, SENTIMENT_DIMENSION, *(f"attribute:{k}" for k in attribute_keys(org))]


def attribute_breakdown(
    org: Organization, key: str, attribute: str, f: Filters = Filters(), *, perfect: bool = False
) -> list[tuple[str, MetricValue]]:
    """The metric per value of an org-chosen contact attribute, most answers first.

    The attribute rollup has no stage/persona/team/touchpoint columns, so only the date
    and survey filters apply here; with a theme or sentiment filter the answers are read
    (the value from each response's attribute snapshot, as the rollup has it), and then
    every filter applies.
    """
    metric_def = METRICS[key]
    ids = question_ids(org, metric_def, f)
    rows: Any
    if f.about_words:
        qs = answer_cells(org, ids, f).annotate(
            value=KeyTextTransform(attribute, "response__rollup_attributes")
        )
        rows = _grouped(qs, ["value", "score"])
    else:
        rows = _sums(org, ids, f, ["value", "score"], which=(f"attribute:{attribute}", None))
    hist: dict[str, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    for r in rows:
        hist[r["value"]][r["score"]] += int(r["c"])
    shown_as = as_perfect(metric_def) if perfect else metric_def
    out = [(value or "(none)", value_of(org, shown_as, h)) for value, h in hist.items()]
    return sorted(out, key=lambda item: (-item[1].n, item[0]))


@dataclass(frozen=True)
class Comparison:
    a: MetricValue
    b: MetricValue
    difference: stats.Difference | None

    @property
    def enough(self) -> bool:
        return self.a.enough and self.b.enough and self.difference is not None

    @property
    def significant(self) -> bool:
        return self.enough and self.difference is not None and self.difference.significant


def compare(org: Organization, key: str, a: Filters, b: Filters) -> Comparison:
    """Two periods or two groups: B minus A with its interval and significance test."""
    ha, hb = histogram(org, key, a), histogram(org, key, b)
    return Comparison(
        a=value_of(org, METRICS[key], ha),
        b=value_of(org, METRICS[key], hb),
        difference=DIFFERENCES[key](ha, hb),
    )


# --- response rate, coverage, volume -----------------------------------------------------


def day_range(f: Filters) -> dict[str, dt.datetime]:
    out: dict[str, dt.datetime] = {}
    if f.start:
        out["gte"] = dt.datetime.combine(f.start, dt.time.min, tzinfo=dt.UTC)
    if f.end:
        out["lt"] = dt.datetime.combine(f.end + dt.timedelta(days=1), dt.time.min, tzinfo=dt.UTC)
    return out


def response_volume(org: Organization, f: Filters = Filters()) -> int:
    if f.about_words:
        # Through answers: every response has one, and they carry the response filter.
        answers = Answer.objects.filter(organization_id=org.pk).filter(responses_q(org, f))
        return answers.values("response_id").distinct().count()
    qs = ResponseCountRollup.objects.filter(organization_id=org.pk)
    if f.start:
        qs = qs.filter(day__gte=f.start)
    if f.end:
        qs = qs.filter(day__lte=f.end)
    for name in ("survey_id", "stage_id", "persona_id", "team_id", "touchpoint_id"):
        value = getattr(f, name)
        if value:
            qs = qs.filter(**{name: value})
    return int(qs.aggregate(n=Sum("responses"))["n"] or 0)


def response_volume_by_stage(org: Organization, f: Filters = Filters()) -> dict[int, int]:
    """Responses per stage id in the period (the date filters apply), in one read."""
    qs = ResponseCountRollup.objects.filter(organization_id=org.pk)
    if f.start:
        qs = qs.filter(day__gte=f.start)
    if f.end:
        qs = qs.filter(day__lte=f.end)
    rows = qs.values("stage_id").annotate(n=Sum("responses")).order_by()
    return {r["stage_id"] or 0: int(r["n"] or 0) for r in rows}


@dataclass(frozen=True)
class Rate(_Gated):
    """A share (in %) of `denominator` things with Wilson interval; the same min-n rule."""

    label: str
    numerator: int
    denominator: int
    min_n: int
    estimate: stats.Estimate | None

    @property
    def sample_size(self) -> int:
        return self.denominator


def response_rate(org: Organization, f: Filters = Filters()) -> Rate:
    """Invitations created in the period that were answered (completed), of all sent."""
    window = {f"created_at__{op}": v for op, v in day_range(f).items()}
    qs = Invitation.objects.for_org(org).filter(**window)
    if f.survey_id:
        qs = qs.filter(survey_id=f.survey_id)
    if f.touchpoint_id:
        qs = qs.filter(interaction__touchpoint_id=f.touchpoint_id)
    if f.stage_id:
        qs = qs.filter(interaction__touchpoint__stage_id=f.stage_id)
    if f.team_id:
        qs = qs.filter(interaction__team_id=f.team_id)
    if f.persona_id:
        qs = qs.filter(contact__persona_id=f.persona_id)
    sent = qs.count()
    answered = qs.filter(completed_at__isnull=False).count()
    return Rate("Response rate", answered, sent, org.min_sample_size, stats.wilson(answered, sent))


def coverage(org: Organization, f: Filters = Filters()) -> Rate:
    """Interactions in the period that got at least one survey invitation."""
    window = {f"occurred_at__{op}": v for op, v in day_range(f).items()}
    qs = Interaction.objects.for_org(org).filter(**window)
    if f.touchpoint_id:
        qs = qs.filter(touchpoint_id=f.touchpoint_id)
    if f.stage_id:
        qs = qs.filter(touchpoint__stage_id=f.stage_id)
    if f.team_id:
        qs = qs.filter(team_id=f.team_id)
    if f.persona_id:
        qs = qs.filter(contact__persona_id=f.persona_id)
    total = qs.count()
    invited = Invitation.objects.for_org(org).filter(interaction__in=qs)
    if f.survey_id:
        invited = invited.filter(survey_id=f.survey_id)
    surveyed = invited.values("interaction_id").distinct().count()
    return Rate("Coverage", surveyed, total, org.min_sample_size, stats.wilson(surveyed, total))


# --- drill-down: the answers behind a number ---------------------------------------------

BANDS: dict[str, Callable[[int], bool]] = {
    "all": lambda s: True,
    "promoters": lambda s: nps_band(s) == "promoter",
    "passives": lambda s: nps_band(s) == "passive",
    "detractors": lambda s: nps_band(s) == "detractor",
    "top2": lambda s: s >= CSAT_SATISFIED_MIN,
    "bottom": lambda s: s <= 2,
}


def answers_behind(org: Organization, key: str, f: Filters, band: str = "all") -> Any:
    """The scored answers counted in one cell (metric x filters x score band), newest first."""
    metric_def = METRICS[key]
    qs = Answer.objects.for_org(org).filter(
        question__kind=metric_def.question_kind, number__isnull=False
    )
    scale = range(0, 11)
    qs = qs.filter(number__in=[s for s in scale if BANDS[band](s)])
    qs = qs.filter(responses_q(org, f))
    return qs.order_by("-response__responded_at", "-pk")


def verbatims_behind(org: Organization, key: str, f: Filters, band: str = "all") -> Any:
    """The free-text comments of the responses behind a number: anecdotes beside averages."""
    # EXISTS on each comment's response (by index), not IN over every score of the cell:
    # a page of the newest comments then reads about a page of responses, from the end
    # of the period (the outer bound lets the walk start there).
    scored = answers_behind(org, key, f, band).filter(response_id=OuterRef("response_id"))
    window = {f"response__responded_at__{op}": v for op, v in day_range(f).items()}
    return verbatims(org, **window).filter(Exists(scored))
