"""Themes and sentiment on the staff analytics pages: explore filters and theme drivers."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from beacon.analytics.tests.helpers import BASE, said
from beacon.core import clock
from beacon.insights.models import Theme
from beacon.insights.taxonomy import do_create_theme
from beacon.testing import World

pytestmark = pytest.mark.django_db

NOW = BASE + dt.timedelta(days=10)


@pytest.fixture
def themed(world: World) -> tuple[World, Theme, Theme]:
    world.org.min_sample_size = 10
    world.org.save()
    price = do_create_theme(world.org, "Price")
    staff = do_create_theme(world.org, "Staff")
    said(world, [(2, {price: "negative"}, "negative")] * 20, prefix="p")
    said(world, [(10, {staff: "positive"}, "positive")] * 12, prefix="s")
    return world, price, staff


def _get(world: World, path: str, params: dict[str, str | int]) -> str:
    client = Client()
    client.force_login(world.owner.user)
    with clock.frozen_at(NOW):
        page = client.get(path, params)
    assert page.status_code == 200
    return page.content.decode()


def test_explore_filters_by_theme_and_breaks_down_by_theme(
    themed: tuple[World, Theme, Theme],
) -> None:
    world, price, _staff = themed
    html = _get(world, "/analytics/", {"dimension": "theme", "theme_id": price.pk})
    assert f'<option value="{price.pk}" selected>Price</option>' in html
    # Only the responses about price: 20 of them, all detractors; none mention staff.
    assert '<th scope="row">Price</th>\n    <td class="num">-100</td>' in html
    assert f"theme_id={price.pk}&amp;metric=nps" in html  # its comments, one click away
    assert "Not enough answers (n = 0 of 10 needed)" in html  # the Staff row
    drill = _get(world, "/analytics/comments/", {"theme_id": price.pk, "sentiment": "negative"})
    assert "· about Price · negative · NPS" in drill
    assert drill.count("a comment") == 20
    # The theme alone narrows the comments too: 20 of the 32.
    assert _get(world, "/analytics/comments/", {}).count("a comment") == 32
    assert _get(world, "/analytics/comments/", {"theme_id": price.pk}).count("a comment") == 20
    by_sentiment = _get(world, "/analytics/", {"dimension": "sentiment", "sentiment": "positive"})
    assert '<option value="positive" selected>positive</option>' in by_sentiment
    assert '<th scope="row">positive</th>\n    <td class="num">100</td>' in by_sentiment
    assert "sentiment=positive&amp;metric=nps" in by_sentiment


def test_explore_names_an_unknown_theme_or_sentiment(world: World, other_world: World) -> None:
    theirs = do_create_theme(other_world.org, "Price")
    html = _get(world, "/analytics/", {"theme_id": theirs.pk, "sentiment": "angry"})
    assert "<strong>theme_id</strong>: not found in this organisation" in html
    assert "<strong>sentiment</strong>: unknown sentiment &#x27;angry&#x27;" in html
    assert "<strong>theme_id</strong>: must be an id" in _get(
        world, "/analytics/", {"theme_id": "x"}
    )


def test_drivers_page_shows_themes_with_nps_with_and_without(
    themed: tuple[World, Theme, Theme],
) -> None:
    world, _, _ = themed
    html = _get(world, "/analytics/drivers/", {})
    assert "Themes that move NPS" in html
    # Price: 20 of 32 mention it (62.5%), NPS -100 against 100 for the rest: 200 points
    # apart; were they like the rest, NPS would rise by 20/32 x 200 = 125 points.
    assert '<th scope="row">Price</th>\n    <td class="num">20 (63%)</td>' in html
    assert "+125.0 (+125.0 to +125.0)" in html
    assert "-200.0 (-200.0 to -200.0)" in html
