"""A theme page: its NPS impact, trend, volume, sentiment, comments (masked by role as in
the feed), cases and actions, and "Create action" prefilled with the theme."""

from __future__ import annotations

import datetime as dt

import pytest

from beacon.analytics.tests.helpers import BASE, answered
from beacon.core import clock
from beacon.insights.corrections import do_correct_sentiment, do_correct_theme
from beacon.insights.models import Theme
from beacon.insights.taxonomy import do_create_theme
from beacon.insights.tests.test_pages import MASKED, PII, add_analyst
from beacon.loop.actions import do_open_case_for
from beacon.loop.improvements import ActionIn, do_create_action
from beacon.responses.models import Answer
from beacon.testing import World
from beacon.web.tests.helpers import add_viewer, logged_in, page
from beacon.web.views.feed import PAGE_SIZE

pytestmark = pytest.mark.django_db

NOW = BASE + dt.timedelta(days=3)


def _themed(world: World) -> Theme:
    """Three responses mention Price (scores 0, 10, 3), two do not (9, 10)."""
    world.org.min_sample_size = 2
    world.org.save()
    price = do_create_theme(world.org, "Price", "What it costs", ["too expensive"])
    comments = [PII, "Fair price", "Price went up", "Great staff", "Lovely staff"]
    responses = answered(world, [(s, None, c) for s, c in zip([0, 10, 3, 9, 10], comments,
                                                               strict=True)])  # fmt: skip
    sentiments = ["negative", "positive", "negative", "positive", "positive"]
    for i, (response, sentiment) in enumerate(zip(responses, sentiments, strict=True)):
        comment = Answer.objects.get(response=response, question=world.comment)
        if i < 3:
            do_correct_theme(comment, price, sentiment, actor=world.owner)
        do_correct_sentiment(comment, sentiment, actor=world.owner)
    case = do_open_case_for(responses[0])
    assert case is not None
    do_create_action(
        world.org.pk,
        ActionIn(title="Explain the new tariff", source="theme", owner=world.stage_owner,
                 deadline=dt.datetime(2030, 1, 1, tzinfo=dt.UTC), theme_id=price.pk),
    )  # fmt: skip
    return price


def test_a_theme_page_shows_what_the_theme_does_and_what_is_done_about_it(
    world: World, other_world: World
) -> None:
    price = _themed(world)
    analyst = logged_in(add_analyst(world))
    url = f"/insights/themes/{price.pk}/"
    with clock.frozen_at(NOW):
        html = page(analyst, url)
        viewer_html = page(logged_in(add_viewer(world)), url)
        owner_html = page(logged_in(world.owner), url)
    impact = html.split('id="impact"')[1].split("</section>")[0]
    assert "3 mention this theme" in impact
    # Share 3 of 5; NPS -33 (n=3) against 100 (n=2); overall 20 (n=5).
    assert '<th scope="row">Share that mention it</th><td class="num">60%</td>' in impact
    assert '<th scope="row">NPS of those that mention it</th><td class="num">-33</td>' in impact
    assert '<th scope="row">NPS of the others</th><td class="num">100</td>' in impact
    assert '<th scope="row">NPS of all</th><td class="num">20</td>' in impact
    difference = "Difference (mention it \N{MINUS SIGN} others)"
    assert f'<th scope="row">{difference}</th><td class="num">-133</td>' in impact
    assert '<th scope="row">Impact on overall NPS</th><td class="num">+80</td>' in impact
    trend = html.split('id="trend"')[1].split("</section>")[0]
    week = trend.split('<time datetime="2026-03-02">')[1].split("</tr>")[0]
    assert '<td class="num">3</td><td class="num">60%</td>' in week
    assert week.endswith(
        '<td class="num">-33</td><td class="num">-100 to 73</td><td class="num">3</td>'
    )
    sentiment = html.split('id="sentiment"')[1].split("</section>")[0]
    assert (
        '<th scope="row">Negative</th><td class="num">2</td><td class="num">67%</td>' in sentiment
    )
    assert (
        '<th scope="row">Positive</th><td class="num">1</td><td class="num">33%</td>' in sentiment
    )
    comments = html.split('id="comments"')[1].split("</section>")[0]
    assert "Newest comments first" in comments and "Fair price" in comments
    assert "Great staff" not in comments
    # Masked by role exactly as in the feed: analysts and viewers read "[email]".
    assert MASKED in comments and PII not in html and PII not in viewer_html
    assert PII in owner_html
    work = html.split('id="work"')[1].split("</section>")[0]
    assert "Cases on responses that mention it (1)" in work
    assert "Explain the new tariff" in work
    # Analysts plan actions and edit the theme; viewers see all the rest.
    assert f'href="/actions/?theme_id={price.pk}#new-action">Create action</a>' in html
    assert 'id="edit"' in html
    assert 'id="create-action"' not in viewer_html and 'id="edit"' not in viewer_html
    assert "Explain the new tariff" in viewer_html and "Newest comments first" in viewer_html
    # Another organisation's theme does not exist here.
    foreign = do_create_theme(other_world.org, "Secret")
    page(analyst, f"/insights/themes/{foreign.pk}/", expect=404)
    refused = page(analyst, url, expect=400, after="²")
    assert "after: not a position in this list of comments; showing the newest." in refused


def test_create_action_opens_the_form_with_the_theme_chosen(
    world: World, other_world: World
) -> None:
    price = do_create_theme(world.org, "Price")
    client = logged_in(add_analyst(world))
    html = page(client, "/actions/", theme_id=str(price.pk))
    form = html.split('id="new-action"')[1]
    assert f'<option value="{price.pk}" selected>Price</option>' in form
    assert '<option value="theme" selected>A theme</option>' in form
    foreign = do_create_theme(other_world.org, "Secret")
    refused = page(client, "/actions/", expect=400, theme_id=str(foreign.pk))
    assert "theme_id: choose one of this organisation&#x27;s themes" in refused


def test_comments_are_paged_and_load_more_answers_the_next_items(world: World) -> None:
    price = do_create_theme(world.org, "Price")
    responses = answered(world, [(5, None, f"price comment {i}") for i in range(PAGE_SIZE + 2)])
    for response in responses:
        comment = Answer.objects.get(response=response, question=world.comment)
        do_correct_theme(comment, price, "negative", actor=world.owner)
    client = logged_in(world.owner)
    url = f"/insights/themes/{price.pk}/"
    html = page(client, url)
    assert html.count('<article class="verbatim">') == PAGE_SIZE
    after = html.split('hx-get="?after=')[1].split('"')[0]
    more = client.get(
        url, {"after": after}, headers={"HX-Request": "true", "HX-Target": "load-more"}
    )
    items = more.content.decode()
    assert more.status_code == 200 and "<h1>" not in items
    assert items.count('<article class="verbatim">') == 2 and "hx-get" not in items
