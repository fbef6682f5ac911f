"""Queueing and delivering outbox messages."""

from __future__ import annotations

import datetime as dt
import logging
import smtplib
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

from django.conf import settings
from django.db import IntegrityError, models, transaction
from django.db.models import F, Q

from beacon.core import clock
from beacon.core.jobs import enqueue_once, schedule_once
from beacon.notifications.events import (
    outbox_bounced,
    outbox_failed,
    outbox_queued,
    outbox_queued_many,
    outbox_sent,
    outbox_withheld,
)
from beacon.notifications.models import OutboxMessage, OutboxState
from beacon.notifications.transports import TRANSPORTS, deliver
from beacon.orgs.models import Organization

log = logging.getLogger(__name__)

# The ids of messages queued inside `sends_held`, whose send jobs wait for its end.
_held: ContextVar[list[int] | None] = ContextVar("held_sends", default=None)

CLAIM_SECONDS = 120

# A turn of the resend job ends after this many messages or this long, whichever comes
# first (the message in hand is finished), and queues the next turn behind the case drain
# waiting: a new case waits at most one turn. Ten local sends take 0.1-0.3 s.
RESEND_SLICE = 10
RESEND_SECONDS = 0.5

# Failures that say the mail server could not be reached at all, not that it turned this
# message down: once an email goes through, every email waiting out such a failure may go.
# Matched by the class name `_record_failure` writes first in last_error, so each is named.
UNREACHABLE: tuple[type[Exception], ...] = (
    ConnectionRefusedError,
    ConnectionResetError,
    ConnectionAbortedError,
    BrokenPipeError,
    TimeoutError,
    socket.gaierror,
    smtplib.SMTPConnectError,
    smtplib.SMTPServerDisconnected,
)


@dataclass(frozen=True, kw_only=True)
class MessageIn:
    """One message to queue: whom to, what, its cause and the key naming that cause."""

    org_id: int
    to: str
    subject: str
    text: str
    html: str = ""
    cause: models.Model
    key: str
    headers: dict[str, str] = field(default_factory=dict)
    transport: str = "email"


def _row(item: MessageIn, lease: dt.datetime) -> OutboxMessage:
    """The unsaved outbox row of a message; refuses a transport nothing delivers."""
    assert item.cause.pk is not None
    if item.transport not in TRANSPORTS:
        raise ValueError(f"unknown transport {item.transport!r}")
    return OutboxMessage(
        organization_id=item.org_id,
        transport=item.transport,
        idempotency_key=item.key,
        recipient=item.to,
        subject=item.subject[:300],
        body_text=item.text,
        body_html=item.html,
        headers=item.headers,
        cause_type=item.cause._meta.label_lower,
        cause_id=item.cause.pk,
        next_attempt_at=clock.now(),
        queued_until=lease,
    )


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
    item = MessageIn(org_id=org_id, to=to, subject=subject, text=text, html=html, cause=cause,
                     key=key, headers=headers or {}, transport=transport)  # fmt: skip
    return _queue_one(item)


def _queue_one(item: MessageIn) -> OutboxMessage:
    message = _row(item, _job_lease())
    try:
        with transaction.atomic():
            message.save(force_insert=True)
    except IntegrityError:
        return OutboxMessage.objects.for_org(item.org_id).get(idempotency_key=item.key)
    outbox_queued(item.org_id, message, key=item.key, transport=item.transport)
    _send_after_commit([message.pk])
    return message


# Most messages are emails; their callers keep the name that says so.
do_queue_email = do_queue_message


def do_queue_messages(messages: list[MessageIn]) -> list[OutboxMessage]:
    """`do_queue_message` for many messages at once (a batch of new cases): one INSERT of
    the rows and one of their events per organisation, and each send job enqueued after
    commit, so the rows are exactly those one call per message writes.

    A key already queued (a repeated cause) fails the INSERT as a whole; the batch then
    goes one message at a time, which returns the existing row for that key.
    """
    lease = _job_lease()
    rows = [_row(item, lease) for item in messages]
    if not rows:
        return []
    try:
        with transaction.atomic():
            created = OutboxMessage.objects.bulk_create(rows)
    except IntegrityError:
        return [_queue_one(item) for item in messages]
    outbox_queued_many(created)
    _send_after_commit([message.pk for message in created])
    return created


def _send_after_commit(ids: list[int]) -> None:
    held = _held.get()
    if held is not None:
        held.extend(ids)
        return
    from beacon.notifications.tasks import send_outbox_message

    def enqueue() -> None:  # one callback for the batch; rows are visible after commit
        for pk in ids:
            send_outbox_message(pk)

    transaction.on_commit(enqueue)


@contextmanager
def sends_held() -> Iterator[None]:
    """Messages queued inside get their send jobs when the block ends, and only those
    still pending then. For seeded history (`beacon demo`), whose emails are withheld
    before the block ends: their 1,877 jobs, each finding nothing to send, used to run
    on the worker's first start ahead of the first real case (11 s on 2 cores)."""
    held: list[int] = []
    token = _held.set(held)
    try:
        yield
    finally:
        _held.reset(token)
    # `among`: the demo holds about 1,900 ids, one parameter rather than one each.
    pending = OutboxMessage.objects.filter(pk__among=held, state=OutboxState.PENDING)
    _send_after_commit(sorted(pending.values_list("pk", flat=True)))


def _backoff(attempts: int) -> dt.timedelta:
    return dt.timedelta(seconds=min(30 * 2 ** (attempts - 1), 3600))


