"""The privacy app's event verbs, one function per event. None carries the erased data:
an erasure records only the contact's id and how many rows lost their text."""

from __future__ import annotations

from beacon.contacts.models import Contact
from beacon.orgs.events import EventVerb, record_event
from beacon.orgs.models import Event, Membership, Organization
from beacon.privacy.models import PrivacySettings


class PrivacyEvent(EventVerb):
    CONTACT_ERASED = "contact.erased"
    CONTACT_EXPORTED = "contact.exported"
    RETENTION_SET = "retention.set"
    RETENTION_APPLIED = "retention.applied"


def contact_erased(
    org: Organization | int, contact: Contact, *, actor: Membership | None, rows: int
) -> Event:
    return record_event(org, PrivacyEvent.CONTACT_ERASED, contact, actor=actor, rows=rows)


def contact_exported(
    org: Organization | int, contact: Contact, *, actor: Membership | None
) -> Event:
    return record_event(org, PrivacyEvent.CONTACT_EXPORTED, contact, actor=actor)


def retention_set(
    org: Organization | int,
    settings: PrivacySettings,
    *,
    actor: Membership | None,
    months: int | None,
) -> Event:
    return record_event(org, PrivacyEvent.RETENTION_SET, settings, actor=actor, months=months)


def retention_applied(
    org: Organization | int, settings: PrivacySettings, *, before: str, rows: int
) -> Event:
    return record_event(org, PrivacyEvent.RETENTION_APPLIED, settings, before=before, rows=rows)
