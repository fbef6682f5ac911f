"""Triggers end to end: interaction -> rule -> invitation email on a real SMTP server."""

from __future__ import annotations

import datetime as dt
from email.message import Message
from typing import Any

import pytest
from django.db import transaction
from django.test import Client

from beacon.contacts.actions import InteractionIn
from beacon.contacts.models import Contact
from beacon.core import clock
from beacon.notifications.actions import CLAIM_SECONDS, _claim, do_deliver
from beacon.notifications.models import OutboxMessage, OutboxState
from beacon.notifications.tasks import sweep_outbox
from beacon.orgs.actions import do_update_organization
from beacon.pipeline.actions import ReceivedInteraction, receive_interaction
from beacon.responses.models import Answer, Response
from beacon.surveys.distribution import (
    RuleIn,
    do_add_rule,
    do_send_invitation,
    do_set_survey_budget,
    do_trigger,
    may_survey,
    send_due,
)
from beacon.surveys.models import ContactBudget, Invitation, Suppression, SuppressionReason
from beacon.testing import World, contact_in, race

pytestmark = pytest.mark.django_db(transaction=True)


# The page sends the preselected score by itself (a static script: the CSP allows no inline one).
AUTO_SUBMIT = '<script src="/static/beacon/js/oneclick.js"></script>'


def interact(world: World, key: str, n: int = 1, **contact: Any) -> ReceivedInteraction:
    return receive_interaction(
        world.org,
        InteractionIn(
            contact=contact_in(n, **contact),
            idempotency_key=key,
            touchpoint=world.touchpoint,
            team=world.team,
        ),
    )


def parts(message: Message) -> dict[str, str]:
    out: dict[str, str] = {}
    for part in message.walk():
        if part.get_content_maintype() == "text":
            payload = part.get_payload(decode=True)
            assert isinstance(payload, bytes)
            out[part.get_content_type()] = payload.decode()
    return out


def test_email_invitation_has_both_parts_brand_one_click_scores_and_unsubscribe_headers(
    world: World, smtp: Any
) -> None:
    do_update_organization(world.org, brand_color="#aa3300")
    do_add_rule(world.survey, RuleIn(touchpoint=world.touchpoint))
    received = interact(world, "call-1")
    [invitation] = received.invitations
    [mail] = smtp.inbox.to("customer1@example.com")
    assert mail["Subject"] == "How did we do?"
    # A long header may be folded onto the next line; unfolded it is the one-click URL.
    unfolded = "".join(mail["List-Unsubscribe"].split())
    assert unfolded == f"<http://127.0.0.1:8000/s/u/{invitation.token}/>"
    assert mail["Message-ID"] == f"<beacon.invitation.{invitation.pk}.i@localhost>"
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    body = parts(mail)
    assert set(body) == {"text/plain", "text/html"}
    for n in range(11):
        assert f"/s/{invitation.token}/score/{n}/" in body["text/html"]
        assert f"{n}: " in body["text/plain"]
    assert "Acme Telecom" in body["text/html"] and "#aa3300" in body["text/html"]
    assert "How likely are you to recommend us?" in body["text/plain"]
    invitation.refresh_from_db()
    assert invitation.sent_at is not None and invitation.channel == "email"
    assert OutboxMessage.objects.get().state == OutboxState.SENT


