"""Signing in with a password: reset by email, throttling, passwords turned off, sessions."""

from __future__ import annotations

import re
import time

import pytest
from allauth.usersessions.models import UserSession
from django.test import Client

from beacon.accounts.actions import SsoIn, do_save_sso_connection
from beacon.orgs.actions import do_add_member, do_deactivate_member, do_reactivate_member
from beacon.orgs.models import Role
from beacon.testing import PASSWORD, SmtpServer, World

pytestmark = pytest.mark.django_db

WRONG = "not the password"
THROTTLED = "Too many failed sign-in attempts for this account or from this network."


def sign_in(client: Client, email: str, password: str = PASSWORD) -> str:
    response = client.post("/login/", {"login": email, "password": password})
    if response.status_code == 302:
        return str(response["Location"])
    assert response.status_code == 200
    return response.content.decode()


def reset_link(smtp: SmtpServer, email: str) -> str:
    (mail,) = smtp.inbox.to(email)
    body = mail.get_payload(decode=True).decode()  # type: ignore[union-attr]
    match = re.search(r"http://testserver(/accounts/password/reset/key/\S+/)", body)
    assert match, body
    return match.group(1)


def test_password_reset_by_email_is_single_use(world: World, smtp: SmtpServer) -> None:
    client = Client()
    response = client.post("/accounts/password/reset/", {"email": world.agent.email})
    assert response.status_code == 302
    link = reset_link(smtp, world.agent.email)
    # The link answers with a form (allauth moves the key into the session first).
    form_url = client.get(link)["Location"]
    new = "a brand new passphrase 42"
    response = client.post(form_url, {"password1": new, "password2": new})
    assert response.status_code == 302
    assert sign_in(Client(), world.agent.email, PASSWORD).count("do not match an account") == 1
    assert sign_in(Client(), world.agent.email, new) == "/"
    # Used once: the same link now says so instead of offering the form.
    again = Client().get(link, follow=True).content.decode()
    assert "The password reset link was invalid" in again
    assert 'name="password1"' not in again


def test_an_expired_reset_link_is_refused(world: World, smtp: SmtpServer, settings) -> None:
    settings.PASSWORD_RESET_TIMEOUT = 1
    Client().post("/accounts/password/reset/", {"email": world.agent.email})
    link = reset_link(smtp, world.agent.email)
    time.sleep(2.1)
    html = Client().get(link, follow=True).content.decode()
    assert "The password reset link was invalid" in html


def test_reset_does_not_tell_whether_an_account_exists(world: World, smtp: SmtpServer) -> None:
    known = Client().post("/accounts/password/reset/", {"email": world.agent.email})
    unknown = Client().post("/accounts/password/reset/", {"email": "nobody@nowhere.test"})
    assert (known.status_code, known["Location"]) == (unknown.status_code, unknown["Location"])
    assert len(smtp.inbox.to(world.agent.email)) == 1
    # The stranger's mail says there is no account, and carries no reset link.
    (stranger,) = smtp.inbox.to("nobody@nowhere.test")
    assert "/accounts/password/reset/key/" not in stranger.get_payload(decode=True).decode()  # type: ignore[union-attr]


def test_ten_wrong_passwords_lock_the_account_for_a_while(world: World) -> None:
    client = Client()
    for _ in range(10):
        assert "do not match an account" in sign_in(client, world.agent.email, WRONG)
    # Even the right password is refused now, with a message saying why.
    html = sign_in(client, world.agent.email)
    assert THROTTLED in html
    # Another account from the same address is not locked (30 per address).
    assert sign_in(Client(), world.owner.email) == "/"


def test_a_successful_sign_in_does_not_count(world: World) -> None:
    client = Client()
    for _ in range(9):
        sign_in(client, world.agent.email, WRONG)
    for _ in range(3):
        assert sign_in(Client(), world.agent.email) == "/"
    assert "do not match an account" in sign_in(client, world.agent.email, WRONG)
    assert THROTTLED in sign_in(client, world.agent.email)


def test_too_many_failures_from_one_address_lock_it(world: World, settings) -> None:
    settings.ACCOUNT_RATE_LIMITS = {"login_failed": "3/15m/ip,10/15m/key"}
    client = Client()
    for n in range(3):
        sign_in(client, f"guess{n}@example.com", WRONG)
    assert THROTTLED in sign_in(client, world.owner.email)


def test_a_member_deactivated_everywhere_cannot_sign_in(world: World, other_world: World) -> None:
    do_deactivate_member(world.agent, actor=world.owner)
    html = sign_in(Client(), world.agent.email)
    assert "Your access to Beacon was deactivated. Ask an administrator." in html
    # Someone still active in another organisation signs in to that one.
    do_add_member(other_world.org, world.stage_owner.email, role=Role.AGENT, display_name="Sam")
    do_deactivate_member(world.stage_owner, actor=world.owner)
    assert sign_in(Client(), world.stage_owner.email) == "/"
    do_reactivate_member(world.agent, actor=world.owner)
    assert sign_in(Client(), world.agent.email) == "/"


def test_passwords_turned_off_by_the_organisations_sso(world: World, other_world: World) -> None:
    do_save_sso_connection(
        world.org,
        SsoIn(
            kind="oidc",
            domains=["acme-telecom.test"],
            oidc_issuer="https://idp.acme-telecom.test",
            oidc_client_id="beacon",
            oidc_client_secret="s3cret",
            disable_passwords=True,
        ),
    )
    html = sign_in(Client(), world.agent.email)
    assert "Your organisation signs in with single sign-on" in html
    # Another organisation's members still use their password.
    assert sign_in(Client(), other_world.agent.email) == "/"


def test_sessions_are_listed_and_ended_and_a_password_change_ends_the_others(
    world: World,
) -> None:
    laptop, phone = Client(), Client()
    assert sign_in(laptop, world.agent.email) == "/"
    assert sign_in(phone, world.agent.email) == "/"
    assert UserSession.objects.filter(user=world.agent.user).count() == 2
    html = laptop.get("/accounts/sessions/").content.decode()
    assert len(re.findall(r"<td\s*>\s*127\.0\.0\.1\s*</td>", html)) == 2
    assert "Current" in html
    # End the other sessions (the phone's) from the laptop.
    response = laptop.post("/accounts/sessions/")
    assert response.status_code == 302
    assert list(
        UserSession.objects.filter(user=world.agent.user).values_list("session_key", flat=True)
    ) == [laptop.session.session_key]
    assert phone.get("/").status_code == 302
    assert laptop.get("/").status_code == 200
    # Sign in on the phone again, then change the password on the laptop.
    assert sign_in(phone, world.agent.email) == "/"
    new = "another long passphrase 7"
    response = laptop.post(
        "/accounts/password/change/",
        {"oldpassword": PASSWORD, "password1": new, "password2": new},
    )
    assert response.status_code == 302
    assert phone.get("/")["Location"].startswith("/login/")
    assert laptop.get("/").status_code == 200
