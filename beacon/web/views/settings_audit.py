"""Settings → Audit log: who did what, when, to what; filtered, paged, exported as CSV."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseBase, StreamingHttpResponse
from django.views.decorators.http import require_GET

from beacon.orgs.models import Membership, Role
from beacon.orgs.queries import audit_events
from beacon.web.access import render_page, require_role, staff_view
from beacon.web.forms.common import reads, values
from beacon.web.forms.settings import AuditFilterForm

PAGE_SIZE = 50


@staff_view
@require_GET
@reads(AuditFilterForm)
def audit_log(request: HttpRequest, member: Membership) -> HttpResponse:
    require_role(member, Role.ADMIN)
    form = AuditFilterForm(member, request.GET)
    page = None
    if form.is_valid():
        paginator = Paginator(audit_events(member.organization, form.where()), PAGE_SIZE)
        page = paginator.get_page(form.cleaned_data.get("page") or 1)
    # The pager keeps the filters as they were read (the page number apart).
    query = urlencode({k: v for k, v in values(form).items() if v and k != "page"})
    context = {"form": form, "page": page, "query": query}
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
    # Plain values, not an Event (and its actor) per row: building the models was most
    # of the time of a long log's download.
    rows = events.values_list(
        "created_at", "actor__display_name", "verb", "subject_type", "subject_id", "data"
    )
    for created_at, actor, verb, subject_type, subject_id, data in rows.iterator(chunk_size=2000):
        yield writer.writerow(
            [
                created_at.isoformat(),
                _cell(actor or ""),
                _cell(verb),
                subject_type,
                subject_id,
                _cell(json.dumps(data, sort_keys=True, ensure_ascii=False)),
            ]
        )


@staff_view
@require_GET
@reads(AuditFilterForm)
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