def test_one_click_link_preselects_the_score_and_the_page_submits_it(
    world: World, smtp: Any
) -> None:
    do_add_rule(world.survey, RuleIn(touchpoint=world.touchpoint))
    [invitation] = interact(world, "call-1").invitations
    client = Client()
    assert client.head(f"/s/{invitation.token}/score/0/").status_code == 302
    page = client.get(f"/s/{invitation.token}/score/9/")
    html = page.content.decode()
    # Fetching the link (what a mail scanner does) writes no answer, only the click.
    assert page.status_code == 200 and Response.objects.count() == 0
    assert 'value="9" checked' in html and 'name="oneclick" value="press"' in html
    assert AUTO_SUBMIT in html
    invitation.refresh_from_db()
    assert invitation.clicked_score == 9 and invitation.scanner_suspected_at is None
    assert invitation.clicked_at is not None and invitation.opened_at is not None
    # The page submits itself as it loads (or the respondent presses Next).
    sent = client.post(
        f"/s/{invitation.token}/", {"question": world.nps.pk, "answer": "9", "oneclick": "auto"}
    )
    assert sent.status_code == 302 and sent["Location"] == f"/s/{invitation.token}/2/"
    response = Response.objects.get()
    assert response.completed_at is None and response.channel == "email"
    assert [(a.question_id, a.number) for a in Answer.objects.filter(response=response)] == [
        (world.nps.pk, 9)
    ]
    bad = client.get(f"/s/{invitation.token}/score/11/")
    assert bad.status_code == 400 and b"Your score must be between 0 and 10." in bad.content
    assert AUTO_SUBMIT.encode() not in bad.content


def test_every_score_link_followed_at_once_is_a_scanner_and_needs_a_person(
    world: World, smtp: Any
) -> None:
    do_add_rule(world.survey, RuleIn(touchpoint=world.touchpoint))
    [invitation] = interact(world, "call-1").invitations
    client = Client()
    start = clock.now()
    with clock.frozen_at(start):
        pages = [client.get(f"/s/{invitation.token}/score/{n}/") for n in range(11)]
    assert [p.status_code for p in pages] == [200] * 11
    assert AUTO_SUBMIT.encode() in pages[0].content
    assert not any(AUTO_SUBMIT.encode() in p.content for p in pages[1:])
    invitation.refresh_from_db()
    assert invitation.scanner_suspected_at == start and invitation.clicked_score == 0
    # A scanner's browser that runs the page's script is refused, and nothing is stored.
    url = f"/s/{invitation.token}/"
    auto = client.post(url, {"question": world.nps.pk, "answer": "3", "oneclick": "auto"})
    assert auto.status_code == 200 and Response.objects.count() == 0
    assert b"Please check your score and press Next to send it." in auto.content
    assert b'value="3" checked' in auto.content and AUTO_SUBMIT.encode() not in auto.content
    # The person presses Next.
    pressed = client.post(url, {"question": world.nps.pk, "answer": "3", "oneclick": "press"})
    assert pressed.status_code == 302
    assert Answer.objects.get(question=world.nps).number == 3


def test_a_person_changing_their_mind_later_is_not_a_scanner(world: World, smtp: Any) -> None:
    do_add_rule(world.survey, RuleIn(touchpoint=world.touchpoint))
    [invitation] = interact(world, "call-1").invitations
    client = Client()
    start = clock.now()
    with clock.frozen_at(start):
        client.get(f"/s/{invitation.token}/score/6/")
    with clock.frozen_at(start + dt.timedelta(minutes=5)):
        later = client.get(f"/s/{invitation.token}/score/8/")
    assert AUTO_SUBMIT.encode() in later.content and b'value="8" checked' in later.content
    invitation.refresh_from_db()
    assert (invitation.clicked_score, invitation.scanner_suspected_at) == (8, None)
    assert invitation.clicked_at == start


def test_delayed_invitation_is_sent_by_the_sweeper_once(world: World, smtp: Any) -> None:
    do_add_rule(world.survey, RuleIn(touchpoint=world.touchpoint, delay_minutes=60))
    start = clock.now()
    with clock.frozen_at(start):
        [invitation] = interact(world, "call-1").invitations
    assert smtp.inbox.messages == []
    with clock.frozen_at(start + dt.timedelta(minutes=59)):
        assert send_due() == (0, 0)
    with clock.frozen_at(start + dt.timedelta(minutes=61)):
        assert send_due() == (1, 0)
        assert send_due() == (0, 0)
    assert len(smtp.inbox.messages) == 1
    invitation.refresh_from_db()
    assert invitation.expires_at == start + dt.timedelta(minutes=60, days=14)


