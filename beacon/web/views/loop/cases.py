"""A case seen from the closed loop: replies to the customer and the timing reports."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_GET, require_http_methods

from beacon.core.errors import ValidationFailed
from beacon.loop.actions import MAX_NOTE_LENGTH, do_reply_to_customer
from beacon.loop.queries import case_detail, case_timing, lost_report, public_thread
from beacon.orgs.models import Membership, Role
from beacon.web.access import render_page, require_role, staff_view
from beacon.web.forms.common import reads
from beacon.web.forms.loop import ReplyForm


@staff_view
@require_http_methods(["GET", "POST"])
@reads(ReplyForm)
def case_reply(request: HttpRequest, member: Membership, case_id: int) -> HttpResponse:
    case = case_detail(member.organization, case_id)
    if case is None:
        raise Http404("no such case")
    errors: dict[str, str] = {}
    body = ""
    status = 200
    if request.method == "POST":
        require_role(member, Role.AGENT)
        form = ReplyForm(member.organization_id, request.POST)
        form.is_valid()
        body = form.cleaned_data["body"]
        try:
            do_reply_to_customer(case, body, actor=member)
        except ValidationFailed as exc:
            errors, status = exc.errors, 400
        else:
            messages.success(request, "Reply queued; the customer can answer through the link.")
            return redirect("web:case_reply", case_id=case.pk)
    context = {
        "case": case,
        "thread": public_thread(case),
        "errors": errors,
        "body": body,
        "max_note": MAX_NOTE_LENGTH,
    }
    return render_page(request, member, "web/loop/reply.html", context, status=status, nav="cases")


@staff_view
@require_GET
def loop_reports(request: HttpRequest, member: Membership) -> HttpResponse:
    org = member.organization
    context = {
        "by_team": case_timing(org, by="team"),
        "by_owner": case_timing(org, by="owner"),
        "lost": lost_report(org),
    }
    return render_page(request, member, "web/loop/reports.html", context, nav="reports")
