"""Single sign-on in a real browser against real identity providers on loopback."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from django.contrib.auth import get_user_model
from playwright.sync_api import Browser, Page, expect

from beacon.accounts.actions import SsoIn, do_save_sso_connection
from beacon.accounts.events import AccountsEvent
from beacon.orgs.models import Event, Membership
from beacon.testing import World
from tests.idp.fixtures import connect_oidc
from tests.idp.oidc import OidcProvider
from tests.idp.saml import SamlIdp

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def idp_page(browser: Browser) -> Iterator[Page]:
    # The identity provider's certificate is self-signed.
    context = browser.new_context(ignore_https_errors=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def sso(page: Page, base: str, typed_at_beacon: str, signed_in_at_idp: str) -> None:
    """Sign in with SSO: the email typed at Beacon, then who signs in at the provider."""
    page.goto(f"{base}/login/")
    page.get_by_role("link", name="Sign in with SSO").click()
    page.get_by_label("Work email").fill(typed_at_beacon)
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name="Company sign-in")).to_be_visible()
    page.get_by_label("Company email").fill(signed_in_at_idp)
    page.get_by_role("button", name="Sign in at the identity provider").click()


def joins(page: Page, base: str, world: World, email: str, name: str, role: str) -> None:
    """Someone new from the company's domain signs in and joins with the default role."""
    sso(page, base, email, email)
    expect(page).to_have_url(f"{base}/")
    expect(page.locator(".who")).to_contain_text(name)
    member = Membership.objects.get(organization=world.org, user__email=email)
    assert (member.role, member.display_name) == (role, name)
    assert Event.objects.filter(verb=AccountsEvent.SSO_JOINED, subject_id=member.pk).count() == 1
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(f"{base}/login/")


def outsider_is_refused(page: Page, base: str) -> None:
    """The provider vouching for an address outside the allowed domains is refused."""
    sso(page, base, "someone@acme-telecom.test", "mallory@evil.test")
    expect(page.get_by_role("alert")).to_have_text(
        "mallory@evil.test cannot sign in to Acme Telecom with single sign-on: "
        "only addresses at acme-telecom.test can."
    )
    assert not get_user_model().objects.filter(email="mallory@evil.test").exists()
    page.goto(f"{base}/")
    expect(page).to_have_url(f"{base}/login/?next=/")


def test_openid_connect_joins_signs_in_and_refuses_another_domain(
    world: World, live_server: Any, oidc: OidcProvider, idp_page: Page
) -> None:
    connection = connect_oidc(world.org, oidc, jit_enabled=True, default_role="agent")
    oidc.allow_redirect(f"{live_server.url}/accounts/oidc/{connection.provider_id}/login/callback/")
    oidc.add_user("nina.new@acme-telecom.test", "Nina", "New")
    oidc.add_user(world.agent.email, "Priya", "Agent")
    oidc.add_user("mallory@evil.test", "Mallory", "Outsider")
    page, base = idp_page, live_server.url

    joins(page, base, world, "nina.new@acme-telecom.test", "Nina New", "agent")
    # An existing member signs in to their own account, no second membership.
    sso(page, base, world.agent.email, world.agent.email)
    expect(page.locator(".who")).to_contain_text("Priya Agent")
    assert Membership.objects.filter(user__email=world.agent.email).count() == 1
    page.get_by_role("button", name="Sign out").click()
    outsider_is_refused(page, base)


def test_saml_joins_signs_in_and_refuses_another_domain_and_a_forged_signature(
    world: World, live_server: Any, saml: SamlIdp, idp_page: Page, tmp_path: Path
) -> None:
    connection = do_save_sso_connection(
        world.org,
        SsoIn(
            kind="saml",
            domains=["acme-telecom.test"],
            saml_metadata=saml.metadata,
            jit_enabled=True,
            default_role="viewer",
        ),
    )
    # The IdP's admin loads Beacon's service-provider metadata, as from the settings page.
    sp_metadata = requests.get(
        f"{live_server.url}/accounts/saml/{connection.provider_id}/metadata/", timeout=60
    )
    assert sp_metadata.status_code == 200
    saml.trust(sp_metadata.text)
    saml.add_user("sara.saml@acme-telecom.test", "Sara", "Saml")
    saml.add_user("mallory@evil.test", "Mallory", "Outsider")
    page, base = idp_page, live_server.url

    joins(page, base, world, "sara.saml@acme-telecom.test", "Sara Saml", "viewer")
    outsider_is_refused(page, base)
    # An answer signed with a key other than the one in the metadata is not believed.
    saml.sign_with_another_key(tmp_path / "forger", sp_metadata.text)
    saml.add_user("tom.forged@acme-telecom.test", "Tom", "Forged")
    sso(page, base, "tom.forged@acme-telecom.test", "tom.forged@acme-telecom.test")
    expect(page.get_by_role("heading", name="Single sign-on failed")).to_be_visible()
    assert not get_user_model().objects.filter(email="tom.forged@acme-telecom.test").exists()
