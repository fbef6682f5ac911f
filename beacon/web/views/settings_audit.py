"""Settings → Audit log: who did what, when, to what; filtered, paged, exported as CSV."""

from __future__ import annotations

import csv
import datetime as dt
import json
from collections.abc import Iterator
from typing import Any

from django import forms
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseBase, StreamingHttpResponse
from django.views.decorators.http import require_GET

from beacon.orgs.models import Membership, Role
from beacon.orgs.queries import AuditFilter, audit_events, audit_verbs
from beacon.web.access import render_page, require_role, staff_view

PAGE_SIZE = 50


class AuditFilterForm(forms.Form):
    date_from = forms.DateField(
        required=False, label="From", widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        required=False, label="To", widget=forms.DateInput(attrs={"type": "date"})
    )
    page = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)

    def __init__(self, member: Membership, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        org = member.organization
        self.zone = org.zone
        self.fields["member"] = forms.ModelChoiceField(
            queryset=Membership.objects.for_org(org).order_by("display_name"),
            required=False,
            label="Member",
        )
        self.fields["verb"] = forms.ChoiceField(
            choices=[("", "Any")] + [(v, v) for v in audit_verbs(org)],
            required=False,
            label="What happened",
        )
        self.order_fields(["member", "verb", "date_from", "date_to"])

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", "must be on or after the From date")
        return data

    def where(self) -> AuditFilter:
        data = self.cleaned_data
        return AuditFilter(
            actor=data.get("member"),
            verb=data.get("verb") or "",
            since=self._midnight(data.get("date_from")),
            until=self._midnight(data["date_to"] + dt.timedelta(days=1))
            if data.get("date_to")
            else None,
        )

    def _midnight(self, day: dt.date | None) -> dt.datetime | None:
        # Days are the organisation's days, as everywhere else in Beacon.
        return None if day is None else dt.datetime.combine(day, dt.time(), self.zone)


@staff_view
@require_GET
def audit_log(request: HttpRequest, member: Membership) -> HttpResponse:
    require_role(member, Role.ADMIN)
    form = AuditFilterForm(member, request.GET)
    page = None
    if form.is_valid():
        paginator = Paginator(audit_events(member.organization, form.where()), PAGE_SIZE)
        page = paginator.get_page(form.cleaned_data.get("page") or 1)
    query = request.GET.copy()
    query.pop("page", None)
    context = {"form": form, "page": page, "query": query.urlencode()}
    status = 200 if page is not None else 400
    return render_page(request, member, "web/audit.html", context, status=status, nav="audit")


def _cell(value: Any) -> str:
    text = str(value)
    # A spreadsheet runs a cell that starts like a formula; names and data are people's text.
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


class _Echo:
    def write(self, value: str) -> str:
        return value


def _csv_rows(events: Any) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield writer.writerow(["when", "member", "verb", "object_type", "object_id", "data"])
    for e in events.iterator(chunk_size=1000):
        yield writer.writerow(
            [
                e.created_at.isoformat(),
                _cell(e.actor.display_name if e.actor else ""),
                _cell(e.verb),
                e.subject_type,
                e.subject_id,
                _cell(json.dumps(e.data, sort_keys=True, ensure_ascii=False)),
            ]
        )


@staff_view
@require_GET
def audit_csv(request: HttpRequest, member: Membership) -> HttpResponseBase:
    require_role(member, Role.ADMIN)
    form = AuditFilterForm(member, request.GET)
    if not form.is_valid():
        return render_page(
            request, member, "web/audit.html", {"form": form}, status=400, nav="audit"
        )
    events = audit_events(member.organization, form.where())
    response = StreamingHttpResponse(_csv_rows(events), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="audit-{member.organization.slug}.csv"'
    return response
