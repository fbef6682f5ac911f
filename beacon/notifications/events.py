"""The notifications app's event verbs, one function per event (the audit trail of its writes)."""

from __future__ import annotations

from beacon.notifications.models import OutboxMessage
from beacon.orgs.events import EventVerb, record_event, record_events
from beacon.orgs.models import Event, Organization


class NotificationEvent(EventVerb):
    OUTBOX_BOUNCED = "outbox.bounced"
    OUTBOX_FAILED = "outbox.failed"
    OUTBOX_QUEUED = "outbox.queued"
    OUTBOX_SENT = "outbox.sent"
    OUTBOX_WITHHELD = "outbox.withheld"


def outbox_bounced(org: Organization | int, message: OutboxMessage, *, error: str) -> Event:
    return record_event(org, NotificationEvent.OUTBOX_BOUNCED, message, error=error)


def outbox_failed(org: Organization | int, message: OutboxMessage, *, error: str) -> Event:
    return record_event(org, NotificationEvent.OUTBOX_FAILED, message, error=error)


def outbox_queued(
    org: Organization | int, message: OutboxMessage, *, key: str, transport: str
) -> Event:
    return record_event(org, NotificationEvent.OUTBOX_QUEUED, message, key=key, transport=transport)


def outbox_queued_many(messages: list[OutboxMessage]) -> None:
    """`outbox_queued` for many messages (of any organisations), one INSERT per organisation."""
    by_org: dict[int, list[OutboxMessage]] = {}
    for message in messages:
        by_org.setdefault(message.organization_id, []).append(message)
    for org_id, mine in by_org.items():
        record_events(
            org_id,
            NotificationEvent.OUTBOX_QUEUED,
            [(m, {"key": m.idempotency_key, "transport": m.transport}) for m in mine],
        )


def outbox_sent(
    org: Organization | int, message: OutboxMessage, *, attempts: int, possible_duplicate: bool
) -> Event:
    """`possible_duplicate`: sent again after a sender died in `sending` (same Message-ID)."""
    return record_event(
        org,
        NotificationEvent.OUTBOX_SENT,
        message,
        attempts=attempts,
        possible_duplicate=possible_duplicate,
    )


def outbox_withheld(org: Organization, *, count: int, reason: str) -> Event:
    return record_event(org, NotificationEvent.OUTBOX_WITHHELD, org, count=count, reason=reason)
