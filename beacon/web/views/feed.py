"""The verbatim feed: what customers wrote, filterable, 25 at a time, with or without JS."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, QueryDict
from django.utils.cache import patch_vary_headers

from beacon.cxmodel.models import Persona
from beacon.cxmodel.queries import stages
from beacon.orgs.models import Membership, Organization, Team
from beacon.responses.queries import verbatims
from beacon.surveys.models import Survey
from beacon.web.access import render_page, staff_view
from beacon.web.forms.common import reads
from beacon.web.forms.feed import BANDS, FeedForm
from beacon.web.rows import may_see_contact_details, with_scores

PAGE_SIZE = 25


def filter_options(org: Organization) -> dict[str, list[tuple[int, str]]]:
    return {
        "survey": [(s.pk, s.name) for s in Survey.objects.for_org(org).order_by("name")],
        "stage": [(s.pk, s.name) for s in stages(org)],
        "persona": [(p.pk, p.name) for p in Persona.objects.for_org(org).order_by("name")],
        "team": [(t.pk, t.name) for t in Team.objects.for_org(org).order_by("name")],
    }


def _query(values: dict[str, str], page: int | None = None) -> str:
    q = QueryDict(mutable=True)
    for key, value in values.items():
        q[key] = value
    if page is not None:
        q["page"] = str(page)
    return q.urlencode()


@staff_view
@reads(FeedForm)
def verbatim_feed(request: HttpRequest, member: Membership) -> HttpResponse:
    org = member.organization
    form = FeedForm(org, request.GET)
    applied, problems = form.applied(), form.problems()
    paginator = Paginator(
        verbatims(org, **form.lookups(reveal=may_see_contact_details(member))), PAGE_SIZE
    )
    page = paginator.get_page(form.page_number())
    context = {
        "options": filter_options(org),
        "bands": list(BANDS),
        "filters": applied,
        "problems": problems,
        "page": page,
        "rows": with_scores(org, page.object_list, viewer=member),
        "next_query": _query(applied, page.next_page_number()) if page.has_next() else "",
        "first_query": _query(applied),
    }
    # htmx asks for a part of the page: the results after a filter change, or the next
    # items for "load more". Without JS the same URLs give the full page.
    target = request.headers.get("HX-Target", "") if request.headers.get("HX-Request") else ""
    template = {
        "results": "web/_verbatim_results.html",
        "load-more": "web/_verbatim_items.html",
    }.get(target, "web/verbatims.html")
    status = 400 if problems else 200
    response = render_page(request, member, template, context, status=status, nav="verbatims")
    patch_vary_headers(response, ("HX-Request", "HX-Target"))
    return response
