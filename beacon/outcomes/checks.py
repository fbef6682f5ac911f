"""Checking one outcome item, whether it came from the API (JSON) or a CSV row (text).

One checker serves every entry point, so a field is refused with the same message
wherever it was sent. It reads what it needs (known customers, when a subscription
started) once per item and remembers it for the rest of the batch or file.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

import pycountry
from django.db.models import Min
from django.utils.dateparse import parse_datetime

from beacon.contacts.models import Contact, Interaction
from beacon.core import clock
from beacon.orgs.models import Organization
from beacon.outcomes import currencies
from beacon.outcomes.models import Outcome, OutcomeKind, OutcomeSettings

ACCOUNT = "account"
KINDS = (*OutcomeKind.values, ACCOUNT)
# Kinds that must say how much was paid.
NEEDS_AMOUNT = (
    OutcomeKind.ORDER,
    OutcomeKind.SUBSCRIPTION_STARTED,
    OutcomeKind.SUBSCRIPTION_RENEWED,
)
MAX_AMOUNT = Decimal("1e11")
# A clock a few minutes fast at the sender is not a date in the future.
FUTURE_SLACK = dt.timedelta(minutes=5)
TEXT_FIELDS = {
    "subscription_id": 200,
    "plan": 200,
    "product": 200,
    "channel": 50,
    "reason": 200,
    "account_name": 200,
}


@dataclass(frozen=True)
class OutcomeIn:
    """A checked outcome: money already in the organisation's currency."""

    kind: str
    contact_external_id: str
    idempotency_key: str
    occurred_at: dt.datetime
    amount: Decimal | None = None
    sent_amount: Decimal | None = None
    sent_currency: str = ""
    subscription_id: str = ""
    plan: str = ""
    product: str = ""
    channel: str = ""
    reason: str = ""
    handle_minutes: Decimal | None = None
    interaction_id: int | None = None


@dataclass(frozen=True)
class AccountIn:
    """An account's annual revenue, and the contact it groups under it when given."""

    account_external_id: str
    name: str
    annual_revenue: Decimal
    as_of: dt.datetime
    contact_external_id: str = ""
    idempotency_key: str = ""


Checked = OutcomeIn | AccountIn


def _text(raw: Mapping[str, Any], name: str) -> str:
    value = raw.get(name)
    return "" if value is None else str(value).strip()


def _short(value: str) -> str:
    return value if len(value) <= 40 else value[:37] + "..."


def _number(raw: Mapping[str, Any], name: str, errors: dict[str, str]) -> Decimal | None:
    value = raw.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | float | Decimal):
        errors[name] = "must be a number"
        return None
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        errors[name] = f"{_short(str(value))!r} is not a number"
        return None
    if not number.is_finite() or abs(number) >= MAX_AMOUNT:
        errors[name] = f"{_short(str(value))!r} is not a usable number"
        return None
    return number


def _parse_when(value: str) -> dt.datetime | None:
    try:
        if len(value) == 10:  # a plain date: midnight
            return dt.datetime.combine(dt.date.fromisoformat(value), dt.time())
        return parse_datetime(value)
    except ValueError:
        return None


def _when(
    raw: Mapping[str, Any], name: str, now: dt.datetime, errors: dict[str, str]
) -> dt.datetime | None:
    given = raw.get(name)
    when = given if isinstance(given, dt.datetime) else None
    if when is None:
        value = _text(raw, name)
        if not value:
            errors[name] = "is required"
            return None
        when = _parse_when(value)
        if when is None:
            errors[name] = f"{_short(value)!r} is not a date-time like 2026-03-01T10:00:00Z"
            return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    if when > now + FUTURE_SLACK:
        errors[name] = "is in the future"
        return None
    return when


def currency_known(code: str) -> bool:
    return len(code) == 3 and pycountry.currencies.get(alpha_3=code.upper()) is not None


def derived_key(raw: Mapping[str, Any]) -> str:
    """Without a key, the same row sent twice is the same outcome."""
    text = repr(sorted((str(k), str(v)) for k, v in raw.items()))
    return "row:" + hashlib.sha256(text.encode()).hexdigest()[:40]


