"""axe-core on every staff page a member can reach: the test crawls the links from the
overview, so a page added later is checked without being listed here."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import urldefrag, urlsplit

import pytest
from playwright.sync_api import Page, expect

from beacon.alignment.actions import do_answer
from beacon.alignment.tests.helpers import answer_in, recipient, send_round
from beacon.analytics.actions import WallboardIn, do_create_wallboard
from beacon.insights.taxonomy import do_create_theme
from beacon.loop.tests.helpers import respond
from beacon.testing import PASSWORD, World
from tests.browser.axe import load_axe

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AXE = Path(__file__).resolve().parents[1] / "assets" / "axe.min.js"
# Not staff pages: signing out, respondent and public pages, the API, files and streams.
OUTSIDE = re.compile(r"^/(logout|s|api|wall|static|media)(/|$)")
MOST_PAGES = 120


def _log_in(page: Page, base: str, email: str) -> None:
    page.goto(f"{base}/login/")
    page.fill('input[name="login"]', email)
    page.fill('input[name="password"]', PASSWORD)
    page.locator('form button[type="submit"], form input[type="submit"]').first.click()
    expect(page).to_have_url(re.compile(r"/$"))


def _links(page: Page, base: str) -> list[str]:
    hrefs = page.evaluate(
        "() => [...document.querySelectorAll('a[href]:not([download])')].map(a => a.href)"
    )
    found = []
    for href in hrefs:
        url = urldefrag(href)[0]
        if not url.startswith(base):
            continue
        path = urlsplit(url).path
        is_file = "." in path.rsplit("/", 1)[-1]
        if OUTSIDE.match(path) or is_file or "download" in url or "format=" in url:
            continue
        found.append(url)
    return found


def _page_key(url: str) -> str:
    # One visit per page, whatever its filters: numbers in the path are ids of one kind.
    return re.sub(r"/\d+/", "/N/", urlsplit(url).path)


def _violations(page: Page) -> list[Any]:
    load_axe(page)
    return page.evaluate(
        "async () => (await axe.run(document)).violations"
        ".map(v => [v.id, v.nodes.slice(0, 2).map(n => n.html)])"
    )


def test_no_staff_page_has_accessibility_violations(
    world: World, live_server: Any, page: Page
) -> None:
    for n in range(1, 6):
        respond(world, n, nps=2 + n, csat=2, comment=f"Waited {n} days for a call back")
    do_create_wallboard(world.org, WallboardIn(name="Shop TV", metrics=["nps"]))
    # An answered alignment round: its results and report pages are linked from the list.
    do_answer(recipient(send_round(world), world.agent), answer_in(world))
    # The themes list links to a theme's page, and that to the action form it prefills.
    do_create_theme(world.org, "Call backs", phrases=["call back"])
    base = live_server.url
    _log_in(page, base, world.owner.email)
    queue, seen, problems = [f"{base}/"], set(), {}
    while queue and len(seen) < MOST_PAGES:
        url = queue.pop(0)
        key = _page_key(url)
        if key in seen:
            continue
        seen.add(key)
        answer = page.goto(url)
        assert answer is not None
        if "text/html" not in answer.headers.get("content-type", ""):
            continue
        assert answer.status == 200, (url, answer.status)
        found = _violations(page)
        if found:
            problems[urlsplit(url).path] = found
        queue.extend(_links(page, base))
    # Every group of the navigation was reached, and then some.
    assert len(seen) >= 30, sorted(seen)
    assert problems == {}
