"""What the money analyses read: answers, outcomes and cases as arrays, once per run.

Times are days relative to the run's as-of moment (negative = in the past), so every
window is a comparison of floats.
"""

from __future__ import annotations

import datetime as dt
import sys
from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np

from beacon.analytics.money.figures import FloatArray
from beacon.contacts.models import Contact
from beacon.loop.models import Case
from beacon.outcomes.models import OutcomeKind
from beacon.outcomes.queries import outcome_rows
from beacon.responses.models import Answer
from beacon.surveys.models import QuestionKind

DAY = 86400.0
YEAR = 365.0
# Low scores whose following contacts are failure demand.
LOW_NPS, LOW_CSAT = 6, 2


def category(score: int) -> str:
    return "promoter" if score >= 9 else "passive" if score >= 7 else "detractor"


def csat_band(score: int) -> str:
    return "satisfied" if score >= 4 else "neutral" if score == 3 else "dissatisfied"


@dataclass
class Answers:
    """One row per scored answer of one question kind, oldest first."""

    contact: np.ndarray
    at: FloatArray
    score: np.ndarray
    stage: np.ndarray
    persona: np.ndarray
    response: np.ndarray


@dataclass
class Subscription:
    start: float
    end: float | None
    plan: str
    reason: str


@dataclass
class Data:
    org_id: int
    as_of: dt.datetime
    min_n: int
    window_days: int
    nps: Answers
    csat: Answers
    subscriptions: dict[int, Subscription]
    # Per contact: (days, amount) of money paid and of service contacts.
    revenue: dict[int, list[tuple[float, float]]] = field(default_factory=dict)
    service: dict[int, list[tuple[float, float, str, int | None]]] = field(default_factory=dict)
    plan: dict[int, str] = field(default_factory=dict)
    # Per contact: (opened, resolved or +inf) of each case.
    cases: dict[int, list[tuple[float, float]]] = field(default_factory=dict)
    first_day: float = 0.0

    def days(self, when: dt.datetime) -> float:
        return (when - self.as_of).total_seconds() / DAY

    @property
    def history_days(self) -> float:
        return -self.first_day


def _answers(org_id: int, kind: str, as_of: dt.datetime) -> Answers:
    rows = list(
        Answer.objects.for_org(org_id)
        .filter(question__kind=kind, number__isnull=False, response__contact__isnull=False)
        .filter(response__responded_at__lt=as_of)
        .order_by("response__responded_at", "pk")
        .values_list(
            "response__contact_id",
            "response__responded_at",
            "number",
            "response__stage_id",
            "response__persona_id",
            "response_id",
        )
    )
    return Answers(
        contact=np.array([r[0] for r in rows], dtype=np.int64),
        at=np.array([(r[1] - as_of).total_seconds() / DAY for r in rows], dtype=np.float64),
        score=np.array([r[2] for r in rows], dtype=np.int64),
        stage=np.array([r[3] or 0 for r in rows], dtype=np.int64),
        persona=np.array([r[4] or 0 for r in rows], dtype=np.int64),
        response=np.array([r[5] for r in rows], dtype=np.int64),
    )


def load(
    org_id: int,
    as_of: dt.datetime,
    *,
    min_n: int,
    window_days: int,
    cost_per_contact: dict[str, float] | None = None,
) -> Data:
    """Everything up to `as_of`; a service contact sent without a cost costs its channel's."""
    rates = cost_per_contact or {}
    data = Data(
        org_id,
        as_of,
        min_n,
        window_days,
        _answers(org_id, QuestionKind.NPS, as_of),
        _answers(org_id, QuestionKind.CSAT, as_of),
        {},
    )
    first_day = float(data.nps.at.min()) if len(data.nps.at) else 0.0
    revenue: dict[int, list[tuple[float, float]]] = defaultdict(list)
    service: dict[int, list[tuple[float, float, str, int | None]]] = defaultdict(list)
    for contact, kind, when, amount, channel, plan, reason, interaction in outcome_rows(
        org_id, OutcomeKind.values, until=as_of
    ):
        t = data.days(when)
        if t < first_day:
            first_day = t
        # One string object per distinct channel and plan, not one per row.
        channel, plan = sys.intern(channel), sys.intern(plan)
        if kind == OutcomeKind.SERVICE_CONTACT:
            cost = float(amount) if amount is not None else rates.get(channel, 0.0)
            service[contact].append((t, cost, channel, interaction))
            continue
        if kind == OutcomeKind.SUBSCRIPTION_STARTED:
            sub = data.subscriptions.get(contact)
            if sub is None or (sub.end is not None and sub.end < t):
                # The first subscription counts; a later one after churn starts afresh.
                data.subscriptions[contact] = Subscription(t, None, plan, "")
            data.plan[contact] = plan or data.plan.get(contact, "")
        elif kind == OutcomeKind.SUBSCRIPTION_ENDED:
            sub = data.subscriptions.get(contact)
            if sub is not None and sub.end is None and t >= sub.start:
                sub.end, sub.reason = t, reason
        elif kind == OutcomeKind.SUBSCRIPTION_CHANGED and plan:
            data.plan[contact] = plan
        if kind != OutcomeKind.SUBSCRIPTION_ENDED and amount is not None:
            revenue[contact].append((t, float(amount)))
    data.revenue, data.service = dict(revenue), dict(service)
    for contact, opened, resolved in (
        Case.objects.for_org(org_id)
        .filter(contact__isnull=False, created_at__lt=as_of)
        .values_list("contact_id", "created_at", "resolved_at")
    ):
        data.cases.setdefault(contact, []).append(
            (data.days(opened), data.days(resolved) if resolved else float("inf"))
        )
    data.first_day = first_day
    _plans_from_attributes(data)
    return data


def _plans_from_attributes(data: Data) -> None:
    """A customer without subscriptions may still carry its plan as a contact attribute."""
    known = set(data.plan)
    wanted = set(data.nps.contact.tolist()) - known
    if not wanted:
        return
    for pk, attributes in (
        Contact.objects.for_org(data.org_id).filter(pk__in=wanted).values_list("pk", "attributes")
    ):
        plan = (attributes or {}).get("plan")
        if isinstance(plan, str):
            data.plan[pk] = plan


def first_per_contact(answers: Answers, *, before: float = 0.0) -> dict[int, int]:
    """Row index of each contact's first answer before `before`."""
    out: dict[int, int] = {}
    for i in range(len(answers.contact)):
        if answers.at[i] < before:
            out.setdefault(int(answers.contact[i]), i)
    return out


def last_per_contact(answers: Answers, *, before: float = 0.0) -> dict[int, int]:
    """Row index of each contact's latest answer before `before`."""
    out: dict[int, int] = {}
    for i in range(len(answers.contact)):
        if answers.at[i] < before:
            out[int(answers.contact[i])] = i
    return out


def total(events: list[tuple[float, float]] | None, start: float, end: float) -> float:
    """Sum of amounts of events in [start, end)."""
    return sum(a for t, a in events or () if start <= t < end)


def count(
    events: list[tuple[float, float, str, int | None]] | None, start: float, end: float
) -> int:
    return sum(1 for t, *_ in events or () if start <= t < end)


def yearly_revenue(data: Data, contact: int, at: float = 0.0) -> float:
    """Revenue of the year before `at`, annualised when less history exists."""
    days = min(YEAR, max(data.history_days + at, 1.0))
    return total(data.revenue.get(contact), at - days, at) * YEAR / days
