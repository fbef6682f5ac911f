"""The verbatim feed: what customers wrote, filterable, 25 at a time, with or without JS."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, QueryDict
from django.utils.cache import patch_vary_headers

from beacon.cxmodel.models import Persona
from beacon.cxmodel.queries import stages
from beacon.orgs.models import Membership, Organization, Team
from beacon.responses.queries import (
    NPS_BANDS,
    VERBATIM_ID_FILTERS,
    verbatim_lookups,
    verbatims,
)
from beacon.surveys.models import Survey
from beacon.web.access import render_page, staff_view
from beacon.web.rows import with_scores

PAGE_SIZE = 25
MAX_QUERY = 200
BANDS = NPS_BANDS


@dataclass
class FeedFilters:
    values: dict[str, str] = field(default_factory=dict)
    lookups: dict[str, Any] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)


def _choice_filter(raw: str, name: str, options: dict[int, str], out: FeedFilters) -> None:
    if not raw:
        return
    if not raw.isdigit() or int(raw) not in options:
        out.problems.append(f"{name}: unknown {name} {raw[:40]!r}; the filter was not applied.")
        return
    out.values[name] = raw


def parse_filters(org: Organization, params: QueryDict, options: dict[str, Any]) -> FeedFilters:
    """Read the filters; an unusable one is dropped with a message, never a 500."""
    out = FeedFilters()
    for name in VERBATIM_ID_FILTERS:
        ids = {pk: label for pk, label in options[name]}
        _choice_filter(params.get(name, "").strip(), name, ids, out)
    band = params.get("band", "").strip()
    if band:
        if band in BANDS:
            out.values["band"] = band
        else:
            out.problems.append(
                f"band: must be detractor, passive or promoter (got {band[:40]!r}); "
                "the filter was not applied."
            )
    q = params.get("q", "").strip()
    if q:
        if len(q) > MAX_QUERY:
            out.problems.append(f"q: search text must be at most {MAX_QUERY} characters.")
        else:
            out.values["q"] = q
    out.lookups = verbatim_lookups(org, out.values)
    return out


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
def verbatim_feed(request: HttpRequest, member: Membership) -> HttpResponse:
    org = member.organization
    options = filter_options(org)
    filters = parse_filters(org, request.GET, options)
    paginator = Paginator(verbatims(org, **filters.lookups), PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    context = {
        "options": options,
        "bands": list(BANDS),
        "filters": filters.values,
        "problems": filters.problems,
        "page": page,
        "rows": with_scores(org, page.object_list, viewer=member),
        "next_query": _query(filters.values, page.next_page_number()) if page.has_next() else "",
        "first_query": _query(filters.values),
    }
    # htmx asks for a part of the page: the results after a filter change, or the next
    # items for "load more". Without JS the same URLs give the full page.
    target = request.headers.get("HX-Target", "") if request.headers.get("HX-Request") else ""
    template = {
        "results": "web/_verbatim_results.html",
        "load-more": "web/_verbatim_items.html",
    }.get(target, "web/verbatims.html")
    response = render_page(request, member, template, context, nav="verbatims")
    patch_vary_headers(response, ("HX-Request", "HX-Target"))
    return response
