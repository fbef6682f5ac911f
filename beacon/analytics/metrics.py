"""One function per metric, read from the score rollups; used by API and pages alike."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from django.db.models import Sum

from beacon.analytics import stats
from beacon.cxmodel.models import Persona, Stage, Touchpoint
from beacon.orgs.models import Organization, Team
from beacon.responses.models import ScoreRollup
from beacon.surveys.models import Question, QuestionKind, Survey


@dataclass(frozen=True)
class MetricDef:
    key: str
    label: str
    question_kind: str
    unit: str
    compute: Callable[[Mapping[int, int]], stats.Estimate | None]
    higher_is_better: bool = True


METRICS: dict[str, MetricDef] = {
    "nps": MetricDef("nps", "NPS", QuestionKind.NPS, "", stats.nps),
    # CSAT is the share of 4s and 5s (top-2 box).
    "csat": MetricDef("csat", "CSAT", QuestionKind.CSAT, "%", lambda h: stats.top_box(h, 4)),
    # CES on 1-7 where 7 is "very easy"; the mean, with the share of 5-7 alongside.
    "ces": MetricDef("ces", "CES", QuestionKind.CES, "", stats.mean),
    "ces_easy": MetricDef(
        "ces_easy", "Easy (CES 5-7)", QuestionKind.CES, "%", lambda h: stats.top_box(h, 5)
    ),
}


@dataclass(frozen=True)
class MetricValue:
    key: str
    label: str
    unit: str
    n: int
    min_n: int
    estimate: stats.Estimate | None

    @property
    def enough(self) -> bool:
        return self.estimate is not None and self.n >= self.min_n

    @property
    def value(self) -> float | None:
        return self.estimate.value if self.enough and self.estimate else None

    @property
    def low(self) -> float | None:
        return self.estimate.low if self.enough and self.estimate else None

    @property
    def high(self) -> float | None:
        return self.estimate.high if self.enough and self.estimate else None

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
}


@dataclass(frozen=True)
class Filters:
    start: dt.date | None = None
    end: dt.date | None = None  # inclusive
    survey_id: int | None = None
    stage_id: int | None = None
    persona_id: int | None = None
    team_id: int | None = None
    touchpoint_id: int | None = None


def _cells(org: Organization, metric: MetricDef, f: Filters) -> Any:
    question_ids = Question.objects.for_org(org).filter(kind=metric.question_kind)
    if f.survey_id:
        question_ids = question_ids.filter(survey_id=f.survey_id)
    qs = ScoreRollup.objects.filter(
        organization_id=org.pk, question_id__in=list(question_ids.values_list("pk", flat=True))
    )
    if f.start:
        qs = qs.filter(day__gte=f.start)
    if f.end:
        qs = qs.filter(day__lte=f.end)
    for name in ("stage_id", "persona_id", "team_id", "touchpoint_id"):
        value = getattr(f, name)
        if value:
            qs = qs.filter(**{name: value})
    return qs


def _value(org: Organization, metric: MetricDef, hist: Mapping[int, int]) -> MetricValue:
    return MetricValue(
        key=metric.key,
        label=metric.label,
        unit=metric.unit,
        n=sum(hist.values()),
        min_n=org.min_sample_size,
        estimate=metric.compute(hist),
    )


def histogram(org: Organization, key: str, f: Filters = Filters()) -> dict[int, int]:
    rows = _cells(org, METRICS[key], f).values("score").annotate(c=Sum("count")).order_by()
    return {r["score"]: int(r["c"]) for r in rows if r["c"]}


def metric(org: Organization, key: str, f: Filters = Filters()) -> MetricValue:
    return _value(org, METRICS[key], histogram(org, key, f))


def summary(org: Organization, f: Filters = Filters()) -> dict[str, MetricValue]:
    return {key: metric(org, key, f) for key in ("nps", "csat", "ces")}


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
    rows = (
        _cells(org, METRICS[key], bounded)
        .values("day", "score")
        .annotate(c=Sum("count"))
        .order_by()
    )
    buckets: dict[dt.date, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    for r in rows:
        buckets[week_start(r["day"])][r["score"]] += int(r["c"])
    return [
        (
            first + dt.timedelta(weeks=i),
            _value(org, METRICS[key], buckets.get(first + dt.timedelta(weeks=i), {})),
        )
        for i in range(weeks)
    ]


def breakdown(
    org: Organization,
    key: str,
    dimension: str,
    f: Filters = Filters(),
) -> list[tuple[str, int, MetricValue]]:
    """The metric per value of a dimension: (label, id, value), best-known labels first."""
    column, model = DIMENSIONS[dimension]
    rows = _cells(org, METRICS[key], f).values(column, "score").annotate(c=Sum("count")).order_by()
    buckets: dict[int, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    for r in rows:
        buckets[r[column]][r["score"]] += int(r["c"])
    ordering = ("journey_id", "position") if model is Stage else ("pk",)
    labelled = model.objects.for_org(org).order_by(*ordering)
    out = [
        (str(obj), obj.pk, _value(org, METRICS[key], buckets.get(obj.pk, {}))) for obj in labelled
    ]
    if buckets.get(0):
        out.append(("(none)", 0, _value(org, METRICS[key], buckets[0])))
    return out
