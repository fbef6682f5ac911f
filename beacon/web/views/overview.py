"""The overview dashboard: NPS / CSAT / CES with n and interval, trend, breakdowns, verbatims."""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest, HttpResponse

from beacon.analytics import metrics
from beacon.analytics.attention import needs_attention
from beacon.core import clock
from beacon.orgs.models import Membership
from beacon.responses.queries import verbatims
from beacon.web.access import render_page, staff_view
from beacon.web.present import attention_rows, breakdown_chart, shown, trend_chart
from beacon.web.rows import with_scores

PERIODS = (30, 90, 180)
DEFAULT_PERIOD = 90
TREND_WEEKS = 12
LATEST_VERBATIMS = 8


def parse_period(raw: str | None) -> tuple[int, str]:
    """The period in days and, for a value we cannot use, a message saying what we did."""
    if raw is None or raw == "":
        return DEFAULT_PERIOD, ""
    if raw.isdigit() and int(raw) in PERIODS:
        return int(raw), ""
    allowed = ", ".join(str(p) for p in PERIODS)
    return DEFAULT_PERIOD, (
        f"period must be one of {allowed} days; showing the last {DEFAULT_PERIOD} days."
    )


@staff_view
def overview(request: HttpRequest, member: Membership) -> HttpResponse:
    org = member.organization
    period, problem = parse_period(request.GET.get("period"))
    now = clock.now()
    today = now.date()
    start = today - dt.timedelta(days=period - 1)
    filters = metrics.Filters(start=start, end=today)
    cards = [shown(mv) for mv in metrics.summary(org, filters).values()]
    trend = metrics.trend(org, "nps", weeks=TREND_WEEKS, today=today)
    by_stage = [r for r in metrics.breakdown(org, "nps", "stage", filters) if r[2].n]
    by_persona = [r for r in metrics.breakdown(org, "nps", "persona", filters) if r[2].n]
    since = dt.datetime.combine(start, dt.time.min, tzinfo=dt.UTC)
    latest = with_scores(
        org, verbatims(org, response__responded_at__gte=since)[:LATEST_VERBATIMS], viewer=member
    )
    context = {
        "period": period,
        "periods": PERIODS,
        "problem": problem,
        "start": start,
        "today": today,
        "cards": cards,
        "trend_rows": [(week, shown(mv)) for week, mv in trend],
        "trend_chart": trend_chart("NPS", trend),
        "stage_rows": [(name, shown(mv)) for name, _pk, mv in by_stage],
        "stage_chart": breakdown_chart("NPS by stage", by_stage),
        "persona_rows": [(name, shown(mv)) for name, _pk, mv in by_persona],
        "persona_chart": breakdown_chart("NPS by persona", by_persona),
        "latest": latest,
        "attention": attention_rows(needs_attention(org, now)),
    }
    return render_page(request, member, "web/overview.html", context, nav="overview")
