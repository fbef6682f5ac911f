from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings

from beacon.contacts.actions import do_unsubscribe
from beacon.contacts.models import Contact
from beacon.core import clock
from beacon.core.errors import Conflict, ValidationFailed
from beacon.insights.corrections import do_correct_theme
from beacon.insights.taxonomy import do_create_theme
from beacon.loop.actions import do_open_case_for, do_resolve_case
from beacon.loop.improvements import (
    ActionIn,
    do_add_action_update,
    do_create_action,
    do_publish_action,
    do_set_action_status,
    send_action_reminders,
)
from beacon.loop.models import Action, CustomerUpdate, RootCause
from beacon.loop.queries import actions_board, root_cause_recurrence
from beacon.loop.tests.helpers import respond
from beacon.loop.updates import (
    do_approve_customer_update,
    do_discard_customer_update,
    do_edit_customer_update,
    send_approved_updates,
)
from beacon.notifications.actions import do_deliver
from beacon.notifications.models import OutboxMessage
from beacon.responses.models import Answer
from beacon.surveys.actions import do_create_invitation
from beacon.testing import SmtpServer, World

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2026, 10, 1, 9, 0, tzinfo=dt.UTC)


def _cause(world: World) -> RootCause:
    return RootCause.objects.for_org(world.org).get(code="process")


def _resolved_cases(world: World, numbers: range) -> None:
    for n in numbers:
        case = do_open_case_for(respond(world, n, nps=2, comment="billing is a mess"))
        assert case is not None
        do_resolve_case(case, _cause(world), "explained", actor=world.agent)


def _action(world: World, **kw: object) -> Action:
    data = ActionIn(
        title="Simplify the bill",
        source="root_cause",
        owner=world.stage_owner,
        deadline=T0 + dt.timedelta(days=14),
        root_cause=_cause(world),
        question=world.nps,
        public_summary="Bills now fit on one page.",
    )
    for k, v in kw.items():
        setattr(data, k, v)
    return do_create_action(world.org.pk, data, actor=world.owner)


def test_an_action_without_owner_or_deadline_cannot_exist(world: World, other_world: World) -> None:
    with pytest.raises(ValidationFailed) as exc:
        do_create_action(
            world.org.pk, ActionIn(title=" ", source="theme", owner=None, deadline=None)
        )
    assert exc.value.errors == {
        "title": "must not be empty",
        "owner": "every action needs exactly one owner",
        "deadline": "every action needs a deadline",
        "theme_id": "name the theme this action comes from",
    }
    with pytest.raises(ValidationFailed) as exc:
        _action(world, owner=other_world.agent)
    assert exc.value.errors == {"owner": "belongs to another organisation"}
    assert Action.objects.count() == 0


def test_progress_status_and_board(world: World) -> None:
    theme = do_create_theme(world.org, "Billing", "Bills and charges", ["bill"])
    action = _action(world, theme_id=theme.pk, source="theme")
    assert action.theme_id == theme.pk
    do_add_action_update(action, "Drafted the new layout", actor=world.stage_owner, progress=40)
    with pytest.raises(ValidationFailed) as exc:
        do_add_action_update(action, "", actor=world.stage_owner, progress=140)
    assert exc.value.errors == {"body": "say what moved", "progress": "must be between 0 and 100"}
    do_set_action_status(action, "in_progress", actor=world.stage_owner)
    with pytest.raises(ValidationFailed):
        do_set_action_status(action, "in_progress", actor=world.stage_owner)
    board = actions_board(world.org)
    assert [a.pk for a in board["in_progress"]] == [action.pk]
    assert (action.progress, board["open"], board["done"]) == (40, [], [])
    assert list(action.updates.values_list("body", flat=True)) == [
        "Drafted the new layout", "Status: In progress"
    ]  # fmt: skip


def test_reminders_before_and_after_the_deadline_once_each(world: World) -> None:
    with clock.frozen_at(T0):
        action = _action(world)
    deadline = action.deadline
    with clock.frozen_at(deadline - dt.timedelta(days=3)):
        assert send_action_reminders() == 0
    with clock.frozen_at(deadline - dt.timedelta(days=1)):
        assert send_action_reminders() == 1
        assert send_action_reminders() == 0
    with clock.frozen_at(deadline + dt.timedelta(hours=1)):
        assert send_action_reminders() == 1
    with clock.frozen_at(deadline + dt.timedelta(days=5)):
        assert send_action_reminders() == 0
    keys = sorted(
        OutboxMessage.objects.filter(idempotency_key__startswith="action-remind").values_list(
            "idempotency_key", "subject"
        )
    )
    assert keys == [
        (f"action-remind-after:{action.pk}:{world.stage_owner.pk}",
         "Past its deadline: Simplify the bill"),
        (f"action-remind-before:{action.pk}:{world.stage_owner.pk}",
         "Due soon: Simplify the bill"),
    ]  # fmt: skip


