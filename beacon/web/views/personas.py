"""Personas in every room: a printable poster per persona and the meeting opener's story."""

from __future__ import annotations

import datetime as dt
from itertools import groupby
from typing import Any

from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

from beacon.analytics import metrics
from beacon.analytics.journey import PERIOD_DAYS
from beacon.core import clock
from beacon.cxmodel.models import Need, Persona
from beacon.insights.text import redact
from beacon.loop.stories import STORY_RULE, meeting_story
from beacon.orgs.models import Membership, Organization
from beacon.responses.models import Answer, Response
from beacon.responses.queries import verbatims
from beacon.surveys.models import QuestionKind
from beacon.web.access import render_page, staff_view
from beacon.web.forms.common import reads
from beacon.web.forms.cx import POSTER_SIZES, PosterForm
from beacon.web.present import shown
from beacon.web.rows import may_see_contact_details, with_scores

POSTER_VERBATIMS = 2
# The poster's comments are looked for among the persona's newest responses this many at
# a time, for at most this many rounds, before asking the comment feed's query (which
# orders every comment of the persona: seconds at a million responses).
RESPONSES_PER_LOOK = 500
LOOKS = 10


def _newest_comments(org: Organization, persona_id: int, n: int) -> list[Answer]:
    """The persona's newest `n` comments, newest first (as the verbatim feed orders them).

    Walks the persona's responses newest first on the (organization, responded_at) index
    and reads the comments of each batch by response id, so a persona whose customers
    comment at all is answered from its newest few hundred responses."""
    responses = (
        Response.objects.for_org(org).filter(persona_id=persona_id).order_by("-responded_at", "-pk")
    )
    found: list[tuple[Any, int]] = []
    before: tuple[Any, int] | None = None
    for _ in range(LOOKS):
        window = responses
        if before is not None:
            at, pk = before
            window = window.filter(Q(responded_at__lt=at) | Q(responded_at=at, pk__lt=pk))
        batch = list(window.values_list("responded_at", "pk")[:RESPONSES_PER_LOOK])
        if not batch:
            break
        when = dict((pk, at) for at, pk in batch)
        texts = (
            Answer.objects.filter(response_id__in=list(when), question__kind=QuestionKind.TEXT)
            .exclude(text="")
            .values_list("pk", "response_id")
        )
        found += [(when[response_id], pk) for pk, response_id in texts]
        if len(found) >= n:
            break
        before = batch[-1]
    else:
        # Few comments among the newest responses: the whole feed's query decides.
        return list(verbatims(org, response__persona_id=persona_id)[:n])
    chosen = [pk for _, pk in sorted(found, reverse=True)[:n]]
    rows = {a.pk: a for a in verbatims(org).filter(pk__in=chosen)}
    return [rows[pk] for pk in chosen]


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
    comments = _newest_comments(org, persona.pk, POSTER_VERBATIMS)
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
