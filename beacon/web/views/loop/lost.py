"""Lost customers: the win-back calls and what each call found out."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_GET, require_http_methods

from beacon.core.errors import Conflict, ValidationFailed
from beacon.loop.lost import customer_history, do_record_call
from beacon.loop.models import Case, LostReason, WinBackCall
from beacon.loop.queries import lost_report
from beacon.orgs.models import Membership, Role
from beacon.web.access import render_page, require_role, staff_view
from beacon.web.forms.common import reads, values
from beacon.web.forms.loop import LostCallForm


@staff_view
@require_GET
def lost_calls(request: HttpRequest, member: Membership) -> HttpResponse:
    org = member.organization_id
    calls = (
        WinBackCall.objects.for_org(org)
        .select_related("contact", "assignee", "reason")
        .order_by("status", "due_at")
    )
    context = {"calls": list(calls[:200]), "report": lost_report(org)}
    return render_page(request, member, "web/loop/lost.html", context, nav="lost")


@staff_view
@require_http_methods(["GET", "POST"])
@reads(LostCallForm)
def lost_call(request: HttpRequest, member: Membership, call_id: int) -> HttpResponse:
    org = member.organization_id
    call = WinBackCall.objects.for_org(org).filter(pk=call_id).first()
    if call is None:
        raise Http404("no such call")
    errors: dict[str, str] = {}
    problem = ""
    shown: dict[str, Any] = {}
    if request.method == "POST":
        require_role(member, Role.AGENT)
        form = LostCallForm(org, request.POST)
        shown = values(form)
        try:
            form.checked()
            do_record_call(call, **form.cleaned_data, actor=member)
        except ValidationFailed as exc:
            errors = exc.errors
        except Conflict as exc:
            problem = str(exc)
        else:
            messages.success(request, "Call recorded.")
            return redirect("web:lost_call", call_id=call.pk)
    context = {
        "call": call,
        "history": customer_history(call.contact),
        "reasons": list(LostReason.objects.for_org(org).order_by("name")),
        "errors": errors,
        "problem": problem,
        "values": shown,
        "cases": list(Case.objects.for_org(org).filter(contact=call.contact)[:20]),
    }
    status = 400 if errors else (409 if problem else 200)
    return render_page(
        request, member, "web/loop/lost_call.html", context, status=status, nav="lost"
    )
