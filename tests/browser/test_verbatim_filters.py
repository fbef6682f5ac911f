"""The verbatim feed's filters update the results in place, a refused filter included."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from beacon.surveys.actions import do_create_survey
from beacon.surveys.models import Survey
from beacon.testing import PASSWORD, World
from beacon.web.tests.helpers import answer

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_filter_that_became_unknown_shows_its_message_in_place(
    world: World, live_server: Any, page: Page
) -> None:
    answer(world, nps=3, text="The wait was far too long")
    gone = do_create_survey(world.org, "Retired survey", "Retired")
    page.goto(f"{live_server.url}/login/")
    page.fill('input[name="login"]', world.owner.email)
    page.fill('input[name="password"]', PASSWORD)
    page.locator('form button[type="submit"]').first.click()
    expect(page).to_have_url(re.compile(r"/$"))
    page.goto(f"{live_server.url}/verbatims/")
    expect(page.locator("#results")).to_contain_text("The wait was far too long")
    # The survey is removed after the page was drawn: choosing it is now a refused filter.
    Survey.objects.filter(pk=gone.pk).delete()
    with page.expect_response(lambda r: "/verbatims/" in r.url and r.status == 400):
        page.select_option('select[name="survey"]', str(gone.pk))
    results = page.locator("#results")
    expect(results).to_contain_text(
        f"survey: unknown survey '{gone.pk}'; the filter was not applied."
    )
    # The other filters still apply and the comments are still listed.
    expect(results).to_contain_text("The wait was far too long")
