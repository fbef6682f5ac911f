"""Signing in through an organisation's SSO, and the organisation's sign-in settings page."""

from __future__ import annotations

import logging
from typing import Any

import requests
from allauth.socialaccount.adapter import get_adapter as get_sso_adapter
from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from beacon.accounts import queries
from beacon.accounts.actions import (
    do_remove_sso_connection,
    do_save_sso_connection,
    do_set_require_2fa,
)
from beacon.core.errors import ValidationFailed
from beacon.orgs.models import Membership, Role
from beacon.web.access import render_page, require_role, staff_view
from beacon.web.forms.common import reads
from beacon.web.forms.sign_in import (
    NextPageForm,
    SsoConnectionForm,
    SsoStartForm,
    TwoFactorPolicyForm,
)

logger = logging.getLogger(__name__)


@reads(SsoStartForm, NextPageForm)
def sso_start(request: HttpRequest) -> HttpResponse:
    """Work email in, off to the identity provider of the organisation owning its domain."""
    if request.method == "POST":
        form = SsoStartForm(request.POST)
        if form.is_valid():
            provider = get_sso_adapter().get_provider(request, form.connection.provider_id)
            try:
                # allauth reads `next` from the request (only a page of this site) and keeps
                # the round trip's state in the session. OpenID Connect first reads the
                # issuer's configuration over the network.
                response: HttpResponse = provider.redirect_from_request(request)
            except (requests.RequestException, ValueError, KeyError) as exc:
                logger.warning("SSO start for %s failed: %r", form.connection.provider_id, exc)
                form.add_error(
                    None,
                    f"{form.connection.organization.name}'s identity provider did not answer. "
                    "Try again in a moment, or sign in with your password.",
                )
            else:
                return response
        status = 400
    else:
        given = NextPageForm(request.GET)
        form = SsoStartForm(initial=given.cleaned_data if given.is_valid() else {})
        status = 200
    return render(request, "accounts/sso_start.html", {"form": form}, status=status)


def _page(
    request: HttpRequest,
    member: Membership,
    *,
    policy_form: TwoFactorPolicyForm | None = None,
    sso_form: SsoConnectionForm | None = None,
) -> HttpResponse:
    org = member.organization
    connection = queries.sso_connection(org)
    context: dict[str, Any] = {
        "policy_form": policy_form
        or TwoFactorPolicyForm(initial={"require_2fa": queries.require_2fa(org)}),
        "sso_form": sso_form or SsoConnectionForm(member=member, connection=connection),
        "connection": connection,
        "sp_urls": _service_provider_urls(request, connection),
    }
    status = 400 if (policy_form or sso_form) else 200
    return render_page(
        request, member, "web/settings_sign_in.html", context, status=status, nav="sign_in"
    )


def _service_provider_urls(request: HttpRequest, connection: Any) -> dict[str, str]:
    """What the organisation's IT enters at the identity provider."""
    if connection is None:
        return {}
    pid = connection.provider_id
    if connection.kind == "oidc":
        return {"Redirect URI": request.build_absolute_uri(f"/accounts/oidc/{pid}/login/callback/")}
    return {
        "SP metadata": request.build_absolute_uri(f"/accounts/saml/{pid}/metadata/"),
        "ACS URL": request.build_absolute_uri(f"/accounts/saml/{pid}/acs/"),
    }


@staff_view
def sign_in_settings(request: HttpRequest, member: Membership) -> HttpResponse:
    require_role(member, Role.ADMIN)
    return _page(request, member)


@staff_view
@require_POST
@reads(TwoFactorPolicyForm)
def two_factor_policy(request: HttpRequest, member: Membership) -> HttpResponse:
    require_role(member, Role.ADMIN)
    form = TwoFactorPolicyForm(request.POST)
    if not form.is_valid():
        return _page(request, member, policy_form=form)
    required = form.cleaned_data["require_2fa"]
    do_set_require_2fa(member.organization, required, actor=member)
    messages.success(
        request, "Two-factor is now required." if required else "Two-factor is now optional."
    )
    return redirect("web:sign_in_settings")


def _add_errors(form: forms.Form, errors: dict[str, str]) -> None:
    for name, message in errors.items():
        form.add_error(name if name in form.fields else None, message)


@staff_view
@require_POST
@reads(SsoConnectionForm)
def sso_save(request: HttpRequest, member: Membership) -> HttpResponse:
    require_role(member, Role.ADMIN)
    connection = queries.sso_connection(member.organization)
    form = SsoConnectionForm(request.POST, member=member, connection=connection)
    if form.is_valid():
        try:
            do_save_sso_connection(member.organization, form.to_input(), actor=member)
        except ValidationFailed as exc:
            _add_errors(form, exc.errors)
        else:
            messages.success(request, "Single sign-on saved.")
            return redirect("web:sign_in_settings")
    return _page(request, member, sso_form=form)


@staff_view
@require_POST
def sso_remove(request: HttpRequest, member: Membership) -> HttpResponse:
    require_role(member, Role.ADMIN)
    if do_remove_sso_connection(member.organization, actor=member):
        messages.success(request, "Single sign-on removed: members sign in with passwords.")
    return redirect("web:sign_in_settings")
