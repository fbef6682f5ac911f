"""Synthetic customers with known truth for the money analyses.

A `Plan` is pure data (seeded): who answered what and when, their subscription, what they
paid and how often they called. It is either written through the product's own write
paths (`to_db`: ingest_bulk for answers, do_record_outcomes for outcomes) for end-to-end
tests on both databases, or turned into the analyses' input directly (`to_data`) for the
many-seed false-discovery tests.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np

from beacon.analytics.money.data import Answers, Data, Subscription
from beacon.outcomes.actions import do_record_outcomes
from beacon.responses.checks import AnswerIn, ResponseIn
from beacon.responses.ingest import ingest_bulk
from beacon.testing import World

TODAY = dt.datetime(2026, 6, 1, 12, tzinfo=dt.UTC)
SCORES = {"promoter": (9, 10), "passive": (7, 8), "detractor": (0, 6)}


@dataclass
class Customer:
    key: str
    answers: list[tuple[float, int, int]]  # (day, score, stage: 1 = the touched stage)
    start: float
    end: float | None
    revenue: list[tuple[float, float]] = field(default_factory=list)
    service: list[tuple[float, float]] = field(default_factory=list)


@dataclass
class Plan:
    customers: list[Customer]
    window_days: int = 90


def _score(rng: np.random.Generator, group: str) -> int:
    lo, hi = SCORES[group]
    return int(rng.integers(lo, hi + 1))


def retention_plan(
    seed: int,
    *,
    n: int = 900,
    hazard_ratio: float = 2.5,
    uplift: dict[str, float] | None = None,
    base_rate: float = 1 / 400,
) -> Plan:
    """Each customer answers once 200-260 days ago; churn hazard of detractors is
    `hazard_ratio` x the promoters' (passives halfway); revenue in the 90 days after the
    answer is 100 + uplift[category] on average."""
    rng = np.random.default_rng(seed)
    uplift = uplift if uplift is not None else {"promoter": 0.0, "passive": 0.0, "detractor": 0.0}
    hr = {"promoter": 1.0, "passive": (1 + hazard_ratio) / 2, "detractor": hazard_ratio}
    out = []
    for i in range(n):
        group = ("promoter", "passive", "detractor")[i % 3]
        answered = -float(rng.uniform(200, 260))
        start = answered - float(rng.uniform(30, 400))
        life = float(rng.exponential(1 / (base_rate * hr[group])))
        end = answered + life if answered + life < -0.5 else None
        c = Customer(f"syn-{i}", [(answered, _score(rng, group), 1)], start, end)
        c.revenue.append((start + 0.1, 30.0))
        spend = max(0.0, float(rng.normal(100 + uplift[group], 40)))
        c.revenue.append((answered + float(rng.uniform(1, 80)), spend))
        out.append(c)
    return Plan(out)


def action_plan(
    seed: int,
    *,
    n: int = 400,
    calls_before: float = 2.0,
    calls_after: float = 1.0,
    touched_score_after: str = "",
    completed: float = -60.0,
) -> Plan:
    """Half the customers answer at the touched stage (1), half elsewhere (2), once in
    each 60-day window around `completed`; touched customers call `calls_before` times
    before and `calls_after` times after (Poisson), untouched ones `calls_before` both
    times; each call costs 6."""
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        touched = i % 2 == 0
        stage = 1 if touched else 2
        group = ("promoter", "passive", "detractor")[i % 3]
        after_group = touched_score_after if touched and touched_score_after else group
        before_day = completed - float(rng.uniform(1, 59))
        after_day = completed + float(rng.uniform(1, 59))
        c = Customer(f"act-{i}", [(before_day, _score(rng, group), stage),
                                  (after_day, _score(rng, after_group), stage)],
                     completed - 300, None)  # fmt: skip
        rate_after = calls_after if touched else calls_before
        for lo, rate in ((completed - 60, calls_before), (completed, rate_after)):
            for _ in range(int(rng.poisson(rate))):
                c.service.append((lo + float(rng.uniform(0, 60)), 6.0))
        out.append(c)
    return Plan(out)


def to_data(plan: Plan, *, min_n: int = 30, stage_ids: tuple[int, int] = (1, 2)) -> Data:
    rows = sorted(
        (day, pk, score, stage_ids[stage - 1])
        for pk, c in enumerate(plan.customers, start=1)
        for day, score, stage in c.answers
    )
    answers = Answers(
        contact=np.array([r[1] for r in rows], dtype=np.int64),
        at=np.array([r[0] for r in rows], dtype=np.float64),
        score=np.array([r[2] for r in rows], dtype=np.int64),
        stage=np.array([r[3] for r in rows], dtype=np.int64),
        persona=np.zeros(len(rows), dtype=np.int64),
        response=np.arange(len(rows), dtype=np.int64),
    )
    none = np.zeros(0, dtype=np.int64)
    empty = Answers(none, np.zeros(0, dtype=np.float64), none, none, none, none)
    data = Data(0, TODAY, min_n, plan.window_days, answers, empty, {})
    for pk, c in enumerate(plan.customers, start=1):
        data.subscriptions[pk] = Subscription(c.start, c.end, "", "")
        data.revenue[pk] = sorted(c.revenue)
        data.service[pk] = [(t, cost, "phone", None) for t, cost in sorted(c.service)]
    data.first_day = min(c.start for c in plan.customers)
    return data


def to_db(world: World, plan: Plan, *, stage_touchpoints: tuple[object, object]) -> None:
    """Answers through bulk ingest, outcomes through the batch write path."""

    def at(day: float) -> dt.datetime:
        return TODAY + dt.timedelta(days=day)

    raws = []
    for c in plan.customers:
        raws.append({"kind": "subscription_started", "contact_id": c.key,
                     "idempotency_key": f"{c.key}-start", "occurred_at": at(c.start),
                     "amount": 0})  # fmt: skip
        if c.end is not None:
            raws.append({"kind": "subscription_ended", "contact_id": c.key,
                         "idempotency_key": f"{c.key}-end", "occurred_at": at(c.end),
                         "reason": "synthetic"})  # fmt: skip
        for k, (day, amount) in enumerate(c.revenue):
            raws.append({"kind": "order", "contact_id": c.key, "idempotency_key": f"{c.key}-o{k}",
                         "occurred_at": at(day), "amount": round(amount, 2)})  # fmt: skip
        for k, (day, cost) in enumerate(c.service):
            raws.append({"kind": "service_contact", "contact_id": c.key,
                         "idempotency_key": f"{c.key}-c{k}", "occurred_at": at(day),
                         "cost": cost, "channel": "phone"})  # fmt: skip
    from beacon.contacts.actions import ContactIn, InteractionIn, do_bulk_record_interactions

    org = world.org
    do_bulk_record_interactions(
        org, [InteractionIn(ContactIn(c.key), f"{c.key}-seen", at(c.start)) for c in plan.customers]
    )
    from beacon.core import clock

    with clock.frozen_at(TODAY):
        for start in range(0, len(raws), 1000):
            results = do_record_outcomes(org, raws[start : start + 1000])
            assert all(r.status == "created" for r in results), [r for r in results if r.errors][:3]
        from beacon.contacts.models import Contact

        contacts = dict(Contact.objects.for_org(org).values_list("external_id", "pk"))
        items = [
            ResponseIn(
                survey=world.survey,
                idempotency_key=f"{c.key}-r{k}",
                answers=[AnswerIn(world.nps.pk, number=score)],
                contact=Contact(pk=contacts[c.key], organization=org),
                touchpoint=stage_touchpoints[stage - 1],  # type: ignore[arg-type]
                responded_at=at(day),
            )
            for c in plan.customers
            for k, (day, score, stage) in enumerate(c.answers)
        ]
        ingest_bulk(items, historical=True)
