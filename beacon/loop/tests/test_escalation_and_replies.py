from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from beacon.core import clock
from beacon.core.errors import ValidationFailed
from beacon.loop.actions import (
    case_for_reply_token,
    do_open_case_for,
    do_record_customer_reply,
    do_reply_to_customer,
    do_resolve_case,
    do_set_status,
    escalate_overdue_cases,
    reply_token,
)
from beacon.loop.models import CaseEscalation, RootCause
from beacon.loop.queries import case_timing, percentile
from beacon.loop.tests.helpers import part, respond
from beacon.notifications.actions import do_deliver
from beacon.notifications.models import OutboxMessage
from beacon.orgs.actions import do_add_member, do_create_team, do_set_team_lead
from beacon.orgs.models import Role
from beacon.testing import SmtpServer, World

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC)


def _hierarchy(world: World) -> tuple[Any, Any]:
    """Support (lead Lee) sits under Operations (lead Dana, who is in no team)."""
    dana = do_add_member(world.org, "dana@acme.test", role=Role.ADMIN, display_name="Dana Head")
    ops = do_create_team(world.org, "Operations", lead=dana)
    lead = do_add_member(
        world.org, "lead@acme.test", role=Role.AGENT, display_name="Lee Lead", team=world.team
    )
    world.team.parent = ops
    world.team.save(update_fields=["parent"])
    do_set_team_lead(world.team, lead)
    return lead, dana


def test_overdue_case_escalates_once_per_step_up_the_hierarchy(world: World) -> None:
    lead, dana = _hierarchy(world)
    with clock.frozen_at(T0):
        case = do_open_case_for(respond(world, 1, nps=2))
    assert case is not None and case.owner == world.stage_owner  # in team Support
    due = case.due_at
    assert due == T0 + dt.timedelta(hours=48)
    with clock.frozen_at(due - dt.timedelta(minutes=1)):
        assert escalate_overdue_cases() == 0
    with clock.frozen_at(due + dt.timedelta(minutes=5)):
        assert escalate_overdue_cases() == 1
        assert escalate_overdue_cases() == 0  # the job runs every few minutes: once a step
    with clock.frozen_at(due + dt.timedelta(hours=23)):
        assert escalate_overdue_cases() == 0
    with clock.frozen_at(due + dt.timedelta(hours=24, minutes=1)):
        assert escalate_overdue_cases() == 1
    with clock.frozen_at(due + dt.timedelta(hours=72)):
        # Dana is the top of the hierarchy; the organisation owner is the last step.
        assert escalate_overdue_cases() == 1
        assert escalate_overdue_cases() == 0
    steps = list(
        CaseEscalation.objects.filter(case=case)
        .order_by("step")
        .values_list("step", "escalated_to")
    )
    assert steps == [(1, lead.pk), (2, dana.pk), (3, world.owner.pk)]
    mails = OutboxMessage.objects.filter(idempotency_key__startswith="case-escalated:")
    assert sorted(mails.values_list("recipient", flat=True)) == [
        "dana@acme.test", "lead@acme.test", "owner@acme-telecom.test"
    ]  # fmt: skip
    assert list(case.events.filter(kind="escalated").values_list("data__step", flat=True)) == [
        1, 2, 3
    ]  # fmt: skip


def test_resolved_case_never_escalates(world: World) -> None:
    _hierarchy(world)
    with clock.frozen_at(T0):
        case = do_open_case_for(respond(world, 1, nps=2))
        assert case is not None
        cause = RootCause.objects.for_org(world.org).get(code="process")
        do_resolve_case(case, cause, "Fixed", actor=world.agent)
    with clock.frozen_at(T0 + dt.timedelta(days=10)):
        assert escalate_overdue_cases() == 0


