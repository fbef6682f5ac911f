"""The public wall: approved, redacted comments, the company's replies, completed actions
and the overall score, for an organisation that opted in. No login; nothing unapproved."""

from __future__ import annotations

import datetime as dt

from csp.decorators import csp_replace
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.http import require_http_methods

from beacon.analytics.metrics import Filters, metric
from beacon.core import clock
from beacon.loop.queries import wall_actions, wall_posts, wall_settings
from beacon.orgs.models import Organization
from beacon.public.views import branding

SCORE_DAYS = 90


def _wall(request: HttpRequest, slug: str, *, embed: bool) -> HttpResponse:
    org = Organization.objects.filter(slug=slug).first()
    settings = wall_settings(org) if org is not None else None
    if org is None or settings is None or not settings.enabled:
        raise Http404("no public wall here")
    if embed and not settings.embeddable:
        raise Http404("this wall is not embeddable")
    today = clock.now().date()
    score = metric(org, "nps", Filters(start=today - dt.timedelta(days=SCORE_DAYS), end=today))
    context = {
        **branding(org),
        "org": org,
        "headline": settings.headline or f"What customers say about {org.name}",
        "posts": wall_posts(org),
        "actions": wall_actions(org),
        "score": score,
        "score_days": SCORE_DAYS,
        "embed": embed,
    }
    return render(request, "public/wall_embed.html" if embed else "public/wall.html", context)


@require_http_methods(["GET", "HEAD"])
def wall(request: HttpRequest, slug: str) -> HttpResponse:
    return _wall(request, slug, embed=False)


# Only this variant may sit in another site's frame, and only when the organisation allows it
# (a wall that is not embeddable answers 404 here). Any site may frame it: the wall shows
# only what its organisation already publishes.
@xframe_options_exempt
@csp_replace({"frame-ancestors": ["*"]})  # type: ignore[arg-type]  # typed for (request) only
@require_http_methods(["GET", "HEAD"])
def wall_embed(request: HttpRequest, slug: str) -> HttpResponse:
    return _wall(request, slug, embed=True)
