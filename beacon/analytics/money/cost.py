"""Cost to serve (contacts and cost per customer) and failure demand.

Failure demand: a service contact within 7 days after the same customer gave a low score
(NPS 0-6 or CSAT 1-2), or while one of their cases was unresolved: demand the company
caused by failing the first time.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

import numpy as np

from beacon.analytics.money.data import LOW_CSAT, LOW_NPS, Data, category, last_per_contact
from beacon.analytics.money.figures import mean_figure
from beacon.analytics.stats import wilson
from beacon.insights.models import InteractionReason

REPEAT_DAYS = 7.0
NO_REASON = "(no reason known)"


def _window(data: Data) -> float:
    return float(min(data.window_days, max(int(data.history_days), 1)))


def _per_customer(data: Data, contacts: list[int], start: float) -> tuple[np.ndarray, np.ndarray]:
    counts, costs = [], []
    for c in contacts:
        events = [e for e in data.service.get(c, ()) if e[0] >= start]
        counts.append(float(len(events)))
        costs.append(sum(e[1] for e in events))
    return np.array(counts, dtype=np.float64), np.array(costs, dtype=np.float64)


def cost_to_serve(data: Data) -> dict[str, Any]:
    days = _window(data)
    window = f"the last {int(days)} days, per customer who answered a survey"
    latest = last_per_contact(data.nps)
    groups: dict[str, dict[str, list[int]]] = {
        "experience": defaultdict(list),
        "stage": defaultdict(list),
    }
    for contact, i in latest.items():
        groups["experience"][category(int(data.nps.score[i]))].append(contact)
        groups["stage"][str(int(data.nps.stage[i]) or "")].append(contact)
    out: dict[str, Any] = {"window_days": int(days)}
    for name, by in groups.items():
        rows = {}
        for k, (label, contacts) in enumerate(sorted(by.items())):
            counts, costs = _per_customer(data, contacts, -days)
            rows[label] = {
                "contacts": mean_figure(counts, window=window, min_n=data.min_n, seed=50 + k),
                "cost": mean_figure(costs, window=window, min_n=data.min_n, seed=70 + k),
            }
        out[f"by_{name}"] = rows
    out["by_reason"] = _by_reason(data, days)
    everyone = list(latest)
    counts, costs = _per_customer(data, everyone, -days)
    out["overall"] = {
        "contacts": mean_figure(counts, window=window, min_n=data.min_n, seed=90),
        "cost": mean_figure(costs, window=window, min_n=data.min_n, seed=91),
    }
    return out


def _by_reason(data: Data, days: float) -> list[dict[str, Any]]:
    linked = {e[3] for events in data.service.values() for e in events if e[3] is not None}
    names = dict(
        InteractionReason.objects.for_org(data.org_id)
        .filter(interaction_id__in=linked, reason__isnull=False)
        .values_list("interaction_id", "reason__name")
    )
    per: dict[str, list[float]] = defaultdict(list)
    for events in data.service.values():
        for t, cost, _, interaction in events:
            if t >= -days:
                per[names.get(interaction or 0, NO_REASON)].append(cost)
    rows = [
        {
            "reason": reason,
            "contacts": len(costs),
            "cost": round(sum(costs), 2),
            "cost_per_contact": mean_figure(
                np.array(costs), window=f"the last {int(days)} days", min_n=data.min_n, seed=k
            ),
        }
        for k, (reason, costs) in enumerate(sorted(per.items(), key=lambda kv: -sum(kv[1])))
    ]
    return rows


def _low_scores(data: Data) -> dict[int, list[float]]:
    low: dict[int, list[float]] = defaultdict(list)
    for answers, threshold in ((data.nps, LOW_NPS), (data.csat, LOW_CSAT)):
        for i in range(len(answers.contact)):
            if answers.score[i] <= threshold:
                low[int(answers.contact[i])].append(float(answers.at[i]))
    return low


def is_failure_demand(t: float, low: list[float], cases: list[tuple[float, float]]) -> bool:
    if any(0.0 <= t - s <= REPEAT_DAYS for s in low):
        return True
    return any(opened <= t < resolved for opened, resolved in cases)


def failure_demand(data: Data) -> dict[str, Any]:
    low = _low_scores(data)
    months: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    cost: dict[str, float] = defaultdict(float)
    all_cost: dict[str, float] = defaultdict(float)
    for contact, events in data.service.items():
        for t, amount, _, _ in events:
            month = (data.as_of + dt.timedelta(days=t)).strftime("%Y-%m")
            months[month][1] += 1
            all_cost[month] += amount
            if is_failure_demand(t, low.get(contact, []), data.cases.get(contact, [])):
                months[month][0] += 1
                cost[month] += amount
    rows = []
    for month in sorted(months):
        failed, n = months[month]
        share = wilson(failed, n)
        rows.append(
            {
                "month": month,
                "contacts": n,
                "failure_demand": failed,
                "cost": round(cost[month], 2),
                "all_cost": round(all_cost[month], 2),
                "share": round(share.value, 2) if share else None,
                "share_low": round(share.low, 2) if share else None,
                "share_high": round(share.high, 2) if share else None,
            }
        )
    return {
        "months": rows,
        "method": "service contacts within 7 days after a low score (NPS 0-6, CSAT 1-2) or "
        "while a case was unresolved; share with Wilson 95% interval",
        "window": "every month of outcome history",
    }
