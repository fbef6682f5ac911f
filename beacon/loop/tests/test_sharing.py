from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from beacon.core import clock
from beacon.core.errors import Conflict, ValidationFailed
from beacon.insights.praise import do_record_praise
from beacon.loop.channels import do_create_channel
from beacon.loop.models import DigestSent, Recognition, SurveyConsent, WallPost
from beacon.loop.queries import praise_per_person, recognition_count, recognition_feed
from beacon.loop.sharing import (
    Verbatim,
    _verbatims,
    concerning,
    do_moderate_wall_post,
    do_queue_for_wall,
    do_recognise,
    do_record_survey_consent,
    do_set_digest,
    do_share_response,
    send_digests,
    stored_stories_of_the_day,
    stories_of_the_day,
    story_of_the_day,
)
from beacon.loop.tests.helpers import HookServer, part, respond
from beacon.notifications.actions import do_deliver
from beacon.notifications.models import OutboxMessage
from beacon.orgs.actions import (
    do_add_member,
    do_create_team,
    do_set_team_lead,
    do_update_organization,
)
from beacon.orgs.models import Role, Team
from beacon.pipeline.processing import process_response
from beacon.responses.models import Answer, Response
from beacon.testing import SmtpServer, World

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
    # Bill's team had no comments (his week is recorded as empty); the owner opted out.
    assert sent == {"Priya Agent": 1, "Sam Stage": 2, "Bill": 0}
    assert OutboxMessage.objects.filter(idempotency_key__startswith="digest:").count() == 2
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


def test_digests_go_out_once_the_organisations_local_hour_has_passed(
    world: World, other_world: World
) -> None:
    # Acme is in New York (UTC-5 in November) and wants digests at 08:00; Globex keeps UTC 06:00.
    do_update_organization(world.org, timezone="America/New_York", digest_hour=8)
    for w in (world, other_world):
        do_set_digest(w.agent, "daily")
        # Sunday 20:00 in New York is Monday 01:00 UTC: a comment of Sunday, local time.
        respond(w, 1, nps=3, comment="Nobody called back", staff=w.agent,
                at=dt.datetime(2026, 11, 2, 1, 0, tzinfo=dt.UTC))  # fmt: skip

    def digests() -> list[tuple[str, str]]:
        return sorted(DigestSent.objects.filter(verbatims__gt=0).values_list(
            "organization__name", "period"))  # fmt: skip

    # 06:30 UTC on Monday: Globex's hour has passed; in New York it is 01:30.
    with clock.frozen_at(dt.datetime(2026, 11, 2, 6, 30, tzinfo=dt.UTC)):
        # For Globex the comment was made on Monday (UTC): Monday's digests have nothing.
        assert send_digests() == 0
    # Its members' Monday is recorded as looked at (none of Acme's yet).
    assert DigestSent.objects.filter(organization=other_world.org).count() == 3
    assert not DigestSent.objects.filter(organization=world.org).exists()
    assert digests() == []
    # 12:45 UTC is 07:45 in New York: not yet.
    with clock.frozen_at(dt.datetime(2026, 11, 2, 12, 45, tzinfo=dt.UTC)):
        assert send_digests() == 0
    # 13:00 UTC is 08:00 in New York: Acme's Monday digests cover its Sunday.
    with clock.frozen_at(dt.datetime(2026, 11, 2, 13, 0, tzinfo=dt.UTC)):
        assert send_digests() == 2
        with CaptureQueriesContext(connection) as queries:
            assert send_digests() == 0  # the job runs again: nothing twice
    # and what is done costs a few queries per organisation, none per member.
    assert len(queries) == 1 + 4 * 2
    assert digests() == [("Acme Telecom", "2026-11-02"), ("Acme Telecom", "2026-W45")]
    # Tuesday 06:00 UTC: Globex's daily digest now covers its Monday, with the comment.
    with clock.frozen_at(dt.datetime(2026, 11, 3, 6, 0, tzinfo=dt.UTC)):
        assert send_digests() == 1
    [globex] = OutboxMessage.objects.filter(organization=other_world.org)
    assert (globex.recipient, globex.subject) == (
        other_world.agent.email, "What customers said (2026-11-03): 1 comments"
    )  # fmt: skip
    keys = OutboxMessage.objects.values_list("idempotency_key", flat=True)
    assert len(keys) == len(set(keys)) == 3


def test_the_digest_time_is_validated(world: World) -> None:
    with pytest.raises(ValidationFailed) as exc:
        do_update_organization(world.org, timezone="Mars/Olympus", digest_hour=24)
    assert exc.value.errors == {
        "timezone": "must be a time zone name such as Europe/London or UTC",
        "digest_hour": "must be an hour between 0 and 23",
    }
    world.org.refresh_from_db()
    assert (world.org.timezone, world.org.digest_hour) == ("UTC", 6)


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


def _story_picked_one_team_at_a_time(team: Team, candidates: int) -> Verbatim | None:
    """The story of the day as the page picked it before, team by team (the reference)."""
    now = clock.now()
    responses = Response.objects.for_org(team.organization_id).filter(
        team=team, responded_at__gte=now - dt.timedelta(days=7), responded_at__lte=now
    )
    found = _verbatims(responses, candidates)
    return max(found, key=lambda v: (min(len(v.text), 600), v.at)) if found else None


