"""Inviting a colleague in a real browser: invite -> email -> accept -> set password -> in."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from beacon.orgs.models import Membership, Role
from beacon.testing import PASSWORD, SmtpServer, World

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_owner_invites_a_colleague_who_sets_a_password_and_is_signed_in(
    world: World, live_server: Any, smtp: SmtpServer, page: Page, browser: Browser
) -> None:
    page.goto(f"{live_server.url}/login/")
    page.fill('input[name="login"]', world.owner.email)
    page.fill('input[name="password"]', PASSWORD)
    page.locator('form button[type="submit"]').first.click()
    expect(page).to_have_url(re.compile(r"/$"))

    nav = page.get_by_role("navigation", name="Main")
    nav.locator("summary", has_text="Settings").click()
    nav.get_by_role("link", name="Members").click()
    expect(page).to_have_url(f"{live_server.url}/settings/members/")
    page.get_by_label("Email").fill("colleague@acme.test")
    page.get_by_label("Name").fill("Cora Colleague")
    page.get_by_label("Role").select_option("analyst")
    page.get_by_label("Department").select_option(label="Marketing")
    page.get_by_role("button", name="Send invitation").click()
    expect(page.get_by_text("Invitation sent to colleague@acme.test.")).to_be_visible()
    expect(page.get_by_role("row", name=re.compile("colleague@acme.test"))).to_be_visible()

    [mail] = smtp.inbox.to("colleague@acme.test")
    payload = mail.get_payload(decode=True)
    assert isinstance(payload, bytes)
    match = re.search(r"https?://[^/\s]+(/invite/[A-Za-z0-9_-]+/)", payload.decode())
    assert match, payload

    context = browser.new_context()  # the colleague's own browser, not signed in
    colleague = context.new_page()
    try:
        colleague.goto(f"{live_server.url}{match.group(1)}")
        expect(colleague.get_by_role("heading", name="Join Acme Telecom")).to_be_visible()
        expect(colleague.get_by_label("Your name")).to_have_value("Cora Colleague")
        colleague.locator("input[name=new_password1]").fill(PASSWORD)
        colleague.locator("input[name=new_password2]").fill(PASSWORD)
        colleague.get_by_role("button", name="Set password and sign in").click()
        expect(colleague).to_have_url(f"{live_server.url}/")
        expect(colleague.get_by_text("Welcome to Acme Telecom.")).to_be_visible()
        expect(colleague.locator(".who")).to_contain_text("Cora Colleague")
        expect(colleague.locator(".who .role")).to_have_text("Analyst")
    finally:
        context.close()

    member = Membership.objects.get(user__username="colleague@acme.test")
    assert (member.role, member.department.name if member.department else None) == (
        Role.ANALYST,
        "Marketing",
    )
    page.reload()
    row = page.get_by_role("row", name=re.compile("Cora Colleague"))
    expect(row).to_contain_text("Marketing")
    expect(page.get_by_text("No open invitations.")).to_be_visible()
