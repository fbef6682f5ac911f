"""Queueing and delivering outbox messages."""

from __future__ import annotations

import datetime as dt
import logging
import smtplib

from django.conf import settings
from django.db import IntegrityError, models, transaction
from django.db.models import F, Q

from beacon.core import clock
from beacon.core.jobs import enqueue_on_commit
from beacon.notifications.events import (
    outbox_bounced,
    outbox_failed,
    outbox_queued,
    outbox_sent,
    outbox_withheld,
)
from beacon.notifications.models import OutboxMessage, OutboxState
from beacon.notifications.transports import TRANSPORTS, deliver
from beacon.orgs.models import Organization

log = logging.getLogger(__name__)

CLAIM_SECONDS = 120


def do_queue_message(
    org_id: int,
    *,
    to: str,
    subject: str,
    text: str,
    html: str = "",
    cause: models.Model,
    key: str,
    headers: dict[str, str] | None = None,
    transport: str = "email",
) -> OutboxMessage:
    """Write the message in the caller's transaction; a worker is woken after commit.

    `key` names the cause uniquely (e.g. "case-opened:42"), so repeating the cause
    returns the existing row instead of queueing a second message. `transport` names the
    folder under transports/ that delivers it; `to` is an address or a URL accordingly.
    """
    assert cause.pk is not None
    if transport not in TRANSPORTS:
        raise ValueError(f"unknown transport {transport!r}")
    try:
        with transaction.atomic():
            message = OutboxMessage.objects.create(
                organization_id=org_id,
                transport=transport,
                idempotency_key=key,
                recipient=to,
                subject=subject[:300],
                body_text=text,
                body_html=html,
                headers=headers or {},
                cause_type=cause._meta.label_lower,
                cause_id=cause.pk,
                next_attempt_at=clock.now(),
            )
    except IntegrityError:
        return OutboxMessage.objects.for_org(org_id).get(idempotency_key=key)
    outbox_queued(org_id, message, key=key, transport=transport)
    from beacon.notifications.tasks import send_outbox_message

    enqueue_on_commit(send_outbox_message, message.pk)
    return message


# Most messages are emails; their callers keep the name that says so.
do_queue_email = do_queue_message


def _backoff(attempts: int) -> dt.timedelta:
    return dt.timedelta(seconds=min(30 * 2 ** (attempts - 1), 3600))


def _claim(message_id: int) -> bool:
    """Compare-and-set: only one sender may hold a due message at a time."""
    now = clock.now()
    claimed = OutboxMessage.objects.filter(
        Q(claimed_until__isnull=True) | Q(claimed_until__lt=now),
        pk=message_id,
        state__in=[OutboxState.PENDING, OutboxState.SENDING],
        next_attempt_at__lte=now,
    ).update(
        state=OutboxState.SENDING,
        claimed_until=now + dt.timedelta(seconds=CLAIM_SECONDS),
        attempts=F("attempts") + 1,
    )
    return claimed == 1


def do_deliver(message_id: int) -> str:
    """Send one message if it is due and unclaimed; returns its state afterwards."""
    if not _claim(message_id):
        return str(
            OutboxMessage.objects.filter(pk=message_id).values_list("state", flat=True).first()
        )
    message = OutboxMessage.objects.get(pk=message_id)
    try:
        deliver(message)
    except smtplib.SMTPRecipientsRefused as exc:
        return _record_bounce(message, exc)
    except Exception as exc:
        return _record_failure(message, exc)
    OutboxMessage.objects.filter(pk=message.pk).update(
        state=OutboxState.SENT, sent_at=clock.now(), claimed_until=None, last_error=""
    )
    outbox_sent(message.organization_id, message, attempts=message.attempts)
    return OutboxState.SENT


def _record_failure(message: OutboxMessage, exc: Exception) -> str:
    gave_up = message.attempts >= settings.OUTBOX_MAX_ATTEMPTS
    state = OutboxState.FAILED if gave_up else OutboxState.PENDING
    OutboxMessage.objects.filter(pk=message.pk).update(
        state=state,
        claimed_until=None,
        last_error=f"{type(exc).__name__}: {exc}"[:2000],
        next_attempt_at=clock.now() + _backoff(message.attempts),
    )
    log.warning("outbox message %s attempt %s failed: %s", message.pk, message.attempts, exc)
    outbox_failed(message.organization_id, message, error=str(exc)[:500])
    return state


def _record_bounce(message: OutboxMessage, exc: smtplib.SMTPRecipientsRefused) -> str:
    # The server answered and refused the address: another attempt would be refused too.
    reasons = "; ".join(
        f"{code} {text.decode(errors='replace') if isinstance(text, bytes) else text}"
        for code, text in exc.recipients.values()
    )
    OutboxMessage.objects.filter(pk=message.pk).update(
        state=OutboxState.BOUNCED, claimed_until=None, last_error=f"refused: {reasons}"[:2000]
    )
    outbox_bounced(message.organization_id, message, error=reasons[:500])
    return OutboxState.BOUNCED


def due_message_ids(limit: int = 500) -> list[int]:
    """Messages a sweeper should (re)try: pending and due, or claimed by a dead sender."""
    now = clock.now()
    return list(
        OutboxMessage.objects.filter(
            Q(claimed_until__isnull=True) | Q(claimed_until__lt=now),
            state__in=[OutboxState.PENDING, OutboxState.SENDING],
            next_attempt_at__lte=now,
        )
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )


@transaction.atomic
def do_withhold_pending(org_id: int, reason: str, *, keep_prefixes: tuple[str, ...] = ()) -> int:
    """Mark every unsent message of an organisation as withheld (never delivered).

    For seeded history: the demo's past cases and updates are real rows, but mailing
    them on the worker's first start would flood the inbox with news from months ago.
    Messages whose key starts with one of `keep_prefixes` stay pending and are sent.
    """
    keep = Q()
    for prefix in keep_prefixes:
        keep |= Q(idempotency_key__startswith=prefix)
    count = (
        OutboxMessage.objects.for_org(org_id)
        .filter(state=OutboxState.PENDING)
        .exclude(keep)
        .update(state=OutboxState.WITHHELD, last_error=reason)
    )
    if count:
        org = Organization.objects.get(pk=org_id)
        outbox_withheld(org, count=count, reason=reason)
    return count
