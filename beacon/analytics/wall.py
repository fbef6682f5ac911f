"""What a wallboard shows: its metrics over its window and the latest verbatims."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Max

from beacon.analytics import metrics
from beacon.analytics.models import Wallboard
from beacon.core import clock
from beacon.responses.models import Response
from beacon.responses.queries import verbatims

LATEST_VERBATIMS = 6


def latest_response_id(wall: Wallboard) -> int:
    """Cheap change detector for the live stream: one index lookup (organisation, id)."""
    found = Response.objects.for_org(wall.organization_id).aggregate(m=Max("id"))["m"]
    return int(found or 0)


def snapshot(wall: Wallboard) -> dict[str, Any]:
    org = wall.organization
    today = clock.now().date()
    f = metrics.Filters(
        start=today - dt.timedelta(days=wall.window_days - 1),
        end=today,
        survey_id=wall.survey_id,
        stage_id=wall.stage_id,
    )
    values = []
    for key in wall.metrics:
        m = metrics.metric(org, key, f)
        values.append({
            "key": key, "label": m.label, "unit": m.unit, "n": m.n, "enough": m.enough,
            "value": None if m.value is None else round(m.value, 1 if m.unit else 0),
            "low": None if m.low is None else round(m.low, 1),
            "high": None if m.high is None else round(m.high, 1),
        })  # fmt: skip
    filters: dict[str, Any] = {}
    if wall.survey_id:
        filters["response__survey_id"] = wall.survey_id
    if wall.stage_id:
        filters["response__stage_id"] = wall.stage_id
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
        "window_days": wall.window_days,
        "metrics": values,
        "verbatims": latest,
        "latest_response_id": latest_response_id(wall),
    }
