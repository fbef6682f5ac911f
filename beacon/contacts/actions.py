"""Every write to contacts and interactions."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator
from django.db import IntegrityError, transaction

from beacon.contacts.events import (
    contact_created,
    contact_unsubscribed,
    contact_updated,
    contacts_received,
    interaction_recorded,
    interactions_imported,
    interactions_recorded,
)
from beacon.contacts.models import Contact, Interaction
from beacon.core import clock
from beacon.core.errors import ValidationFailed
from beacon.core.rows import insert_objects, new
from beacon.cxmodel.models import Persona, Touchpoint
from beacon.orgs.models import Membership, Organization, Team


def _compiled(lazy: re.Pattern[str]) -> re.Pattern[str]:
    return re.compile(lazy.pattern, lazy.flags)


class _EmailValidator(EmailValidator):
    """Django's email check, its patterns compiled here: Django's are lazy proxies, and
    reading them through the proxy was two thirds of checking a batch's emails."""

    user_regex = _compiled(EmailValidator.user_regex)
    domain_regex = _compiled(EmailValidator.domain_regex)
    literal_regex = _compiled(EmailValidator.literal_regex)


validate_email = _EmailValidator()


@dataclass
class ContactIn:
    external_id: str
    email: str = ""
    name: str = ""
    attributes: dict[str, Any] = field(default_factory=dict)
    persona: Persona | None = None


def check_contact(org: Organization, data: ContactIn) -> None:
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
    check_contact(org, data)
    # Only what is given changes: an update without attributes keeps the stored ones.
    values = _given(data)
    contact, created = Contact.objects.update_or_create(
        organization=org, external_id=data.external_id.strip(), defaults=values
    )
    (contact_created if created else contact_updated)(org, contact, actor=actor)
    return contact


@transaction.atomic
def do_find_or_create_contact(org: Organization, data: ContactIn) -> Contact:
    """The contact with this external id as it is, or a new one from `data`.

    For identities a third party vouches for (the widget's signed user id): the claim may
    name the contact, never rewrite what the organisation knows about them.
    """
    check_contact(org, data)
    contact, created = Contact.objects.get_or_create(
        organization=org,
        external_id=data.external_id.strip(),
        defaults={"email": data.email.strip().lower(), "name": data.name.strip()},
    )
    if created:
        contact_created(org, contact)
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
    errors = _interaction_errors(org, data)
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
            interaction_recorded(org, interaction, actor=actor)
    except IntegrityError:
        # A concurrent request with the same key won the race: return its row.
        interaction = Interaction.objects.for_org(org).get(idempotency_key=data.idempotency_key)
        return RecordedInteraction(interaction, created=False)
    return RecordedInteraction(interaction, created=True)


@dataclass
class RecordedInteractions:
    """What became of each item of `do_record_interactions`, by the item's position."""

    created: dict[int, Interaction] = field(default_factory=dict)
    stored: dict[int, Interaction] = field(default_factory=dict)  # the key's first one
    refused: dict[int, dict[str, str]] = field(default_factory=dict)  # field errors
    new_contacts: frozenset[int] = frozenset()  # ids of the contacts created


def _interaction(
    org: Organization, d: InteractionIn, contacts: Mapping[str, Contact], now: dt.datetime
) -> Interaction:
    """An unsaved interaction of `d`, for the bulk paths (API batch and CSV import)."""
    return new(
        Interaction,
        organization=org,
        created_at=now,
        contact=contacts[d.contact.external_id.strip()],
        touchpoint=d.touchpoint,
        team=d.team,
        staff=d.staff,
        occurred_at=d.occurred_at or now,
        description=d.description,
        attributes=d.attributes,
        idempotency_key=d.idempotency_key,
    )


def do_record_interactions(org: Organization, items: list[InteractionIn]) -> RecordedInteractions:
    """`do_record_interaction` for many (the batch API), in a few statements.

    Each item is checked on its own, with the errors `do_record_interaction` gives; an
    item whose key is stored returns the first interaction, and its contact is not
    written again. The contacts of the others are upserted in item order, their
    interactions inserted with one event each. Run inside the caller's transaction: a
    concurrent request storing one of the keys first makes the INSERT fail on the unique
    key (IntegrityError), and the caller runs the batch again.
    """
    out = RecordedInteractions()
    valid: list[tuple[int, InteractionIn]] = []
    for i, d in enumerate(items):
        errors = _interaction_errors(org, d)
        if errors:
            out.refused[i] = errors
        else:
            valid.append((i, d))
    stored = {
        x.idempotency_key: x
        for x in Interaction.objects.for_org(org).filter(
            idempotency_key__among=[d.idempotency_key for _, d in valid]
        )
    }
    fresh: list[tuple[int, InteractionIn]] = []
    for i, d in valid:
        first = stored.get(d.idempotency_key)
        if first is not None:
            out.stored[i] = first
            continue
        try:
            check_contact(org, d.contact)
        except ValidationFailed as e:
            out.refused[i] = e.errors
        else:
            fresh.append((i, d))
    if not fresh:
        return out
    contacts, out.new_contacts = _upsert_contacts(org, [d.contact for _, d in fresh])
    now = clock.now()
    for i, d in fresh:
        out.created[i] = _interaction(org, d, contacts, now)
    # Inserted in key order, as the contacts are: two batches holding the same keys in
    # opposite orders (a client's retry reaching the other server worker) then wait for
    # each other on the unique key, and the second finds the first's rows, instead of
    # each holding a key the other needs until PostgreSQL ends one as a deadlock.
    rows = sorted(out.created.values(), key=lambda x: x.idempotency_key)
    insert_objects(rows)
    interactions_recorded(org, rows)
    return out