def test_completion_drafts_you_said_we_did_once_per_customer(
    world: World, smtp: SmtpServer
) -> None:
    with clock.frozen_at(T0):
        _resolved_cases(world, range(1, 4))
        # Customer 1 has two cases with this root cause: still one message.
        case = do_open_case_for(respond(world, 1, nps=1, key="again"))
        assert case is not None
        do_resolve_case(case, _cause(world), "explained", actor=world.agent)
        do_unsubscribe(Contact.objects.get(external_id="cust-3"))
        # No metric to contradict the owner: completion proposes the drafts at once.
        action = _action(world, question=None)
    with clock.frozen_at(T0 + dt.timedelta(days=10)):
        do_set_action_status(action, "done", actor=world.stage_owner)
    drafts = CustomerUpdate.objects.filter(action=action).order_by("contact__external_id")
    assert [d.contact.external_id for d in drafts] == ["cust-1", "cust-2"]
    assert all(d.status == "draft" for d in drafts)
    assert "Bills now fit on one page." in drafts[0].body
    first, second = drafts
    with pytest.raises(ValidationFailed):
        do_approve_customer_update(first, actor=world.agent)  # neither owner nor admin
    do_edit_customer_update(
        first, subject="We fixed the bill", body="Hello <Customer 1>, bills are one page now.",
        actor=world.stage_owner,
    )  # fmt: skip
    do_approve_customer_update(first, actor=world.stage_owner)
    with pytest.raises(Conflict):
        do_approve_customer_update(first, actor=world.stage_owner)
    do_discard_customer_update(second, actor=world.stage_owner)
    # Reopening and completing again drafts nothing new for the same customers.
    do_set_action_status(action, "in_progress", actor=world.stage_owner)
    do_set_action_status(action, "done", actor=world.stage_owner)
    assert CustomerUpdate.objects.filter(action=action).count() == 2
    # Approved updates leave through the throttled sender, once.
    assert send_approved_updates() == 1
    assert send_approved_updates() == 0
    messages = OutboxMessage.objects.filter(idempotency_key__startswith="you-said-we-did:")
    assert messages.count() == 1
    assert do_deliver(messages.get().pk) == "sent"
    [mail] = smtp.inbox.to("customer1@example.com")
    assert mail["Subject"] == "We fixed the bill"
    assert smtp.inbox.to("customer2@example.com") == []
    assert smtp.inbox.to("customer3@example.com") == []


def test_wall_publication_needs_a_done_action_and_a_summary(world: World) -> None:
    action = _action(world)
    with pytest.raises(ValidationFailed) as exc:
        do_publish_action(action, "Bills are shorter", on_wall=True, actor=world.stage_owner)
    assert exc.value.errors == {"on_wall": "only completed actions go on the wall"}
    do_set_action_status(action, "done", actor=world.stage_owner)
    with pytest.raises(ValidationFailed) as exc:
        do_publish_action(action, " ", on_wall=True, actor=world.stage_owner)
    assert exc.value.errors == {"public_summary": "say what changed, in customers' words"}
    do_publish_action(action, "Bills are shorter", on_wall=True, actor=world.stage_owner)
    action.refresh_from_db()
    assert (action.on_wall, action.public_summary) == (True, "Bills are shorter")


def test_root_cause_recurrence_in_equal_windows(world: World) -> None:
    with clock.frozen_at(T0 - dt.timedelta(days=5)):
        _resolved_cases(world, range(1, 4))
        action = _action(world)
    with clock.frozen_at(T0):
        do_set_action_status(action, "done", actor=world.stage_owner)
    with clock.frozen_at(T0 + dt.timedelta(days=3)):
        _resolved_cases(world, range(10, 11))
    with clock.frozen_at(T0 + dt.timedelta(days=10)):
        action.refresh_from_db()
        assert root_cause_recurrence(action) == (10, 3, 1)


def test_theme_action_drafts_for_customers_whose_comments_carry_the_theme(
    world: World, other_world: World
) -> None:
    theme = do_create_theme(world.org, "Billing", "Bills and charges", ["bill"])
    foreign = do_create_theme(other_world.org, "Billing", "Bills", ["bill"])
    for n in (1, 2):
        response = respond(world, n, nps=4, comment="The bill is confusing")
        answer = Answer.objects.get(response=response, question=world.comment)
        do_correct_theme(answer, theme, "negative", actor=world.owner)
    respond(world, 3, nps=4, comment="Slow delivery")
    with pytest.raises(ValidationFailed) as exc:
        _action(world, source="theme", theme_id=foreign.pk, root_cause=None)
    assert exc.value.errors == {"theme_id": "no such theme in this organisation"}
    action = _action(world, source="theme", theme_id=theme.pk, root_cause=None, question=None)
    do_set_action_status(action, "done", actor=world.stage_owner)
    drafted = CustomerUpdate.objects.filter(action=action).order_by("contact__external_id")
    assert [d.contact.external_id for d in drafted] == ["cust-1", "cust-2"]


def test_update_carries_the_customers_unsubscribe_link(world: World) -> None:
    _resolved_cases(world, range(1, 2))
    contact = Contact.objects.get(external_id="cust-1")
    invitation = do_create_invitation(world.survey, contact)
    action = _action(world, question=None)
    do_set_action_status(action, "done", actor=world.stage_owner)
    do_approve_customer_update(CustomerUpdate.objects.get(action=action), actor=world.owner)
    send_approved_updates()
    message = OutboxMessage.objects.get(idempotency_key__startswith="you-said-we-did:")
    link = f"{settings.BASE_URL}/s/u/{invitation.token}/"
    assert message.headers == {"List-Unsubscribe": f"<{link}>"}
    assert message.body_text.endswith(f"To stop hearing from Acme Telecom: {link}\n")
