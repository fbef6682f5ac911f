"""The triple crown: experience, cost to serve and revenue, before vs after, side by side.

For a completed improvement action the windows are the days either side of its
completion; for a journey stage, the latest window against the one before. The customers
"touched" are those who answered a survey at the stage (an action's own stage, else the
stage most of its cases and theme mentions came from) within the two windows. Where
untouched customers exist, cost and revenue are also compared as a difference in
differences against them, which takes out what changed for everyone.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

import numpy as np

from beacon.analytics.money.data import Data, total
from beacon.analytics.money.figures import (
    Figure,
    figure,
    mean_difference_figure,
    mean_figure,
    not_enough,
    significant,
)
from beacon.analytics.stats import nps_difference, proportion_difference
from beacon.insights.models import ThemeMention
from beacon.loop.models import Action, Case

MAX_WINDOW_DAYS = 90
MIN_WINDOW_DAYS = 7
# Which way is better for each leg: experience and revenue up, cost down, retention up.
BETTER = {"experience": 1, "cost": -1, "revenue": 1, "retention": 1}
LEG_WORDS = {
    "experience": "experience",
    "cost": "cost to serve",
    "revenue": "revenue",
    "retention": "retention",
}


@dataclass(frozen=True)
class Windows:
    start: float  # before window: [start, pivot)
    pivot: float  # after window: [pivot, pivot + days)
    days: float


def _touched(
    data: Data, stage: int | None, w: Windows, extra: set[int]
) -> tuple[set[int], set[int]]:
    a = data.nps
    inside = (a.at >= w.start) & (a.at < w.pivot + w.days)
    answered = set(a.contact[inside].tolist())
    touched = set(a.contact[inside & (a.stage == stage)].tolist()) if stage else extra & answered
    return touched, answered - touched


def _money_delta(data: Data, contacts: list[int], w: Windows, kind: str) -> np.ndarray:
    out = []
    for c in contacts:
        events = (
            data.revenue.get(c)
            if kind == "revenue"
            else [(t, cost) for t, cost, *_ in data.service.get(c, ())]
        )
        out.append(total(events, w.pivot, w.pivot + w.days) - total(events, w.start, w.pivot))
    return np.array(out, dtype=np.float64)


def _stayed(data: Data, contacts: list[int], start: float, days: float) -> dict[int, int]:
    """{1: customers still subscribed at the end, 0: churned} among those subscribed at start."""
    hist = {0: 0, 1: 0}
    for c in contacts:
        sub = data.subscriptions.get(c)
        if sub is None or sub.start > start or (sub.end is not None and sub.end <= start):
            continue
        hist[0 if sub.end is not None and sub.end < start + days else 1] += 1
    return hist


def _experience(data: Data, contacts: set[int], stage: int | None, w: Windows) -> Figure:
    a = data.nps
    mask = np.isin(a.contact, list(contacts))
    if stage:
        mask &= a.stage == stage
    hists = []
    for lo, hi in ((w.start, w.pivot), (w.pivot, w.pivot + w.days)):
        scores = a.score[mask & (a.at >= lo) & (a.at < hi)]
        hists.append(dict(Counter(int(s) for s in scores)))
    n = sum(sum(h.values()) for h in hists)
    window = f"{int(w.days)} days before vs after"
    method = "NPS after minus before (points), z-test 95% interval"
    diff = nps_difference(hists[0], hists[1])
    if diff is None or min(sum(h.values()) for h in hists) < data.min_n:
        return not_enough(
            min(sum(h.values()) for h in hists), data.min_n, window=window, method=method
        )
    return figure(
        diff.diff,
        diff.low,
        diff.high,
        n=n,
        min_n=data.min_n,
        window=window,
        method=method,
        p_value=diff.p_value,
    )


def _retention(data: Data, contacts: list[int], w: Windows) -> Figure:
    before = _stayed(data, contacts, w.start, w.days)
    after = _stayed(data, contacts, w.pivot, w.days)
    window = f"customers subscribed at the start of each {int(w.days)}-day window"
    method = "share still subscribed, after minus before (points), two-proportion z-test"
    n = min(sum(before.values()), sum(after.values()))
    diff = proportion_difference(before, after, 1)
    if diff is None or n < data.min_n:
        return not_enough(n, data.min_n, window=window, method=method)
    return figure(
        diff.diff,
        diff.low,
        diff.high,
        n=sum(before.values()) + sum(after.values()),
        min_n=data.min_n,
        window=window,
        method=method,
    )


def triple_crown(
    data: Data, stage: int | None, w: Windows, extra: set[int] | None = None, seed: int = 0
) -> dict[str, Any]:
    touched, untouched = _touched(data, stage, w, extra or set())
    t_list, c_list = sorted(touched), sorted(untouched)
    window = f"{int(w.days)} days before vs after, per customer touched"
    legs: dict[str, Figure] = {"experience": _experience(data, touched, stage, w)}
    did: dict[str, Figure] = {}
    for k, kind in enumerate(("cost", "revenue")):
        deltas = _money_delta(data, t_list, w, kind)
        legs[kind] = mean_figure(
            deltas,
            window=window,
            min_n=data.min_n,
            seed=seed + k,
            method="mean change per customer (after minus before), 95% percentile bootstrap",
        )
        if len(c_list) >= data.min_n:
            did[kind] = mean_difference_figure(
                _money_delta(data, c_list, w, kind),
                deltas,
                window=window,
                min_n=data.min_n,
                seed=seed + 10 + k,
                method="difference in differences against untouched customers, 95% bootstrap",
            )
    legs["retention"] = _retention(data, t_list, w)
    return {
        "touched": len(touched),
        "untouched": len(untouched),
        "window_days": int(w.days),
        "legs": legs,
        "did": did,
        "flag": flag(legs, did),
    }


def flag(legs: dict[str, Figure], did: dict[str, Figure]) -> str:
    """A sentence when one leg significantly improved while another significantly worsened."""
    direction = {}
    for leg, sign in BETTER.items():
        f = did.get(leg) or legs.get(leg)
        direction[leg] = significant(f) * sign if f else 0
    better = [LEG_WORDS[k] for k, v in direction.items() if v > 0]
    worse = [LEG_WORDS[k] for k, v in direction.items() if v < 0]
    if better and worse:
        return f"{' and '.join(better)} improved at the expense of {' and '.join(worse)}"
    return ""


def action_windows(data: Data, action: Action) -> Windows | None:
    assert action.completed_at is not None
    pivot = data.days(action.completed_at)
    days = min(MAX_WINDOW_DAYS, -pivot, pivot - data.first_day)
    return Windows(pivot - days, pivot, days) if days >= MIN_WINDOW_DAYS else None


def stage_windows(data: Data) -> Windows | None:
    days = min(MAX_WINDOW_DAYS, data.history_days / 2)
    return Windows(-2 * days, -days, days) if days >= MIN_WINDOW_DAYS else None


def action_scope(action: Action) -> tuple[int | None, set[int]]:
    """The action's stage (its own, else where its cases and theme mentions came from)
    and the customers of those cases and mentions."""
    cases = Case.objects.for_org(action.organization_id).filter(actions=action)
    if action.root_cause_id:
        cases = cases | Case.objects.for_org(action.organization_id).filter(
            root_cause_id=action.root_cause_id
        )
    rows = list(cases.values_list("contact_id", "response__stage_id"))
    if action.theme_id:
        rows += list(
            ThemeMention.objects.for_org(action.organization_id)
            .filter(theme_id=action.theme_id)
            .values_list("response__contact_id", "response__stage_id")
        )
    contacts = {c for c, _ in rows if c}
    if action.stage_id:
        return action.stage_id, contacts
    stages = Counter(s for _, s in rows if s)
    return (stages.most_common(1)[0][0] if stages else None), contacts


def action_report(data: Data, action: Action) -> dict[str, Any]:
    w = action_windows(data, action)
    base = {"action_id": action.pk, "title": action.title}
    if w is None:
        return {
            **base,
            "enough": False,
            "note": f"needs {MIN_WINDOW_DAYS} days of history either side of completion",
        }
    stage, contacts = action_scope(action)
    return {
        **base,
        "enough": True,
        "stage_id": stage,
        **triple_crown(data, stage, w, contacts, seed=action.pk),
    }


def stage_report(data: Data, stage_id: int, name: str) -> dict[str, Any]:
    w = stage_windows(data)
    base = {"stage_id": stage_id, "name": name}
    if w is None:
        return {**base, "enough": False, "note": f"needs {2 * MIN_WINDOW_DAYS} days of history"}
    return {**base, "enough": True, **triple_crown(data, stage_id, w, seed=stage_id)}
