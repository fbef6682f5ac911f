"""Downloads of the lists (CSV, XLSX, Parquet) with the list's own filters applied.

Each list's filters are read by that list's own code; this module only turns them into a
spec and hands it to beacon.reports. Large exports go to the worker and this page shows
their progress and the download link.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest, HttpResponseBase
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_GET

from beacon.core.streaming import ChunkedFileResponse
from beacon.orgs.models import Membership, Role
from beacon.reports.datasets import DATASETS, filters_to_spec
from beacon.reports.exports import (
    FORMATS,
    do_request_export,
    download,
    export_job,
    export_path,
    filename,
    row_count,
    runs_in_worker,
)
from beacon.reports.models import ExportState
from beacon.reports.writers import CONTENT_TYPES
from beacon.web.access import render_page, require_role, staff_view
from beacon.web.forms.analytics import ScopeForm
from beacon.web.forms.cases import CaseListForm
from beacon.web.forms.common import reads, values
from beacon.web.forms.contacts import ContactListForm
from beacon.web.forms.feed import FeedForm
from beacon.web.forms.reports import AlignmentExportForm, OutcomeExportForm
from beacon.web.rows import may_see_contact_details
from beacon.web.views import analytics

# What each list's page is called, so a refused filter sends the user back to it.
LIST_PAGES = {
    "responses": "web:analytics",
    "verbatims": "web:verbatims",
    "cases": "web:cases",
    "actions": "web:actions",
    "contacts": "web:contacts",
}
# The lists whose export reads no filters.
UNFILTERED = ("actions",)
# The whole customer list is personal data in bulk: admins and owners only.
MIN_ROLE = {"contacts": Role.ADMIN, "outcomes": Role.ANALYST, "alignment": Role.ANALYST}


# A list's filters as an export spec, whether one could not be read, and what was sent (to
# show the list again with the same filters).
Read = tuple[dict[str, Any], bool, dict[str, str]]


def _sent(form: forms.Form) -> dict[str, str]:
    return {name: value for name, value in values(form).items() if value}


def _responses_spec(request: HttpRequest, member: Membership) -> Read:
    form = ScopeForm(member.organization, request.GET)
    _check, f, problems = analytics._scope(form, member)
    return filters_to_spec(f), bool(problems), _sent(form)


def _verbatims_spec(request: HttpRequest, member: Membership) -> Read:
    form = FeedForm(member.organization, request.GET)
    return form.applied(), bool(form.problems()), _sent(form)


def _cases_spec(request: HttpRequest, member: Membership) -> Read:
    form = CaseListForm(member.organization, request.GET)
    return form.spec(member), bool(form.problems()), _sent(form)


def _contacts_spec(request: HttpRequest, member: Membership) -> Read:
    form = ContactListForm(member.organization, request.GET)
    return form.spec(), bool(form.problems()), _sent(form)


def _no_filters(request: HttpRequest, member: Membership) -> Read:
    return {}, False, {}


Spec = Callable[[HttpRequest, Membership], Read]


def _export(
    request: HttpRequest, member: Membership, dataset: str, fmt: str, spec_of: Spec
) -> HttpResponseBase:
    if dataset not in DATASETS or fmt not in FORMATS:
        raise Http404("no such export")
    if dataset in MIN_ROLE:
        require_role(member, MIN_ROLE[dataset])
    spec, refused, sent = spec_of(request, member)
    if refused:
        # The list shows which filter it could not use (400); an export must not quietly
        # drop it, so it sends the user back there with the same filters.
        return redirect(f"{reverse(LIST_PAGES[dataset])}?{urlencode(sent)}")
    data = DATASETS[dataset]
    org = member.organization
    reveal = may_see_contact_details(member)
    count = row_count(data, org, spec, reveal)
    if runs_in_worker(count):
        job = do_request_export(member, data, spec, fmt, reveal=reveal, total=count)
        return redirect("web:export_job", job.pk)
    return download(data, org, spec, reveal, fmt)


# Each list with filters has its own address (the same shape as the others), so it can
# declare the form its filters are read with.


@staff_view
@require_GET
@reads(ScopeForm)
def export_responses(
    request: HttpRequest, member: Membership, file_format: str
) -> HttpResponseBase:
    return _export(request, member, "responses", file_format, _responses_spec)


@staff_view
@require_GET
@reads(FeedForm)
def export_verbatims(
    request: HttpRequest, member: Membership, file_format: str
) -> HttpResponseBase:
    return _export(request, member, "verbatims", file_format, _verbatims_spec)


@staff_view
@require_GET
@reads(CaseListForm)
def export_cases(request: HttpRequest, member: Membership, file_format: str) -> HttpResponseBase:
    return _export(request, member, "cases", file_format, _cases_spec)


@staff_view
@require_GET
@reads(ContactListForm)
def export_contacts(request: HttpRequest, member: Membership, file_format: str) -> HttpResponseBase:
    return _export(request, member, "contacts", file_format, _contacts_spec)


def _without_a_list(
    request: HttpRequest, member: Membership, dataset: str, fmt: str, form: forms.Form
) -> HttpResponseBase:
    """An export reached from a page that is not a filtered list (the Value page, a round's
    results): a parameter it cannot read answers 400 naming it, as the API does."""
    require_role(member, MIN_ROLE[dataset])
    if not form.is_valid():
        problems = "; ".join(f"{name}: {errors[0]}" for name, errors in form.errors.items())
        return HttpResponseBadRequest(problems, content_type="text/plain; charset=utf-8")
    spec = form.spec()  # type: ignore[attr-defined]
    return _export(request, member, dataset, fmt, lambda _r, _m: (spec, False, {}))


@staff_view
@require_GET
@reads(OutcomeExportForm)
def export_outcomes(request: HttpRequest, member: Membership, file_format: str) -> HttpResponseBase:
    form = OutcomeExportForm(member.organization, request.GET)
    return _without_a_list(request, member, "outcomes", file_format, form)


@staff_view
@require_GET
@reads(AlignmentExportForm)
def export_alignment(
    request: HttpRequest, member: Membership, file_format: str
) -> HttpResponseBase:
    form = AlignmentExportForm(member.organization, request.GET)
    return _without_a_list(request, member, "alignment", file_format, form)


@staff_view
@require_GET
def export_list(
    request: HttpRequest, member: Membership, dataset: str, file_format: str
) -> HttpResponseBase:
    """Lists without filters (actions); any other name is not found."""
    if dataset not in UNFILTERED:
        raise Http404("no such export")
    return _export(request, member, dataset, file_format, _no_filters)


def _own_job(member: Membership, job_id: int) -> Any:
    # Only the member who asked: the file holds what that member could see.
    job = export_job(member.organization, job_id)
    if job is None or job.requested_by_id != member.pk:
        raise Http404("no such export")
    return job


@staff_view
@require_GET
def export_job_page(request: HttpRequest, member: Membership, job_id: int) -> HttpResponse:
    job = _own_job(member, job_id)
    context = {
        "job": job,
        "label": DATASETS[job.dataset].label,
        "running": job.state in (ExportState.PENDING, ExportState.RUNNING),
        "done": job.state == ExportState.DONE and export_path(job).exists(),
    }
    return render_page(request, member, "web/export_job.html", context)


@staff_view
@require_GET
def export_job_file(request: HttpRequest, member: Membership, job_id: int) -> HttpResponseBase:
    job = _own_job(member, job_id)
    path = export_path(job)
    if job.state != ExportState.DONE or not path.exists():
        raise Http404("the file is not ready or no longer kept")
    return ChunkedFileResponse(
        path.open("rb"),
        as_attachment=True,
        filename=filename(DATASETS[job.dataset], job.fmt),
        content_type=CONTENT_TYPES[job.fmt],
    )
