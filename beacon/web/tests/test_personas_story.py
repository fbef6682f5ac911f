"""Persona posters and the meeting opener: figures for the persona, comments masked by role
exactly as on the verbatim feed, cross-tenant and role rules."""

from __future__ import annotations

import datetime as dt

import pytest

from beacon.core import clock
from beacon.cxmodel.actions import do_add_need
from beacon.loop.actions import do_create_root_cause, do_resolve_case
from beacon.loop.improvements import ActionIn, do_create_action, do_set_action_status
from beacon.loop.models import CustomerUpdate
from beacon.loop.updates import do_approve_customer_update, do_send_approved_batch
from beacon.responses.queries import verbatims
from beacon.testing import World
from beacon.web.tests.helpers import add_viewer, answer, logged_in, open_case, page
from beacon.web.views import personas

pytestmark = pytest.mark.django_db

SECRET = "write to me at jo.bloggs@example.com"
CLOSING = "What\N{RIGHT SINGLE QUOTATION MARK}s in it for our customers?"


def test_the_poster_shows_needs_scores_and_two_recent_comments(
    world: World, other_world: World
) -> None:
    do_add_need(world.stage, "A fix in one call", "No second call", owner=world.agent,
                persona=world.persona)  # fmt: skip
    for i in range(30):
        answer(world, nps=10, when=clock.now() - dt.timedelta(days=i + 2))
    answer(world, nps=9, text="Older comment", when=clock.now() - dt.timedelta(days=1))
    answer(world, nps=3, text="No persona here", persona=False, when=clock.now())
    answer(world, nps=4, text=f"Slow, {SECRET}", when=clock.now() - dt.timedelta(hours=2))
    answer(world, nps=8, text="Fine now", when=clock.now() - dt.timedelta(hours=1))
    answer(other_world, nps=0, text="Globex words")
    url = f"/cx/personas/{world.persona.pk}/poster/"
    html = page(logged_in(add_viewer(world)), url)
    assert '<h1 id="poster-title">Busy professional</h1>' in html
    assert "A fix in one call" in html and "Get help" in html
    assert "<strong>100</strong>" not in html  # four comments of 33 responses moved NPS
    assert "n=33" in html  # the persona's responses only
    assert "Fine now" in html and "Slow, write to me at [email]" in html
    assert "Older comment" not in html and "No persona here" not in html
    assert "Globex words" not in html and "jo.bloggs" not in html
    # Those who deal with customers see what was written, as on the verbatim feed.
    assert SECRET in page(logged_in(world.agent), url)
    assert 'class="poster poster-a3"' in page(logged_in(world.agent), url, size="a3")
    bad = page(logged_in(world.agent), url, expect=400, size="a0")
    assert "<li>size: must be a4 or a3</li>" in bad


@pytest.mark.parametrize(("per_look", "looks"), [(500, 10), (3, 4), (2, 2)])
def test_the_posters_comments_are_the_feeds_newest(
    world: World, other_world: World, monkeypatch: pytest.MonkeyPatch, per_look: int, looks: int
) -> None:
    """Looked for among the newest responses a few at a time (here in windows small enough
    to take several, and to give up and ask the feed's query), the comments are the
    verbatim feed's newest two of the persona."""
    monkeypatch.setattr(personas, "RESPONSES_PER_LOOK", per_look)
    monkeypatch.setattr(personas, "LOOKS", looks)
    now = clock.now()
    answer(world, nps=9, text="Oldest", when=now - dt.timedelta(days=20))
    answer(world, nps=9, text="Second", when=now - dt.timedelta(days=10))
    for i in range(7):
        answer(world, nps=10, when=now - dt.timedelta(days=i + 1))
    answer(world, nps=3, text="No persona here", persona=False, when=now)
    answer(other_world, nps=0, text="Globex words", when=now)
    feed = list(verbatims(world.org, response__persona_id=world.persona.pk)[:2])
    shown = personas._newest_comments(world.org, world.persona.pk, 2)
    assert [a.text for a in shown] == [a.text for a in feed] == ["Second", "Oldest"]
    assert [a.response.survey.name for a in shown] == [world.survey.name] * 2


def test_another_organisations_persona_has_no_poster(world: World, other_world: World) -> None:
    page(logged_in(world.owner), f"/cx/personas/{other_world.persona.pk}/poster/", expect=404)


def _story(world: World) -> None:
    case = open_case(world, text=f"Took an hour, {SECRET}")
    cause = do_create_root_cause(world.org.pk, "queue", "Long queue")
    do_resolve_case(case, cause, "Called back on jo.bloggs@example.com", actor=world.agent)
    action = do_create_action(world.org.pk, ActionIn(
        title="Shorter queue", source="cases", owner=world.agent,
        deadline=clock.now() + dt.timedelta(days=9), cases=[case],
        public_summary="We added evening staff",
    ))  # fmt: skip
    do_set_action_status(action, "done", actor=world.agent)  # drafts the customer's update
    update = CustomerUpdate.objects.get(action=action)
    do_approve_customer_update(update, actor=world.agent)
    assert do_send_approved_batch(world.org.pk) == 1  # approved ones leave at the set rate
    # A newer comment whose case is not resolved is not the story.
    open_case(world, text="Still waiting")


def test_the_meeting_opener_tells_what_happened_next(world: World, other_world: World) -> None:
    empty = page(logged_in(world.agent), "/cx/story/")
    assert "No comment qualifies yet" in empty
    assert CLOSING in empty
    _story(world)
    open_case(other_world, text="Globex story")
    html = page(logged_in(world.agent), "/cx/story/")
    assert "The most recent customer comment whose follow-up case was resolved" in html
    assert f"Took an hour, {SECRET}" in html and "Still waiting" not in html
    assert "root cause: Long queue" in html and "Called back on jo.bloggs@example.com" in html
    assert "Shorter queue</a> (done, " in html and "We added evening staff" in html
    # The message as the customer got it: the organisation's wording, not the action's title.
    assert "“You told us, and we changed it”" in html and "We added evening staff" in html
    assert CLOSING in html
    assert "Globex story" not in html
    masked = page(logged_in(add_viewer(world)), "/cx/story/")
    assert "Took an hour, write to me at [email]" in masked
    assert "Called back on [email]" in masked and "jo.bloggs" not in masked
