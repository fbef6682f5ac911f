"""The whole loop in a real browser: a customer answers, staff see it and the case."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from beacon.contacts.actions import InteractionIn
from beacon.loop.models import Case
from beacon.pipeline.actions import receive_interaction
from beacon.testing import PASSWORD, World, contact_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

COMMENT = "Nobody called me back <b>twice</b> and I waited 40 minutes on hold."


def test_customer_answers_and_staff_see_the_answer_and_the_case(
    world: World, live_server, smtp, page: Page, tmp_path
) -> None:
    received = receive_interaction(
        world.org,
        InteractionIn(
            contact=contact_in(7),
            idempotency_key="call-7",
            touchpoint=world.touchpoint,
            team=world.team,
            staff=world.agent,
        ),
    )
    token = received.invitations[0].token

    page.goto(f"{live_server.url}/s/{token}/")
    expect(page.get_by_text("How likely are you to recommend us?")).to_be_visible()
    page.check('input[name="answer"][value="3"]')
    page.get_by_role("button", name="Next").click()
    page.get_by_role("button", name="Next").click()  # CSAT skipped
    page.get_by_role("button", name="Next").click()  # CES skipped
    page.locator("textarea").fill(COMMENT)
    page.get_by_role("button", name="Finish").click()
    expect(page.get_by_text("Thank you", exact=False).first).to_be_visible()

    case = Case.objects.get(response__invitation__token=token)
    assert case.owner == world.stage_owner
    mail = smtp.inbox.to(world.stage_owner.email)
    assert len(mail) == 1 and mail[0]["Subject"] == f"New follow-up case: {case.title}"

    page.goto(f"{live_server.url}/login/")
    page.fill('input[name="login"]', world.owner.email)
    page.fill('input[name="password"]', PASSWORD)
    page.locator('form button[type="submit"], form input[type="submit"]').first.click()
    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.get_by_text(COMMENT)).to_be_visible()
    # Kept for a person to look at when the test fails.
    page.screenshot(path=str(tmp_path / "overview.png"), full_page=True)

    page.goto(f"{live_server.url}/cases/")
    page.get_by_text(case.title).click()
    expect(page).to_have_url(re.compile(rf"/cases/{case.pk}/$"))
    # The answer, and the same response again in the customer's history, as text not markup.
    expect(page.get_by_role("definition").get_by_text(COMMENT)).to_be_visible()
    expect(page.locator("#history").get_by_text(COMMENT)).to_be_visible()
    expect(page.get_by_text(world.stage_owner.display_name).first).to_be_visible()