class Checker:
    """Checks items of one organisation; one instance per batch or file."""

    def __init__(
        self, org: Organization, settings: OutcomeSettings, *, minor_units: bool = False
    ) -> None:
        self.org = org
        self.settings = settings
        # Every amount of this batch, file or webhook is in the currency's minor unit.
        self.minor_units = minor_units
        self.now = clock.now()
        self._contacts: dict[str, int | None] = {}
        self._started: dict[tuple[str, str], dt.datetime | None] = {}
        self._interactions: dict[str, int | None] = {}

    # -- what the database knows, read once per value

    def _pk(self, cache: dict[str, int | None], model: Any, **lookup: str) -> int | None:
        """The id of the organisation's row matching `lookup`, read once per value."""
        (value,) = lookup.values()
        if value not in cache:
            cache[value] = (
                model.objects.for_org(self.org)
                .filter(**lookup)
                .values_list("pk", flat=True)
                .first()
            )
        return cache[value]

    def contact_id(self, external_id: str) -> int | None:
        return self._pk(self._contacts, Contact, external_id=external_id)

    def _started_at(self, contact: str, subscription: str) -> dt.datetime | None:
        key = (contact, subscription)
        if key not in self._started:
            rows = Outcome.objects.for_org(self.org).filter(
                contact__external_id=contact, kind=OutcomeKind.SUBSCRIPTION_STARTED
            )
            if subscription:
                rows = rows.filter(subscription_id=subscription)
            self._started[key] = rows.aggregate(first=Min("occurred_at"))["first"]
        return self._started[key]

    def _interaction_id(self, key: str) -> int | None:
        return self._pk(self._interactions, Interaction, idempotency_key=key)

    # -- checking

    def check(
        self, raw: Mapping[str, Any], *, key_required: bool = True
    ) -> tuple[Checked | None, dict[str, str]]:
        errors: dict[str, str] = {}
        kind = _text(raw, "kind").lower()
        if kind not in KINDS:
            errors["kind"] = f"must be one of {', '.join(KINDS)}"
        for name, limit in TEXT_FIELDS.items():
            if len(_text(raw, name)) > limit:
                errors[name] = f"is longer than {limit} characters"
        key = _text(raw, "idempotency_key")
        if len(key) > 190:
            errors["idempotency_key"] = "is longer than 190 characters"
        elif not key and key_required:
            errors["idempotency_key"] = "is required (a unique key per outcome)"
        contact = _text(raw, "contact_id")
        if len(contact) > 200:
            errors["contact_id"] = "is longer than 200 characters"
        elif (
            contact
            and self.contact_id(contact) is None
            and not self.settings.create_unknown_contacts
        ):
            errors["contact_id"] = f"unknown customer {_short(contact)!r}"
        elif not contact and kind != ACCOUNT:
            errors["contact_id"] = "is required"
        when = _when(raw, "occurred_at", self.now, errors)
        money = self._money(raw, kind, errors)
        if errors or when is None:
            return None, errors
        key = key or derived_key(raw)
        if kind == ACCOUNT:
            return self._account(raw, contact, key, when, money, errors)
        return self._outcome(raw, kind, contact, key, when, money, errors)

    def _money(
        self, raw: Mapping[str, Any], kind: str, errors: dict[str, str]
    ) -> tuple[Decimal | None, Decimal | None, str]:
        """(amount in the organisation's currency, amount as sent, currency as sent)."""
        name = {ACCOUNT: "annual_revenue", OutcomeKind.SERVICE_CONTACT: "cost"}.get(kind, "amount")
        code = _text(raw, "currency").upper() or self.settings.currency
        sent = self._sent(raw, name, code, errors)
        if name == "cost" and sent is None and not errors.keys() & {"cost", "cost_minor"}:
            name, sent = "amount", self._sent(raw, "amount", code, errors)
        if sent is None:
            named = errors.keys() & {name, f"{name}_minor", "currency"}
            if (kind in NEEDS_AMOUNT or kind == ACCOUNT) and not named:
                errors[name] = "is required"
            return None, None, ""
        if sent < 0 and kind != OutcomeKind.ORDER:
            errors[name] = "must not be negative (only an order may be, as a refund)"
        if not currency_known(code):
            errors["currency"] = f"{_short(code)!r} is not an ISO 4217 currency code"
            return None, None, ""
        if code == self.settings.currency:
            return sent, sent, code
        rate = _rate(self.settings.exchange_rates.get(code))
        if rate is None:
            errors["currency"] = (
                f"{code} is not the organisation's currency ({self.settings.currency}) and "
                f"no exchange rate for it is set"
            )
            return None, None, ""
        places = currencies.exponent(self.settings.currency)
        return (
            (sent * rate).quantize(Decimal(1).scaleb(-(2 if places is None else places))),
            sent,
            code,
        )

    def _sent(
        self, raw: Mapping[str, Any], name: str, code: str, errors: dict[str, str]
    ) -> Decimal | None:
        """The amount at `name` in the currency's unit. It may come in the minor unit
        instead (cents): at `<name>_minor` (the API's explicit field), or at `name` itself
        when the whole source is declared so (a webhook's or an import's option)."""
        minor = f"{name}_minor"
        has_minor = raw.get(minor) not in (None, "")
        if has_minor and raw.get(name) not in (None, ""):
            errors[minor] = f"send either {name} or {minor}, not both"
            return None
        if not has_minor and not self.minor_units:
            return _number(raw, name, errors)
        field = minor if has_minor else name
        number = _number(raw, field, errors)
        if number is None:
            return None
        if number != number.to_integral_value():
            errors[field] = (
                f"{_short(str(raw.get(field)))!r} is not a whole number of {code}'s minor unit"
            )
            return None
        if not currency_known(code):
            errors["currency"] = f"{_short(code)!r} is not an ISO 4217 currency code"
            return None
        value = currencies.from_minor(number, code)
        if value is None:
            errors[field] = f"{code} has no minor unit; send the amount in {code} itself"
        return value

    def _outcome(
        self,
        raw: Mapping[str, Any],
        kind: str,
        contact: str,
        key: str,
        when: dt.datetime,
        money: tuple[Decimal | None, Decimal | None, str],
        errors: dict[str, str],
    ) -> tuple[Checked | None, dict[str, str]]:
        subscription = _text(raw, "subscription_id")
        if kind == OutcomeKind.SUBSCRIPTION_ENDED:
            started = self._started_at(contact, subscription)
            if started is not None and when < started:
                errors["occurred_at"] = (
                    f"is before the subscription started ({started.date().isoformat()})"
                )
        elif kind == OutcomeKind.SUBSCRIPTION_STARTED:
            known = self._started_at(contact, subscription)
            self._started[(contact, subscription)] = min(when, known) if known else when
        minutes = _number(raw, "handle_minutes", errors)
        if minutes is not None and minutes < 0:
            errors["handle_minutes"] = "must not be negative"
        interaction_id = None
        if link := _text(raw, "interaction_key"):
            interaction_id = self._interaction_id(link)
            if interaction_id is None:
                errors["interaction_key"] = f"no interaction has the key {_short(link)!r}"
        if errors:
            return None, errors
        amount, sent, code = money
        if kind == OutcomeKind.SERVICE_CONTACT and amount is None:
            amount = _rate(self.settings.cost_per_contact.get(_text(raw, "channel").lower()))
        return OutcomeIn(
            kind=kind,
            contact_external_id=contact,
            idempotency_key=key,
            occurred_at=when,
            amount=amount,
            sent_amount=sent,
            sent_currency=code,
            subscription_id=subscription,
            plan=_text(raw, "plan"),
            product=_text(raw, "product"),
            channel=_text(raw, "channel").lower(),
            reason=_text(raw, "reason"),
            handle_minutes=minutes,
            interaction_id=interaction_id,
        ), {}

    def _account(
        self,
        raw: Mapping[str, Any],
        contact: str,
        key: str,
        when: dt.datetime,
        money: tuple[Decimal | None, Decimal | None, str],
        errors: dict[str, str],
    ) -> tuple[Checked | None, dict[str, str]]:
        account = _text(raw, "account_id")
        if not account:
            errors["account_id"] = "is required"
        elif len(account) > 200:
            errors["account_id"] = "is longer than 200 characters"
        amount = money[0]
        if errors or amount is None:
            return None, errors
        return AccountIn(
            account_external_id=account,
            name=_text(raw, "account_name"),
            annual_revenue=amount,
            as_of=when,
            contact_external_id=contact,
            idempotency_key=key,
        ), {}


def _rate(value: Any) -> Decimal | None:
    try:
        rate = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    return rate if rate.is_finite() and rate >= 0 else None
