"""Choosing which organisation to look at (signing in is beacon.accounts, with allauth)."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from beacon.orgs.models import Membership
from beacon.orgs.queries import memberships_of
from beacon.web.access import SESSION_ORG, staff_view


@staff_view
@require_POST
def switch_org(request: HttpRequest, member: Membership) -> HttpResponse:
    raw = request.POST.get("org", "")
    chosen = next((m for m in memberships_of(request.user) if str(m.organization_id) == raw), None)
    if chosen is None:
        raise Http404("not a member of that organisation")
    request.session[SESSION_ORG] = chosen.organization_id
    # Ids on the page we came from belong to the old organisation: start at the overview.
    return redirect("web:overview")