def test_one_reminder_if_unanswered_none_after_an_answer(world: World, smtp: Any) -> None:
    do_add_rule(world.survey, RuleIn(touchpoint=world.touchpoint))
    start = clock.now()
    with clock.frozen_at(start):
        [first] = interact(world, "call-1", 1).invitations
        [second] = interact(world, "call-2", 2).invitations
    # The second customer answered (the answer itself is tested with the respondent page).
    Invitation.objects.filter(pk=second.pk).update(completed_at=start)
    with clock.frozen_at(start + dt.timedelta(days=3, minutes=1)):
        assert send_due() == (0, 1)
        assert send_due() == (0, 0)
    reminders = [m for m in smtp.inbox.messages if m["Subject"].startswith("Reminder:")]
    assert [m["To"] for m in reminders] == ["customer1@example.com"]
    first.refresh_from_db()
    assert first.reminded_at is not None


def test_expired_or_unsubscribed_invitation_is_not_sent(world: World, smtp: Any) -> None:
    do_add_rule(world.survey, RuleIn(touchpoint=world.touchpoint, delay_minutes=10))
    [invitation] = interact(world, "call-1").invitations
    Contact.objects.filter(pk=invitation.contact_id).update(unsubscribed_at=clock.now())
    with clock.frozen_at(clock.now() + dt.timedelta(minutes=11)):
        assert send_due() == (0, 0)
        assert send_due() == (0, 0)
    assert smtp.inbox.messages == []
    invitation.refresh_from_db()
    assert invitation.sent_at is None and invitation.send_at is None


def test_unsubscribe_one_click_post_is_honoured_by_later_triggers(world: World, smtp: Any) -> None:
    do_add_rule(world.survey, RuleIn(touchpoint=world.touchpoint))
    [invitation] = interact(world, "call-1").invitations
    client = Client(enforce_csrf_checks=True)
    page = client.get(f"/s/u/{invitation.token}/")
    assert page.status_code == 200 and b"Unsubscribe from surveys" in page.content
    assert Contact.objects.get().unsubscribed_at is None  # a GET (link scanner) changes nothing
    done = client.post(f"/s/u/{invitation.token}/", {"List-Unsubscribe": "One-Click"})
    assert done.status_code == 200 and b"You are unsubscribed" in done.content
    assert Contact.objects.get().unsubscribed_at is not None
    later = interact(world, "call-2")
    assert later.invitations == []
    assert Suppression.objects.get().reason == SuppressionReason.UNSUBSCRIBED
    assert len(smtp.inbox.messages) == 1


def test_org_budget_suppresses_then_allows_after_n_days(world: World, smtp: Any) -> None:
    do_set_survey_budget(world.org, min_days_between=30)
    do_add_rule(world.survey, RuleIn(touchpoint=world.touchpoint))
    start = clock.now()
    with clock.frozen_at(start):
        assert len(interact(world, "call-1").invitations) == 1
        assert interact(world, "call-2").invitations == []
        verdict = may_survey(Contact.objects.get())
        assert not verdict.allowed and verdict.reason == "budget"
        assert verdict.next_allowed_at == start + dt.timedelta(days=30)
    with clock.frozen_at(start + dt.timedelta(days=30, seconds=1)):
        assert may_survey(Contact.objects.get()).allowed
        assert len(interact(world, "call-3").invitations) == 1
    assert list(Suppression.objects.values_list("reason", "stage_id")) == [
        ("budget", world.stage.pk)
    ]


def test_survey_budget_per_survey(world: World, smtp: Any) -> None:
    world.survey.resurvey_after_days = 7
    world.survey.save()
    assert len(interact(world, "call-1").invitations) == 1
    assert interact(world, "call-2").invitations == []
    assert Suppression.objects.get().reason == SuppressionReason.SURVEY_BUDGET


def test_sampling_is_deterministic_per_interaction(world: World) -> None:
    rule = do_add_rule(world.survey, RuleIn(touchpoint=world.touchpoint, sample_percent=20,
                                             channel="link"))  # fmt: skip
    for i in range(100):
        interact(world, f"call-{i}", n=i)
    invited = Invitation.objects.count()
    sampled_out = Suppression.objects.filter(reason="sampled_out").count()
    assert invited + sampled_out == 100
    assert 8 <= invited <= 35
    # Deciding again for the same interactions draws the same way.
    for inv in Invitation.objects.select_related("interaction"):
        assert inv.interaction is not None
        assert do_trigger(inv.interaction).invitations == [inv]
    assert rule.pk is not None


