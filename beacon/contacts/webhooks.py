"""Inbound help-desk webhooks: verify the signature, then read an interaction out of JSON.

Every help desk posts its own shape, so an admin maps Beacon's fields to dotted paths in
that JSON once per webhook (e.g. contact_id -> "ticket.requester.id"). Nothing here
writes: the caller hands the result to `pipeline.receive_interaction`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import secrets
from typing import Any

from django.db import transaction
from django.utils.dateparse import parse_datetime

from beacon.contacts.actions import ContactIn, InteractionIn
from beacon.contacts.models import InboundWebhook
from beacon.core.errors import ValidationFailed
from beacon.core.ids import as_id
from beacon.cxmodel.models import Touchpoint
from beacon.orgs.events import record_event
from beacon.orgs.models import Membership, Organization, Team

SIGNATURE_HEADER = "X-Beacon-Signature"
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


class BadSignature(Exception):
    """The body was not signed with this webhook's secret."""


def _check_mapping(mapping: Any) -> dict[str, str]:
    if not isinstance(mapping, dict):
        raise ValidationFailed({"mapping": "must map field names to JSON paths"})
    errors: dict[str, str] = {}
    for name, path in mapping.items():
        if name not in FIELDS:
            errors[f"mapping.{name}"] = f"unknown field; use one of {', '.join(FIELDS)}"
        elif not isinstance(path, str) or not path.strip():
            errors[f"mapping.{name}"] = "must be a dotted JSON path like ticket.requester.id"
    for name in REQUIRED:
        if name not in mapping:
            errors[f"mapping.{name}"] = "is required"
    if errors:
        raise ValidationFailed(errors)
    return {k: v.strip() for k, v in mapping.items()}


@transaction.atomic
def do_create_webhook(
    org: Organization, name: str, mapping: dict[str, str], *, actor: Membership | None = None
) -> InboundWebhook:
    if not name.strip():
        raise ValidationFailed({"name": "must not be empty"})
    webhook = InboundWebhook.objects.create(
        organization=org,
        name=name.strip(),
        token=secrets.token_urlsafe(24),
        secret=secrets.token_urlsafe(32),
        mapping=_check_mapping(mapping),
    )
    record_event(org, "webhook.created", webhook, actor=actor)
    return webhook


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify(webhook: InboundWebhook, body: bytes, signature: str) -> None:
    # Constant-time comparison: the time taken must not reveal how much of it matched.
    if not signature or not hmac.compare_digest(sign(webhook.secret, body), signature.strip()):
        raise BadSignature(f"missing or wrong {SIGNATURE_HEADER} (HMAC-SHA256 of the body)")


def _at(data: Any, path: str) -> Any:
    for part in path.split("."):
        if isinstance(data, dict):
            data = data.get(part)
        elif isinstance(data, list) and (index := as_id(part)) is not None and index < len(data):
            data = data[index]
        else:
            return None
    return data


def _scalar(value: Any) -> str:
    if value is None or isinstance(value, dict | list):
        return ""
    return str(value).strip()


def interaction_from(webhook: InboundWebhook, body: bytes) -> InteractionIn:
    """The interaction the JSON describes, or ValidationFailed naming each bad field."""
    try:
        payload = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValidationFailed({"body": f"is not valid JSON: {exc}"}) from None
    values = {name: _scalar(_at(payload, path)) for name, path in webhook.mapping.items()}
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
        occurred_at = parse_datetime(values["occurred_at"])
        if occurred_at is None or occurred_at.tzinfo is None:
            errors["occurred_at"] = "must be an ISO 8601 date-time with a time zone"
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


def webhook_by_token(token: str) -> InboundWebhook | None:
    # The token is the only thing known before the signature is checked.
    return (
        InboundWebhook.objects.select_related("organization")
        .filter(token=token, active=True)
        .first()
    )