def _job_lease() -> dt.datetime:
    return clock.now() + dt.timedelta(seconds=settings.JOB_LEASE_SECONDS)


def _claim(message_id: int) -> bool:
    """Compare-and-set: only one sender may hold a due message at a time.

    A message still in `sending` once its claim ran out belonged to a sender that died,
    perhaps after the server accepted it: it is sent again (same Message-ID) and marked
    as a possible duplicate.
    """
    now = clock.now()
    due = OutboxMessage.objects.filter(pk=message_id, next_attempt_at__lte=now)
    claim = {
        "state": OutboxState.SENDING,
        "claimed_until": now + dt.timedelta(seconds=CLAIM_SECONDS),
        "attempts": F("attempts") + 1,
    }
    if (
        due.filter(state=OutboxState.PENDING)
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
        .update(**claim)
    ):
        return True
    return (
        due.filter(state=OutboxState.SENDING, claimed_until__lt=now).update(
            **claim, possible_duplicate=True
        )
        == 1
    )


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
    outbox_sent(
        message.organization_id,
        message,
        attempts=message.attempts,
        possible_duplicate=message.possible_duplicate,
    )
    if message.transport == "email":
        _release_unreachable()
    return OutboxState.SENT


def _release_unreachable() -> None:
    """The mail server is back: emails still waiting out a backoff after it could not be
    reached are due now and are enqueued (a sweeper's batch at a time), rather than each
    waiting up to its whole backoff after an outage that has ended."""
    waiting = Q()
    for kind in UNREACHABLE:
        waiting |= Q(last_error__startswith=f"{kind.__name__}: ")
    rows = OutboxMessage.objects.filter(
        waiting, transport="email", state=OutboxState.PENDING, next_attempt_at__gt=clock.now()
    )
    if rows.exists():  # a read first: most sends find none, and SQLite serialises writes
        rows.update(next_attempt_at=clock.now())
        enqueue_resends()


def _record_failure(message: OutboxMessage, exc: Exception) -> str:
    gave_up = message.attempts >= settings.OUTBOX_MAX_ATTEMPTS
    state = OutboxState.FAILED if gave_up else OutboxState.PENDING
    backoff = _backoff(message.attempts)
    OutboxMessage.objects.filter(pk=message.pk).update(
        state=state,
        claimed_until=None,
        # No lease: the resend job's once due; the sweeper is the backstop should the wake-up
        # scheduled for its retry be lost.
        queued_until=None,
        last_error=f"{type(exc).__name__}: {exc}"[:2000],
        next_attempt_at=clock.now() + backoff,
    )
    log.warning("outbox message %s attempt %s failed: %s", message.pk, message.attempts, exc)
    outbox_failed(message.organization_id, message, error=str(exc)[:500])
    if not gave_up:
        _schedule_retry(message.pk, backoff)
    return state


def _schedule_retry(message_id: int, backoff: dt.timedelta) -> None:
    """The retry is due when the backoff ends, and the resend job is woken then, not at the
    sweeper's next minute after it: an email held up by a short SMTP outage arrives up to a
    minute sooner. The wake-up only enqueues the resend job unless one waits, so the retry
    takes its turn with the case drains like every resend; messages failing in the same
    second (an SMTP outage) share one wake-up."""
    from beacon.notifications.tasks import wake_resender

    due = clock.now() + backoff
    transaction.on_commit(lambda: schedule_once(wake_resender, due))


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


def enqueue_resends() -> None:
    """The resend job goes into the queue unless one waits there already."""
    from beacon.notifications.tasks import resend_due_messages

    enqueue_once(resend_due_messages)


def requeue_lost_messages(limit: int = 500) -> int:
    """How many due messages have no job (up to `limit`); the resend job is enqueued for
    them unless one waits already.

    A message whose send job still waits in the queue (its lease, `queued_until`, has not
    run out) is left to it. The others are the resend job's: failed attempts whose backoff
    ended, rows a dead sender held, messages whose job was lost. One job sends them all,
    a slice per turn (`do_resend_due`), so two sweeps in a row enqueue one job, and after
    an outage hundreds of waiting emails are one job in the queue, not hundreds.
    """
    found = _resendable()[:limit].count()
    if found:
        enqueue_resends()
    return found


def do_resend_due(limit: int = RESEND_SLICE, seconds: float = RESEND_SECONDS) -> bool:
    """One turn of the resend job: the due messages no send job holds, oldest due first,
    until `limit` were tried or `seconds` passed; returns whether any is still due.

    Each goes through `do_deliver`, whose claim keeps a message from being sent by two
    jobs at once (a second worker thread's turn, a first send's job found late) and which
    records the send, the failure (and its next retry) or the bounce.
    """
    deadline = clock.now() + dt.timedelta(seconds=seconds)
    for message_id in _resendable().values_list("pk", flat=True)[:limit]:
        do_deliver(message_id)
        if clock.now() >= deadline:
            break
    return _resendable().exists()


def _resendable() -> models.QuerySet[OutboxMessage]:
    """The resend job's messages: pending and due, or claimed by a sender that died,
    whose send job, if they had one, is no longer waiting (its lease ran out)."""
    now = clock.now()
    return OutboxMessage.objects.filter(
        Q(claimed_until__isnull=True) | Q(claimed_until__lt=now),
        Q(queued_until__isnull=True) | Q(queued_until__lt=now),
        state__in=[OutboxState.PENDING, OutboxState.SENDING],
        next_attempt_at__lte=now,
    ).order_by("next_attempt_at", "pk")


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
