"""An alignment round end to end in a real browser: an admin sends it, a colleague reads
the email (real SMTP), answers through the link without signing in, and the admin sees
the result."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from beacon.testing import PASSWORD, SmtpServer, World
from tests.browser.axe import load_axe

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_round_is_sent_answered_from_the_email_and_its_result_shown(
    world: World, live_server: Any, smtp: SmtpServer, page: Page, browser: Browser
) -> None:
    page.goto(f"{live_server.url}/login/")
    page.fill('input[name="login"]', world.owner.email)
    page.fill('input[name="password"]', PASSWORD)
    page.locator('form button[type="submit"]').first.click()
    expect(page).to_have_url(re.compile(r"/$"))

    nav = page.get_by_role("navigation", name="Main")
    nav.locator("summary", has_text="Design").click()
    nav.get_by_role("link", name="Alignment").click()
    page.get_by_label("Title").fill("Winter alignment")
    page.get_by_label("Everyone (every role, the front line included)").check()
    page.get_by_role("button", name="Send the round").click()
    expect(page.get_by_text("“Winter alignment” was sent to 3 members.")).to_be_visible()
    expect(page.get_by_text("0 of 3 answered")).to_be_visible()

    [mail] = smtp.inbox.to(world.agent.email)
    payload = mail.get_payload(decode=True)
    assert isinstance(payload, bytes)
    match = re.search(r"https?://[^/\s]+(/alignment/[0-9a-f]+/)", payload.decode())
    assert match, payload

    context = browser.new_context()  # the colleague's own browser, not signed in
    colleague = context.new_page()
    try:
        colleague.goto(f"{live_server.url}{match.group(1)}")
        expect(colleague.get_by_role("heading", name="Winter alignment")).to_be_visible()
        load_axe(colleague)
        violations = colleague.evaluate(
            "async () => (await axe.run(document)).violations.map(v => v.id)"
        )
        assert violations == []
        colleague.get_by_label("First choice").select_option(label="Busy professional")
        who = colleague.get_by_label("Who is accountable for the customer's experience here?")
        who.nth(0).select_option(label="Olive Owner")
        who.nth(1).select_option(label="Sam Stage")
        colleague.get_by_label("Who is accountable for customer experience overall?").select_option(
            label="Don't know"
        )
        colleague.get_by_role("button", name="Send my answers").click()
        expect(colleague.get_by_text("your answers are saved")).to_be_visible()
        expect(colleague.get_by_text("You have answered.")).to_be_visible()
    finally:
        context.close()

    page.reload()
    expect(page.get_by_text("1 of 3 answered")).to_be_visible()
    stage_row = page.get_by_role("row", name=re.compile("^Get help"))
    expect(stage_row).to_contain_text("100% (100% to 100%, n=1)")
    overall = page.get_by_role("region", name="Who is accountable for customer experience overall?")
    expect(overall).to_contain_text("Don't know: 100% (100% to 100%, n=1)")
    expect(page.get_by_text("Unknown").first).to_be_visible()
