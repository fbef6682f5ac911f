"""Alignment rounds: sending with single-use links, answering (and answering again),
the closing date, the reminder, and the bad input that must write nothing."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from beacon.alignment.actions import (
    do_answer,
    do_create_round,
    hash_token,
    send_due,
)
from beacon.alignment.events import AlignmentEvent
from beacon.alignment.models import Recipient, Reply, Round, RoundStatus, StageReply
from beacon.alignment.queries import audience, recipient_by_token
from beacon.alignment.tests.helpers import answer_in, recipient, send_round
from beacon.core import clock
from beacon.core.errors import ValidationFailed
from beacon.cxmodel.actions import do_create_journey
from beacon.cxmodel.models import Journey
from beacon.notifications.models import OutboxMessage
from beacon.orgs.actions import do_place_member
from beacon.orgs.models import Department, Event
from beacon.testing import World, race


def test_a_round_mails_each_recipient_a_link_of_their_own(world: World) -> None:
    issued = send_round(world)
    rows = Recipient.objects.filter(round=issued.round).order_by("membership_id")
    assert [r.membership_id for r in rows] == sorted(
        [world.owner.pk, world.stage_owner.pk, world.agent.pk]
    )
    mails = OutboxMessage.objects.filter(cause_type="alignment.recipient").order_by("recipient")
    assert [m.recipient for m in mails] == ["agent@acme-telecom.test", "owner@acme-telecom.test",
                                             "stage@acme-telecom.test"]  # fmt: skip
    token = issued.tokens[world.agent.pk]
    agent_mail = mails[0]
    assert f"/alignment/{token}/" in agent_mail.body_text
    assert agent_mail.subject == "Acme Telecom: who are we making this for? (Spring alignment)"
    # Only the hash is stored; the token finds its own recipient and no other.
    assert recipient(issued, world.agent).token_hash == hash_token(token)
    assert not Recipient.objects.filter(token_hash=token).exists()
    found = recipient_by_token(token)
    assert found is not None and found.membership_id == world.agent.pk
    assert "Your answers are shown only by department and role, never with your name." in (
        agent_mail.body_text
    )
    sent = Event.objects.get(verb=AlignmentEvent.ROUND_SENT).data
    assert sent == {"recipients": 3, "show_names": False}


def test_recipients_by_department_or_team_include_the_front_line(world: World) -> None:
    service = Department.objects.for_org(world.org).get(name="Service")
    do_place_member(world.agent, department=service, team=world.team)
    assert audience(world.org, "departments", departments=[service]) == [world.agent]
    assert audience(world.org, "teams", teams=[world.team]) == [world.agent, world.stage_owner]
    assert len(audience(world.org, "all")) == 3


def test_a_round_with_no_recipients_or_no_stages_is_refused_and_writes_nothing(
    world: World,
) -> None:
    with pytest.raises(ValidationFailed) as nobody:
        send_round(world, members=[])
    assert nobody.value.errors == {
        "recipients": "nobody was chosen; pick departments, teams or everyone"
    }
    empty = do_create_journey(world.org, "Empty journey")
    with pytest.raises(ValidationFailed) as no_stages:
        do_create_round(
            world.org,
            "Round",
            journey=empty,
            closes_at=clock.now() + dt.timedelta(days=3),
            recipients=[world.owner],
        )
    assert no_stages.value.errors == {
        "journey": "has no stages to ask about; add stages to the journey first"
    }
    with pytest.raises(ValidationFailed) as past:
        send_round(world, days=-1)
    assert past.value.errors == {"closes_at": "must be in the future"}
    assert not Round.objects.exists() and not OutboxMessage.objects.exists()


def test_a_round_naming_a_member_of_another_organisation_is_refused(
    world: World, other_world: World
) -> None:
    with pytest.raises(ValidationFailed) as exc:
        send_round(world, members=[world.owner, other_world.agent])
    assert exc.value.errors == {"recipients": "names a member of another organisation"}
    assert not Round.objects.exists()


def test_answers_are_attributed_to_department_and_role_when_given(world: World) -> None:
    sales = Department.objects.for_org(world.org).get(name="Sales")
    do_place_member(world.agent, department=sales, team=world.team)
    issued = send_round(world)
    reply = do_answer(recipient(issued, world.agent), answer_in(world, overall=world.owner))
    do_place_member(world.agent, department=None, team=None)  # moving later changes nothing
    reply.refresh_from_db()
    assert (reply.department_id, reply.department_name, reply.role) == (sales.pk, "Sales", "agent")
    assert (reply.persona_1_id, reply.persona_2_id, reply.overall_id) == (
        world.persona.pk, None, world.owner.pk
    )  # fmt: skip
    owners = dict(StageReply.objects.filter(reply=reply).values_list("stage_id", "member_id"))
    assert owners == {world.outside_stage.pk: world.owner.pk, world.stage.pk: world.stage_owner.pk}


def test_answering_again_replaces_the_first_answer_once(world: World) -> None:
    issued = send_round(world)
    mine = recipient(issued, world.agent)
    first = do_answer(mine, answer_in(world, overall=world.owner))
    second = do_answer(mine, answer_in(world, overall=None, who={world.stage.pk: "dont_know"}))
    assert list(Reply.objects.values_list("pk", flat=True)) == [second.pk]
    assert not Reply.objects.filter(pk=first.pk).exists()
    assert StageReply.objects.filter(reply=second).count() == 2
    assert StageReply.objects.get(reply=second, stage=world.stage).accountable == "dont_know"
    mine.refresh_from_db()
    assert mine.answers == 2 and mine.answered_at is not None
    replaced = Event.objects.filter(verb=AlignmentEvent.ANSWERED).order_by("pk")
    assert [e.data["replaced"] for e in replaced] == [False, True]


ELSEWHERE = "names a member of another organisation"
NO_CUSTOMER = "choose at least one persona, or describe the customer in words"


@pytest.mark.parametrize(
    ("change", "errors"),
    [
        ({"personas": []}, {"personas": NO_CUSTOMER}),
        ("other_overall", {"overall": ELSEWHERE}),
        ("other_stage_member", {"stage_{stage}_accountable": ELSEWHERE}),
        ("other_persona", {"personas": "names a persona of another organisation"}),
        ("missing_stage", {"stage_{stage}_accountable": "choose a member, nobody, or don't know"}),
    ],
)  # fmt: skip
def test_bad_answers_name_the_field_and_write_nothing(
    world: World, other_world: World, change: Any, errors: dict[str, str]
) -> None:
    issued = send_round(world)
    mine = recipient(issued, world.agent)
    if change == "other_overall":
        bad = answer_in(world, overall=other_world.owner)
    elif change == "other_stage_member":
        bad = answer_in(world, who={world.stage.pk: other_world.stage_owner})
    elif change == "other_persona":
        bad = answer_in(world, personas=[other_world.persona])
    elif change == "missing_stage":
        full = answer_in(world)
        bad = type(full)(
            full.personas, "", None, [a for a in full.stages if a.stage != world.stage]
        )
    else:
        bad = answer_in(world, **change)
    with pytest.raises(ValidationFailed) as exc:
        do_answer(mine, bad)
    assert exc.value.errors == {k.format(stage=world.stage.pk): v for k, v in errors.items()}
    mine.refresh_from_db()
    assert (mine.answers, mine.answered_at) == (0, None)
    assert not Reply.objects.exists() and not StageReply.objects.exists()


def test_answers_after_the_closing_date_are_refused(world: World) -> None:
    issued = send_round(world, days=1)
    mine = recipient(issued, world.agent)
    later = clock.now() + dt.timedelta(days=1, minutes=1)
    with clock.frozen_at(later), pytest.raises(ValidationFailed) as exc:
        do_answer(mine, answer_in(world))
    assert list(exc.value.errors) == ["round"]
    assert exc.value.errors["round"].startswith("this round closed on ")
    assert not Reply.objects.exists()
    mine.refresh_from_db()
    assert mine.answers == 0


def test_one_reminder_before_the_closing_date_to_those_who_have_not_answered(
    world: World,
) -> None:
    start = clock.now()
    issued = send_round(world, days=5)
    do_answer(recipient(issued, world.owner), answer_in(world))
    with clock.frozen_at(start + dt.timedelta(days=2)):
        assert send_due() == (0, 0)  # too early: more than two days before closing
    with clock.frozen_at(start + dt.timedelta(days=3, hours=1)):
        assert send_due() == (2, 0)
        assert send_due() == (0, 0)  # the conditional UPDATE claimed it: never twice
    reminders = OutboxMessage.objects.filter(idempotency_key__startswith="alignment-reminder:")
    assert sorted(m.recipient for m in reminders) == ["agent@acme-telecom.test",
                                                       "stage@acme-telecom.test"]  # fmt: skip
    # The reminder carries the same link as the first email.
    agent_reminder = reminders.get(recipient="agent@acme-telecom.test")
    assert f"/alignment/{issued.tokens[world.agent.pk]}/" in agent_reminder.body_text
    assert agent_reminder.subject.startswith("Reminder: ")
    with clock.frozen_at(start + dt.timedelta(days=5, minutes=1)):
        assert send_due() == (0, 1)
    assert Round.objects.get().status == RoundStatus.CLOSED
    events = Event.objects.filter(subject_type="alignment.round").order_by("pk")
    assert [e.verb for e in events] == [
        AlignmentEvent.ROUND_SENT, AlignmentEvent.ROUND_REMINDED, AlignmentEvent.ROUND_CLOSED
    ]  # fmt: skip


def test_journey_of_another_organisation_is_refused(world: World, other_world: World) -> None:
    with pytest.raises(ValidationFailed) as exc:
        do_create_round(
            world.org,
            "Round",
            journey=Journey.objects.for_org(other_world.org).get(),
            closes_at=clock.now() + dt.timedelta(days=3),
            recipients=[world.owner],
        )
    assert exc.value.errors == {"journey": "belongs to another organisation"}


@pytest.mark.django_db(transaction=True)
def test_two_submissions_at_once_leave_one_reply(world: World) -> None:
    issued = send_round(world)
    mine = recipient(issued, world.agent)
    picks = [world.owner, None]

    def submit(i: int) -> int:
        return do_answer(mine, answer_in(world, overall=picks[i])).pk

    race(2, submit)
    [reply] = Reply.objects.all()
    assert reply.overall_id in (world.owner.pk, None)
    assert StageReply.objects.count() == 2
    mine.refresh_from_db()
    assert mine.answers == 2
