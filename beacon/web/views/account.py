"""Choosing which organisation to look at (signing in is beacon.accounts, with allauth)."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from beacon.orgs.models import Membership
from beacon.web.access import SESSION_ORG, staff_view
from beacon.web.forms.account import SwitchOrgForm
from beacon.web.forms.common import reads


@staff_view
@require_POST
@reads(SwitchOrgForm)
def switch_org(request: HttpRequest, member: Membership) -> HttpResponse:
    form = SwitchOrgForm(member.organization_id, request.POST, user=request.user)
    if not form.is_valid():
        raise Http404("not a member of that organisation")
    request.session[SESSION_ORG] = form.cleaned_data["org"].pk
    # Ids on the page we came from belong to the old organisation: start at the overview.
    return redirect("web:overview")
