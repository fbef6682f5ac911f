"""The sign-in form allauth shows, with Beacon's policy (the sign-in pages' other forms
are in beacon/web/forms/sign_in.py)."""

from __future__ import annotations

from typing import Any

from allauth.account.forms import LoginForm
from django import forms

from beacon.accounts import queries
from beacon.orgs.queries import deactivated_everywhere


class SignInForm(LoginForm):
    """allauth's email and password form, refusing passwords where the org turned them off."""

    def clean(self) -> dict[str, Any]:
        cleaned: dict[str, Any] = super().clean()
        user = getattr(self, "user", None)
        if user is not None and deactivated_everywhere(user):
            # A member stays deactivated until reactivated: no new session for them.
            raise forms.ValidationError(
                "Your access to Beacon was deactivated. Ask an administrator.",
                code="deactivated",
            )
        if user is not None and queries.passwords_disabled_for(user):
            raise forms.ValidationError(
                "Your organisation signs in with single sign-on: use “Sign in with SSO”.",
                code="password_disabled",
            )
        return cleaned
