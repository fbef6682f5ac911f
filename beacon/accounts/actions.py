"""Every write to an organisation's sign-in policy, and joining through SSO."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction

from beacon.accounts.events import AccountsEvent
from beacon.accounts.models import SignInPolicy, SsoConnection, SsoDomain, SsoKind
from beacon.accounts.saml import parse_idp_metadata
from beacon.core.errors import ValidationFailed
from beacon.orgs.actions import do_add_member
from beacon.orgs.events import record_event
from beacon.orgs.models import ROLE_RANK, Membership, Organization, Role

_DOMAIN = re.compile(r"(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}")


@transaction.atomic
def do_set_require_2fa(
    org: Organization, required: bool, *, actor: Membership | None = None
) -> SignInPolicy:
    policy, _ = SignInPolicy.objects.update_or_create(
        organization=org, defaults={"require_2fa": required}
    )
    record_event(org, AccountsEvent.POLICY_UPDATED, policy, actor=actor, require_2fa=required)
    return policy


@dataclass
class SsoIn:
    kind: str
    domains: list[str]
    oidc_issuer: str = ""
    oidc_client_id: str = ""
    oidc_client_secret: str = ""
    saml_metadata: str = ""
    jit_enabled: bool = False
    default_role: str = Role.VIEWER
    disable_passwords: bool = False


def _clean_domains(raw: list[str]) -> list[str]:
    domains = sorted({d.strip().lower().lstrip("@") for d in raw if d.strip()})
    if not domains:
        raise ValidationFailed({"domains": "name at least one email domain, e.g. example.com"})
    bad = [d for d in domains if not _DOMAIN.fullmatch(d)]
    if bad:
        raise ValidationFailed({"domains": f"not a domain name: {', '.join(bad)}"})
    return domains


def _check(data: SsoIn, actor: Membership | None) -> dict[str, Any]:
    """The connection's fields from `data`, or ValidationFailed naming what is wrong."""
    errors: dict[str, str] = {}
    if data.kind not in SsoKind.values:
        errors["kind"] = f"must be one of {', '.join(SsoKind.values)}"
    if data.default_role not in Role.values or data.default_role == Role.OWNER:
        errors["default_role"] = "must be a role below owner"
    elif actor is not None and ROLE_RANK[Role(data.default_role)] > ROLE_RANK[Role(actor.role)]:
        errors["default_role"] = "cannot be above your own role"
    fields: dict[str, Any] = {
        "kind": data.kind,
        "jit_enabled": data.jit_enabled,
        "default_role": data.default_role,
        "disable_passwords": data.disable_passwords,
        "oidc_issuer": "",
        "oidc_client_id": "",
        "oidc_client_secret": "",
        "saml_metadata": "",
        "saml_entity_id": "",
        "saml_sso_url": "",
        "saml_x509cert": "",
    }
    if data.kind == SsoKind.OIDC:
        for name in ("oidc_issuer", "oidc_client_id", "oidc_client_secret"):
            value = str(getattr(data, name)).strip()
            if not value:
                errors[name] = "is required for OpenID Connect"
            fields[name] = value
        if fields["oidc_issuer"] and not fields["oidc_issuer"].startswith(("https://", "http://")):
            errors["oidc_issuer"] = "must be the issuer's URL"
    elif data.kind == SsoKind.SAML:
        if not data.saml_metadata.strip():
            errors["saml_metadata"] = "is required for SAML: paste the IdP's metadata XML"
        else:
            try:
                meta = parse_idp_metadata(data.saml_metadata)
            except ValidationFailed as exc:
                errors.update(exc.errors)
            else:
                fields.update(
                    saml_metadata=data.saml_metadata.strip(),
                    saml_entity_id=meta.entity_id,
                    saml_sso_url=meta.sso_url,
                    saml_x509cert=meta.x509cert,
                )
    if errors:
        raise ValidationFailed(errors)
    return fields


@transaction.atomic
def do_save_sso_connection(
    org: Organization, data: SsoIn, *, actor: Membership | None = None
) -> SsoConnection:
    """Create or replace the organisation's connection and the domains it signs in."""
    domains = _clean_domains(data.domains)
    fields = _check(data, actor)
    connection, created = SsoConnection.objects.update_or_create(organization=org, defaults=fields)
    connection.domains.exclude(domain__in=domains).delete()
    kept = set(connection.domains.values_list("domain", flat=True))
    try:
        # The unique constraint decides which organisation owns a domain, even under a race.
        with transaction.atomic():
            SsoDomain.objects.bulk_create(
                SsoDomain(organization=org, connection=connection, domain=d)
                for d in domains
                if d not in kept
            )
    except IntegrityError:
        taken = SsoDomain.objects.filter(domain__in=domains).exclude(organization=org)
        names = ", ".join(taken.values_list("domain", flat=True)) or ", ".join(domains)
        raise ValidationFailed(
            {"domains": f"already signed in by another organisation's SSO: {names}"}
        ) from None
    record_event(
        org,
        AccountsEvent.SSO_SAVED,
        connection,
        actor=actor,
        created=created,
        kind=connection.kind,
        domains=domains,
        jit_enabled=connection.jit_enabled,
        default_role=connection.default_role,
        disable_passwords=connection.disable_passwords,
    )
    return connection


@transaction.atomic
def do_remove_sso_connection(org: Organization, *, actor: Membership | None = None) -> bool:
    connection = SsoConnection.objects.for_org(org).first()
    if connection is None:
        return False
    record_event(org, AccountsEvent.SSO_REMOVED, connection, actor=actor, kind=connection.kind)
    connection.delete()
    return True


@transaction.atomic
def do_sso_join(connection: SsoConnection, email: str, display_name: str) -> Membership:
    """Just-in-time membership for someone the organisation's identity provider vouched for."""
    member = do_add_member(
        connection.organization,
        email,
        role=connection.default_role,
        display_name=display_name.strip() or email.split("@", 1)[0],
    )
    record_event(
        connection.organization_id,
        AccountsEvent.SSO_JOINED,
        member,
        role=member.role,
        kind=connection.kind,
    )
    return member
