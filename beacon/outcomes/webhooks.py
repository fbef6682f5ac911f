"""Outcomes posted to an inbound webhook: a shop's orders, a billing system's subscription
events, a help desk's contacts with their cost.

The webhook (`contacts.InboundWebhook`) says which kind it records and where each field
is in the posted JSON. The item read from the body goes through the same checker as the
API and CSV imports (`checks.Checker` via `actions.do_record_outcome`), so a field is
refused with the same message wherever it came from; here the message also names the JSON
path it was read at. The idempotency key is the webhook's plus the item's (or the body's
hash), so a retried post stores nothing twice.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from beacon.contacts.models import InboundWebhook
from beacon.contacts.signatures import Scheme
from beacon.contacts.webhooks import do_create_webhook, payload_of, scalar, value_at, when_of
from beacon.core import clock
from beacon.core.errors import ValidationFailed
from beacon.orgs.models import Membership, Organization
from beacon.outcomes.actions import ItemResult, do_record_outcome
from beacon.outcomes.models import Outcome, OutcomeKind

SUBSCRIPTION = "subscription"
# Orders whose amount is a refund, sent positive as refunds are (Stripe's charge.refunded,
# Shopify's refunds/create): recorded as an order of the negative amount.
REFUND = "refund"
# What a webhook may record, and the label the staff page shows.
RECORDS = {
    OutcomeKind.ORDER.value: "Orders (revenue; refunds negative)",
    REFUND: "Refunds (an order of minus the amount sent)",
    SUBSCRIPTION: "Subscription events (started, renewed, changed, ended)",
    OutcomeKind.SERVICE_CONTACT.value: "Service contacts (channel, minutes, cost)",
}
COMMON = ("contact_id", "occurred_at", "idempotency_key", "channel")
FIELDS = {
    OutcomeKind.ORDER.value: (*COMMON, "amount", "currency", "product", "plan"),
    REFUND: (*COMMON, "order_id", "amount", "currency", "product", "plan", "reason"),
    SUBSCRIPTION: (*COMMON, "event", "subscription_id", "plan", "amount", "currency", "reason"),
    OutcomeKind.SERVICE_CONTACT.value: (
        *COMMON, "cost", "currency", "reason", "handle_minutes", "interaction_key",
    ),
}  # fmt: skip
REQUIRED = {
    OutcomeKind.ORDER.value: ("contact_id", "amount"),
    REFUND: ("amount",),
    SUBSCRIPTION: ("contact_id", "event"),
    OutcomeKind.SERVICE_CONTACT.value: ("contact_id",),
}
ALL_FIELDS = tuple(dict.fromkeys(f for fields in FIELDS.values() for f in fields))
# The words billing systems use for a subscription's events (the last part of a dotted
# event name such as customer.subscription.deleted).
EVENTS = {
    "started": OutcomeKind.SUBSCRIPTION_STARTED,
    "created": OutcomeKind.SUBSCRIPTION_STARTED,
    "renewed": OutcomeKind.SUBSCRIPTION_RENEWED,
    "changed": OutcomeKind.SUBSCRIPTION_CHANGED,
    "updated": OutcomeKind.SUBSCRIPTION_CHANGED,
    "ended": OutcomeKind.SUBSCRIPTION_ENDED,
    "cancelled": OutcomeKind.SUBSCRIPTION_ENDED,
    "canceled": OutcomeKind.SUBSCRIPTION_ENDED,
    "deleted": OutcomeKind.SUBSCRIPTION_ENDED,
}


def do_create_outcome_webhook(
    org: Organization,
    name: str,
    records: str,
    mapping: dict[str, str],
    *,
    actor: Membership | None = None,
    only_when_path: str = "",
    only_when_values: list[str] | None = None,
    signature: str = Scheme.BEACON,
    help_desk_secret: str = "",
    connector: str = "",
    minor_units: bool = False,
) -> InboundWebhook:
    """A webhook whose posts record outcomes of one kind; the mapping names its fields.
    `minor_units`: the amounts posted are in the currency's minor unit (cents)."""
    if records not in RECORDS:
        raise ValidationFailed({"records": f"must be one of {', '.join(RECORDS)}"})
    return do_create_webhook(
        org,
        name,
        mapping,
        actor=actor,
        only_when_path=only_when_path,
        only_when_values=only_when_values,
        records=records,
        fields=FIELDS[records],
        required=REQUIRED[records],
        signature=signature,
        help_desk_secret=help_desk_secret,
        connector=connector,
        minor_units=minor_units,
    )


