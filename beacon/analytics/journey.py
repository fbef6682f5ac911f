"""The journey map's figures: per stage its owner and flags, scores with trend, volume and
cases, and per need whether its successful-outcome target is met. Page and API read this.

Every score is read from the rollups through `analytics.metrics` (a few grouped reads for
the whole journey, one per measured need), never from a scan of responses.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Q

from beacon.analytics import metrics, stats
from beacon.analytics.alignment import flags_by_stage
from beacon.cxmodel.models import Journey, Measure, Need, OwnerChange, Stage
from beacon.cxmodel.queries import journeys_with_stages
from beacon.loop.models import Case
from beacon.loop.queries import OPEN_STATUSES
from beacon.orgs.models import Membership, Organization
from beacon.surveys.models import Question, QuestionKind

# The map's window: the last twelve weeks (today included), against the twelve before.
PERIOD_DAYS = 84
SCORE_KEYS = ("nps", "csat", "ces")
ORPHANED = "orphaned"
# A question measure reads the question's own metric: NPS, the CSAT share, or a mean.
_METRIC_OF_KIND = {QuestionKind.NPS: "nps", QuestionKind.CSAT: "csat"}


def orphaned(owner: Membership | None) -> bool:
    """No accountable owner, or one who no longer works here (deactivated)."""
    return owner is None or owner.deactivated_at is not None


@dataclass(frozen=True)
class Trend:
    """This period against the one before: an arrow only for a significant change."""

    direction: str  # "up", "down", "flat" or "unknown"
    text: str
    comparison: metrics.Comparison

    @property
    def arrow(self) -> str:
        return {"up": "↑", "down": "↓", "flat": "→"}.get(self.direction, "")


@dataclass(frozen=True)
class NeedStatus:
    need: Need
    orphaned: bool
    value: metrics.MetricValue | None  # None: the need names no measure
    # "met", "not_met", "unclear" (the interval spans the target), "not_enough" or
    # "unmeasured".
    status: str

    @property
    def status_text(self) -> str:
        return {
            "met": "Met",
            "not_met": "Not met",
            "unclear": "Not enough data: the interval spans the target",
            "not_enough": "Not enough data",
            "unmeasured": "No measure named",
        }[self.status]


@dataclass(frozen=True)
class StageFigures:
    stage: Stage
    flags: list[str]
    scores: dict[str, metrics.MetricValue]
    trends: dict[str, Trend]
    volume: int
    open_cases: int
    overdue_cases: int
    needs: list[NeedStatus]
    owner_history: list[OwnerChange] = field(default_factory=list)

    @property
    def orphaned(self) -> bool:
        return ORPHANED in self.flags


@dataclass(frozen=True)
class JourneyMap:
    start: dt.date
    end: dt.date
    before_start: dt.date
    before_end: dt.date
    perfect: bool
    journeys: list[tuple[Journey, list[StageFigures]]]


def target_status(value: metrics.MetricValue, target: float) -> str:
    """Met only when the whole 95% interval is at or above the target, not met only when it
    is wholly below; otherwise the data cannot tell yet (higher is better on every measure)."""
    if not value.enough or value.low is None or value.high is None:
        return "not_enough"
    if value.low >= target:
        return "met"
    if value.high < target:
        return "not_met"
    return "unclear"


def trend_of(key: str, comparison: metrics.Comparison) -> Trend:
    """The arrow and the words a screen reader says for it."""
    label = metrics.METRICS[key].label
    diff = comparison.difference
    if not comparison.enough or diff is None:
        return Trend("unknown", f"{label}: not enough answers to compare periods", comparison)
    change = f"{diff.diff:+.1f} (95% {diff.low:.1f} to {diff.high:.1f}, p = {diff.p_value:.3f})"
    if not comparison.significant:
        return Trend("flat", f"{label}: no significant change, {change}", comparison)
    word = "up" if diff.diff > 0 else "down"
    return Trend(word, f"{label}: {word}, a significant change, {change}", comparison)


def _need_value(
    org: Organization, need: Need, f: metrics.Filters, questions: Mapping[int, Question]
) -> metrics.MetricValue | None:
    """The need's measure over the period at its stage, for its persona when it has one."""
    scoped = metrics.Filters(
        start=f.start, end=f.end, stage_id=need.stage_id, persona_id=need.persona_id
    )
    if need.measure in SCORE_KEYS:
        return metrics.metric(org, need.measure, scoped)
    if need.measure != Measure.QUESTION:
        return None
    question = questions.get(need.measure_question_id or 0)
    if question is None:
        # Removed since (or never the organisation's): nothing to read, said as such.
        return metrics.MetricValue("mean", "Question not found", "", 0, org.min_sample_size, None)
    hist = metrics.question_histogram(org, question.pk, scoped)
    key = _METRIC_OF_KIND.get(QuestionKind(question.kind))
    if key is not None:
        return metrics.value_of(org, metrics.METRICS[key], hist)
    # CES and ratings: the mean on the question's own scale, labelled by the question.
    return metrics.MetricValue(
        "mean", question.text[:60], "", sum(hist.values()), org.min_sample_size, stats.mean(hist)
    )


