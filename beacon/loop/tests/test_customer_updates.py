""" "You said, we did" at scale: wording from templates, bulk approval, throttled sending."""

from __future__ import annotations

import datetime as dt

import pytest

from beacon.contacts.models import Contact
from beacon.core import clock
from beacon.core.errors import ValidationFailed
from beacon.loop.actions import do_open_case_for, do_resolve_case
from beacon.loop.improvements import (
    ActionIn,
    do_create_action,
    do_publish_action,
    do_set_action_status,
)
from beacon.loop.models import Action, ActionStatus, CustomerUpdate, RootCause
from beacon.loop.tests.helpers import respond
from beacon.loop.updates import (
    UNMEASURED,
    check_template,
    do_approve_customer_updates,
    do_propose_customer_updates,
    do_save_template,
    do_set_sending_rate,
    send_approved_updates,
)
from beacon.notifications.actions import do_deliver
from beacon.notifications.models import OutboxMessage
from beacon.orgs.models import Event
from beacon.testing import SmtpServer, World, race

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2026, 10, 1, 9, 0, tzinfo=dt.UTC)


def done_action(world: World, customers: list[tuple[str, str, str]]) -> Action:
    """A completed action without a metric whose root cause was raised by `customers`
    (name, email, language); its drafts are proposed on completion."""
    cause = RootCause.objects.for_org(world.org).get(code="process")
    for n, (name, email, language) in enumerate(customers, start=1):
        case = do_open_case_for(respond(world, n, nps=2, attributes={"language": language}))
        assert case is not None and case.contact_id is not None
        Contact.objects.filter(pk=case.contact_id).update(name=name, email=email)
        do_resolve_case(case, cause, "explained", actor=world.agent)
    action = do_create_action(
        world.org.pk,
        ActionIn(title="INTERNAL: rework billing batch job", source="root_cause",
                 owner=world.stage_owner, deadline=T0 + dt.timedelta(days=30),
                 root_cause=cause),
    )  # fmt: skip
    do_publish_action(action, "Bills now fit on one page.", on_wall=False, actor=world.owner,
                      customer_said="your bill was hard to read")  # fmt: skip
    do_set_action_status(action, ActionStatus.DONE, actor=world.stage_owner)
    return action


def test_drafts_are_written_from_the_template_in_the_customers_language(world: World) -> None:
    do_save_template(
        world.org.pk, "de", subject="Danke, {first_name}",
        body="Hallo {first_name}, {what_you_told_us}: {what_we_changed} - {organisation}",
        actor=world.owner,
    )  # fmt: skip
    action = done_action(
        world, [("Anna Schmidt", "anna@example.com", "de"), ("", "bo@example.com", "en")]
    )
    drafts = {d.contact.email: d for d in CustomerUpdate.objects.filter(action=action)}
    anna, bo = drafts["anna@example.com"], drafts["bo@example.com"]
    assert (anna.language, anna.subject) == ("de", "Danke, Anna")
    assert anna.body == (
        "Hallo Anna, your bill was hard to read: Bills now fit on one page. - Acme Telecom"
    )
    # Beacon's English default; an unknown first name leaves "Hello,".
    assert (bo.language, bo.subject) == ("en", "You told us, and we changed it")
    assert bo.body.startswith("Hello,\n\nYou told us: your bill was hard to read.\n\n")
    assert all("INTERNAL" not in d.subject + d.body for d in drafts.values())


def test_an_unknown_placeholder_is_named() -> None:
    errors = check_template("fr", "Bonjour {prenom}", "{what_we_changed} {x}")
    assert errors == {
        "subject": "unknown placeholder {prenom}; use {first_name}, {what_you_told_us}, "
        "{what_we_changed}, {organisation}",
        "body": "unknown placeholder {x}; use {first_name}, {what_you_told_us}, "
        "{what_we_changed}, {organisation}",
    }
    assert check_template("xx", "s", "b") == {"language": "must be one of en, de, fr, es, nl"}


def test_bulk_approval_is_one_update_one_event_and_idempotent(world: World) -> None:
    action = done_action(
        world,
        [("Anna", "anna@example.com", "de"), ("Bo", "bo@example.com", "en"),
         ("Cy", "cy@example.com", "en")],
    )  # fmt: skip
    with pytest.raises(ValidationFailed) as exc:
        do_approve_customer_updates(action, actor=world.agent)
    assert exc.value.errors == {"actor": "only the action's owner or an admin approves updates"}
    assert do_approve_customer_updates(action, actor=world.stage_owner, language="de") == 1
    assert do_approve_customer_updates(action, actor=world.stage_owner) == 2
    assert do_approve_customer_updates(action, actor=world.stage_owner) == 0
    events = Event.objects.filter(verb="customer_updates.approved").order_by("pk")
    assert [(e.data["count"], e.data["language"]) for e in events] == [(1, "de"), (2, "")]
    assert set(CustomerUpdate.objects.values_list("status", flat=True)) == {"approved"}
    # Proposing again drafts nobody twice.
    assert do_propose_customer_updates(action, UNMEASURED) == 0


def test_approved_updates_leave_at_the_organisations_rate_and_never_twice(
    world: World, smtp: SmtpServer
) -> None:
    people = [(f"C{n}", f"c{n}@example.com", "en") for n in range(1, 6)]
    with clock.frozen_at(T0):
        action = done_action(world, people)
        do_set_sending_rate(world.org.pk, 2, actor=world.owner)
        assert do_approve_customer_updates(action, actor=world.stage_owner) == 5
        assert send_approved_updates() == 2
        # A second run within the same minute finds the rate used up.
        assert send_approved_updates() == 0
    with clock.frozen_at(T0 + dt.timedelta(seconds=61)):
        assert send_approved_updates() == 2
    with clock.frozen_at(T0 + dt.timedelta(seconds=122)):
        assert send_approved_updates() == 1
        assert send_approved_updates() == 0
        outbox = OutboxMessage.objects.filter(idempotency_key__startswith="you-said-we-did:")
        assert outbox.count() == 5
        assert [do_deliver(m.pk) for m in outbox.order_by("pk")] == ["sent"] * 5
        assert [do_deliver(m.pk) for m in outbox.order_by("pk")] == ["sent"] * 5
    received = sorted(addr for n in range(1, 6) for addr in
                      [m["To"] for m in smtp.inbox.to(f"c{n}@example.com")])  # fmt: skip
    assert received == [f"c{n}@example.com" for n in range(1, 6)]
    [mail] = smtp.inbox.to("c1@example.com")
    assert mail["Subject"] == "You told us, and we changed it"
    queued = Event.objects.filter(verb="customer_updates.queued").order_by("pk")
    assert [e.data["count"] for e in queued] == [2, 2, 1]


@pytest.mark.django_db(transaction=True)
def test_senders_running_at_once_keep_the_rate_and_send_each_update_once(world: World) -> None:
    action = done_action(world, [(f"C{n}", f"c{n}@example.com", "en") for n in range(1, 6)])
    do_set_sending_rate(world.org.pk, 3, actor=world.owner)
    assert do_approve_customer_updates(action, actor=world.stage_owner) == 5
    assert sum(race(4, lambda _i: send_approved_updates())) == 3
    assert OutboxMessage.objects.filter(idempotency_key__startswith="you-said-we-did:").count() == 3
    statuses = sorted(CustomerUpdate.objects.values_list("status", flat=True))
    assert statuses == ["approved", "approved", "sent", "sent", "sent"]
