"""The verbatim feed: what customers wrote, filterable, 25 at a time, with or without JS.

Pages are keyset pages ("Load more" carries where the last one ended) with no total: at
hundreds of thousands of comments a COUNT of all of them, and an OFFSET over those before
the page, cost seconds on each load."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest, HttpResponse, QueryDict
from django.utils.cache import patch_vary_headers

from beacon.cxmodel.models import Persona
from beacon.cxmodel.queries import stages
from beacon.orgs.models import Membership, Organization, Team
from beacon.responses.queries import FeedCursor, after, verbatims
from beacon.surveys.models import Survey
from beacon.web.access import render_page, staff_view
from beacon.web.forms.common import reads
from beacon.web.forms.feed import BANDS, FeedForm
from beacon.web.rows import VerbatimRow, may_see_contact_details, with_scores

PAGE_SIZE = 25


def filter_options(org: Organization) -> dict[str, list[tuple[int, str]]]:
    return {
        "survey": [(s.pk, s.name) for s in Survey.objects.for_org(org).order_by("name")],
        "stage": [(s.pk, s.name) for s in stages(org)],
        "persona": [(p.pk, p.name) for p in Persona.objects.for_org(org).order_by("name")],
        "team": [(t.pk, t.name) for t in Team.objects.for_org(org).order_by("name")],
    }


def _query(values: dict[str, str], cursor: FeedCursor | None = None) -> str:
    q = QueryDict(mutable=True)
    for key, value in values.items():
        q[key] = value
    if cursor is not None:
        q["after"] = cursor.token
    return q.urlencode()


@dataclass(frozen=True)
class CommentPage:
    """One page of comments as the feed shows them (masked by the viewer's role), with the
    query strings of the next page ("" at the end) and of the first."""

    rows: list[VerbatimRow]
    later: bool  # not the first page: the page offers a way back to the newest
    next_query: str
    first_query: str

    def context(self) -> dict[str, Any]:
        return {
            "rows": self.rows,
            "later": self.later,
            "next_query": self.next_query,
            "first_query": self.first_query,
        }


def comment_page(
    member: Membership, answers: Any, cursor: FeedCursor | None, filters: dict[str, str]
) -> CommentPage:
    """The page of `answers` (a `verbatims` queryset) after `cursor` for `member`;
    `filters` are the query-string values the page links keep."""
    # One row more than shown says whether there is a next page, without counting.
    found = list(after(answers, cursor)[: PAGE_SIZE + 1])
    shown = found[:PAGE_SIZE]
    more = len(found) > PAGE_SIZE
    return CommentPage(
        rows=with_scores(member.organization, shown, viewer=member),
        later=cursor is not None,
        next_query=_query(filters, FeedCursor.of(shown[-1])) if more else "",
        first_query=_query(filters),
    )


def htmx_part(request: HttpRequest) -> str:
    """The part of the page htmx asks for ("results", "load-more"), or "" for the page."""
    return request.headers.get("HX-Target", "") if request.headers.get("HX-Request") else ""


def with_htmx_vary(response: HttpResponse) -> HttpResponse:
    # The same URL answers with a part or the whole page: caches must tell them apart.
    patch_vary_headers(response, ("HX-Request", "HX-Target"))
    return response


@staff_view
@reads(FeedForm)
def verbatim_feed(request: HttpRequest, member: Membership) -> HttpResponse:
    org = member.organization
    form = FeedForm(org, request.GET)
    applied, problems = form.applied(), form.problems()
    answers = verbatims(org).filter(form.condition(reveal=may_see_contact_details(member)))
    context = {
        "options": filter_options(org),
        "bands": list(BANDS),
        "filters": applied,
        "problems": problems,
        **comment_page(member, answers, form.cursor(), applied).context(),
    }
    # htmx asks for a part of the page: the results after a filter change, or the next
    # items for "load more". Without JS the same URLs give the full page.
    template = {
        "results": "web/_verbatim_results.html",
        "load-more": "web/_verbatim_items.html",
    }.get(htmx_part(request), "web/verbatims.html")
    status = 400 if problems else 200
    return with_htmx_vary(
        render_page(request, member, template, context, status=status, nav="verbatims")
    )
