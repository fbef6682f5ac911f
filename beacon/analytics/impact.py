"""The impact of a completed action: its metric before and after, and root-cause recurrence.

It lives in analytics (which reads loop; loop cannot read metrics) so the action page
and the board pack show the same figures. The computation reads the additive score rollups
of the action's question (never a scan of responses) and compares two windows of equal
length either side of the completion day with Welch's t-test on what each answer adds to
the metric (the metric's own `contribution`, so its thresholds exist once).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from django.db.models import Sum

from beacon.analytics import stats
from beacon.analytics.display import figure
from beacon.analytics.metrics import METRICS
from beacon.analytics.stats import Estimate
from beacon.core import clock
from beacon.loop.models import Action
from beacon.loop.queries import root_cause_recurrence
from beacon.loop.updates import UNMEASURED, Evidence, Verdict
from beacon.responses.models import SliceRollup
from beacon.surveys.models import QuestionKind

MAX_WINDOW_DAYS = 90
ALPHA = 0.05

METRIC_OF_KIND: dict[str, str] = {
    QuestionKind.NPS: "nps",
    QuestionKind.CSAT: "csat",
    QuestionKind.CES: "ces",
}


@dataclass(frozen=True)
class Window:
    start: dt.date
    end: dt.date  # exclusive
    n: int
    estimate: Estimate | None


@dataclass(frozen=True)
class Impact:
    metric: str
    days: int
    before: Window
    after: Window
    difference: float | None
    p_value: float | None
    min_n: int
    recurrence: tuple[int, int, int] | None
    key: str = ""
    higher_is_better: bool = True
    of_stage: bool = False

    @property
    def enough(self) -> bool:
        return self.before.n >= self.min_n and self.after.n >= self.min_n

    @property
    def significant(self) -> bool:
        return self.enough and self.p_value is not None and self.p_value < ALPHA


def _histogram(action: Action, start: dt.date, end: dt.date) -> dict[int, int]:
    assert action.question_id is not None
    # From the slices (the total, or the stage's), not the full cube: the cube has about a
    # cell per answer at scale, so a 90-day window read tens of thousands of rows.
    cells = SliceRollup.objects.filter(
        organization_id=action.organization_id,
        question_id=action.question_id,
        day__gte=start,
        day__lt=end,
    )
    if action.stage_id is not None:
        cells = cells.filter(dimension="stage", value=str(action.stage_id))
    else:
        cells = cells.filter(dimension="")
    rows = cells.values("score").annotate(c=Sum("count")).order_by()
    return {r["score"]: int(r["c"]) for r in rows if r["c"]}


def welch_p(before: Mapping[int, int], after: Mapping[int, int], kind: str) -> float | None:
    """Welch's p-value of the change in the metric of a question kind; None below two
    answers a side."""
    difference = stats.mean_difference(before, after, METRICS[METRIC_OF_KIND[kind]].contribution)
    return None if difference is None else difference.p_value


def action_impact(action: Action, min_n: int) -> Impact | None:
    """None until the action is done and names a scored question (NPS, CSAT or CES)."""
    if action.completed_at is None or action.question_id is None:
        return None
    kind = str(action.question.kind)  # type: ignore[union-attr]
    if kind not in METRIC_OF_KIND:
        return None
    metric = METRICS[METRIC_OF_KIND[kind]]
    done = action.completed_at.date()
    today = clock.now().date()
    days = max(0, min(MAX_WINDOW_DAYS, (today - done).days))
    before_start = done - dt.timedelta(days=days)
    # The completion day itself belongs to neither window: the change lands during it.
    after_start = done + dt.timedelta(days=1)
    before = _histogram(action, before_start, done)
    after_end = after_start + dt.timedelta(days=days)
    after = _histogram(action, after_start, after_end)
    b_est, a_est = metric.compute(before), metric.compute(after)
    return Impact(
        metric=metric.label,
        days=days,
        before=Window(before_start, done, sum(before.values()), b_est),
        after=Window(
            after_start, after_start + dt.timedelta(days=days), sum(after.values()), a_est
        ),
        difference=(a_est.value - b_est.value) if a_est and b_est else None,
        p_value=welch_p(before, after, kind),
        min_n=min_n,
        recurrence=root_cause_recurrence(action),
        key=metric.key,
        higher_is_better=metric.higher_is_better,
        of_stage=action.stage_id is not None,
    )


def _window_text(impact: Impact, window: Window) -> str:
    if window.estimate is None:
        return f"no answers (n={window.n})"
    e = figure(impact.key, window.estimate.value, window.estimate.low, window.estimate.high)
    return f"{e.value} (95% interval {e.low} to {e.high}, n={window.n})"


def _recurrence_text(impact: Impact) -> str:
    if impact.recurrence is None:
        return ""
    days, before, after = impact.recurrence
    if after == before:
        return (
            f" Cases with this root cause stayed at {before} in the {days} days before "
            "and after completion."
        )
    moved = "rose" if after > before else "fell"
    return (
        f" Cases with this root cause {moved} from {before} in the {days} days before "
        f"completion to {after} in the {days} days after."
    )


def verdict(impact: Impact) -> str:
    if impact.days == 0 or not impact.enough or impact.difference is None or impact.p_value is None:
        return Verdict.TOO_EARLY
    if not impact.significant:
        return Verdict.UNCHANGED
    better = (impact.difference > 0) == impact.higher_is_better
    return Verdict.IMPROVED if better else Verdict.WORSE


def evidence(action: Action, min_n: int) -> Evidence:
    """Whether the action's metric shows it helped, with the figures that say so.

    "Here is what we changed" is proposed to customers only on a significant improvement
    (Welch's test at ALPHA); anything else needs the owner's confirmation.
    """
    return judge(action, action_impact(action, min_n))


def judge(action: Action, impact: Impact | None) -> Evidence:
    """`evidence` from an impact already computed (the action page shows both)."""
    if impact is None:
        if action.question_id is None:
            return UNMEASURED
        if action.completed_at is None:
            return Evidence(Verdict.TOO_EARLY, "The action is not done yet.")
        return Evidence(Verdict.UNMEASURED, "The linked question is not NPS, CSAT or CES.")
    name = f"{impact.metric} of this stage" if impact.of_stage else impact.metric
    found = verdict(impact)
    if impact.days == 0:
        why = f"Completed today: {name} after completion is measured from tomorrow."
    elif found == Verdict.TOO_EARLY:
        why = (
            f"{name} has {impact.before.n} answers in the {impact.days} days before completion "
            f"and {impact.after.n} after; at least {impact.min_n} a side are needed to judge."
        )
    else:
        p = impact.p_value or 0.0  # judged only with a p-value (see `verdict`)
        judged = {
            Verdict.IMPROVED: "a real improvement",
            Verdict.WORSE: "a real decline",
            Verdict.UNCHANGED: "a change that could be chance",
        }[found]
        why = (
            f"{name} moved from {_window_text(impact, impact.before)} in the {impact.days} days "
            f"before completion to {_window_text(impact, impact.after)} after: {judged} "
            f"({'p < 0.001' if p < 0.001 else f'p = {p:.3f}'})."
        )
    return Evidence(found, why + _recurrence_text(impact))
