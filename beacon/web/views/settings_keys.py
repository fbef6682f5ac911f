"""Settings → API keys: create (the secret is shown once), list, revoke."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_http_methods, require_POST

from beacon.core.errors import ValidationFailed
from beacon.orgs.actions import IssuedKey, do_create_api_key, do_revoke_api_key
from beacon.orgs.models import ApiKey, Membership, Role
from beacon.orgs.queries import api_keys as org_keys
from beacon.web.access import render_page, require_role, staff_view
from beacon.web.forms.common import reads
from beacon.web.forms.settings import ApiKeyForm
from beacon.web.views.members import errors_onto, own_or_404


def _page(
    request: HttpRequest,
    member: Membership,
    form: ApiKeyForm,
    issued: IssuedKey | None = None,
    status: int = 200,
) -> HttpResponse:
    context: dict[str, Any] = {
        "form": form,
        "keys": org_keys(member.organization),
        "issued": issued,
    }
    return render_page(request, member, "web/api_keys.html", context, status=status, nav="api_keys")


@staff_view
@require_http_methods(["GET", "POST"])
@reads(ApiKeyForm)
def api_keys(request: HttpRequest, member: Membership) -> HttpResponse:
    require_role(member, Role.ADMIN)
    if request.method == "GET":
        return _page(request, member, ApiKeyForm(member.organization_id))
    form = ApiKeyForm(member.organization_id, request.POST)
    if form.is_valid():
        try:
            issued = do_create_api_key(
                member.organization,
                form.cleaned_data["name"],
                scopes=form.cleaned_data["scopes"],
                expires_at=form.expires_at(member),
                actor=member,
            )
        except ValidationFailed as exc:
            exc.errors = {
                ("expires_on" if f == "expires_at" else f): m for f, m in exc.errors.items()
            }
            errors_onto(form, exc)
        else:
            # Rendered, not redirected: the secret exists only in this response.
            return _page(
                request, member, ApiKeyForm(member.organization_id), issued=issued, status=201
            )
    return _page(request, member, form, status=400)


@staff_view
@require_POST
def api_key_revoke(request: HttpRequest, member: Membership, key_id: int) -> HttpResponse:
    require_role(member, Role.ADMIN)
    key = own_or_404(member, ApiKey, key_id)
    do_revoke_api_key(key, actor=member)
    messages.success(request, f"Key {key.name} ({key.prefix}…) is revoked; it no longer works.")
    return redirect("web:api_keys")
