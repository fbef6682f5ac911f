"""Email no more than once in practice: one Message-ID per outbox row, across a crash."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from beacon.core import clock
from beacon.notifications.actions import CLAIM_SECONDS, _claim, do_queue_email
from beacon.notifications.models import OutboxMessage, OutboxState
from beacon.notifications.tasks import sweep_outbox
from beacon.notifications.transports import deliver
from beacon.notifications.transports.email import message_id_of
from beacon.orgs.models import Event
from beacon.testing import SmtpServer, World

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


def queue(world: World) -> OutboxMessage:
    with clock.frozen_at(T0):
        return do_queue_email(
            world.org.pk,
            to="owner@example.com",
            subject="New follow-up case",
            text="A customer is waiting.",
            cause=world.survey,
            key="case-opened:test",
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
