"""The grouped main navigation: reachable by keyboard, announced properly, fine without JS."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from beacon.testing import PASSWORD, World
from tests.browser.axe import load_axe

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AXE = Path(__file__).resolve().parents[1] / "assets" / "axe.min.js"
GROUPS = ["Listen", "Act", "Design", "Settings"]


def _log_in(page: Page, base: str, email: str) -> None:
    page.goto(f"{base}/login/")
    page.fill('input[name="login"]', email)
    page.fill('input[name="password"]', PASSWORD)
    page.locator('form button[type="submit"], form input[type="submit"]').first.click()
    expect(page).to_have_url(re.compile(r"/$"))


def _focused(page: Page) -> str:
    return str(page.evaluate("() => document.activeElement.textContent.trim()"))


def _tab_to(page: Page, label: str, limit: int = 20) -> list[str]:
    """Press Tab until the element named `label` has focus; returns every stop on the way."""
    stops = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        stops.append(_focused(page))
        if stops[-1] == label:
            return stops
    raise AssertionError(f"{label!r} never got focus; stops: {stops}")


def _group(page: Page, name: str) -> Any:
    return page.locator("nav.mainnav details.navgroup").filter(
        has=page.locator("summary", has_text=name)
    )


def test_a_page_is_reached_through_a_group_by_keyboard_alone(
    world: World, live_server: Any, page: Page
) -> None:
    _log_in(page, live_server.url, world.owner.email)
    nav = page.get_by_role("navigation", name="Main")
    # Two direct links, then one button per group; the groups' links are hidden until opened.
    expect(nav.locator("summary")).to_have_text(GROUPS)
    expect(nav.get_by_role("link", name="Actions")).to_be_hidden()
    stops = _tab_to(page, "Act")
    assert stops[-4:] == ["Overview", "My work", "Listen", "Act"]
    page.keyboard.press("Enter")
    expect(_group(page, "Act")).to_have_attribute("open", "")
    assert _tab_to(page, "Actions", limit=3) == ["Cases", "Customers", "Actions"]
    page.keyboard.press("Enter")
    expect(page).to_have_url(f"{live_server.url}/actions/")
    # The page's link is marked current, and its group says it holds the current page.
    expect(nav.locator('a[aria-current="page"]')).to_have_text("Actions")
    expect(nav.locator("summary.current")).to_have_text("Act (current section)")
    # One group open at a time; Escape closes it and gives focus back to its button.
    _tab_to(page, "Listen")
    page.keyboard.press("Enter")
    _tab_to(page, "Design")
    page.keyboard.press("Enter")
    expect(_group(page, "Design")).to_have_attribute("open", "")
    expect(_group(page, "Listen")).not_to_have_attribute("open", "")
    page.keyboard.press("Tab")
    assert _focused(page) == "Surveys"
    page.keyboard.press("Escape")
    expect(_group(page, "Design")).not_to_have_attribute("open", "")
    assert _focused(page) == "Design"


def test_the_open_navigation_has_no_accessibility_violations(
    world: World, live_server: Any, page: Page
) -> None:
    _log_in(page, live_server.url, world.owner.email)
    page.goto(f"{live_server.url}/cases/")
    _group(page, "Settings").locator("summary").click()
    expect(page.get_by_role("link", name="Public wall")).to_be_visible()
    load_axe(page)
    violations = page.evaluate(
        "async () => (await axe.run('nav.mainnav')).violations.map(v => v.id)"
    )
    assert violations == []


def test_the_navigation_works_without_javascript(
    world: World, live_server: Any, browser: Browser
) -> None:
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    try:
        _log_in(page, live_server.url, world.agent.email)
        # Native disclosure: Space on the focused button opens the group, no script needed.
        _tab_to(page, "Design")
        page.keyboard.press("Space")
        page.get_by_role("link", name="Journey").click()
        expect(page).to_have_url(f"{live_server.url}/cx/journey/")
        nav = page.get_by_role("navigation", name="Main")
        expect(nav.locator('a[aria-current="page"]')).to_have_text("Journey")
        # An agent sees no admin pages in the groups.
        expect(nav.get_by_role("link", name="Imports")).to_have_count(0)
        expect(nav.get_by_role("link", name="Channels")).to_have_count(0)
        expect(nav.locator("a", has_text="Your digest")).to_have_count(1)
    finally:
        context.close()
