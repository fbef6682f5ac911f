"""Authenticator-app two-factor with recovery codes, and the organisation's "2FA required"."""

from __future__ import annotations

import time

import pytest
from allauth.mfa.models import Authenticator
from django.test import Client

from beacon.accounts.actions import do_set_require_2fa
from beacon.accounts.tests.totp import totp_code
from beacon.testing import PASSWORD, World

pytestmark = pytest.mark.django_db


def signed_in(email: str) -> Client:
    client = Client()
    response = client.post("/login/", {"login": email, "password": PASSWORD})
    assert response.status_code == 302
    return client


def activate_totp(client: Client) -> str:
    """Set up an authenticator app as a member would; returns its secret."""
    page = client.get("/accounts/2fa/totp/activate/")
    # Changing two-factor asks for the password again first.
    assert (
        page["Location"] == "/accounts/reauthenticate/?next=%2Faccounts%2F2fa%2Ftotp%2Factivate%2F"
    )
    response = client.post(page["Location"], {"password": PASSWORD})
    assert response["Location"] == "/accounts/2fa/totp/activate/"
    page = client.get("/accounts/2fa/totp/activate/")
    assert page.status_code == 200
    secret = str(page.context["form"].secret)
    response = client.post("/accounts/2fa/totp/activate/", {"code": totp_code(secret)})
    assert response.status_code == 302, response.content.decode()[-2000:]
    return secret


def recovery_codes(client: Client) -> list[str]:
    page = client.get("/accounts/2fa/recovery-codes/")
    return list(page.context["unused_codes"])


def test_totp_then_sign_in_needs_a_code_and_a_recovery_code_works_once(world: World) -> None:
    email = world.agent.email
    first = signed_in(email)
    secret = activate_totp(first)
    assert Authenticator.objects.filter(user=world.agent.user, type="totp").count() == 1
    codes = recovery_codes(first)
    assert len(codes) == 10 and all(len(code) == 8 for code in codes)
    # The app's next code signs in (the one used to set it up cannot be replayed).
    assert signed_in_with_code(email, secret, time.time() + 30).get("/").status_code == 200

    # The password alone is not enough now.
    client = Client()
    response = client.post("/login/", {"login": email, "password": PASSWORD})
    assert response["Location"] == "/accounts/2fa/authenticate/"
    assert client.get("/")["Location"].startswith("/login/")
    wrong = client.post("/accounts/2fa/authenticate/", {"code": "000000"})
    assert wrong.status_code == 200 and "Incorrect code." in wrong.content.decode()
    # A recovery code signs in once.
    response = client.post("/accounts/2fa/authenticate/", {"code": codes[0]})
    assert response["Location"] == "/"
    assert client.get("/").status_code == 200
    again = Client()
    again.post("/login/", {"login": email, "password": PASSWORD})
    reused = again.post("/accounts/2fa/authenticate/", {"code": codes[0]})
    assert reused.status_code == 200 and "Incorrect code." in reused.content.decode()


def signed_in_with_code(email: str, secret: str, at: float) -> Client:
    client = Client()
    response = client.post("/login/", {"login": email, "password": PASSWORD})
    assert response["Location"] == "/accounts/2fa/authenticate/"
    response = client.post("/accounts/2fa/authenticate/", {"code": totp_code(secret, at)})
    assert response["Location"] == "/", response.content.decode()[-1500:]
    return client


def test_required_2fa_sends_a_member_to_set_it_up_first(world: World, other_world: World) -> None:
    do_set_require_2fa(world.org, True, actor=world.owner)
    client = signed_in(world.agent.email)
    for url in ("/", "/cases/", "/settings/sign-in/"):
        response = client.get(url)
        assert (
            response.status_code == 302 and response["Location"] == "/accounts/2fa/totp/activate/"
        )
    page = client.get("/accounts/2fa/totp/activate/", follow=True).content.decode()
    assert "Acme Telecom requires two-factor authentication." in page
    activate_totp(client)
    assert client.get("/").status_code == 200
    # Another organisation's members are not asked.
    assert signed_in(other_world.agent.email).get("/").status_code == 200
    # Turned off again, members without 2FA go straight in.
    do_set_require_2fa(world.org, False, actor=world.owner)
    assert signed_in(world.stage_owner.email).get("/").status_code == 200
