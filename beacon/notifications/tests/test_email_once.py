"""Email no more than once in practice: one Message-ID per outbox row, across a crash."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest

from beacon.core import clock
from beacon.notifications.actions import (
    CLAIM_SECONDS,
    MessageIn,
    _claim,
    do_deliver,
    do_queue_email,
    do_queue_messages,
    do_withhold_pending,
    sends_held,
)
from beacon.notifications.models import OutboxMessage, OutboxState
from beacon.notifications.tasks import sweep_outbox
from beacon.notifications.transports import deliver
from beacon.notifications.transports.email import message_id_of
from beacon.orgs.models import Event
from beacon.testing import SmtpServer, World

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


def queue(world: World, key: str = "case-opened:test") -> OutboxMessage:
    with clock.frozen_at(T0):
        return do_queue_email(
            world.org.pk,
            to="owner@example.com",
            subject="New follow-up case",
            text="A customer is waiting.",
            cause=world.survey,
            key=key,
        )


def test_a_message_found_sending_after_a_crash_is_resent_with_its_message_id(
    world: World, smtp: SmtpServer
) -> None:
    message = queue(world)
    with clock.frozen_at(T0 + dt.timedelta(seconds=10)):
        assert sweep_outbox.call_local() == 0  # its job may still be waiting in the queue
        assert _claim(message.pk)  # a worker claims it, the server accepts it ...
        deliver(OutboxMessage.objects.get(pk=message.pk))
    # ... and the worker is killed before it marks the row sent.
    assert OutboxMessage.objects.get(pk=message.pk).state == OutboxState.SENDING
    with clock.frozen_at(T0 + dt.timedelta(seconds=10 + CLAIM_SECONDS - 1)):
        assert sweep_outbox.call_local() == 0  # the claim still holds
    with clock.frozen_at(T0 + dt.timedelta(seconds=11 + CLAIM_SECONDS)):
        assert sweep_outbox.call_local() == 1
        assert sweep_outbox.call_local() == 0
    stored = OutboxMessage.objects.get(pk=message.pk)
    assert (stored.state, stored.attempts, stored.possible_duplicate) == (
        OutboxState.SENT, 2, True)  # fmt: skip
    first, second = smtp.inbox.to("owner@example.com")
    assert first["Message-ID"] == second["Message-ID"] == message_id_of(stored)
    sent = Event.objects.get(verb="outbox.sent", subject_id=message.pk)
    assert sent.data == {"attempts": 2, "possible_duplicate": True}


def test_a_normal_send_is_not_marked_and_ids_differ_per_row(world: World, smtp: SmtpServer) -> None:
    message = queue(world)
    with clock.frozen_at(T0 + dt.timedelta(seconds=121)):  # its job was lost
        assert sweep_outbox.call_local() == 1
    other = do_queue_email(
        world.org.pk, to="owner@example.com", subject="x", text="y", cause=world.survey,
        key="case-opened:other",
    )  # fmt: skip
    with clock.frozen_at(clock.now() + dt.timedelta(seconds=121)):
        assert sweep_outbox.call_local() == 1
    stored = OutboxMessage.objects.get(pk=message.pk)
    assert (stored.state, stored.attempts, stored.possible_duplicate) == (
        OutboxState.SENT, 1, False)  # fmt: skip
    ids = [m["Message-ID"] for m in smtp.inbox.to("owner@example.com")]
    assert ids == [message_id_of(stored), message_id_of(other)] and ids[0] != ids[1]
    assert re.fullmatch(r"<outbox\.\d+\.[0-9a-f]{16}@[^<>@\s]+>", ids[0])


def test_a_failed_send_is_retried_when_its_backoff_ends_without_the_sweeper(
    world: World, smtp: SmtpServer, django_capture_on_commit_callbacks: Any
) -> None:
    from beacon.core.jobs import EMAIL_PRIORITY, critical

    critical.storage.flush_schedule()  # what earlier tests left scheduled
    message = queue(world)
    smtp.stop()
    with clock.frozen_at(T0), django_capture_on_commit_callbacks(execute=True):
        assert do_deliver(message.pk) == OutboxState.PENDING
    [wake] = critical.scheduled()
    # Only a wake-up, on time: the resend itself is the resend job's, which takes turns
    # with the case drains (test_job_queues.py).
    due = int(T0.timestamp()) + 30  # the first backoff
    assert (wake.name, wake.args, wake.priority) == ("wake_resender", (due,), EMAIL_PRIORITY)
    waits = (wake.eta - dt.datetime.now(dt.UTC).replace(tzinfo=None)).total_seconds()
    assert 20 < waits <= 30  # the first backoff
    smtp.start()
    with clock.frozen_at(T0 + dt.timedelta(seconds=30)):
        critical.execute(wake, timestamp=wake.eta)  # enqueues the resend job, which runs
        assert sweep_outbox.call_local() == 0  # nothing left for the sweeper
    sent = OutboxMessage.objects.get(pk=message.pk)
    assert (sent.state, sent.attempts, sent.possible_duplicate) == (OutboxState.SENT, 2, False)
    assert [m["Message-ID"] for m in smtp.inbox.to("owner@example.com")] == [message_id_of(sent)]


def test_sends_failing_in_the_same_second_share_one_wake_up(
    world: World, smtp: SmtpServer, django_capture_on_commit_callbacks: Any
) -> None:
    """An SMTP outage fails hundreds of first sends within seconds: one scheduled wake-up
    per second of retries, not one per message, and each still runs when its due."""
    from beacon.core.jobs import critical

    critical.storage.flush_schedule()
    messages = [queue(world, f"case-opened:{i}") for i in range(5)]
    smtp.stop()
    for i, message in enumerate(messages):
        later = dt.timedelta(seconds=0.2 * (i + 1) if i < 4 else 1.5)  # the last a second on
        with clock.frozen_at(T0 + later), django_capture_on_commit_callbacks(execute=True):
            assert do_deliver(message.pk) == OutboxState.PENDING
    wakes = sorted(critical.scheduled(), key=lambda wake: wake.args)
    due = int(T0.timestamp()) + 31  # the first backoff, 30 s, to the second after
    assert [(wake.name, wake.args) for wake in wakes] == [
        ("wake_resender", (due,)),
        ("wake_resender", (due + 1,)),
    ]
    smtp.start()
    with clock.frozen_at(T0 + dt.timedelta(seconds=31)):
        # The resend job sends the four due; the server answering again releases the
        # fifth, held back by the same outage, at once.
        critical.execute(wakes[0], timestamp=wakes[0].eta)
    assert OutboxMessage.objects.filter(state=OutboxState.SENT).count() == 5
    with clock.frozen_at(T0 + dt.timedelta(seconds=32)):
        critical.execute(wakes[1], timestamp=wakes[1].eta)  # nothing left to send
    assert len(smtp.inbox.to("owner@example.com")) == 5
    # A wake-up that ran clears its mark: a failure due in that second again is woken.
    assert (
        critical.get(f"coalesce:beacon.notifications.tasks.wake_resender:{due}", peek=True) is None
    )


def test_once_the_mail_server_is_back_emails_waiting_out_a_backoff_go_at_once(
    world: World, smtp: SmtpServer
) -> None:
    def email(key: str) -> OutboxMessage:
        return do_queue_email(world.org.pk, to="owner@example.com", subject="x", text="y",
                              cause=world.survey, key=key)  # fmt: skip

    smtp.stop()
    with clock.frozen_at(T0):
        waiting = [email("case-opened:1"), email("case-opened:2")]
        assert [do_deliver(m.pk) for m in waiting] == [OutboxState.PENDING] * 2
    assert {m.attempts for m in OutboxMessage.objects.all()} == {1}  # tried, refused
    smtp.start()
    with clock.frozen_at(T0 + dt.timedelta(seconds=5)):  # 25 s before their backoff ends
        assert do_deliver(email("case-opened:fresh").pk) == OutboxState.SENT
    states = OutboxMessage.objects.order_by("pk").values_list("state", "attempts")
    assert list(states) == [(OutboxState.SENT, 2), (OutboxState.SENT, 2), (OutboxState.SENT, 1)]
    assert len(smtp.inbox.to("owner@example.com")) == 3


def test_sends_held_send_only_what_is_still_pending_when_the_block_ends(
    world: World, smtp: SmtpServer, django_capture_on_commit_callbacks: Any
) -> None:
    """The demo's history: its emails are withheld inside the block, and their send jobs,
    which would each find nothing to send, are never enqueued."""

    def item(key: str) -> MessageIn:
        return MessageIn(org_id=world.org.pk, to=f"{key}@example.com", subject=key,
                         text="-", cause=world.survey, key=key)  # fmt: skip

    with django_capture_on_commit_callbacks(execute=True) as callbacks, sends_held():
        do_queue_email(world.org.pk, to="kept@example.com", subject="kept", text="-",
                       cause=world.survey, key="kept")  # fmt: skip
        do_queue_messages([item("old-1"), item("old-2")])
        assert callbacks == []  # no send job yet
        assert do_withhold_pending(world.org.pk, "history", keep_prefixes=("kept",)) == 2
    assert len(callbacks) == 1  # the kept message's job, after the block
    assert [m["Subject"] for m in smtp.inbox.messages] == ["kept"]
    states = dict(OutboxMessage.objects.values_list("idempotency_key", "state"))
    assert states == {"kept": OutboxState.SENT, "old-1": OutboxState.WITHHELD,
                      "old-2": OutboxState.WITHHELD}  # fmt: skip
