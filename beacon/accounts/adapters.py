"""Beacon's policy plugged into django-allauth: no self sign-up, SSO per organisation.

allauth runs the protocols (OpenID Connect, SAML, TOTP, passkeys); these adapters decide
who may come in. An organisation's `SsoConnection` is handed to allauth as an app built
in memory, so the connection row is the only copy of its configuration.
"""

from __future__ import annotations

import logging
from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from allauth.socialaccount.models import SocialApp, SocialLogin
from allauth.socialaccount.providers.base.constants import AuthProcess
from django.conf import settings
from django.contrib.auth import get_user_model
from django.http import HttpRequest
from django.shortcuts import render

from beacon.accounts import queries
from beacon.accounts.actions import do_sso_join
from beacon.accounts.models import SsoConnection, SsoKind
from beacon.orgs.models import Membership

logger = logging.getLogger(__name__)

# Where common identity providers put the email and names in a SAML assertion.
SAML_ATTRIBUTES = {
    "uid": [
        "urn:oasis:names:tc:SAML:attribute:subject-id",
        "uid",
        "urn:oid:0.9.2342.19200300.100.1.1",
    ],
    "email": [
        "urn:oid:0.9.2342.19200300.100.1.3",
        "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress",
        "mail",
        "email",
    ],
    "first_name": [
        "urn:oid:2.5.4.42",
        "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname",
        "givenName",
    ],
    "last_name": [
        "urn:oid:2.5.4.4",
        "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname",
        "sn",
    ],
}


class AccountAdapter(DefaultAccountAdapter):
    error_messages = {
        **DefaultAccountAdapter.error_messages,
        "email_password_mismatch": "That email and password do not match an account.",
        "too_many_login_attempts": (
            f"Too many failed sign-in attempts for this account or from this network. "
            f"Try again in {settings.LOGIN_FAILURE_WINDOW_MINUTES} minutes, "
            f"or reset your password."
        ),
    }

    def is_open_for_signup(self, request: HttpRequest) -> bool:
        # Members are added by an admin or join through their organisation's SSO.
        return False

    def populate_username(self, request: HttpRequest, user: Any) -> None:
        # Beacon keys accounts by the lower-cased email (see beacon.orgs.actions).
        user.username = str(user.email).strip().lower()


def social_app(connection: SsoConnection) -> SocialApp:
    """The allauth app for a connection (unsaved: the connection is the stored copy)."""
    name = connection.organization.name
    if connection.kind == SsoKind.OIDC:
        return SocialApp(
            provider="openid_connect",
            provider_id=connection.provider_id,
            name=name,
            client_id=connection.oidc_client_id,
            secret=connection.oidc_client_secret,
            settings={"server_url": connection.oidc_issuer, "oauth_pkce_enabled": True},
        )
    return SocialApp(
        provider="saml",
        provider_id=connection.provider_id,
        client_id=connection.provider_id,
        name=name,
        settings={
            "idp": {
                "entity_id": connection.saml_entity_id,
                "sso_url": connection.saml_sso_url,
                "x509cert": connection.saml_x509cert,
            },
            "attribute_mapping": SAML_ATTRIBUTES,
            "advanced": {
                # Only a signed assertion is believed.
                "want_assertion_signed": True,
                "strict": True,
                # An intranet install may be reached at a one-label host (http://beacon/).
                "allow_single_label_domains": True,
            },
        },
    )


def _refuse(request: HttpRequest, reason: str) -> ImmediateHttpResponse:
    response = render(request, "accounts/sso_refused.html", {"reason": reason}, status=403)
    return ImmediateHttpResponse(response)


class SsoAdapter(DefaultSocialAccountAdapter):
    def list_apps(
        self, request: HttpRequest | None, provider: str | None = None, client_id: str | None = None
    ) -> list[SocialApp]:
        apps = [social_app(c) for c in queries.all_connections()]
        if provider:
            apps = [a for a in apps if provider in (a.provider, a.provider_id)]
        if client_id:
            apps = [a for a in apps if a.client_id == client_id]
        return apps

    def on_authentication_error(
        self,
        request: HttpRequest,
        provider: Any,
        error: Any = None,
        exception: Any = None,
        extra_context: Any = None,
    ) -> None:
        # The member sees allauth's "sign-in failed" page; whoever runs Beacon needs the
        # reason (a wrong client secret, an expired certificate, an unreachable issuer).
        logger.warning(
            "SSO sign-in through %s failed: %s %r",
            getattr(provider, "sub_id", provider),
            error,
            exception,
        )

    def is_open_for_signup(self, request: HttpRequest, sociallogin: SocialLogin) -> bool:
        # pre_social_login has already refused anyone the connection does not let join.
        return True

    def pre_social_login(self, request: HttpRequest, sociallogin: SocialLogin) -> None:
        if sociallogin.state.get("process") == AuthProcess.CONNECT:
            # An organisation's SSO signs its members in; it is not linked by hand.
            raise _refuse(request, "Single sign-on is for signing in only.")
        connection = queries.connection_by_provider_id(sociallogin.account.provider)
        if connection is None:
            raise _refuse(request, "This sign-in connection no longer exists.")
        email = _email_of(sociallogin)
        if not email or not queries.allows_email(connection, email):
            allowed = ", ".join(d.domain for d in connection.domains.all())
            raise _refuse(
                request,
                f"{email or 'Your account'} cannot sign in to {connection.organization.name} "
                f"with single sign-on: only addresses at {allowed} can.",
            )
        if not sociallogin.is_existing:
            user = get_user_model().objects.filter(username=email).first()
            if user is None:
                if not connection.jit_enabled:
                    raise _refuse(
                        request,
                        f"There is no Beacon account for {email} in "
                        f"{connection.organization.name}: ask an admin to invite you.",
                    )
                return  # auto sign-up creates the user; save_user adds the membership
            # The organisation's identity provider vouches for addresses at its domains.
            sociallogin.connect(request, user)
        self._ensure_member(request, connection, sociallogin)

    def _ensure_member(
        self, request: HttpRequest, connection: SsoConnection, sociallogin: SocialLogin
    ) -> None:
        user = sociallogin.user
        if Membership.objects.for_org(connection.organization_id).filter(user=user).exists():
            return
        if not connection.jit_enabled:
            raise _refuse(
                request,
                f"{user.email} is not a member of {connection.organization.name}: "
                "ask an admin to invite you.",
            )
        do_sso_join(connection, str(user.email), _name_of(sociallogin))

    def save_user(self, request: HttpRequest, sociallogin: SocialLogin, form: Any = None) -> Any:
        user = super().save_user(request, sociallogin, form)
        connection = queries.connection_by_provider_id(sociallogin.account.provider)
        assert connection is not None  # checked in pre_social_login
        do_sso_join(connection, str(user.email), _name_of(sociallogin))
        return user


def _email_of(sociallogin: SocialLogin) -> str:
    email = str(sociallogin.user.email or "")
    if not email and sociallogin.email_addresses:
        email = sociallogin.email_addresses[0].email
    return email.strip().lower()


def _name_of(sociallogin: SocialLogin) -> str:
    user = sociallogin.user
    return f"{user.first_name} {user.last_name}".strip()
