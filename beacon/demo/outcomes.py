"""Business outcomes of the demo's customers, with effects planted so the Value page is true.

Over the same six months as the survey history, every Northwind customer has a monthly
subscription (renewed every 30 days at their plan's price), may buy accessories, calls
for help, and may leave. Planted, and recovered by the Value page (demo/tests):

- churn: from their first NPS answer, detractors leave at `DETRACTOR_HAZARD` x the
  promoters' rate (passives at `PASSIVE_HAZARD` x), whatever their plan or tenure;
- revenue: promoters buy more accessories (`ORDERS_PER_90_DAYS`);
- cost: every service contact costs £6 (the organisation's cost per contact, not sent);
- the completed improvement action: customers at its stage made `REPEAT_BEFORE` repeat
  contacts a month before it was completed and `REPEAT_AFTER` after.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction

from beacon.analytics.money.crown import action_scope
from beacon.analytics.money.report import completed_actions
from beacon.contacts.models import Contact
from beacon.orgs.models import Organization
from beacon.outcomes.actions import SettingsIn, do_save_settings, write_checked
from beacon.outcomes.checks import AccountIn, Checked, OutcomeIn
from beacon.responses.models import Answer
from beacon.surveys.models import QuestionKind

DETRACTOR_HAZARD = 2.5
PASSIVE_HAZARD = 1.6
# Promoters' churn per day: about one in ten leave within 90 days of their first answer.
BASE_HAZARD = 0.0012
PRICE = {"SIM only": 12, "Phone contract": 35, "Broadband": 30, "Broadband + mobile": 45}
ORDERS_PER_90_DAYS = {"promoter": 0.6, "passive": 0.35, "detractor": 0.2}
CONTACTS_PER_MONTH = {"promoter": 0.2, "passive": 0.3, "detractor": 0.5}
REPEAT_BEFORE, REPEAT_AFTER = 0.6, 0.2
COST_PER_CONTACT = Decimal(6)
CHANNELS = ("phone", "chat", "store")
REASONS = ("price", "coverage", "service", "moved")
MONTH = 30.4
OBSERVATION_DAYS = 90
ACCOUNTS = ("Harbour Logistics", "Fenwick Dental", "Alder & Co", "Quayside Cafés",
            "Brightwater Homes", "Cobalt Studio")  # fmt: skip


@dataclass(frozen=True)
class Planted:
    """What the demo planted, for the test that the pages recover it."""

    hazard_ratio: float
    cost_per_contact: float
    action_id: int | None
    action_cost_change: float | None  # per touched customer, over the action's window


def _category(score: int) -> str:
    return "promoter" if score >= 9 else "passive" if score >= 7 else "detractor"


def _first_answers(org: Organization) -> dict[int, tuple[dt.datetime, str]]:
    first: dict[int, tuple[dt.datetime, str]] = {}
    for contact, when, score in (
        Answer.objects.for_org(org)
        .filter(question__kind=QuestionKind.NPS, number__isnull=False)
        .order_by("response__responded_at")
        .values_list("response__contact_id", "response__responded_at", "number")
    ):
        if contact is not None and score is not None and contact not in first:
            first[contact] = (when, _category(score))
    return first


def _poisson(rng: random.Random, mean: float) -> int:
    count, total = 0, rng.expovariate(1.0) if mean > 0 else float("inf")
    while total < mean:
        count += 1
        total += rng.expovariate(1.0)
    return count


class _Writer:
    def __init__(self, org: Organization, today: dt.datetime) -> None:
        self.org, self.today = org, today
        self.items: list[tuple[int, Checked]] = []
        self.n = 0

    def add(self, ext: str, kind: str, when: dt.datetime, amount: float | None, **kw: Any) -> None:
        if when >= self.today:
            return
        self.n += 1
        money = Decimal(str(amount)) if amount is not None else None
        self.items.append((self.n, OutcomeIn(
            kind=kind, contact_external_id=ext, idempotency_key=f"demo-outcome-{self.n}",
            occurred_at=when, amount=money, sent_amount=money, sent_currency="GBP" if money else "",
            **kw,
        )))  # fmt: skip

    def flush(self) -> None:
        for start in range(0, len(self.items), 5000):
            write_checked(self.org, self.items[start : start + 5000])
        self.items = []


def _customer(
    w: _Writer,
    rng: random.Random,
    ext: str,
    plan: str,
    first: tuple[dt.datetime, str] | None,
    start_floor: dt.datetime,
) -> None:
    today = w.today
    group = first[1] if first else "passive"
    anchor = first[0] if first else today - dt.timedelta(days=rng.uniform(0, 180))
    start = max(start_floor, anchor - dt.timedelta(days=rng.uniform(5, 60)))
    hazard = BASE_HAZARD * {"promoter": 1.0, "passive": PASSIVE_HAZARD,
                            "detractor": DETRACTOR_HAZARD}[group]  # fmt: skip
    end = anchor + dt.timedelta(days=rng.expovariate(hazard))
    price = PRICE.get(plan, 25)
    sub = f"{ext}-sub"
    w.add(ext, "subscription_started", start, price, plan=plan, subscription_id=sub,
          channel=rng.choice(CHANNELS))  # fmt: skip
    renewal = start + dt.timedelta(days=30)
    while renewal < min(end, today):
        w.add(ext, "subscription_renewed", renewal, price, plan=plan, subscription_id=sub)
        renewal += dt.timedelta(days=30)
    if end < today:
        reasons = ("service", "service", *REASONS) if group == "detractor" else REASONS
        w.add(ext, "subscription_ended", end, None, subscription_id=sub,
              reason=rng.choice(reasons))  # fmt: skip
    live = (min(end, today) - start).days
    for _ in range(_poisson(rng, ORDERS_PER_90_DAYS[group] * live / 90)):
        w.add(ext, "order", start + dt.timedelta(days=rng.uniform(0, live)),
              round(rng.uniform(20, 60), 2), product="Accessories", channel="web")  # fmt: skip
    for _ in range(_poisson(rng, CONTACTS_PER_MONTH[group] * live / MONTH)):
        w.add(ext, "service_contact", start + dt.timedelta(days=rng.uniform(0, live)), None,
              channel=rng.choice(CHANNELS))  # fmt: skip


def _repeat_contacts(
    w: _Writer, rng: random.Random, org: Organization, contacts: dict[int, str]
) -> tuple[int | None, float | None]:
    """Repeat contacts of the customers the completed action touched, fewer after it."""
    actions = completed_actions(org.pk)
    if not actions:
        return None, None
    action = actions[0]
    stage, _ = action_scope(action)
    done = action.completed_at
    if done is None or stage is None:
        return None, None
    days = min(90.0, (w.today - done).total_seconds() / 86400)
    touched = set(
        Answer.objects.for_org(org)
        .filter(question__kind=QuestionKind.NPS, response__stage_id=stage,
                response__responded_at__gte=done - dt.timedelta(days=days),
                response__responded_at__lt=done + dt.timedelta(days=days))
        .values_list("response__contact_id", flat=True)
    )  # fmt: skip
    for contact in sorted(touched):
        ext = contacts.get(contact)
        if ext is None:
            continue
        for rate, lo in ((REPEAT_BEFORE, done - dt.timedelta(days=days)), (REPEAT_AFTER, done)):
            for _ in range(_poisson(rng, rate * days / MONTH)):
                w.add(ext, "service_contact", lo + dt.timedelta(days=rng.uniform(0, days)), None,
                      channel="phone", reason="repeat")  # fmt: skip
    change = (REPEAT_AFTER - REPEAT_BEFORE) * days / MONTH * float(COST_PER_CONTACT)
    return action.pk, change


def _accounts(w: _Writer, rng: random.Random, contacts: dict[int, str]) -> None:
    """A few business customers: small firms on Northwind plans, grouped into accounts."""
    ids = sorted(contacts)
    rng.shuffle(ids)
    for i, name in enumerate(ACCOUNTS):
        revenue = Decimal(rng.choice((4_000, 9_000, 18_000, 36_000, 60_000)))
        for contact in ids[i * 6 : i * 6 + 6]:
            w.n += 1
            w.items.append((w.n, AccountIn(
                account_external_id=f"ACC-{i + 1}", name=name, annual_revenue=revenue,
                as_of=w.today - dt.timedelta(days=1), contact_external_id=contacts[contact],
                idempotency_key=f"demo-account-{w.n}",
            )))  # fmt: skip


@transaction.atomic
def seed_outcomes(org: Organization, *, today: dt.datetime, seed: int = 14) -> Planted:
    rng = random.Random(seed)
    do_save_settings(org, SettingsIn(
        currency="GBP", exchange_rates={"EUR": Decimal("0.86")},
        cost_per_contact={c: COST_PER_CONTACT for c in CHANNELS},
        observation_days=OBSERVATION_DAYS, create_unknown_contacts=False, viewers_see_money=False,
    ))  # fmt: skip
    contacts = dict(Contact.objects.for_org(org).values_list("pk", "external_id"))
    plans = dict(Contact.objects.for_org(org).values_list("pk", "attributes__plan"))
    first = _first_answers(org)
    w = _Writer(org, today)
    start_floor = today - dt.timedelta(days=189)
    for pk in sorted(contacts):
        _customer(w, rng, contacts[pk], str(plans.get(pk) or "SIM only"), first.get(pk),
                  start_floor)  # fmt: skip
    action_id, change = _repeat_contacts(w, rng, org, contacts)
    _accounts(w, rng, contacts)
    w.flush()
    return Planted(DETRACTOR_HAZARD, float(COST_PER_CONTACT), action_id, change)