def _need_statuses(
    org: Organization, stage: Stage, f: metrics.Filters, questions: Mapping[int, Question]
) -> list[NeedStatus]:
    out = []
    for need in stage.needs.all():
        value = _need_value(org, need, f, questions) if need.measure else None
        if value is None or need.target is None:
            status = "unmeasured"
        else:
            status = target_status(value, need.target)
        out.append(NeedStatus(need, orphaned(need.owner), value, status))
    return out


def _case_counts(org: Organization, now: dt.datetime) -> dict[int, dict[str, int]]:
    rows = (
        Case.objects.for_org(org)
        .filter(status__in=OPEN_STATUSES)
        .values("response__stage_id")
        .annotate(open=Count("pk"), overdue=Count("pk", filter=Q(due_at__lt=now)))
        .order_by()
    )
    return {r["response__stage_id"] or 0: r for r in rows}


def _histograms(org: Organization, f: metrics.Filters) -> dict[str, dict[Any, dict[int, int]]]:
    return {key: metrics.histograms_by(org, key, f, "stage_id") for key in SCORE_KEYS}


def _history(org: Organization) -> dict[int, list[OwnerChange]]:
    by_stage: dict[int, list[OwnerChange]] = defaultdict(list)
    changes = (
        OwnerChange.objects.for_org(org)
        .filter(stage__isnull=False)
        .select_related("owner", "previous_owner", "actor")
        .order_by("created_at", "pk")
    )
    for change in changes:
        by_stage[change.stage_id or 0].append(change)
    return by_stage


def journey_map(
    org: Organization,
    now: dt.datetime,
    *,
    perfect: bool = False,
    extra_flags: Mapping[int, list[str]] | None = None,
) -> JourneyMap:
    """Every journey's stages in order with their figures; `extra_flags` (stage id ->
    flags) adds flags found elsewhere, by default the latest alignment round's (contested,
    unknown: `analytics.alignment.flags_by_stage`)."""
    if extra_flags is None:
        extra_flags = {sid: [f.kind for f in fs] for sid, fs in flags_by_stage(org).items()}
    end = now.date()
    start = end - dt.timedelta(days=PERIOD_DAYS - 1)
    current = metrics.Filters(start=start, end=end)
    before = metrics.Filters(
        start=start - dt.timedelta(days=PERIOD_DAYS), end=start - dt.timedelta(days=1)
    )
    now_hists, before_hists = _histograms(org, current), _histograms(org, before)
    cases, history = _case_counts(org, now), _history(org)
    volumes = metrics.response_volume_by_stage(org, current)
    journeys = journeys_with_stages(org)
    question_ids = {
        n.measure_question_id for j in journeys for s in j.stages.all() for n in s.needs.all()
    }
    questions = {q.pk: q for q in Question.objects.for_org(org).filter(pk__in=question_ids)}
    out = []
    for journey in journeys:
        figures = []
        for stage in journey.stages.all():
            scores, trends = {}, {}
            for key in SCORE_KEYS:
                hist, earlier = (
                    now_hists[key].get(stage.pk, {}),
                    before_hists[key].get(stage.pk, {}),
                )
                scores[key] = metrics.value_of(
                    org, metrics.shown_metric(key, perfect=perfect), hist
                )
                trends[key] = trend_of(key, _comparison(org, key, earlier, hist))
            flags = [ORPHANED] if orphaned(stage.owner) else []
            flags += [x for x in (extra_flags or {}).get(stage.pk, []) if x not in flags]
            counts = cases.get(stage.pk, {})
            figures.append(
                StageFigures(
                    stage=stage,
                    flags=flags,
                    scores=scores,
                    trends=trends,
                    volume=volumes.get(stage.pk, 0),
                    open_cases=int(counts.get("open", 0)),
                    overdue_cases=int(counts.get("overdue", 0)),
                    needs=_need_statuses(org, stage, current, questions),
                    owner_history=history.get(stage.pk, []),
                )
            )
        out.append((journey, figures))
    return JourneyMap(start, end, before.start or start, before.end or start, perfect, out)


def _comparison(
    org: Organization, key: str, before: Mapping[int, int], now: Mapping[int, int]
) -> metrics.Comparison:
    return metrics.Comparison(
        a=metrics.value_of(org, metrics.METRICS[key], before),
        b=metrics.value_of(org, metrics.METRICS[key], now),
        difference=metrics.DIFFERENCES[key](before, now),
    )
