"""Who is asking: login, the current membership (one user may belong to several orgs), roles."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import wraps
from typing import Any, Concatenate, ParamSpec, cast

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render

from beacon.accounts.queries import needs_2fa_setup
from beacon.orgs.models import Membership
from beacon.orgs.queries import memberships_of

P = ParamSpec("P")

SESSION_ORG = "beacon_org_id"

# HttpResponseBase: a view may stream (StreamingHttpResponse), e.g. a CSV export.
StaffView = Callable[Concatenate[HttpRequest, Membership, P], HttpResponseBase]


def current_membership(request: HttpRequest) -> Membership | None:
    """The membership of the organisation chosen in the session, else the user's first."""
    memberships = memberships_of(request.user)
    if not memberships:
        return None
    chosen = request.session.get(SESSION_ORG)
    for member in memberships:
        if member.organization_id == chosen:
            return member
    return memberships[0]


def require_role(member: Membership, at_least: str) -> None:
    if not member.has_role(at_least):
        raise PermissionDenied(f"this needs the {at_least} role or higher")


def render_page(
    request: HttpRequest,
    member: Membership,
    template: str,
    context: Mapping[str, Any] | None = None,
    *,
    status: int = 200,
    nav: str = "",
) -> HttpResponse:
    """Render a staff page with what the layout needs (org, brand, switcher, nav)."""
    full: dict[str, Any] = {
        "member": member,
        "org": member.organization,
        "brand": member.organization.safe_brand_color,
        "memberships": memberships_of(request.user),
        "nav": nav,
    }
    full.update(context or {})
    return render(request, template, full, status=status)


def staff_view(view: StaffView[P]) -> Callable[Concatenate[HttpRequest, P], HttpResponseBase]:
    """Login required; the view gets the current membership; a refused role gives 403."""

    def wrapper(request: HttpRequest, *args: P.args, **kwargs: P.kwargs) -> HttpResponseBase:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        member = current_membership(request)
        if member is None:
            if Membership.objects.filter(user=request.user).exists():
                # Every membership was deactivated: the session ends here, not at expiry.
                logout(request)
                messages.error(request, "Your access to Beacon was deactivated.")
                return redirect_to_login(request.get_full_path())
            return render(request, "web/no_membership.html", status=403)
        if needs_2fa_setup(member):
            # The organisation requires two-factor: set it up before anything else.
            messages.warning(
                request, f"{member.organization.name} requires two-factor authentication."
            )
            return redirect("mfa_activate_totp")
        try:
            return view(request, member, *args, **kwargs)
        except PermissionDenied as exc:
            return render_page(request, member, "web/403.html", {"reason": str(exc)}, status=403)

    # wraps() keeps the view's name for URL reversing by dotted path and for debugging.
    return cast(Callable[Concatenate[HttpRequest, P], HttpResponseBase], wraps(view)(wrapper))
