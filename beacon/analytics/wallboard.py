"""What a wallboard shows: its metrics over its window and the latest verbatims.

A wallboard on a theme shows the figures of responses whose comment mentions the theme
and the latest comments that mention it."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Max

from beacon.analytics import metrics
from beacon.analytics.display import figure
from beacon.analytics.models import Wallboard
from beacon.core import clock
from beacon.insights.models import ThemeMention
from beacon.responses.models import Response
from beacon.responses.queries import verbatims

LATEST_VERBATIMS = 6


def change_marker(wall: Wallboard) -> int:
    """What the live stream watches for a change: the newest response id, one index lookup.

    On a theme wallboard, the newest mention of the theme instead: a response's themes are
    found after it arrives, so its own id would change before the wallboard's figures do."""
    if wall.theme_id is not None:
        mentions = ThemeMention.objects.filter(
            organization_id=wall.organization_id, theme_id=wall.theme_id
        )
        return int(mentions.aggregate(m=Max("id"))["m"] or 0)
    found = Response.objects.for_org(wall.organization_id).aggregate(m=Max("id"))["m"]
    return int(found or 0)


def title(wall: Wallboard) -> str:
    """The wallboard's name, and its theme when it has one: a screen says what it counts."""
    return f"{wall.name} · {wall.theme.name}" if wall.theme is not None else wall.name


def _metric(key: str, m: metrics.MetricValue) -> dict[str, Any]:
    """Numbers for machines, and text at one precision for the screen (value and bounds
    read against each other, so they never differ in decimals)."""
    shown = None
    if m.value is not None and m.low is not None and m.high is not None:
        fig = figure(key, m.value, m.low, m.high)
        shown = {"value": fig.value, "low": fig.low, "high": fig.high}
    return {
        "key": key, "label": m.label, "unit": m.unit, "n": m.n, "enough": m.enough,
        "value": None if m.value is None else round(m.value, 1 if m.unit else 0),
        "low": None if m.low is None else round(m.low, 1),
        "high": None if m.high is None else round(m.high, 1),
        "shown": shown,
    }  # fmt: skip


def snapshot(wall: Wallboard) -> dict[str, Any]:
    org = wall.organization
    today = clock.now().date()
    f = metrics.Filters(
        start=today - dt.timedelta(days=wall.window_days - 1),
        end=today,
        survey_id=wall.survey_id,
        stage_id=wall.stage_id,
        theme_id=wall.theme_id,
    )
    values = [_metric(key, metrics.metric(org, key, f)) for key in wall.metrics]
    filters: dict[str, Any] = {}
    if wall.survey_id:
        filters["response__survey_id"] = wall.survey_id
    if wall.stage_id:
        filters["response__stage_id"] = wall.stage_id
    if wall.theme_id:
        # The comments that mention the theme, not every comment of those responses.
        filters["pk__in"] = ThemeMention.objects.filter(
            organization_id=org.pk, theme_id=wall.theme_id
        ).values("answer_id")
    latest = [
        {
            "text": a.text[:280],
            "when": a.response.responded_at.isoformat(),
            "where": str(a.response.stage or a.response.survey),
        }
        for a in verbatims(org, **filters)[:LATEST_VERBATIMS]
    ]
    return {
        "name": wall.name,
        "title": title(wall),
        "theme": wall.theme.name if wall.theme is not None else None,
        "window_days": wall.window_days,
        "metrics": values,
        "verbatims": latest,
        "change_marker": change_marker(wall),
    }
