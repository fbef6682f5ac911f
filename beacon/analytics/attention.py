"""What needs attention now: the short list on the overview and on each member's My work.

Each item says what happened and where to act: open alerts, scores that fell significantly
last week, overdue cases, emerging themes and actions falling due. A drop is only listed
when it survives a Holm correction over every comparison the panel made, so a panel of
many stages does not cry wolf by chance.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Q

from beacon.analytics import metrics
from beacon.analytics.display import figure
from beacon.analytics.models import Alert
from beacon.cxmodel.models import Stage
from beacon.insights.queries import stored_emerging_themes
from beacon.loop.models import Action, ActionStatus, Case, CaseStatus
from beacon.orgs.models import Membership, Organization

# Last week against the four weeks before it.
RECENT_DAYS = 7
BASELINE_DAYS = 28
DROP_METRICS = ("nps", "csat", "ces")
ACTION_DUE_WITHIN = dt.timedelta(days=7)
FAMILY_ALPHA = 0.05


@dataclass(frozen=True)
class Item:
    """One thing to look at. `kind` and `target_id` tell the page where to link."""

    kind: str  # alert | drop | overdue | emerging | action
    title: str
    detail: str
    target_id: int | None = None
    stage_id: int | None = None
    metric: str = ""


@dataclass(frozen=True)
class _Drop:
    label: str
    key: str
    stage_id: int | None
    comparison: metrics.Comparison


def _scopes(org: Organization, member: Membership | None) -> list[tuple[str, int | None]]:
    """Whole organisation and every stage (overview), or the member's own stages."""
    stages = Stage.objects.for_org(org).order_by("journey_id", "position")
    if member is not None:
        return [(s.name, s.pk) for s in stages.filter(owner=member)]
    return [("", None), *((s.name, s.pk) for s in stages)]


def _period_histograms(
    org: Organization, key: str, f: metrics.Filters, scopes: list[tuple[str, int | None]]
) -> dict[int | None, dict[int, int]]:
    """The metric's score histogram of every scope in one period: one read grouped by
    stage for all the stages, and one for the whole organisation when it is a scope
    (None). The same rollup rows a per-scope `metrics.histogram` reads."""
    out: dict[int | None, dict[int, int]] = {}
    if any(stage_id is not None for _, stage_id in scopes):
        by_stage = metrics.histograms_by(org, key, f, "stage_id")
        for stage_id, hist in by_stage.items():
            if stage_id:
                out[stage_id] = {score: c for score, c in hist.items() if c}
    if any(stage_id is None for _, stage_id in scopes):
        out[None] = metrics.histogram(org, key, f)
    return out


def _comparisons(
    org: Organization, scopes: list[tuple[str, int | None]], today: dt.date
) -> list[_Drop]:
    """Last week against the weeks before, per scope and metric. Two grouped reads per
    metric and period, not two per scope: the overview compares 13 scopes (39 pairs)."""
    recent_start = today - dt.timedelta(days=RECENT_DAYS - 1)
    base_end = recent_start - dt.timedelta(days=1)
    base_start = base_end - dt.timedelta(days=BASELINE_DAYS - 1)
    before = metrics.Filters(start=base_start, end=base_end)
    recent = metrics.Filters(start=recent_start, end=today)
    out = []
    read = {
        key: (
            _period_histograms(org, key, before, scopes),
            _period_histograms(org, key, recent, scopes),
        )
        for key in DROP_METRICS
    }
    for label, stage_id in scopes:
        for key in DROP_METRICS:
            ha, hb = (hists.get(stage_id, {}) for hists in read[key])
            c = metrics.Comparison(
                a=metrics.value_of(org, metrics.METRICS[key], ha),
                b=metrics.value_of(org, metrics.METRICS[key], hb),
                difference=metrics.DIFFERENCES[key](ha, hb),
            )
            if c.enough:
                out.append(_Drop(label, key, stage_id, c))
    return out