def _kind(records: str, values: Mapping[str, str], paths: Mapping[str, str]) -> str:
    if records == REFUND:
        return OutcomeKind.ORDER.value
    if records != SUBSCRIPTION:
        return records
    said = values.get("event", "").lower()
    word = said.rsplit(".", 1)[-1].removeprefix("subscription_")
    if word not in EVENTS:
        raise ValidationFailed(
            {
                "event": f"at {paths['event']}: {said or 'nothing'!r} is not a subscription "
                "event; send started, renewed, changed or ended"
            }
        )
    return EVENTS[word].value


def item_from(webhook: InboundWebhook, body: bytes) -> dict[str, Any]:
    """The outcome item the body describes, as the API would receive it."""
    payload = payload_of(body)
    paths: dict[str, str] = webhook.mapping
    values = {name: scalar(value_at(payload, path)) for name, path in paths.items()}
    item: dict[str, Any] = {
        k: v for k, v in values.items() if k not in ("event", "order_id") and v != ""
    }
    item["kind"] = _kind(webhook.records, values, paths)
    if not item.get("contact_id") and values.get("order_id"):
        item["contact_id"] = _customer_of_order(webhook, values["order_id"], paths["order_id"])
    if webhook.records == REFUND and "amount" in item:
        item["amount"] = _negated(item["amount"], paths["amount"])
    when = values.get("occurred_at", "")
    if "occurred_at" not in paths:
        item["occurred_at"] = clock.now()  # the post is the event, as it happens
    elif when.isdigit() and (moment := when_of(when)) is not None:
        item["occurred_at"] = moment  # Unix time, as billing systems send
    # Without a key from the sender, the same body posted twice is the same outcome.
    key = values.get("idempotency_key") or hashlib.sha256(body).hexdigest()
    item["idempotency_key"] = f"wh{webhook.pk}:{key}"[:190]
    return item


def _customer_of_order(webhook: InboundWebhook, order: str, path: str) -> str:
    """The customer of an order recorded before (a refund that names only its order, as
    Shopify's do): by the order's key from any of the organisation's order webhooks, or as
    sent through the API. Each is a lookup in the (organisation, key) unique index."""
    hooks = InboundWebhook.objects.for_org(webhook.organization_id).filter(
        records=OutcomeKind.ORDER
    )
    keys = [order, *(f"wh{pk}:{order}"[:190] for pk in hooks.values_list("pk", flat=True))]
    found = (
        Outcome.objects.for_org(webhook.organization_id)
        .filter(kind=OutcomeKind.ORDER, idempotency_key__in=keys)
        .values_list("contact__external_id", flat=True)
        .first()
    )
    if found is None:
        raise ValidationFailed(
            {"order_id": f"at {path}: no order {order!r} is recorded, so its customer is unknown"}
        )
    return found


def _negated(amount: str, path: str) -> str:
    """A refund's amount as the negative order it is; refunds are sent positive."""
    if amount.startswith("-"):
        raise ValidationFailed(
            {"amount": f"at {path}: a refund's amount is sent positive, not {amount!r}"}
        )
    return "-" + amount


def receive_outcome(webhook: InboundWebhook, body: bytes) -> tuple[ItemResult, str]:
    """Check and store the body's outcome (and say its kind); ValidationFailed names each
    field and the path it was read at."""
    item = item_from(webhook, body)
    try:
        outcome = do_record_outcome(webhook.organization, item, minor_units=webhook.minor_units)
        return outcome, item["kind"]
    except ValidationFailed as exc:
        paths: dict[str, str] = webhook.mapping
        raise ValidationFailed(
            {
                field: (f"at {paths[field]}: {message}" if field in paths else message)
                for field, message in exc.errors.items()
            }
        ) from None
