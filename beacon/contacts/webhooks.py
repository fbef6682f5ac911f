"""Inbound help-desk webhooks: verify the signature, then read an interaction out of JSON.

Every help desk posts its own shape, so an admin maps Beacon's fields to dotted paths in
that JSON once per webhook (e.g. contact_id -> "ticket.requester.id"). Nothing here
writes: the caller hands the result to `pipeline.receive_interaction`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import secrets
from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.utils.dateparse import parse_datetime

from beacon.contacts import signatures
from beacon.contacts.actions import ContactIn, InteractionIn
from beacon.contacts.events import webhook_created, webhook_signing_set
from beacon.contacts.models import InboundWebhook, Interaction, WebhookDelivery
from beacon.core.errors import ValidationFailed
from beacon.core.ids import as_id
from beacon.cxmodel.models import Touchpoint
from beacon.orgs.models import Membership, Organization, Team

FIELDS = (
    "contact_id",
    "email",
    "name",
    "touchpoint",
    "team",
    "staff",
    "occurred_at",
    "idempotency_key",
    "description",
)
REQUIRED = ("contact_id",)


def _check_mapping(
    mapping: Any, fields: tuple[str, ...], required: tuple[str, ...]
) -> dict[str, str]:
    if not isinstance(mapping, dict):
        raise ValidationFailed({"mapping": "must map field names to JSON paths"})
    errors: dict[str, str] = {}
    for name, path in mapping.items():
        if name not in fields:
            errors[f"mapping.{name}"] = f"unknown field; use one of {', '.join(fields)}"
        elif not isinstance(path, str) or not path.strip():
            errors[f"mapping.{name}"] = "must be a dotted JSON path like ticket.requester.id"
    for name in required:
        if name not in mapping:
            errors[f"mapping.{name}"] = "is required"
    if errors:
        raise ValidationFailed(errors)
    return {k: v.strip() for k, v in mapping.items()}


def _check_condition(path: str, values: list[str]) -> tuple[str, list[str]]:
    path = path.strip()
    values = [v.strip().lower() for v in values if v.strip()]
    if path and not values:
        raise ValidationFailed({"only_when_values": "name at least one value, or clear the path"})
    if values and not path:
        raise ValidationFailed({"only_when_path": "name the JSON path the values are read at"})
    return path, values


@transaction.atomic
def do_create_webhook(
    org: Organization,
    name: str,
    mapping: dict[str, str],
    *,
    actor: Membership | None = None,
    connector: str = "",
    only_when_path: str = "",
    only_when_values: list[str] | None = None,
    records: str = "",
    fields: tuple[str, ...] = FIELDS,
    required: tuple[str, ...] = REQUIRED,
    signature: str = signatures.Scheme.BEACON,
    help_desk_secret: str = "",
    minor_units: bool = False,
) -> InboundWebhook:
    """A webhook recording interactions, or (`records` with that kind's `fields`, checked
    by the outcomes app, which calls this) outcomes."""
    if not name.strip():
        raise ValidationFailed({"name": "must not be empty"})
    path, values = _check_condition(only_when_path, only_when_values or [])
    scheme, key = _check_signing(signature, help_desk_secret)
    webhook = InboundWebhook.objects.create(
        organization=org,
        name=name.strip(),
        token=secrets.token_urlsafe(24),
        secret=secrets.token_urlsafe(32),
        mapping=_check_mapping(mapping, fields, required),
        connector=connector,
        only_when_path=path,
        only_when_values=values,
        records=records,
        signature=scheme,
        help_desk_secret=key,
        minor_units=minor_units,
    )
    webhook_created(org, webhook, actor=actor, connector=connector, records=records)
    return webhook


def sign(secret: str, body: bytes) -> str:
    """Beacon's own signature of a body (the `beacon` scheme), for relays and tests."""
    return signatures.beacon_signature(secret, body)


def verify(webhook: InboundWebhook, body: bytes, headers: Mapping[str, str]) -> None:
    """Raise `signatures.BadSignature` unless the body is signed as the webhook's scheme says."""
    signatures.verify(webhook.signature, webhook.secret, webhook.help_desk_secret, body, headers)


def _check_signing(scheme: str, help_desk_secret: str) -> tuple[str, str]:
    if scheme not in signatures.Scheme.values:
        raise ValidationFailed(
            {"signature": f"unknown scheme; use one of {', '.join(signatures.Scheme.values)}"}
        )
    secret = help_desk_secret.strip()
    if secret and scheme not in signatures.HELP_DESK_KEYED:
        only = "only Zendesk, Intercom, Stripe and Shopify use the sender's secret"
        raise ValidationFailed({"help_desk_secret": only})
    if len(secret) > 200:
        raise ValidationFailed({"help_desk_secret": "at most 200 characters"})
    return scheme, secret


@transaction.atomic
def do_set_webhook_signing(
    webhook: InboundWebhook,
    scheme: str,
    help_desk_secret: str = "",
    *,
    actor: Membership | None = None,
) -> InboundWebhook:
    """Change how the webhook's bodies are verified; a Zendesk or Intercom secret is known
    only once the webhook exists in the help desk, so it is pasted here afterwards."""
    scheme, secret = _check_signing(scheme, help_desk_secret)
    InboundWebhook.objects.filter(pk=webhook.pk).update(signature=scheme, help_desk_secret=secret)
    webhook.signature, webhook.help_desk_secret = scheme, secret
    webhook_signing_set(webhook.organization_id, webhook, actor=actor, scheme=scheme)
    return webhook


