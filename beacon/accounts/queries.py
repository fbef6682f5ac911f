"""Reads of sign-in policy: what an organisation requires, and which connection an email uses."""

from __future__ import annotations

from typing import Any

from allauth.mfa.models import Authenticator

from beacon.accounts.models import SignInPolicy, SsoConnection, SsoDomain
from beacon.orgs.models import Membership, Organization

# Either of these is a second factor; recovery codes alone only back one up.
SECOND_FACTORS = (Authenticator.Type.TOTP, Authenticator.Type.WEBAUTHN)


def email_domain(email: str) -> str:
    return email.rsplit("@", 1)[-1].strip().lower() if "@" in email else ""


def require_2fa(org: Organization) -> bool:
    return SignInPolicy.objects.for_org(org).filter(require_2fa=True).exists()


def has_second_factor(user: Any) -> bool:
    return bool(Authenticator.objects.filter(user=user, type__in=SECOND_FACTORS).exists())


def users_with_second_factor(user_ids: list[int]) -> set[int]:
    """Of these users, those with a second factor set up (for the members list)."""
    found = Authenticator.objects.filter(user_id__in=user_ids, type__in=SECOND_FACTORS)
    return set(found.values_list("user_id", flat=True))


def needs_2fa_setup(member: Membership) -> bool:
    """The member's organisation requires two-factor and they have not set one up."""
    return require_2fa(member.organization) and not has_second_factor(member.user)


def sso_connection(org: Organization) -> SsoConnection | None:
    return SsoConnection.objects.for_org(org).prefetch_related("domains").first()


def all_connections() -> list[SsoConnection]:
    return list(SsoConnection.objects.prefetch_related("domains").order_by("pk"))


def connection_by_provider_id(provider_id: str) -> SsoConnection | None:
    prefix, _, raw = provider_id.partition("-")
    if prefix != "org" or not raw.isdigit():
        return None
    return SsoConnection.objects.filter(organization_id=int(raw)).first()


def connection_for_email(email: str) -> SsoConnection | None:
    """The connection whose allowed domains include this email's domain, if any."""
    domain = SsoDomain.objects.filter(domain=email_domain(email)).select_related("connection")
    found = domain.first()
    return found.connection if found else None


def allows_email(connection: SsoConnection, email: str) -> bool:
    return connection.domains.filter(domain=email_domain(email)).exists()


def passwords_disabled_for(user: Any) -> bool:
    """A member of any organisation whose SSO turned passwords off signs in through SSO."""
    orgs = Membership.objects.filter(user=user).values("organization_id")
    return SsoConnection.objects.filter(organization_id__in=orgs, disable_passwords=True).exists()