def test_reply_by_email_and_the_customer_answers_through_the_link(
    world: World, smtp: SmtpServer
) -> None:
    case = do_open_case_for(respond(world, 1, nps=2))
    assert case is not None
    event = do_reply_to_customer(
        case, "Sorry <b>about</b> that — we called you.", actor=world.agent
    )
    message = OutboxMessage.objects.get(idempotency_key=f"case-reply:{event.pk}")
    assert do_deliver(message.pk) == "sent"
    [mail] = smtp.inbox.to("customer1@example.com")
    assert mail["Subject"] == "About your feedback to Acme Telecom"
    text, html = part(mail, "text/plain"), part(mail, "text/html")
    assert "Sorry <b>about</b> that" in text
    assert "Sorry &lt;b&gt;about&lt;/b&gt; that" in html
    token = text.split("/s/r/")[1].split("/")[0]
    assert case_for_reply_token(token) == case
    assert case_for_reply_token(token[:-2] + "xx") is None
    do_record_customer_reply(case, "<script>alert(1)</script> Thanks, all good now")
    case.refresh_from_db()
    assert case.first_contact_at is not None
    assert list(case.events.values_list("kind", "body"))[-2:] == [
        ("replied", "Sorry <b>about</b> that — we called you."),
        ("customer", "<script>alert(1)</script> Thanks, all good now"),
    ]
    owner_mail = OutboxMessage.objects.get(idempotency_key__startswith="case-customer:")
    assert owner_mail.recipient == world.stage_owner.email


def test_reply_needs_a_body_and_an_address(world: World) -> None:
    case = do_open_case_for(respond(world, 1, nps=2))
    assert case is not None
    with pytest.raises(ValidationFailed) as exc:
        do_reply_to_customer(case, "   ", actor=world.agent)
    assert exc.value.errors == {"body": "must not be empty"}
    case.contact.email = ""  # type: ignore[union-attr]
    case.contact.save()  # type: ignore[union-attr]
    with pytest.raises(ValidationFailed) as exc:
        do_reply_to_customer(case, "hello", actor=world.agent)
    assert exc.value.errors == {"body": "this customer left no email address to reply to"}


def test_a_token_from_another_org_or_an_old_one_is_refused(world: World) -> None:
    with clock.frozen_at(T0):
        case = do_open_case_for(respond(world, 1, nps=2))
    assert case is not None
    token = reply_token(case)
    assert case_for_reply_token(token) == case
    assert case_for_reply_token("garbage") is None


def test_percentile_is_nearest_rank() -> None:
    assert percentile([], 50) is None
    assert percentile([5.0], 90) == 5.0
    assert percentile([1.0, 2.0, 3.0, 4.0], 50) == 2.0
    assert percentile([float(i) for i in range(1, 11)], 90) == 9.0


def test_time_to_first_contact_and_resolution_by_owner_and_team(world: World) -> None:
    cause = RootCause.objects.for_org(world.org).get(code="process")
    hours = [(1, 5), (3, 10), (2, None)]  # (first contact, resolution) after opening
    for n, (contact_h, resolve_h) in enumerate(hours, start=1):
        with clock.frozen_at(T0):
            case = do_open_case_for(respond(world, n, nps=1))
        assert case is not None
        with clock.frozen_at(T0 + dt.timedelta(hours=contact_h)):
            do_set_status(case, "in_progress", actor=world.agent)
        if resolve_h is not None:
            with clock.frozen_at(T0 + dt.timedelta(hours=resolve_h)):
                do_resolve_case(case, cause, "done", actor=world.agent)
    [row] = case_timing(world.org, by="owner")
    assert row.label == "Sam Stage"
    assert (row.first_contact.n, row.first_contact.median_hours, row.first_contact.p90_hours) == (
        3, 2.0, 3.0
    )  # fmt: skip
    assert (row.resolution.n, row.resolution.median_hours, row.resolution.p90_hours) == (
        2, 5.0, 10.0
    )  # fmt: skip
    [team_row] = case_timing(world.org, by="team")
    assert team_row.label == "Support" and team_row.resolution.n == 2
    # By the team that served the customer, whatever team the case's owner is in.
    billing = do_create_team(world.org, "Billing")
    with clock.frozen_at(T0):
        assert do_open_case_for(respond(world, 9, nps=0, team=billing)) is not None
    by_team = {r.label: r.first_contact.n for r in case_timing(world.org, by="team")}
    assert by_team == {"Billing": 0, "Support": 3}
