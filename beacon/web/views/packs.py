"""The board pack page: generate a pack for a period, download it, schedule it monthly."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from beacon.core import clock
from beacon.core.errors import ValidationFailed
from beacon.core.streaming import ChunkedFileResponse
from beacon.orgs.models import Membership, Role
from beacon.reports.actions import (
    do_generate_pack,
    do_save_schedule,
    pack_path,
    previous_month,
)
from beacon.reports.models import BoardPack, PackSchedule
from beacon.web.access import render_page, require_role, staff_view
from beacon.web.forms.common import reads
from beacon.web.forms.reports import PackForm, ScheduleForm

READER = Role.ANALYST
SCHEDULER = Role.ADMIN


def _schedule_form(member: Membership, data: Any = None) -> ScheduleForm:
    schedule = PackSchedule.objects.for_org(member.organization_id).first()
    initial: dict[str, Any] = {"day": 1, "active": True}
    if schedule is not None:
        initial = {
            "day": schedule.day,
            "active": schedule.active,
            "recipients": list(schedule.recipients.all()),
        }
    return ScheduleForm(member, data, initial=initial)


def _page(
    request: HttpRequest,
    member: Membership,
    form: PackForm | None = None,
    schedule_form: ScheduleForm | None = None,
    status: int = 200,
) -> HttpResponse:
    start, end = previous_month(clock.now().date())
    context = {
        "form": form or PackForm(member.organization_id, initial={"start": start, "end": end}),
        "schedule_form": schedule_form or _schedule_form(member),
        "may_schedule": member.has_role(SCHEDULER),
        "packs": BoardPack.objects.for_org(member.organization_id).order_by("-pk")[:12],
    }
    return render_page(request, member, "web/pack.html", context, status=status, nav="pack")


@staff_view
@require_http_methods(["GET", "POST"])
@reads(PackForm)
def pack_page(request: HttpRequest, member: Membership) -> HttpResponse:
    require_role(member, READER)
    if request.method != "POST":
        return _page(request, member)
    form = PackForm(member.organization_id, request.POST)
    if not form.is_valid():
        return _page(request, member, form=form, status=400)
    start: dt.date = form.cleaned_data["start"]
    end: dt.date = form.cleaned_data["end"]
    pack = do_generate_pack(member.organization, start, end, actor=member)
    messages.success(request, f"Board pack for {start:%d %b %Y} to {end:%d %b %Y} is ready.")
    return redirect("web:pack_file", pack.pk)


@staff_view
@require_POST
@reads(ScheduleForm)
def pack_schedule(request: HttpRequest, member: Membership) -> HttpResponse:
    require_role(member, SCHEDULER)
    form = _schedule_form(member, request.POST)
    if not form.is_valid():
        return _page(request, member, schedule_form=form, status=400)
    try:
        do_save_schedule(
            member.organization,
            day=form.cleaned_data["day"],
            recipients=list(form.cleaned_data["recipients"]),
            active=form.cleaned_data["active"],
            actor=member,
        )
    except ValidationFailed as exc:
        for name, message in exc.errors.items():
            form.add_error(name if name in form.fields else None, message)
        return _page(request, member, schedule_form=form, status=400)
    messages.success(request, "The monthly board pack is scheduled.")
    return redirect("web:pack")


@staff_view
@require_GET
def pack_file(request: HttpRequest, member: Membership, pack_id: int) -> HttpResponseBase:
    # Any member may read a pack (it is emailed to leadership, often viewers); its comments
    # are redacted whoever opens it.
    pack = BoardPack.objects.for_org(member.organization_id).filter(pk=pack_id).first()
    if pack is None or not pack_path(pack).exists():
        raise Http404("no such board pack")
    return ChunkedFileResponse(
        pack_path(pack).open("rb"),
        filename=f"board-pack-{pack.start}-{pack.end}.pdf",
        content_type="application/pdf",
    )