def _interaction_errors(org: Organization, data: InteractionIn) -> dict[str, str]:
    errors: dict[str, str] = {}
    if not data.idempotency_key.strip():
        errors["idempotency_key"] = "must not be empty"
    for name in ("touchpoint", "team", "staff"):
        obj = getattr(data, name)
        if obj is not None and obj.organization_id != org.pk:
            errors[name] = "belongs to another organisation"
    return errors


@transaction.atomic
def do_bulk_record_interactions(
    org: Organization, items: list[InteractionIn], *, actor: Membership | None = None
) -> list[Interaction]:
    """Imports: many interactions in few statements, same idempotency as one at a time.

    Contacts are matched on external id (new ones created); interactions whose key is
    already stored, or repeated in `items`, are skipped. Returns those created.
    """
    for data in items:
        check_contact(org, data.contact)
        if not data.idempotency_key.strip():
            raise ValidationFailed({"idempotency_key": "must not be empty"})
    contacts = _bulk_contacts(org, [d.contact for d in items])
    keys = {d.idempotency_key for d in items}
    seen = set(
        Interaction.objects.for_org(org)
        .filter(idempotency_key__in=keys)
        .values_list("idempotency_key", flat=True)
    )
    fresh: list[Interaction] = []
    now = clock.now()
    for d in items:
        if d.idempotency_key in seen:
            continue
        seen.add(d.idempotency_key)
        fresh.append(_interaction(org, d, contacts, now))
    insert_objects(fresh)
    interactions_imported(org, actor=actor, count=len(fresh))
    return fresh


def _given(data: ContactIn) -> dict[str, Any]:
    """The fields an upsert changes: only what is given (as `do_upsert_contact`)."""
    values: dict[str, Any] = {}
    if data.attributes:
        values["attributes"] = data.attributes
    if data.email:
        values["email"] = data.email.strip().lower()
    if data.name:
        values["name"] = data.name.strip()
    if data.persona is not None:
        values["persona"] = data.persona
    return values


def do_upsert_contacts(org: Organization, items: list[ContactIn]) -> dict[str, Contact]:
    """Many `do_upsert_contact` calls in a few statements (the batch API), by external id.

    The items are checked already (`check_contact`). Applied in order, as one call each
    would be: a later item's given fields win. One event counts what changed. Run inside
    the caller's transaction: a concurrent request creating one of the contacts first
    makes the INSERT fail on the unique key (IntegrityError), and the caller runs again.
    """
    return _upsert_contacts(org, items)[0]


def _upsert_contacts(
    org: Organization, items: list[ContactIn]
) -> tuple[dict[str, Contact], frozenset[int]]:
    """`do_upsert_contacts`, and the ids of the contacts it created."""
    wanted: dict[str, dict[str, Any]] = {}
    for c in items:
        wanted.setdefault(c.external_id.strip(), {}).update(_given(c))
    found = {
        c.external_id: c
        for c in Contact.objects.for_org(org).filter(external_id__among=list(wanted))
    }
    now = clock.now()
    # Written in key order (new rows) and id order (changed ones): two batches upserting
    # the same contacts at once then wait for each other instead of deadlocking.
    fresh = [new(Contact, organization=org, created_at=now, external_id=ext, **values)
             for ext, values in sorted(wanted.items()) if ext not in found]  # fmt: skip
    insert_objects(fresh)
    found.update((c.external_id, c) for c in fresh)
    created = {c.external_id for c in fresh}
    changed: list[Contact] = []
    fields: set[str] = set()
    for ext, values in wanted.items():
        if ext in created:
            continue
        contact = found[ext]
        differ = {k: v for k, v in values.items() if _stored_value(contact, k) != _value(v)}
        if differ:
            for k, v in differ.items():
                setattr(contact, k, v)
            changed.append(contact)
            fields.update(differ)
    if changed:
        changed.sort(key=lambda c: c.pk)
        Contact.objects.bulk_update(changed, sorted(fields))
    if fresh or changed:
        contacts_received(org, created=len(fresh), updated=len(changed))
    return found, frozenset(c.pk for c in fresh)


def _stored_value(contact: Contact, name: str) -> Any:
    # The persona's id: comparing the related object would read it.
    return contact.persona_id if name == "persona" else getattr(contact, name)


def _value(value: Any) -> Any:
    return value.pk if isinstance(value, Persona) else value


def _bulk_contacts(org: Organization, items: list[ContactIn]) -> dict[str, Contact]:
    wanted: dict[str, ContactIn] = {}
    for c in items:
        wanted.setdefault(c.external_id.strip(), c)
    existing = {
        c.external_id: c for c in Contact.objects.for_org(org).filter(external_id__in=list(wanted))
    }
    Contact.objects.bulk_create(
        [
            Contact(
                organization=org,
                external_id=ext,
                email=c.email.strip().lower(),
                name=c.name.strip(),
                attributes=c.attributes,
                persona=c.persona,
            )
            for ext, c in wanted.items()
            if ext not in existing
        ],
        batch_size=2000,
        ignore_conflicts=True,
    )
    return {
        c.external_id: c for c in Contact.objects.for_org(org).filter(external_id__in=list(wanted))
    }


def do_unsubscribe(contact: Contact, *, how: str = "link") -> bool:
    """Stop every later survey to this contact; False if they already were unsubscribed."""
    done = Contact.objects.filter(pk=contact.pk, unsubscribed_at__isnull=True).update(
        unsubscribed_at=clock.now()
    )
    if done:
        contact_unsubscribed(contact.organization_id, contact, how=how)
    return bool(done)
