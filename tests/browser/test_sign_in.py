"""Signing in as a member would: two-factor set up because the organisation requires it,
then a sign-in with a code; and the message after too many wrong passwords."""

from __future__ import annotations

import time
from typing import Any

import pytest
from allauth.mfa.models import Authenticator
from playwright.sync_api import Page, expect

from beacon.accounts.actions import do_set_require_2fa
from beacon.accounts.tests.totp import totp_code
from beacon.testing import PASSWORD, World

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def submit_password(page: Page, base: str, email: str, password: str = PASSWORD) -> None:
    page.goto(f"{base}/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in", exact=True).click()


def test_required_totp_is_set_up_then_signing_in_takes_a_code(
    world: World, live_server: Any, page: Page
) -> None:
    base = live_server.url
    do_set_require_2fa(world.org, True, actor=world.owner)
    submit_password(page, base, world.agent.email)
    # Sent to set up two-factor before any page; allauth asks for the password once more.
    expect(page).to_have_url(
        f"{base}/accounts/reauthenticate/?next=%2Faccounts%2F2fa%2Ftotp%2Factivate%2F"
    )
    expect(page.get_by_text("Acme Telecom requires two-factor authentication.")).to_be_visible()
    page.locator('input[name="password"]').fill(PASSWORD)
    page.locator('form button[type="submit"]').first.click()
    expect(page).to_have_url(f"{base}/accounts/2fa/totp/activate/")
    secret = page.locator("#authenticator_secret").input_value()
    page.locator('input[name="code"]').fill(totp_code(secret))
    page.locator('form button[type="submit"]').first.click()
    expect(page.get_by_text("Authenticator app activated.")).to_be_visible()
    page.goto(f"{base}/")
    expect(page.locator(".who")).to_contain_text("Priya Agent")
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(f"{base}/login/")

    submit_password(page, base, world.agent.email)
    expect(page).to_have_url(f"{base}/accounts/2fa/authenticate/")
    page.locator('input[name="code"]').fill("123456" if totp_code(secret) != "123456" else "654321")
    page.locator('form button[type="submit"]').first.click()
    expect(page.get_by_text("Incorrect code.")).to_be_visible()
    # The app's next code (the one used to set it up cannot be replayed).
    page.locator('input[name="code"]').fill(totp_code(secret, time.time() + 30))
    page.locator('form button[type="submit"]').first.click()
    expect(page).to_have_url(f"{base}/")
    expect(page.locator(".who")).to_contain_text("Priya Agent")


def test_ten_wrong_passwords_then_a_clear_message(
    world: World, live_server: Any, page: Page
) -> None:
    base = live_server.url
    for _ in range(10):
        submit_password(page, base, world.agent.email, "wrong password")
        expect(page.get_by_role("alert")).to_have_text(
            "That email and password do not match an account."
        )
    submit_password(page, base, world.agent.email)
    expect(page.get_by_role("alert")).to_have_text(
        "Too many failed sign-in attempts for this account or from this network. "
        "Try again in 15 minutes, or reset your password."
    )
    expect(page).to_have_url(f"{base}/login/")


def test_a_passkey_is_added_then_signs_in_without_a_password(
    world: World, live_server: Any, page: Page
) -> None:
    # Chromium's virtual authenticator stands in for the laptop's fingerprint reader.
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
            }
        },
    )
    base = live_server.url
    submit_password(page, base, world.agent.email)
    expect(page).to_have_url(f"{base}/")
    page.goto(f"{base}/accounts/2fa/webauthn/add/")
    page.locator('input[name="password"]').fill(PASSWORD)
    page.locator('form button[type="submit"]').first.click()
    expect(page).to_have_url(f"{base}/accounts/2fa/webauthn/add/")
    page.locator('input[name="name"]').fill("Work laptop")
    page.locator('input[name="passwordless"]').check()
    page.locator("#mfa_webauthn_add").click()
    expect(page.get_by_text("Security key added.")).to_be_visible()
    assert Authenticator.objects.filter(user=world.agent.user, type="webauthn").count() == 1
    page.goto(f"{base}/")
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(f"{base}/login/")

    page.get_by_role("button", name="Sign in with a passkey").click()
    expect(page).to_have_url(f"{base}/")
    expect(page.locator(".who")).to_contain_text("Priya Agent")
