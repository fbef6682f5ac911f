"""The contacts app's event verbs, one function per event (the audit trail of its writes)."""

from __future__ import annotations

from beacon.contacts.models import Contact, ImportJob, ImportKind, InboundWebhook, Interaction
from beacon.orgs.events import EventVerb, record_event, record_events
from beacon.orgs.models import Event, Membership, Organization


class ContactEvent(EventVerb):
    CONTACT_CREATED = "contact.created"
    CONTACT_UPDATED = "contact.updated"
    CONTACTS_IMPORTED = "contacts.imported"
    CONTACTS_RECEIVED = "contacts.received"
    CONTACT_UNSUBSCRIBED = "contact.unsubscribed"
    IMPORT_FINISHED = "import.finished"
    IMPORT_STALLED = "import.stalled"
    IMPORT_STARTED = "import.started"
    INTERACTION_RECORDED = "interaction.recorded"
    INTERACTIONS_IMPORTED = "interactions.imported"
    OUTCOMES_IMPORTED = "outcomes.imported"
    WEBHOOK_CREATED = "webhook.created"
    WEBHOOK_SIGNING_SET = "webhook.signing_set"


def interactions_recorded(org: Organization | int, interactions: list[Interaction]) -> None:
    """`interaction_recorded` of each, in one statement."""
    record_events(org, ContactEvent.INTERACTION_RECORDED, [(i, {}) for i in interactions])


def contacts_received(org: Organization, *, created: int, updated: int) -> Event:
    """Contacts upserted by one batch call of the API."""
    return record_event(org, ContactEvent.CONTACTS_RECEIVED, org, created=created, updated=updated)


def contact_unsubscribed(org: Organization | int, contact: Contact, *, how: str) -> Event:
    return record_event(org, ContactEvent.CONTACT_UNSUBSCRIBED, contact, how=how)


def import_finished(org: Organization | int, job: ImportJob, *, state: str) -> Event:
    return record_event(org, ContactEvent.IMPORT_FINISHED, job, state=state)


def import_stalled(org: Organization | int, job: ImportJob) -> Event:
    return record_event(org, ContactEvent.IMPORT_STALLED, job)


def import_started(
    org: Organization | int, job: ImportJob, *, actor: Membership | None = None, kind: str
) -> Event:
    return record_event(org, ContactEvent.IMPORT_STARTED, job, actor=actor, kind=kind)


def interaction_recorded(
    org: Organization | int, interaction: Interaction, *, actor: Membership | None = None
) -> Event:
    return record_event(org, ContactEvent.INTERACTION_RECORDED, interaction, actor=actor)


def interactions_imported(
    org: Organization, *, actor: Membership | None = None, count: int
) -> Event:
    return record_event(org, ContactEvent.INTERACTIONS_IMPORTED, org, actor=actor, count=count)


def webhook_created(
    org: Organization | int,
    webhook: InboundWebhook,
    *,
    actor: Membership | None = None,
    connector: str = "",
    records: str = "",
) -> Event:
    return record_event(
        org,
        ContactEvent.WEBHOOK_CREATED,
        webhook,
        actor=actor,
        connector=connector,
        records=records or "interaction",
    )


def webhook_signing_set(
    org: Organization | int, webhook: InboundWebhook, *, actor: Membership | None, scheme: str
) -> Event:
    # The scheme only: a secret never goes into the audit log.
    return record_event(org, ContactEvent.WEBHOOK_SIGNING_SET, webhook, actor=actor, scheme=scheme)


def contact_created(
    org: Organization | int, contact: Contact, *, actor: Membership | None = None
) -> Event:
    return record_event(org, ContactEvent.CONTACT_CREATED, contact, actor=actor)


def contact_updated(
    org: Organization | int, contact: Contact, *, actor: Membership | None = None
) -> Event:
    return record_event(org, ContactEvent.CONTACT_UPDATED, contact, actor=actor)


IMPORTED = {
    ImportKind.CONTACTS: ContactEvent.CONTACTS_IMPORTED,
    ImportKind.INTERACTIONS: ContactEvent.INTERACTIONS_IMPORTED,
    ImportKind.OUTCOMES: ContactEvent.OUTCOMES_IMPORTED,
}


def rows_imported(
    org: Organization, kind: ImportKind, *, actor: Membership | None = None, rows: int
) -> Event:
    """The rows of a file written (contacts.imported or interactions.imported)."""
    return record_event(org, IMPORTED[kind], org, actor=actor, rows=rows)
