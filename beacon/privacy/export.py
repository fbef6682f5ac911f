"""Everything Beacon holds about one contact, as JSON (a subject access request).

The responses, cases and outcomes come from the same read as the contact page
(`analytics.customer.customer_history`), unmasked and without a limit; the rest (the
contact's own fields, interactions, case timelines, invitations, messages, updates and
win-back calls) is read here. Only owners and admins, or an API key with the admin scope,
may take it.
"""

from __future__ import annotations

import json
from dataclasses import fields, is_dataclass
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder

from beacon.analytics.customer import customer_history
from beacon.contacts.models import Contact, Interaction
from beacon.core import clock
from beacon.loop.models import CaseEvent, CustomerUpdate, WinBackCall
from beacon.notifications.models import OutboxMessage
from beacon.orgs.models import Organization
from beacon.privacy.queries import erasure_of
from beacon.surveys.models import Invitation

EXPORT_VERSION = 1


def _contact(org: Organization, contact: Contact) -> dict[str, Any]:
    erasure = erasure_of(org, contact.pk)
    return {
        "id": contact.pk,
        "external_id": contact.external_id,
        "name": contact.name,
        "email": contact.email,
        "attributes": contact.attributes,
        "persona": contact.persona.name if contact.persona else None,
        "created_at": contact.created_at,
        "unsubscribed_at": contact.unsubscribed_at,
        "erased_at": erasure.created_at if erasure else None,
    }


def _interactions(org: Organization, contact: Contact) -> list[dict[str, Any]]:
    rows = (
        Interaction.objects.for_org(org)
        .filter(contact=contact)
        .select_related("touchpoint", "team", "staff")
        .order_by("occurred_at", "pk")
    )
    return [
        {
            "id": i.pk,
            "occurred_at": i.occurred_at,
            "touchpoint": i.touchpoint.name if i.touchpoint else None,
            "team": i.team.name if i.team else None,
            "staff": i.staff.display_name if i.staff else None,
            "description": i.description,
            "attributes": i.attributes,
        }
        for i in rows
    ]


def _case_timelines(org: Organization, case_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    out: dict[int, list[dict[str, Any]]] = {pk: [] for pk in case_ids}
    events = CaseEvent.objects.for_org(org).filter(case_id__in=case_ids).select_related("actor")
    for e in events.order_by("created_at", "pk"):
        out[e.case_id].append(
            {
                "kind": e.kind,
                "at": e.created_at,
                "by": e.actor.display_name if e.actor else None,
                "body": e.body,
            }
        )
    return out


def _messages(org: Organization, contact: Contact) -> list[dict[str, Any]]:
    if not contact.email:
        return []
    rows = OutboxMessage.objects.for_org(org).filter(recipient__iexact=contact.email)
    return [
        {
            "subject": m.subject,
            "state": m.state,
            "created_at": m.created_at,
            "sent_at": m.sent_at,
            "body": m.body_text,
        }
        for m in rows.order_by("created_at", "pk")
    ]


def _plain(value: Any) -> Any:
    """`dataclasses.asdict` without its deep copy of every value (the history's values are
    strings, numbers and dates, never shared with anything the export changes)."""
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def contact_export(org: Organization, contact: Contact) -> dict[str, Any]:
    history = customer_history(org, contact, reveal=True, money=True, limit=None)
    timelines = _case_timelines(org, [c.id for c in history.cases])
    return {
        "format": "beacon.contact-export",
        "version": EXPORT_VERSION,
        "exported_at": clock.now(),
        "organization": org.name,
        "contact": _contact(org, contact),
        "interactions": _interactions(org, contact),
        "responses": [_plain(r) for r in reversed(history.responses)],
        "cases": [{**_plain(c), "timeline": timelines[c.id]} for c in reversed(history.cases)],
        "outcomes": [_plain(o) for o in reversed(history.outcomes)],
        "invitations": list(
            Invitation.objects.for_org(org)
            .filter(contact=contact)
            .order_by("created_at", "pk")
            .values("survey__name", "channel", "created_at", "opened_at", "completed_at")
        ),
        "messages": _messages(org, contact),
        "updates": list(
            CustomerUpdate.objects.for_org(org)
            .filter(contact=contact)
            .order_by("created_at", "pk")
            .values("action__title", "subject", "body", "status", "sent_at")
        ),
        "win_back_calls": list(
            WinBackCall.objects.for_org(org)
            .filter(contact=contact)
            .order_by("created_at", "pk")
            .values("event_kind", "occurred_at", "note", "status", "called_at", "outcome")
        ),
    }


def contact_export_json(org: Organization, contact: Contact) -> str:
    """The download: indented, for people to read."""
    return json.dumps(contact_export(org, contact), cls=DjangoJSONEncoder, indent=2)


def contact_export_data(org: Organization, contact: Contact) -> dict[str, Any]:
    """The export as JSON values (dates as the download's ISO strings), for the API.
    Through compact JSON text: with `indent` Python encodes in Python, not in C."""
    data: dict[str, Any] = json.loads(
        json.dumps(contact_export(org, contact), cls=DjangoJSONEncoder)
    )
    return data
