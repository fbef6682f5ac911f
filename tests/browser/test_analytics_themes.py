"""The analytics explorer in a real browser: filtered by a theme, broken down by theme."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from beacon.analytics.tests.helpers import said
from beacon.insights.taxonomy import do_create_theme
from beacon.testing import World
from tests.browser.axe import load_axe
from tests.browser.test_navigation import _log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AXE = Path(__file__).resolve().parents[1] / "assets" / "axe.min.js"


def test_explorer_filters_by_a_theme(world: World, live_server: Any, page: Page) -> None:
    world.org.min_sample_size = 5
    world.org.save()
    price = do_create_theme(world.org, "Price")
    staff = do_create_theme(world.org, "Staff")
    said(world, [(2, {price: "negative"}, "negative")] * 6, prefix="p")
    said(world, [(10, {staff: "positive"}, "positive")] * 6, prefix="s")

    _log_in(page, live_server.url, world.owner.email)
    page.goto(f"{live_server.url}/analytics/?start=2026-03-01&end=2026-03-31")
    page.select_option("#theme_id", label="Price")
    page.select_option("#dimension", value="theme")
    page.get_by_role("button", name="Show").click()
    expect(page.locator("#theme_id")).to_have_value(str(price.pk))
    table = page.locator("section[aria-labelledby=breakdown-title] table")
    expect(table.locator("tr", has_text="Price")).to_contain_text("-100")
    expect(table.locator("tr", has_text="Staff")).to_contain_text("Not enough answers")
    load_axe(page)
    violations = page.evaluate(
        "async () => (await axe.run('main')).violations.map(v => [v.id, v.nodes.map(n => n.html)])"
    )
    assert violations == []
    table.locator("tr", has_text="Price").get_by_role("link", name="Read").click()
    expect(page.locator("main")).to_contain_text("a comment")
    # Only the six comments about price, not the six about staff.
    expect(page.locator("main blockquote")).to_have_count(6)
