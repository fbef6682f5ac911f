"""The overview's "Needs attention" panel in a browser: an overdue case is named there and
one click lands on the list of overdue cases, where it is."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from beacon.core import clock
from beacon.loop.actions import do_open_case_for
from beacon.testing import PASSWORD, World
from beacon.web.tests.helpers import answer

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_overdue_case_is_one_click_from_the_overview(
    world: World, live_server: Any, page: Page
) -> None:
    with clock.frozen_at(clock.now() - dt.timedelta(days=5)):
        case = do_open_case_for(answer(world, nps=1, text="Nobody called back"))
    assert case is not None and case.due_at < clock.now()
    page.goto(f"{live_server.url}/login/")
    page.fill('input[name="login"]', world.owner.email)
    page.fill('input[name="password"]', PASSWORD)
    page.locator('form button[type="submit"]').first.click()
    expect(page).to_have_url(re.compile(r"/$"))
    panel = page.get_by_role("region", name="Needs attention")
    link = panel.get_by_role("link", name=re.compile(r"1 case is overdue"))
    expect(link).to_be_visible()
    link.click()
    expect(page).to_have_url(re.compile(r"/cases/\?overdue=1$"))
    expect(page.get_by_role("link", name=case.title)).to_be_visible()
