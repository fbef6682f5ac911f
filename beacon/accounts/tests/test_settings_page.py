"""The organisation's sign-in settings page: roles, validation, tenancy, events."""

from __future__ import annotations

import pytest

from beacon.accounts.actions import SsoIn, do_save_sso_connection
from beacon.accounts.models import SignInPolicy, SsoConnection, SsoDomain
from beacon.orgs.models import Event
from beacon.testing import World
from beacon.web.tests.helpers import logged_in

pytestmark = pytest.mark.django_db

OIDC = {
    "kind": "oidc",
    "domains": "acme-telecom.test, Acme.Example",
    "oidc_issuer": "https://login.acme.example/realms/staff",
    "oidc_client_id": "beacon",
    "oidc_client_secret": "very secret",
    "jit_enabled": "on",
    "default_role": "agent",
}


def test_only_admins_and_owners_see_or_change_sign_in_settings(world: World) -> None:
    agent = logged_in(world.agent)
    assert agent.get("/settings/sign-in/").status_code == 403
    assert agent.post("/settings/sign-in/2fa/", {"require_2fa": "on"}).status_code == 403
    assert agent.post("/settings/sign-in/sso/", OIDC).status_code == 403
    assert agent.post("/settings/sign-in/sso/remove/").status_code == 403
    assert not SignInPolicy.objects.exists() and not SsoConnection.objects.exists()
    admin = logged_in(world.stage_owner)
    html = admin.get("/settings/sign-in/").content.decode()
    assert "Two-factor authentication" in html and "Single sign-on" in html


def test_requiring_2fa_is_saved_for_this_organisation_only(
    world: World, other_world: World
) -> None:
    response = logged_in(world.owner).post("/settings/sign-in/2fa/", {"require_2fa": "on"})
    assert response.status_code == 302
    assert SignInPolicy.objects.get(organization=world.org).require_2fa is True
    assert not SignInPolicy.objects.filter(organization=other_world.org).exists()
    event = Event.objects.get(verb="signin.policy_updated")
    assert (event.organization_id, event.actor, event.data) == (
        world.org.pk,
        world.owner,
        {"require_2fa": True},
    )


def test_an_oidc_connection_is_saved_with_its_domains(world: World) -> None:
    admin = logged_in(world.stage_owner)
    assert admin.post("/settings/sign-in/sso/", OIDC).status_code == 302
    connection = SsoConnection.objects.get(organization=world.org)
    assert (connection.kind, connection.oidc_client_secret, connection.default_role) == (
        "oidc",
        "very secret",
        "agent",
    )
    assert sorted(d.domain for d in connection.domains.all()) == [
        "acme-telecom.test",
        "acme.example",
    ]
    html = admin.get("/settings/sign-in/").content.decode()
    assert f"/accounts/oidc/org-{world.org.pk}/login/callback/" in html
    assert "very secret" not in html  # the secret is never shown again
    # Saving without a secret keeps the stored one; a domain dropped is freed.
    changed = {**OIDC, "oidc_client_secret": "", "domains": "acme-telecom.test"}
    assert admin.post("/settings/sign-in/sso/", changed).status_code == 302
    connection.refresh_from_db()
    assert connection.oidc_client_secret == "very secret"
    assert list(SsoDomain.objects.values_list("domain", flat=True)) == ["acme-telecom.test"]
    assert Event.objects.filter(verb="signin.sso_saved", organization=world.org).count() == 2
    assert admin.post("/settings/sign-in/sso/remove/").status_code == 302
    assert not SsoConnection.objects.exists() and not SsoDomain.objects.exists()


@pytest.mark.parametrize(
    ("change", "field_error"),
    [
        ({"domains": "   "}, "This field is required."),
        ({"domains": "acme..test ok.test"}, "not a domain name: acme..test"),
        ({"oidc_issuer": ""}, "is required for OpenID Connect"),
        ({"kind": "saml", "saml_metadata": "<xml>nope"}, "is not SAML metadata"),
        ({"kind": "saml", "saml_metadata": ""}, "is required for SAML"),
        ({"default_role": "owner"}, "Select a valid choice."),
    ],
)
def test_bad_settings_show_the_form_again_and_save_nothing(
    world: World, change: dict[str, str], field_error: str
) -> None:
    response = logged_in(world.owner).post("/settings/sign-in/sso/", {**OIDC, **change})
    assert response.status_code == 400
    assert field_error in response.content.decode()
    assert (
        not SsoConnection.objects.exists()
        and not Event.objects.filter(verb="signin.sso_saved").exists()
    )


def test_an_admin_cannot_give_new_members_a_role_above_their_own(world: World) -> None:
    from beacon.orgs.actions import do_add_member

    analyst = do_add_member(world.org, "ana@acme-telecom.test", role="analyst", display_name="A")
    # Only admins reach the page; the rule also holds below the page.
    with pytest.raises(Exception, match="cannot be above your own role"):
        do_save_sso_connection(
            world.org,
            SsoIn(
                kind="oidc",
                domains=["acme-telecom.test"],
                oidc_issuer="https://x.test",
                oidc_client_id="c",
                oidc_client_secret="s",
                default_role="admin",
            ),
            actor=analyst,
        )


def test_a_domain_belongs_to_one_organisation(world: World, other_world: World) -> None:
    assert logged_in(world.owner).post("/settings/sign-in/sso/", OIDC).status_code == 302
    response = logged_in(other_world.owner).post(
        "/settings/sign-in/sso/", {**OIDC, "domains": "globex.test acme.example"}
    )
    assert response.status_code == 400
    assert "already signed in by another organisation&#x27;s SSO: acme.example" in (
        response.content.decode()
    )
    assert not SsoConnection.objects.filter(organization=other_world.org).exists()
    # Removing in one organisation leaves the other's connection alone.
    logged_in(other_world.owner).post("/settings/sign-in/sso/remove/")
    assert SsoConnection.objects.filter(organization=world.org).count() == 1
