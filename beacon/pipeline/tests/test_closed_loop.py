"""The loop end to end below the web layer: interaction -> invitation -> answer -> case -> email."""

from __future__ import annotations

import datetime as dt

import pytest

from beacon.contacts.actions import InteractionIn
from beacon.core import clock
from beacon.loop.models import Case, CaseEvent, CaseStatus
from beacon.notifications.models import OutboxMessage, OutboxState
from beacon.notifications.tasks import sweep_outbox
from beacon.pipeline.actions import receive_interaction, submit_response
from beacon.responses.checks import AnswerIn, ResponseIn
from beacon.responses.models import Response
from beacon.testing import World, contact_in

pytestmark = pytest.mark.django_db(transaction=True)


def _invite(world: World, key: str = "call-1"):
    received = receive_interaction(
        world.org,
        InteractionIn(
            contact=contact_in(1),
            idempotency_key=key,
            touchpoint=world.touchpoint,
            team=world.team,
            staff=world.agent,
        ),
    )
    assert len(received.invitations) == 1
    return received.invitations[0]


def test_detractor_opens_case_for_stage_owner_and_emails_them(world: World, smtp) -> None:
    invitation = _invite(world)
    result = submit_response(
        ResponseIn(
            survey=world.survey,
            idempotency_key=f"inv:{invitation.pk}",
            invitation=invitation,
            answers=[
                AnswerIn(world.nps.pk, number=3),
                AnswerIn(world.comment.pk, text="Waited 40 minutes"),
            ],
        )
    )
    response = Response.objects.get(pk=result.response.pk)
    assert response.completed_at is not None and response.processed_at is not None
    assert response.stage_id == world.stage.pk and response.staff_id == world.agent.pk
    case = Case.objects.get(response=response)
    assert case.owner_id == world.stage_owner.pk
    assert case.status == CaseStatus.NEW
    assert abs((case.due_at - clock.now()) - dt.timedelta(hours=48)) < dt.timedelta(minutes=1)
    assert [e.kind for e in CaseEvent.objects.filter(case=case)] == ["opened", "notified"]
    received = smtp.inbox.to(world.stage_owner.email)
    assert len(received) == 1
    assert received[0]["Subject"] == f"New follow-up case: {case.title}"
    assert f"/cases/{case.pk}/" in received[0].get_payload()[0].get_payload()
    assert OutboxMessage.objects.get().state == OutboxState.SENT


def test_promoter_opens_no_case(world: World, smtp) -> None:
    invitation = _invite(world)
    submit_response(
        ResponseIn(
            survey=world.survey,
            idempotency_key="k",
            invitation=invitation,
            answers=[AnswerIn(world.nps.pk, number=9)],
        )
    )
    assert Case.objects.count() == 0
    assert smtp.inbox.messages == []


def test_repeated_interaction_and_submission_make_one_row_each(world: World, smtp) -> None:
    first = _invite(world, "same-key")
    again = _invite(world, "same-key")
    assert first.pk == again.pk
    data = ResponseIn(
        survey=world.survey,
        idempotency_key="retry",
        invitation=first,
        answers=[AnswerIn(world.nps.pk, number=2)],
    )
    submit_response(data)
    second = submit_response(data)
    assert second.created is False and second.changed is False
    assert Response.objects.count() == 1
    assert Case.objects.count() == 1
    assert len(smtp.inbox.messages) == 1


def test_smtp_down_then_back_delivers_once(world: World, smtp) -> None:
    smtp.stop()
    invitation = _invite(world)
    submit_response(
        ResponseIn(
            survey=world.survey,
            idempotency_key="k",
            invitation=invitation,
            answers=[AnswerIn(world.nps.pk, number=0)],
        )
    )
    message = OutboxMessage.objects.get()
    assert message.state == OutboxState.PENDING and message.attempts == 1
    assert "Connection refused" in message.last_error or "Errno" in message.last_error
    smtp.start()
    with clock.frozen_at(message.next_attempt_at + dt.timedelta(seconds=1)):
        assert sweep_outbox.call_local() == 1
        assert sweep_outbox.call_local() == 0
    message.refresh_from_db()
    assert message.state == OutboxState.SENT and message.attempts == 2
    assert len(smtp.inbox.messages) == 1
