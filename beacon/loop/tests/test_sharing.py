from __future__ import annotations

import datetime as dt

import pytest

from beacon.core import clock
from beacon.core.errors import Conflict, ValidationFailed
from beacon.insights.actions import do_record_praise
from beacon.loop.channels import do_create_channel
from beacon.loop.models import DigestSent, Recognition, SurveyConsent, WallPost
from beacon.loop.queries import recognition_count, recognition_feed
from beacon.loop.sharing import (
    concerning,
    do_moderate_wall_post,
    do_queue_for_wall,
    do_record_survey_consent,
    do_set_digest,
    do_share_response,
    send_digests,
    story_of_the_day,
)
from beacon.loop.tests.helpers import HookServer, part, respond
from beacon.notifications.actions import do_deliver
from beacon.notifications.models import OutboxMessage
from beacon.orgs.actions import do_add_member, do_create_team, do_set_team_lead
from beacon.orgs.models import Role
from beacon.pipeline.actions import process_response
from beacon.responses.models import Answer
from conftest import SmtpServer, World

pytestmark = pytest.mark.django_db

MONDAY = dt.datetime(2026, 11, 2, 6, 30, tzinfo=dt.UTC)


def test_daily_and_weekly_digests_with_what_concerns_each_member(
    world: World, smtp: SmtpServer
) -> None:
    other_team = do_create_team(world.org, "Billing")
    outsider = do_add_member(
        world.org, "bill@acme.test", role=Role.AGENT, display_name="Bill", team=other_team
    )
    do_set_digest(world.agent, "daily")
    do_set_digest(world.owner, "off")
    sunday = MONDAY - dt.timedelta(hours=12)
    respond(world, 1, nps=3, comment="The <b>agent</b> was rude", staff=world.agent, at=sunday)
    respond(world, 2, nps=9, comment="Fine", at=sunday - dt.timedelta(days=3))
    with clock.frozen_at(MONDAY):
        assert send_digests() == 2  # agent (daily) and stage owner (weekly, Monday)
        assert send_digests() == 0
    sent = dict(DigestSent.objects.values_list("member__display_name", "verbatims"))
    # Bill's team had no comments; the owner opted out.
    assert sent == {"Priya Agent": 1, "Sam Stage": 2}
    with clock.frozen_at(MONDAY + dt.timedelta(days=1)):
        assert send_digests() == 0  # Tuesday: nothing new for the daily, no weekly run
    for message in OutboxMessage.objects.filter(idempotency_key__startswith="digest:"):
        do_deliver(message.pk)
    [mail] = smtp.inbox.to(world.agent.email)
    assert mail["Subject"] == "What customers said (2026-11-02): 1 comments"
    assert "The &lt;b&gt;agent&lt;/b&gt; was rude" in part(mail, "text/html")
    assert smtp.inbox.to(outsider.email) == []
    with pytest.raises(ValidationFailed):
        do_set_digest(world.agent, "hourly")


def test_story_of_the_day_is_the_fullest_recent_comment_of_the_team(world: World) -> None:
    with clock.frozen_at(MONDAY - dt.timedelta(days=10)):
        respond(world, 1, nps=1, comment="An old and very very very long story " * 5)
    with clock.frozen_at(MONDAY - dt.timedelta(days=1)):
        respond(world, 2, nps=10, comment="Priya stayed on the line until my router worked")
        respond(world, 3, nps=6, comment="ok")
    with clock.frozen_at(MONDAY):
        story = story_of_the_day(world.team)
        assert story is not None
        assert (story.text, story.score, story.survey) == (
            "Priya stayed on the line until my router worked", 10, "Support follow-up"
        )  # fmt: skip
        assert len(concerning(world.stage_owner, MONDAY - dt.timedelta(days=2), MONDAY)) == 2


def test_top_score_praises_the_staff_member_and_tells_their_manager(world: World) -> None:
    lead = do_add_member(world.org, "lead@acme.test", role=Role.AGENT, display_name="Lee Lead")
    do_set_team_lead(world.team, lead)
    top = respond(world, 1, nps=10, comment="Priya was great", staff=world.agent)
    do_share_response(top)
    do_share_response(top)  # the pipeline may run twice: praise once
    do_share_response(respond(world, 2, nps=9, staff=world.agent))
    do_share_response(respond(world, 3, nps=10))  # no staff member named
    [praise] = Recognition.objects.all()
    assert (praise.staff, praise.kind, praise.text) == (world.agent, "top_score", "Priya was great")
    assert recognition_count(world.agent) == 1 and recognition_feed(world.org) == [praise]
    recipients = sorted(
        OutboxMessage.objects.filter(idempotency_key__startswith="recognition:").values_list(
            "recipient", "subject"
        )
    )
    assert recipients == [
        ("agent@acme-telecom.test", "A customer praised you"),
        ("lead@acme.test", "A customer praised Priya Agent"),
    ]


def test_wall_queue_needs_consent_and_stores_redacted_text(world: World) -> None:
    plain = respond(world, 1, nps=9, comment="Call me on +44 20 7946 0958")
    assert do_queue_for_wall(plain) is None
    do_record_survey_consent(world.survey, "We may publish your comment without your name.")
    response = respond(world, 2, nps=9, comment="Great! write to jo@example.com")
    do_share_response(response)
    post = WallPost.objects.get(response=response)
    assert (post.status, post.text, post.score) == ("pending", "Great! write to [email]", 9)
    post = do_moderate_wall_post(
        post, approve=True, actor=world.owner, text="Great, call +44 20 7946 0958",
        public_reply="Thank you!",
    )  # fmt: skip
    assert (post.status, post.text, post.public_reply) == (
        "approved", "Great, call [phone]", "Thank you!"
    )  # fmt: skip
    with pytest.raises(ValidationFailed):
        do_moderate_wall_post(post, approve=True, actor=world.owner, text="  ")
    SurveyConsent.objects.all().delete()
    with pytest.raises(Conflict):
        do_moderate_wall_post(post, approve=True, actor=world.owner)


def test_praise_insights_found_in_a_comment_joins_the_feed_once(world: World) -> None:
    response = respond(world, 1, nps=8, comment="Priya Agent sorted it in minutes")
    answer = Answer.objects.get(response=response, question=world.comment)
    do_record_praise(response, answer, world.agent, "Priya Agent sorted it in minutes")
    before = OutboxMessage.objects.count()
    do_share_response(response)
    do_share_response(response)
    [praise] = Recognition.objects.all()
    assert (praise.staff, praise.kind, praise.text) == (
        world.agent, "named", "Priya Agent sorted it in minutes"
    )  # fmt: skip
    # Insights already told Priya and her manager; loop sends nothing more.
    assert OutboxMessage.objects.count() == before


def test_the_pipeline_runs_the_loop_step(world: World, hooks: HookServer) -> None:
    channel = do_create_channel(world.org.pk, name="all", kind="webhook",
                                url=hooks.url("/all"), event="verbatim")  # fmt: skip
    response = respond(world, 1, nps=10, comment="Brilliant", staff=world.agent)
    process_response(response.pk)
    assert Recognition.objects.get().staff == world.agent
    message = OutboxMessage.objects.get(transport="webhook")
    assert (message.recipient, message.cause_id) == (channel.url, response.pk)