def value_at(data: Any, path: str) -> Any:
    for part in path.split("."):
        if isinstance(data, dict):
            data = data.get(part)
        elif isinstance(data, list) and (index := as_id(part)) is not None and index < len(data):
            data = data[index]
        else:
            return None
    return data


def scalar(value: Any) -> str:
    if value is None or isinstance(value, dict | list):
        return ""
    return str(value).strip()


def payload_of(body: bytes) -> Any:
    try:
        return json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValidationFailed({"body": f"is not valid JSON: {exc}"}) from None


def ignored_because(webhook: InboundWebhook, body: bytes) -> str:
    """Why this body makes no interaction (e.g. the ticket is not solved yet), or ""."""
    if not webhook.only_when_path:
        return ""
    found = scalar(value_at(payload_of(body), webhook.only_when_path))
    if found.lower() in webhook.only_when_values:
        return ""
    wanted = " or ".join(webhook.only_when_values)
    return f"{webhook.only_when_path} is {found or 'missing'!r}, not {wanted}"


def when_of(raw: str) -> dt.datetime | None:
    """ISO 8601 with a zone, or Unix time in seconds or milliseconds (as some desks send)."""
    if raw.isdigit() and len(raw) in (10, 13):
        seconds = int(raw) / (1000 if len(raw) == 13 else 1)
        return dt.datetime.fromtimestamp(seconds, tz=dt.UTC)
    parsed = parse_datetime(raw)
    return parsed if parsed is not None and parsed.tzinfo is not None else None


def interaction_from(webhook: InboundWebhook, body: bytes) -> InteractionIn:
    """The interaction the JSON describes, or ValidationFailed naming each bad field."""
    payload = payload_of(body)
    values = {name: scalar(value_at(payload, path)) for name, path in webhook.mapping.items()}
    org_id = webhook.organization_id
    errors: dict[str, str] = {}
    contact_id = values.get("contact_id", "")
    if not contact_id:
        errors["contact_id"] = f"nothing found at {webhook.mapping.get('contact_id')}"
    touchpoint = _lookup(Touchpoint, org_id, values.get("touchpoint", ""), "touchpoint", errors)
    team = _lookup(Team, org_id, values.get("team", ""), "team", errors)
    staff = None
    if values.get("staff"):
        staff = (
            Membership.objects.for_org(org_id).filter(user__email__iexact=values["staff"]).first()
        )
        if staff is None:
            errors["staff"] = f"no member with email {values['staff']!r}"
    occurred_at = None
    if values.get("occurred_at"):
        occurred_at = when_of(values["occurred_at"])
        if occurred_at is None:
            errors["occurred_at"] = (
                f"at {webhook.mapping['occurred_at']}: must be an ISO 8601 date-time with "
                "a time zone, or Unix time"
            )
    if errors:
        raise ValidationFailed(errors)
    # Without a key from the help desk, the same body posted twice is the same interaction.
    key = values.get("idempotency_key") or "wh:" + hashlib.sha256(body).hexdigest()
    return InteractionIn(
        contact=ContactIn(
            external_id=contact_id, email=values.get("email", ""), name=values.get("name", "")
        ),
        idempotency_key=f"wh{webhook.pk}:{key}"[:200],
        occurred_at=occurred_at.astimezone(dt.UTC) if occurred_at else None,
        touchpoint=touchpoint,
        team=team,
        staff=staff,
        description=values.get("description", ""),
    )


def _lookup(
    model: type[Touchpoint] | type[Team], org_id: int, value: str, field: str,
    errors: dict[str, str],
) -> Any:  # fmt: skip
    """By id or by exact name, inside the webhook's organisation only."""
    if not value:
        return None
    rows = model.objects.for_org(org_id)
    pk = as_id(value)
    found = rows.filter(pk=pk).first() if pk is not None else None
    found = found or rows.filter(name__iexact=value).first()
    if found is None:
        errors[field] = f"no {field} {value!r} in this organisation"
    return found


def record_delivery(
    webhook: InboundWebhook,
    outcome: str,
    detail: str = "",
    interaction: Interaction | None = None,
) -> WebhookDelivery:
    """One line of the webhook's log (kept apart from the interaction's own writes)."""
    return WebhookDelivery.objects.create(
        organization_id=webhook.organization_id,
        webhook=webhook,
        outcome=outcome,
        detail=detail[:2000],
        interaction=interaction,
    )


def recent_deliveries(webhook: InboundWebhook, limit: int = 5) -> list[WebhookDelivery]:
    return list(webhook.deliveries.order_by("-pk")[:limit])


def webhook_by_token(token: str) -> InboundWebhook | None:
    # The token is the only thing known before the signature is checked.
    return (
        InboundWebhook.objects.select_related("organization")
        .filter(token=token, active=True)
        .first()
    )
