"""Starting single sign-on from the sign-in page, against a real provider on loopback."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from allauth.socialaccount.models import SocialAccount
from django.test import Client

from beacon.accounts.actions import SsoIn, do_save_sso_connection
from beacon.testing import World, free_port
from tests.idp.fixtures import connect_oidc
from tests.idp.oidc import OidcProvider
from tests.idp.saml import SamlIdp

pytestmark = pytest.mark.django_db


def test_an_address_no_organisation_signs_in_with_sso_is_told_so(world: World) -> None:
    response = Client().post("/login/sso/", {"email": "someone@unknown.test"})
    assert response.status_code == 400
    assert "No organisation signs in with single sign-on for this address" in (
        response.content.decode()
    )
    assert Client().post("/login/sso/", {"email": "not an email"}).status_code == 400


def test_the_email_domain_picks_the_organisations_provider(
    world: World, other_world: World, oidc: OidcProvider
) -> None:
    connection = connect_oidc(world.org, oidc)
    page = Client().get("/login/sso/?next=/cases/").content.decode()
    assert 'name="next" value="/cases/"' in page
    response = Client().post("/login/sso/", {"email": "Nina@Acme-Telecom.test", "next": "/cases/"})
    assert response.status_code == 302
    target = urlsplit(response["Location"])
    assert f"{target.scheme}://{target.netloc}{target.path}" == f"{oidc.url}/authorize"
    query = parse_qs(target.query)
    assert query["client_id"] == [oidc.client_id]
    assert query["redirect_uri"] == [
        f"http://testserver/accounts/oidc/{connection.provider_id}/login/callback/"
    ]
    assert query["code_challenge_method"] == ["S256"]
    # Another organisation's members (no SSO there) are not sent anywhere.
    other = Client().post("/login/sso/", {"email": other_world.agent.email})
    assert other.status_code == 400


def test_an_identity_provider_that_does_not_answer_gives_a_clear_message(
    world: World,
) -> None:
    connect_oidc_to_nowhere = SsoIn(
        kind="oidc",
        domains=["acme-telecom.test"],
        oidc_issuer=f"https://127.0.0.1:{free_port()}",
        oidc_client_id="beacon",
        oidc_client_secret="secret",
    )
    do_save_sso_connection(world.org, connect_oidc_to_nowhere)
    response = Client().post("/login/sso/", {"email": world.agent.email})
    assert response.status_code == 400
    assert "Acme Telecom&#x27;s identity provider did not answer." in response.content.decode()


def test_the_saml_service_provider_metadata_is_served_per_connection(
    world: World, other_world: World, saml: SamlIdp
) -> None:
    connection = do_save_sso_connection(
        world.org, SsoIn(kind="saml", domains=["acme-telecom.test"], saml_metadata=saml.metadata)
    )
    response = Client().get(f"/accounts/saml/{connection.provider_id}/metadata/")
    assert response.status_code == 200
    xml = response.content.decode()
    assert f"http://testserver/accounts/saml/{connection.provider_id}/acs/" in xml
    # Nothing is served for an organisation without a connection.
    assert Client().get(f"/accounts/saml/org-{other_world.org.pk}/metadata/").status_code == 404
    assert Client().get("/accounts/saml/org-x/metadata/").status_code == 404


def test_sso_cannot_be_linked_to_a_signed_in_account_by_hand(
    world: World, oidc: OidcProvider
) -> None:
    connection = connect_oidc(world.org, oidc)
    oidc.allow_redirect(f"http://testserver/accounts/oidc/{connection.provider_id}/login/callback/")
    oidc.add_user(world.owner.email, "Olive", "Owner")
    client = Client()
    client.force_login(world.agent.user)
    start = client.post(f"/accounts/oidc/{connection.provider_id}/login/", {"process": "connect"})
    assert start.status_code == 302
    # The owner signs in at the provider in the agent's browser.
    authorize = urlsplit(start["Location"])
    form = {k: v[-1] for k, v in parse_qs(authorize.query).items()}
    answer = requests.post(
        f"{oidc.url}/authorize",
        data={**form, "idp_email": world.owner.email},
        verify=str(oidc.ca_file),
        allow_redirects=False,
        timeout=30,
    )
    callback = urlsplit(answer.headers["Location"])
    response = client.get(f"{callback.path}?{callback.query}")
    assert response.status_code == 403
    assert "Single sign-on is for signing in only." in response.content.decode()
    assert not SocialAccount.objects.exists()
