"""An organisation's sign-in policy: two-factor required, and its single sign-on connection."""

from __future__ import annotations

from django.db import models

from beacon.core.models import TenantModel
from beacon.orgs.models import Role


class SignInPolicy(TenantModel):
    """One row per organisation that changed a default (no row: nothing is required)."""

    require_2fa = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization"], name="signin_policy_one_per_org")
        ]

    def __str__(self) -> str:
        return f"sign-in policy of org {self.organization_id}"


class SsoKind(models.TextChoices):
    OIDC = "oidc", "OpenID Connect"
    SAML = "saml", "SAML 2.0"


class SsoConnection(TenantModel):
    """How an organisation's identity provider signs its members in (one per organisation).

    django-allauth does the protocol work; `beacon.accounts.adapters` hands it this row as
    an app whose provider id is `provider_id`.
    """

    kind = models.CharField(max_length=4, choices=SsoKind.choices)
    # OpenID Connect: the issuer (its /.well-known/openid-configuration is read) and client.
    oidc_issuer = models.URLField(max_length=500, blank=True)
    oidc_client_id = models.CharField(max_length=200, blank=True)
    oidc_client_secret = models.CharField(max_length=500, blank=True)
    # SAML 2.0: the identity provider's metadata as given, and what was read from it.
    saml_metadata = models.TextField(blank=True)
    saml_entity_id = models.CharField(max_length=500, blank=True)
    saml_sso_url = models.URLField(max_length=500, blank=True)
    saml_x509cert = models.TextField(blank=True)
    # Someone from an allowed domain without an account joins with this role.
    jit_enabled = models.BooleanField(default=False)
    default_role = models.CharField(max_length=10, choices=Role.choices, default=Role.VIEWER)
    # The organisation's members may then sign in only through the identity provider.
    disable_passwords = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization"], name="sso_one_per_org"),
            models.CheckConstraint(
                condition=~models.Q(default_role="owner"), name="sso_default_role_not_owner"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} for org {self.organization_id}"

    @property
    def provider_id(self) -> str:
        """The id allauth's URLs carry: /accounts/oidc/<id>/… or /accounts/saml/<id>/…."""
        return f"org-{self.organization_id}"


class SsoDomain(TenantModel):
    """An email domain whose people sign in through one connection: one owner per domain."""

    connection = models.ForeignKey(SsoConnection, on_delete=models.CASCADE, related_name="domains")
    domain = models.CharField(max_length=253)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["domain"], name="sso_domain_unique")]

    def __str__(self) -> str:
        return self.domain
