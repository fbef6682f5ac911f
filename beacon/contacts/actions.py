"""Every write to contacts and interactions."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction

from beacon.core import clock
from beacon.core.errors import ValidationFailed
from beacon.cxmodel.models import Persona, Touchpoint
from beacon.orgs.events import record_event
from beacon.orgs.models import Membership, Organization, Team
from beacon.contacts.models import Contact, Interaction


@dataclass
class ContactIn:
    external_id: str
    email: str = ""
    name: str = ""
    attributes: dict[str, Any] = field(default_factory=dict)
    persona: Persona | None = None


def _check_contact(org: Organization, data: ContactIn) -> None:
    errors: dict[str, str] = {}
    if not data.external_id.strip():
        errors["external_id"] = "must not be empty"
    if data.email:
        try:
            validate_email(data.email)
        except ValidationError:
            errors["email"] = "is not a valid email address"
    if data.persona is not None and data.persona.organization_id != org.pk:
        errors["persona"] = "belongs to another organisation"
    if errors:
        raise ValidationFailed(errors)


@transaction.atomic
def do_upsert_contact(
    org: Organization, data: ContactIn, *, actor: Membership | None = None
) -> Contact:
    """Create the contact or update the given fields of the one with this external id."""
    _check_contact(org, data)
    values: dict[str, Any] = {"attributes": data.attributes}
    if data.email:
        values["email"] = data.email.strip().lower()
    if data.name:
        values["name"] = data.name.strip()
    if data.persona is not None:
        values["persona"] = data.persona
    contact, created = Contact.objects.update_or_create(
        organization=org, external_id=data.external_id.strip(), defaults=values
    )
    record_event(org, "contact.created" if created else "contact.updated", contact, actor=actor)
    return contact


@dataclass
class InteractionIn:
    contact: ContactIn
    idempotency_key: str
    occurred_at: dt.datetime | None = None
    touchpoint: Touchpoint | None = None
    team: Team | None = None
    staff: Membership | None = None
    description: str = ""
    attributes: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class RecordedInteraction:
    interaction: Interaction
    created: bool


def do_record_interaction(
    org: Organization, data: InteractionIn, *, actor: Membership | None = None
) -> RecordedInteraction:
    """Store an interaction once per idempotency key; a repeat returns the first one."""
    errors: dict[str, str] = {}
    if not data.idempotency_key.strip():
        errors["idempotency_key"] = "must not be empty"
    for name in ("touchpoint", "team", "staff"):
        obj = getattr(data, name)
        if obj is not None and obj.organization_id != org.pk:
            errors[name] = "belongs to another organisation"
    if errors:
        raise ValidationFailed(errors)
    existing = Interaction.objects.for_org(org).filter(idempotency_key=data.idempotency_key).first()
    if existing is not None:
        return RecordedInteraction(existing, created=False)
    try:
        with transaction.atomic():
            contact = do_upsert_contact(org, data.contact, actor=actor)
            interaction = Interaction.objects.create(
                organization=org,
                contact=contact,
                touchpoint=data.touchpoint,
                team=data.team,
                staff=data.staff,
                occurred_at=data.occurred_at or clock.now(),
                description=data.description,
                attributes=data.attributes,
                idempotency_key=data.idempotency_key,
            )
            record_event(org, "interaction.recorded", interaction, actor=actor)
    except IntegrityError:
        # A concurrent request with the same key won the race: return its row.
        interaction = Interaction.objects.for_org(org).get(idempotency_key=data.idempotency_key)
        return RecordedInteraction(interaction, created=False)
    return RecordedInteraction(interaction, created=True)