def test_rule_conditions_team_and_no_email(world: World, other_world: World) -> None:
    do_add_rule(
        world.survey,
        RuleIn(team=world.team, conditions={"plan": ["gold", "platinum"]}),
    )
    gold = interact(world, "k1", 1, attributes={"plan": "gold"})
    basic = interact(world, "k2", 2, attributes={"plan": "basic"})
    assert len(gold.invitations) == 1 and basic.invitations == []
    no_mail = receive_interaction(
        world.org,
        InteractionIn(
            contact=contact_in(3, attributes={"plan": "gold"}).__class__(
                external_id="x3", attributes={"plan": "gold"}
            ),
            idempotency_key="k3",
            team=world.team,
        ),
    )
    assert no_mail.invitations == []
    assert Suppression.objects.get().reason == SuppressionReason.NO_EMAIL
    with pytest.raises(Exception) as err:
        do_add_rule(world.survey, RuleIn(team=other_world.team, sample_percent=0))
    assert "team" in str(err.value) and "sample_percent" in str(err.value)


def test_duplicate_interaction_makes_one_invitation_and_one_email(world: World, smtp: Any) -> None:
    do_add_rule(world.survey, RuleIn(touchpoint=world.touchpoint))
    first = interact(world, "same")
    second = interact(world, "same")
    assert first.invitations == second.invitations and len(first.invitations) == 1
    assert second.created is False
    assert len(smtp.inbox.messages) == 1 and Invitation.objects.count() == 1


def test_smtp_down_retries_with_backoff_and_delivers_when_back(world: World, smtp: Any) -> None:
    do_add_rule(world.survey, RuleIn(touchpoint=world.touchpoint))
    smtp.stop()
    start = clock.now()
    with clock.frozen_at(start):
        interact(world, "call-1")
    message = OutboxMessage.objects.get()
    assert (message.state, message.attempts) == (OutboxState.PENDING, 1)
    assert message.next_attempt_at == start + dt.timedelta(seconds=30)
    with clock.frozen_at(start + dt.timedelta(seconds=31)):
        assert sweep_outbox.call_local() == 1
    message.refresh_from_db()
    assert (message.state, message.attempts) == (OutboxState.PENDING, 2)
    assert message.next_attempt_at == start + dt.timedelta(seconds=91)
    smtp.start()
    with clock.frozen_at(start + dt.timedelta(seconds=60)):
        assert sweep_outbox.call_local() == 0  # not due yet: backoff is respected
    with clock.frozen_at(start + dt.timedelta(seconds=92)):
        assert sweep_outbox.call_local() == 1
        assert sweep_outbox.call_local() == 0
    message.refresh_from_db()
    assert (message.state, message.attempts) == (OutboxState.SENT, 3)
    assert len(smtp.inbox.to("customer1@example.com")) == 1


def test_worker_killed_before_commit_loses_nothing_and_sends_once(world: World, smtp: Any) -> None:
    do_add_rule(world.survey, RuleIn(touchpoint=world.touchpoint, delay_minutes=1))
    start = clock.now()
    with clock.frozen_at(start):
        [invitation] = interact(world, "call-1").invitations
    with clock.frozen_at(start + dt.timedelta(minutes=2)):
        # The sweeper claims the invitation and writes the email row, then dies.
        with pytest.raises(RuntimeError), transaction.atomic():
            do_send_invitation(invitation)
            raise RuntimeError("worker killed before commit")
        assert OutboxMessage.objects.count() == 0
        assert Invitation.objects.get().sent_at is None  # the claim went with it
        assert send_due() == (1, 0)
        assert send_due() == (0, 0)
        assert do_send_invitation(invitation) is False
    message = OutboxMessage.objects.get()
    assert message.state == OutboxState.SENT
    assert do_deliver(message.pk) == OutboxState.SENT  # a late duplicate job sends nothing
    assert len(smtp.inbox.messages) == 1


