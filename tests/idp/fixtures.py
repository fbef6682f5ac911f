"""pytest fixtures: each test gets its own identity provider on loopback."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from beacon.accounts.actions import SsoIn, do_save_sso_connection
from beacon.accounts.models import SsoConnection
from beacon.orgs.models import Organization
from tests.idp.oidc import OidcProvider, oidc_provider
from tests.idp.saml import SamlIdp, saml_idp


@pytest.fixture
def oidc(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[OidcProvider]:
    (tmp_path / "oidc").mkdir()
    with oidc_provider(tmp_path / "oidc") as idp:
        # Beacon's server trusts the provider's certificate as it would a company CA.
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(idp.ca_file))
        yield idp


@pytest.fixture
def saml(tmp_path: Path) -> Iterator[SamlIdp]:
    (tmp_path / "saml").mkdir()
    with saml_idp(tmp_path / "saml") as idp:
        yield idp


def connect_oidc(org: Organization, idp: OidcProvider, **options: object) -> SsoConnection:
    """The organisation signs in through `idp` for its test domain (acme-telecom.test)."""
    data = SsoIn(
        kind="oidc",
        domains=[f"{org.slug}.test"],
        oidc_issuer=idp.url,
        oidc_client_id=idp.client_id,
        oidc_client_secret=idp.client_secret,
    )
    for name, value in options.items():
        setattr(data, name, value)
    return do_save_sso_connection(org, data)
