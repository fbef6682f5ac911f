"""Sign-in pages: single sign-on from a work email, and the organisation's sign-in settings
(two-factor policy, its SSO connection). The sign-in form itself is allauth's, with
Beacon's policy, in beacon/accounts/forms.py."""

from __future__ import annotations

from typing import Any

from django import forms

from beacon.accounts import queries
from beacon.accounts.actions import SsoIn
from beacon.accounts.models import SsoConnection, SsoKind
from beacon.orgs.models import ROLE_RANK, Membership, Role


class SsoStartForm(forms.Form):
    email = forms.EmailField(
        label="Work email",
        max_length=254,
        widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"}),
    )
    # Where to land after signing in; allauth checks it is a page of this site.
    next = forms.CharField(required=False, max_length=2000, widget=forms.HiddenInput)

    connection: SsoConnection

    def clean_email(self) -> str:
        email = str(self.cleaned_data["email"]).strip().lower()
        connection = queries.connection_for_email(email)
        if connection is None:
            raise forms.ValidationError(
                "No organisation signs in with single sign-on for this address: "
                "sign in with your password instead."
            )
        self.connection = connection
        return email


class NextPageForm(forms.Form):
    """The `next` a sign-in link carries, handed on to the SSO form."""

    method = "GET"

    next = forms.CharField(required=False, max_length=2000)


class TwoFactorPolicyForm(forms.Form):
    require_2fa = forms.BooleanField(
        label="Require two-factor authentication for every member",
        required=False,
        help_text="Members without it are sent to set it up before they see any page.",
    )


def _roles_up_to(member: Membership) -> list[tuple[str, str]]:
    rank = ROLE_RANK[Role(member.role)]
    return [
        (value, label)
        for value, label in Role.choices
        if value != Role.OWNER and ROLE_RANK[Role(value)] <= rank
    ]


class SsoConnectionForm(forms.Form):
    kind = forms.ChoiceField(label="Protocol", choices=SsoKind.choices)
    domains = forms.CharField(
        label="Allowed email domains",
        max_length=2000,
        help_text="Separated by commas or spaces. Only these addresses may sign in through "
        "this connection; each domain belongs to one organisation.",
    )
    oidc_issuer = forms.URLField(
        label="Issuer URL", required=False, max_length=500, assume_scheme="https"
    )
    oidc_client_id = forms.CharField(label="Client ID", required=False, max_length=200)
    oidc_client_secret = forms.CharField(
        label="Client secret",
        required=False,
        max_length=500,
        widget=forms.PasswordInput(render_value=False),
        help_text="Leave empty to keep the stored secret.",
    )
    saml_metadata = forms.CharField(
        label="IdP metadata (XML)",
        required=False,
        max_length=200_000,
        widget=forms.Textarea(attrs={"rows": 6}),
    )
    jit_enabled = forms.BooleanField(
        label="Add people from these domains as members when they first sign in",
        required=False,
    )
    default_role = forms.ChoiceField(label="Role for new members", choices=())
    disable_passwords = forms.BooleanField(
        label="Members sign in only through SSO (passwords turned off)", required=False
    )

    def __init__(
        self, *args: Any, member: Membership, connection: SsoConnection | None, **kwargs: Any
    ) -> None:
        if connection is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                "kind": connection.kind,
                "domains": ", ".join(d.domain for d in connection.domains.all()),
                "oidc_issuer": connection.oidc_issuer,
                "oidc_client_id": connection.oidc_client_id,
                "saml_metadata": connection.saml_metadata,
                "jit_enabled": connection.jit_enabled,
                "default_role": connection.default_role,
                "disable_passwords": connection.disable_passwords,
            }
        super().__init__(*args, **kwargs)
        self.connection = connection
        role_field = self.fields["default_role"]
        assert isinstance(role_field, forms.ChoiceField)
        role_field.choices = _roles_up_to(member)

    def to_input(self) -> SsoIn:
        data = self.cleaned_data
        secret = data["oidc_client_secret"]
        if not secret and self.connection is not None:
            secret = self.connection.oidc_client_secret
        return SsoIn(
            kind=data["kind"],
            domains=str(data["domains"]).replace(",", " ").split(),
            oidc_issuer=data["oidc_issuer"],
            oidc_client_id=data["oidc_client_id"],
            oidc_client_secret=secret,
            saml_metadata=data["saml_metadata"],
            jit_enabled=data["jit_enabled"],
            default_role=data["default_role"],
            disable_passwords=data["disable_passwords"],
        )
