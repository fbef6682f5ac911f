"""Personas in every room: a printable poster per persona and the meeting opener's story."""

from __future__ import annotations

import datetime as dt
from itertools import groupby

from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

from beacon.analytics import metrics
from beacon.analytics.journey import PERIOD_DAYS
from beacon.core import clock
from beacon.cxmodel.models import Need, Persona
from beacon.insights.text import redact
from beacon.loop.stories import STORY_RULE, meeting_story
from beacon.orgs.models import Membership
from beacon.responses.queries import verbatims
from beacon.web.access import render_page, staff_view
from beacon.web.forms.common import reads
from beacon.web.forms.cx import POSTER_SIZES, PosterForm
from beacon.web.present import shown
from beacon.web.rows import may_see_contact_details, with_scores

POSTER_VERBATIMS = 2


@staff_view
@require_GET
@reads(PosterForm)
def poster(request: HttpRequest, member: Membership, persona_id: int) -> HttpResponse:
    org = member.organization
    persona = Persona.objects.for_org(org).filter(pk=persona_id).first()
    if persona is None:
        raise Http404("no such persona")
    form = PosterForm(org, request.GET)
    end = clock.now().date()
    start = end - dt.timedelta(days=PERIOD_DAYS - 1)
    # Responses carry the persona of the contact when they answered (the rollups' persona
    # dimension), so these are the scores of this persona's customers.
    scores = metrics.summary(org, metrics.Filters(start=start, end=end, persona_id=persona.pk))
    needs = (
        Need.objects.for_org(org)
        .filter(persona=persona)
        .select_related("stage", "owner")
        .order_by("stage__journey_id", "stage__position", "pk")
    )
    comments = verbatims(org, response__persona_id=persona.pk)[:POSTER_VERBATIMS]
    problems = form.problems()
    context = {
        "persona": persona,
        "size": form.chosen(),
        "sizes": POSTER_SIZES,
        "start": start,
        "end": end,
        "scores": [shown(v) for v in scores.values()],
        "stages": [(stage, list(group)) for stage, group in groupby(needs, lambda n: n.stage)],
        "rows": with_scores(org, comments, viewer=member),
        "errors": problems,
    }
    return render_page(
        request,
        member,
        "web/persona_poster.html",
        context,
        status=400 if problems else 200,
        nav="personas",
    )


@staff_view
@require_GET
def story(request: HttpRequest, member: Membership) -> HttpResponse:
    org = member.organization
    found = meeting_story(org)
    context: dict[str, object] = {"rule": STORY_RULE, "story": found}
    if found is not None:
        reveal = may_see_contact_details(member)
        context["row"] = with_scores(org, [found.comment], viewer=member)[0]
        # The case and the message to the customer are masked for the same roles as the
        # comment itself (the verbatim feed's rule).
        context["case_title"] = _shown(found.case.title, reveal)
        context["resolution"] = _shown(found.case.resolution, reveal)
        context["update_body"] = _shown(found.update.body if found.update else "", reveal)
    return render_page(request, member, "web/story.html", context, nav="personas")


def _shown(text: str, reveal: bool) -> str:
    return text if reveal else redact(text)