def test_every_teams_story_of_the_day_in_one_query_is_each_teams_own_pick(
    world: World, other_world: World
) -> None:
    billing = do_create_team(world.org, "Billing")
    sales = do_create_team(world.org, "Sales")
    quiet = do_create_team(world.org, "Quiet")
    stale = do_create_team(world.org, "Stale")
    hours = [MONDAY - dt.timedelta(hours=h) for h in range(200)]
    seeded = [
        # Support: two comments over 600 characters count as long as each other; the newer
        # wins. Redaction makes the phone number shorter; the old one is out of the week.
        (world.team, "y" * 650, hours[24]),
        (world.team, "x" * 700, hours[48]),
        (world.team, "short", hours[1]),
        (world.team, "Call me on 020 7946 0958 tomorrow", hours[2]),
        (world.team, "A very long story from last month " * 30, hours[170]),
        # Billing: the raw text of the older one is longer, its redacted text shorter; and
        # two of the same length at the same moment (the later written is the newer).
        (billing, "call 020 7946 0958 now", hours[30]),
        (billing, "twenty chars long!!!", hours[10]),
        (billing, "same length A", hours[5]),
        (billing, "same length B", hours[5]),
        # Sales: surrounding blanks do not count; the week's first moment is in it.
        (sales, "        padded        ", hours[3]),
        (sales, "plain comment", hours[168]),
        (stale, "Only an old comment here", hours[190]),
    ]
    for n, (team, comment, at) in enumerate(seeded, start=1):
        respond(world, n, nps=n % 11, comment=comment, team=team, at=at)
    respond(other_world, 1, nps=3, comment="Another organisation's much longer story " * 9)
    teams = [world.team, billing, sales, quiet, stale]
    with clock.frozen_at(MONDAY):
        for candidates in (1, 2, 3, 200):
            stories = stories_of_the_day(world.org.pk, [t.pk for t in teams], candidates)
            assert [stories.get(t.pk) for t in teams] == [
                _story_picked_one_team_at_a_time(t, candidates) for t in teams
            ]
        picked = {t.name: s.text for t in teams if (s := story_of_the_day(t)) is not None}
        two = stories_of_the_day(world.org.pk, [t.pk for t in teams], 2)
        # The page reads them as the worker stored them (jobs run at once in tests).
        stored = stored_stories_of_the_day(world.org.pk)
        assert stored.computed.as_of == MONDAY
        assert stored.stories == stories_of_the_day(world.org.pk, [t.pk for t in teams])
        queries = CaptureQueriesContext(connection)
        with queries:
            stories_of_the_day(world.org.pk, [t.pk for t in teams])
    assert picked == {
        "Support": "y" * 650,
        "Billing": "twenty chars long!!!",
        "Sales": "plain comment",
    }
    # Among the two newest only, Support's longer is the phone call (redacted), and
    # Billing's two are as long and as new as each other: the later written is taken.
    assert two[world.team.pk].text == "Call me on [phone] tomorrow"
    assert two[billing.pk].text == "same length B"
    # The ranked comments, the winners (with their surveys, stages, teams and staff), their
    # responses' answers and those answers' questions: as many queries whatever the teams.
    assert len(queries.captured_queries) == 4


def test_praise_per_person_counts_the_newest_praises_as_the_feed_read_them(
    world: World,
) -> None:
    namesake = do_add_member(
        world.org, "priya2@acme.test", role=Role.AGENT, display_name="Priya Agent"
    )
    staff = [world.agent, world.owner, namesake, world.stage_owner, world.agent, world.owner]
    for n, person in enumerate(staff, start=1):
        response = respond(world, n, nps=10)
        # The last two at the same moment: the later written is the newer.
        with clock.frozen_at(MONDAY + dt.timedelta(minutes=min(n, 5))):
            do_recognise(person, response, "top_score", notify=False)
    with clock.frozen_at(MONDAY + dt.timedelta(hours=1)):
        do_recognise(world.stage_owner, response, "named", notify=False)

    def counted_one_by_one(window: int) -> list[tuple[str, int]]:
        counts: dict[str, int] = {}
        for praise in recognition_feed(world.org, limit=window):
            counts[praise.staff.display_name] = counts.get(praise.staff.display_name, 0) + 1
        return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))

    for window in range(1, 10):
        assert praise_per_person(world.org, window) == counted_one_by_one(window)
    # Two members named Priya Agent are one row, as the page shows them.
    assert praise_per_person(world.org) == [
        ("Priya Agent", 3), ("Olive Owner", 2), ("Sam Stage", 2)
    ]  # fmt: skip
    assert praise_per_person(world.org, 2) == [("Olive Owner", 1), ("Sam Stage", 1)]
    assert praise_per_person(world.org, 3) == [
        ("Olive Owner", 1), ("Priya Agent", 1), ("Sam Stage", 1)
    ]  # fmt: skip


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