def holm_rejected(p_values: list[float], alpha: float = FAMILY_ALPHA) -> list[bool]:
    """Holm's step-down procedure: which hypotheses are rejected at family-wise `alpha`."""
    order = sorted(range(len(p_values)), key=lambda i: p_values[i])
    rejected = [False] * len(p_values)
    for rank, i in enumerate(order):
        if p_values[i] > alpha / (len(p_values) - rank):
            break
        rejected[i] = True
    return rejected


def drops(org: Organization, today: dt.date, member: Membership | None = None) -> list[Item]:
    tested = _comparisons(org, _scopes(org, member), today)
    p_values = [d.comparison.difference.p_value for d in tested if d.comparison.difference]
    items = []
    for d, rejected in zip(tested, holm_rejected(p_values), strict=True):
        diff = d.comparison.difference
        a, b = d.comparison.a, d.comparison.b
        if not rejected or diff is None or diff.diff >= 0 or a.value is None or b.value is None:
            continue
        before = figure(d.key, a.value, a.low or a.value, a.high or a.value)
        now = figure(d.key, b.value, b.low or b.value, b.high or b.value)
        change = figure(d.key, diff.diff, diff.low, diff.high)
        where = f" at {d.label}" if d.label else ""
        items.append(
            Item(
                kind="drop",
                title=f"{b.label}{where} fell from {before.value}{a.unit} to {now.value}{b.unit}",
                detail=(
                    f"last {RECENT_DAYS} days (n={b.n}) against the {BASELINE_DAYS} days "
                    f"before (n={a.n}): change {change.value}, 95% interval {change.low} to "
                    f"{change.high}"
                ),
                stage_id=d.stage_id,
                metric=d.key,
            )
        )
    return items


def open_alerts(org: Organization, member: Membership | None = None) -> list[Item]:
    alerts = Alert.objects.for_org(org).filter(resolved_at__isnull=True).select_related("rule")
    if member is not None:
        alerts = alerts.filter(rule__notify=member)
    return [
        Item("alert", a.rule.name, f"fired {a.fired_at:%d %b %H:%M}: {a.message}", a.pk)
        for a in alerts.order_by("-fired_at")
    ]


def overdue_cases(
    org: Organization, now: dt.datetime, member: Membership | None = None
) -> list[Item]:
    cases = Case.objects.for_org(org).exclude(status=CaseStatus.RESOLVED).filter(due_at__lt=now)
    if member is not None:
        cases = cases.filter(owner=member)
    count = cases.count()
    if not count:
        return []
    oldest = cases.order_by("due_at").values_list("due_at", flat=True)[0]
    noun = "case is" if count == 1 else "cases are"
    return [Item("overdue", f"{count} {noun} overdue", f"the oldest was due {oldest:%d %b}")]


def actions_due(
    org: Organization, now: dt.datetime, member: Membership | None = None
) -> list[Item]:
    actions = Action.objects.for_org(org).filter(
        Q(status=ActionStatus.OPEN) | Q(status=ActionStatus.IN_PROGRESS),
        deadline__lt=now + ACTION_DUE_WITHIN,
    )
    if member is not None:
        actions = actions.filter(owner=member)
    return [
        Item(
            "action",
            a.title,
            ("overdue since " if a.deadline < now else "due ") + f"{a.deadline:%d %b}",
            a.pk,
        )
        for a in actions.order_by("deadline")
    ]


def emerging(org: Organization) -> list[Item]:
    """As the worker last counted them (the count reads five weeks of comments); nothing
    while it first counts."""
    return [
        Item(
            "emerging",
            f"{e.name} is mentioned more",
            f"{e.this_week} of {e.this_week_total} comments last week against {e.before} of "
            f"{e.before_total} "
            f"in the weeks before (z = {e.z})",
            e.theme_id,
        )
        for e in stored_emerging_themes(org).items or []
    ]


def needs_attention(
    org: Organization, now: dt.datetime, member: Membership | None = None
) -> list[Item]:
    """Everything to act on, most urgent kinds first; for one member, only their share."""
    today = now.date()
    found = [
        *open_alerts(org, member),
        *drops(org, today, member),
        *overdue_cases(org, now, member),
        *actions_due(org, now, member),
    ]
    if member is None:
        found.extend(emerging(org))
    return found