def test_claim_of_dead_worker_expires_then_sweeper_sends_once(world: World, smtp: Any) -> None:
    smtp.stop()  # keep the message pending so we can play the dying worker
    do_add_rule(world.survey, RuleIn(touchpoint=world.touchpoint))
    start = clock.now()
    with clock.frozen_at(start):
        interact(world, "call-1")
    smtp.start()
    message = OutboxMessage.objects.get()
    later = start + dt.timedelta(seconds=31)
    with clock.frozen_at(later):
        assert _claim(message.pk)  # a worker claims it ... and is killed
        assert sweep_outbox.call_local() == 0  # its claim still holds: no second sender
        assert do_deliver(message.pk) == OutboxState.SENDING
    with clock.frozen_at(later + dt.timedelta(seconds=CLAIM_SECONDS + 1)):
        assert sweep_outbox.call_local() == 1
        assert sweep_outbox.call_local() == 0
    message.refresh_from_db()
    assert message.state == OutboxState.SENT
    assert len(smtp.inbox.messages) == 1


def test_concurrent_triggers_cannot_both_pass_the_budget(world: World) -> None:
    do_set_survey_budget(world.org, min_days_between=30)
    do_add_rule(world.survey, RuleIn(touchpoint=world.touchpoint, channel="link"))
    interact(world, "warm-up", 1)  # creates the contact and its budget row
    Invitation.objects.all().delete()
    ContactBudget.objects.update(last_invited_at=None)
    race(4, lambda i: interact(world, f"race-{i}", 1))
    assert Invitation.objects.count() == 1
    assert Suppression.objects.filter(reason="budget").count() == 3


class _Refuse:
    """A mail server that knows no one: every recipient is refused with 550."""

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str,
                          rcpt_options: list[str]) -> str:  # fmt: skip
        return "550 5.1.1 no such user"


def test_refused_recipient_is_recorded_as_bounced_and_not_retried(
    world: World, settings: Any
) -> None:
    from aiosmtpd.controller import Controller

    from beacon.testing import free_port

    port = free_port()
    server = Controller(_Refuse(), hostname="127.0.0.1", port=port)
    server.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_USE_TLS = "127.0.0.1", port, False
    try:
        do_add_rule(world.survey, RuleIn(touchpoint=world.touchpoint))
        interact(world, "call-1")
    finally:
        server.stop()
    message = OutboxMessage.objects.get()
    assert message.state == OutboxState.BOUNCED and message.attempts == 1
    assert message.last_error.startswith("refused: 550 5.1.1 no such user")
    with clock.frozen_at(clock.now() + dt.timedelta(hours=2)):
        assert sweep_outbox.call_local() == 0


def test_email_in_the_contacts_language_with_translated_survey_text(
    world: World, smtp: Any
) -> None:
    world.survey.translations = {"de": {"title": "Wie war es?"}}
    world.survey.save()
    world.nps.translations = {"de": {"text": "Wie wahrscheinlich empfehlen Sie uns?"}}
    world.nps.save()
    do_add_rule(world.survey, RuleIn(touchpoint=world.touchpoint))
    [invitation] = interact(world, "call-1", attributes={"language": "de-CH"}).invitations
    assert invitation.language == "de"
    [mail] = smtp.inbox.messages
    body = parts(mail)
    assert mail["Subject"] == "Wie war es?"
    assert "Wie wahrscheinlich empfehlen Sie uns?" in body["text/plain"]
    assert "Nie wieder Umfragen von uns erhalten:" in body["text/plain"]
    assert '<html lang="de">' in body["text/html"] and "Von Umfragen abmelden" in body["text/html"]
    with clock.frozen_at(clock.now() + dt.timedelta(days=3, minutes=1)):
        assert send_due() == (0, 1)
    assert smtp.inbox.messages[1]["Subject"] == "Erinnerung: Wie war es?"
