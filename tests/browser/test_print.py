"""Printing staff pages: no navigation, charts within the page, intervals kept."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from beacon.core import clock
from beacon.testing import PASSWORD, World
from beacon.web.tests.helpers import answer

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# A4 at 96 dpi less 15 mm margins each side.
PRINT_WIDTH = 680
PAGES = [
    "/",
    "/analytics/",
    "/verbatims/",
    "/cases/?status=all",
    "/actions/",
    "/insights/",
    "/reports/pack/",
    "/imports/",
    "/surveys/",
    "/cx/journey/",
    "/cx/story/",
]


def _log_in(page: Page, base: str, email: str) -> None:
    # The machine may be busy: a slow first page is not a failure of printing.
    page.set_default_timeout(60_000)
    page.goto(f"{base}/login/")
    page.fill('input[name="login"]', email)
    page.fill('input[name="password"]', PASSWORD)
    page.locator('form button[type="submit"], form input[type="submit"]').first.click()
    expect(page).to_have_url(re.compile(r"/$"))


def test_printed_overview_keeps_numbers_and_intervals_without_navigation(
    world: World, live_server: Any, page: Page
) -> None:
    for i in range(32):
        answer(
            world,
            nps=[10, 9, 7, 3][i % 4],
            text="Quick help",
            when=clock.now() - dt.timedelta(days=i % 20),
        )
    _log_in(page, live_server.url, world.owner.email)
    page.set_viewport_size({"width": PRINT_WIDTH, "height": 1000})
    page.goto(f"{live_server.url}/")
    page.emulate_media(media="print")
    page.evaluate("() => window.dispatchEvent(new Event('beforeprint'))")
    expect(page.locator("header.topbar")).to_be_hidden()
    expect(page.get_by_role("button", name="Sign out")).to_be_hidden()
    interval = page.locator(".metric-interval").first
    expect(interval).to_be_visible()
    expect(interval).to_contain_text("95% interval")
    chart = page.locator("#trend-chart svg")
    expect(chart).to_be_visible()
    box = chart.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PRINT_WIDTH + 1
    # The numbers behind the chart are printed too.
    expect(page.locator("details.chart-table table").first).to_be_visible()
    page.emulate_media(media="screen")
    expect(page.locator("header.topbar")).to_be_visible()


def test_every_staff_page_prints_without_navigation_or_overflow(
    world: World, live_server: Any, page: Page
) -> None:
    _log_in(page, live_server.url, world.owner.email)
    page.set_viewport_size({"width": PRINT_WIDTH, "height": 1000})
    page.emulate_media(media="print")
    for path in PAGES:
        response = page.goto(f"{live_server.url}{path}")
        assert response is not None and response.status == 200, path
        expect(page.locator("header.topbar")).to_be_hidden()
        expect(page.locator(".export-links")).to_have_count(page.locator(".export-links").count())
        for el in page.locator(".export-links, form.filters").all():
            expect(el).to_be_hidden()
        overflow = page.evaluate("() => document.documentElement.scrollWidth")
        assert overflow <= PRINT_WIDTH + 1, (path, overflow)
        h1 = page.locator("main h1").first
        expect(h1).to_be_visible()
