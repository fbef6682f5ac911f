"""Reading an identity provider's SAML metadata (python3-saml parses it)."""

from __future__ import annotations

from dataclasses import dataclass

from onelogin.saml2.idp_metadata_parser import OneLogin_Saml2_IdPMetadataParser

from beacon.core.errors import ValidationFailed


@dataclass(frozen=True)
class IdpMetadata:
    entity_id: str
    sso_url: str
    x509cert: str


def parse_idp_metadata(xml: str) -> IdpMetadata:
    """The entity id, sign-in URL and signing certificate, or a clear error."""
    try:
        parsed = OneLogin_Saml2_IdPMetadataParser.parse(xml.strip())
    except Exception as exc:  # the parser raises bare XML and value errors
        raise ValidationFailed({"saml_metadata": f"is not SAML metadata ({exc})"}) from None
    idp = parsed.get("idp") or {}
    entity_id = idp.get("entityId") or ""
    sso_url = (idp.get("singleSignOnService") or {}).get("url") or ""
    cert = idp.get("x509cert") or ""
    if not cert:
        certs = (idp.get("x509certMulti") or {}).get("signing") or []
        cert = certs[0] if certs else ""
    missing = [
        name
        for name, value in (
            ("entityID", entity_id),
            ("SingleSignOnService", sso_url),
            ("signing certificate", cert),
        )
        if not value
    ]
    if missing:
        raise ValidationFailed(
            {"saml_metadata": f"has no IdP {', '.join(missing)} (is this an IdP's metadata?)"}
        )
    return IdpMetadata(entity_id, sso_url, cert)
