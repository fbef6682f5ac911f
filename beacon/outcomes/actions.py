"""Every write of outcomes: items (API, CSV, demo), accounts, settings, stored reports."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import transaction

from beacon.contacts.models import Contact
from beacon.core.errors import ValidationFailed
from beacon.orgs.events import record_event
from beacon.orgs.models import Membership, Organization
from beacon.outcomes.checks import AccountIn, Checked, Checker, OutcomeIn, currency_known
from beacon.outcomes.events import OutcomeEvent
from beacon.outcomes.models import Account, AccountMember, Outcome, OutcomeSettings, ValueReport
from beacon.outcomes.queries import settings_of

MAX_BATCH = 1000
WRITE_BATCH = 1000


class ItemStatus:
    CREATED = "created"
    EXISTS = "exists"  # the idempotency key was seen before: nothing new was stored
    UPDATED = "updated"  # an account's revenue or members changed
    INVALID = "invalid"


@dataclass
class ItemResult:
    index: int
    status: str
    id: int | None = None
    errors: dict[str, str] = field(default_factory=dict)


def check_items(
    org: Organization, raws: Sequence[Mapping[str, Any]], *, minor_units: bool = False
) -> tuple[list[tuple[int, Checked]], list[ItemResult]]:
    """Check every item; a key repeated inside the batch is refused after its first use.
    `minor_units`: every amount is in its currency's minor unit (a webhook's option)."""
    checker = Checker(org, settings_of(org), minor_units=minor_units)
    good: list[tuple[int, Checked]] = []
    refused: list[ItemResult] = []
    first_of: dict[str, int] = {}
    for index, raw in enumerate(raws):
        item, errors = checker.check(raw)
        if item is not None and item.idempotency_key in first_of:
            errors = {"idempotency_key": f"repeats item {first_of[item.idempotency_key]}"}
            item = None
        if item is None:
            refused.append(ItemResult(index, ItemStatus.INVALID, errors=errors))
            continue
        first_of[item.idempotency_key] = index
        good.append((index, item))
    return good, refused


def do_record_outcomes(
    org: Organization,
    raws: Sequence[Mapping[str, Any]],
    *,
    actor: Membership | None = None,
) -> list[ItemResult]:
    """Check and store a batch: each item answered; valid items stored even if others fail."""
    if len(raws) > MAX_BATCH:
        raise ValidationFailed({"items": f"at most {MAX_BATCH} items per request"})
    good, results = check_items(org, raws)
    with transaction.atomic():
        results += write_checked(org, good)
        created = sum(r.status == ItemStatus.CREATED for r in results)
        record_event(
            org, OutcomeEvent.BATCH_RECORDED, org, actor=actor, items=len(raws), created=created
        )
    return sorted(results, key=lambda r: r.index)


def do_record_outcome(
    org: Organization,
    raw: Mapping[str, Any],
    *,
    actor: Membership | None = None,
    minor_units: bool = False,
) -> ItemResult:
    """One item; invalid input raises `ValidationFailed` naming the fields."""
    good, refused = check_items(org, [raw], minor_units=minor_units)
    if refused:
        raise ValidationFailed(refused[0].errors)
    with transaction.atomic():
        result = write_checked(org, good)[0]
        if result.status != ItemStatus.EXISTS and result.id is not None:
            subject = (
                Outcome.objects.get(pk=result.id)
                if isinstance(good[0][1], OutcomeIn)
                else Account.objects.get(pk=result.id)
            )
            record_event(org, OutcomeEvent.RECORDED, subject, actor=actor, kind=raw.get("kind"))
    return result


def write_checked(org: Organization, items: Sequence[tuple[int, Checked]]) -> list[ItemResult]:
    """Store checked items (the CSV import calls this inside its own transaction)."""
    if not items:
        return []
    contacts = _contacts(org, {i.contact_external_id for _, i in items if i.contact_external_id})
    outcomes = [(n, i) for n, i in items if isinstance(i, OutcomeIn)]
    results = _write_outcomes(org, outcomes, contacts)
    for index, item in items:
        if isinstance(item, AccountIn):
            results.append(_write_account(org, index, item, contacts))
    return results


def _contacts(org: Organization, external_ids: set[str]) -> dict[str, int]:
    """Ids of the given customers; unknown ones are created (the checker allowed it)."""
    found = dict(
        Contact.objects.for_org(org)
        .filter(external_id__in=external_ids)
        .values_list("external_id", "pk")
    )
    missing = [Contact(organization=org, external_id=e) for e in sorted(external_ids - set(found))]
    if missing:
        Contact.objects.bulk_create(missing, ignore_conflicts=True)
        found.update(
            Contact.objects.for_org(org)
            .filter(external_id__in=[c.external_id for c in missing])
            .values_list("external_id", "pk")
        )
    return found


def _write_outcomes(
    org: Organization, items: list[tuple[int, OutcomeIn]], contacts: dict[str, int]
) -> list[ItemResult]:
    keys = [i.idempotency_key for _, i in items]
    seen = _ids_of(org, keys)
    fresh = [
        Outcome(
            organization=org,
            contact_id=contacts[i.contact_external_id],
            kind=i.kind,
            occurred_at=i.occurred_at,
            idempotency_key=i.idempotency_key,
            amount=i.amount,
            sent_amount=i.sent_amount,
            sent_currency=i.sent_currency,
            subscription_id=i.subscription_id,
            plan=i.plan,
            product=i.product,
            channel=i.channel,
            reason=i.reason,
            handle_minutes=i.handle_minutes,
            interaction_id=i.interaction_id,
        )
        for _, i in items
        if i.idempotency_key not in seen
    ]
    # A concurrent request with the same key may win the race: its row is kept, not doubled.
    Outcome.objects.bulk_create(fresh, batch_size=WRITE_BATCH, ignore_conflicts=True)
    ids = _ids_of(org, [o.idempotency_key for o in fresh])
    return [
        ItemResult(
            index,
            ItemStatus.EXISTS if i.idempotency_key in seen else ItemStatus.CREATED,
            id=seen.get(i.idempotency_key) or ids.get(i.idempotency_key),
        )
        for index, i in items
    ]


def _ids_of(org: Organization, keys: list[str]) -> dict[str, int]:
    out: dict[str, int] = {}
    for start in range(0, len(keys), WRITE_BATCH):
        out.update(
            Outcome.objects.for_org(org)
            .filter(idempotency_key__in=keys[start : start + WRITE_BATCH])
            .values_list("idempotency_key", "pk")
        )
    return out


def _write_account(
    org: Organization, index: int, item: AccountIn, contacts: dict[str, int]
) -> ItemResult:
    account, created = Account.objects.get_or_create(
        organization=org, external_id=item.account_external_id
    )
    # An older statement of revenue never replaces a newer one (a retried old item).
    changed = Account.objects.filter(pk=account.pk).exclude(revenue_as_of__gt=item.as_of)
    updated = changed.update(
        annual_revenue=item.annual_revenue,
        revenue_as_of=item.as_of,
        **({"name": item.name} if item.name else {}),
    )
    if item.contact_external_id:
        AccountMember.objects.update_or_create(
            contact_id=contacts[item.contact_external_id],
            defaults={"organization": org, "account": account},
        )
    status = ItemStatus.CREATED if created else ItemStatus.UPDATED
    if updated:
        record_event(org, OutcomeEvent.ACCOUNT_SET, account, revenue=str(item.annual_revenue))
    return ItemResult(index, status, id=account.pk)


@dataclass(frozen=True)
class SettingsIn:
    currency: str
    exchange_rates: dict[str, Decimal]
    cost_per_contact: dict[str, Decimal]
    observation_days: int
    create_unknown_contacts: bool
    viewers_see_money: bool


def check_settings(data: SettingsIn) -> None:
    errors: dict[str, str] = {}
    if not currency_known(data.currency):
        errors["currency"] = f"{data.currency!r} is not an ISO 4217 currency code"
    for code, rate in data.exchange_rates.items():
        if not currency_known(code):
            errors["exchange_rates"] = f"{code!r} is not an ISO 4217 currency code"
        elif not rate.is_finite() or rate <= 0:
            errors["exchange_rates"] = f"the rate of {code} must be a positive number"
    for channel, cost in data.cost_per_contact.items():
        if not cost.is_finite() or cost < 0:
            errors["cost_per_contact"] = f"the cost on {channel!r} must not be negative"
    if not 30 <= data.observation_days <= 1095:
        errors["observation_days"] = "must be between 30 and 1095 days"
    if errors:
        raise ValidationFailed(errors)


@transaction.atomic
def do_save_settings(
    org: Organization, data: SettingsIn, *, actor: Membership | None = None
) -> OutcomeSettings:
    check_settings(data)
    stored, _ = OutcomeSettings.objects.update_or_create(
        organization=org,
        defaults={
            "currency": data.currency.upper(),
            "exchange_rates": {k.upper(): str(v) for k, v in data.exchange_rates.items()},
            "cost_per_contact": {k.lower(): str(v) for k, v in data.cost_per_contact.items()},
            "observation_days": data.observation_days,
            "create_unknown_contacts": data.create_unknown_contacts,
            "viewers_see_money": data.viewers_see_money,
        },
    )
    record_event(org, OutcomeEvent.SETTINGS_CHANGED, org, actor=actor, currency=stored.currency)
    return stored


@transaction.atomic
def do_store_report(
    org_id: int, kind: str, subject_id: int, as_of: dt.datetime, data: dict[str, Any]
) -> ValueReport:
    """Replace the stored result of one analysis (the worker's only write)."""
    report, _ = ValueReport.objects.update_or_create(
        organization_id=org_id,
        kind=kind,
        subject_id=subject_id,
        defaults={"as_of": as_of, "data": data},
    )
    record_event(org_id, OutcomeEvent.REPORT_STORED, report, kind=kind, subject_id=subject_id)
    return report
