"""The journey map in a browser: one click from a stage to its comments and its cases; the
persona poster printed on the chosen paper."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from beacon.testing import PASSWORD, World
from beacon.web.tests.helpers import answer, open_case

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# PDF points per page side: A4 is 595 x 842, A3 842 x 1191.
PAPER = {"a4": (595, 842), "a3": (842, 1191)}


def _log_in(page: Page, base: str, email: str) -> None:
    page.set_default_timeout(60_000)  # a busy machine: a slow first page is no failure
    page.goto(f"{base}/login/")
    page.fill('input[name="login"]', email)
    page.fill('input[name="password"]', PASSWORD)
    page.locator('form button[type="submit"]').first.click()
    expect(page).to_have_url(re.compile(r"/$"))


def test_from_a_stage_to_its_comments_and_cases(world: World, live_server: Any, page: Page) -> None:
    answer(world, nps=9, text="Quick and friendly help")
    case = open_case(world, text="Waited an hour on the phone")
    _log_in(page, live_server.url, world.agent.email)
    page.goto(f"{live_server.url}/cx/journey/")
    stage = page.locator(f"#stage-{world.stage.pk}")
    expect(stage.locator(".stage-counts")).to_contain_text("Open cases: 1")
    # The trend says in words what the arrow would show.
    expect(stage.locator(".trend .visually-hidden").first).to_have_text(
        "NPS: not enough answers to compare periods"
    )
    stage.get_by_role("link", name="Comments at Get help").click()
    expect(page).to_have_url(re.compile(rf"/verbatims/\?stage={world.stage.pk}$"))
    expect(page.locator("#results")).to_contain_text("Quick and friendly help")
    expect(page.locator('select[name="stage"]')).to_have_value(str(world.stage.pk))
    page.go_back()
    page.locator(f"#stage-{world.stage.pk}").get_by_role(
        "link", name="Open cases at Get help"
    ).click()
    expect(page).to_have_url(re.compile(rf"/cases/\?status=open&stage={world.stage.pk}$"))
    expect(page.get_by_role("link", name=case.title)).to_be_visible()


def test_the_persona_poster_prints_on_a4_and_a3(world: World, live_server: Any, page: Page) -> None:
    answer(world, nps=10, text="Fixed in one call")
    _log_in(page, live_server.url, world.owner.email)
    for size, (width, height) in PAPER.items():
        page.goto(f"{live_server.url}/cx/personas/{world.persona.pk}/poster/?size={size}")
        page.emulate_media(media="print")
        expect(page.locator("header.topbar")).to_be_hidden()
        expect(page.locator("form.filters")).to_be_hidden()
        expect(page.locator("#poster-title")).to_have_text("Busy professional")
        expect(page.locator(".poster-quote")).to_contain_text("Fixed in one call")
        pdf = page.pdf(prefer_css_page_size=True)
        boxes = re.findall(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", pdf)
        assert boxes, "no page in the PDF"
        assert {(round(float(w)), round(float(h))) for w, h in boxes} == {(width, height)}, size
        page.emulate_media(media="screen")
