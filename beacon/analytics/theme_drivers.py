"""Themes as drivers of NPS: what the responses that mention a theme do to the score.

For each active theme, among responses with a classified comment in the filter: how many
mention it, the NPS of those that do and of those that do not, the difference with its 95%
interval, and the theme's impact on the overall NPS: how many points the overall NPS would
move if the responses mentioning the theme scored like the rest. With s the share that
mention it, NPS = s * NPS_with + (1 - s) * NPS_rest, so that move is s * (NPS_rest -
NPS_with). Its interval is the difference's interval times s (s taken as known).

Everything is counted in the database (score histograms per theme), so the cost does not
grow with the number of responses read into Python. Counting still reads every commented
answer in the filter and its mentions (rollups have no theme column): about a second per
100,000 comments, too long for a page load, so pages and the API read the histograms the
worker stored (`stored_theme_drivers`, `beacon.core.computed`) with their "as of" time;
the figures themselves are computed from those histograms on each request (cheap), so the
theme names and the organisation's minimum sample are always today's.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.db.models import Sum

from beacon.analytics import metrics, stats
from beacon.core.computed import Computed, read_or_request
from beacon.insights import queries as insight_queries
from beacon.insights.models import Theme
from beacon.orgs.models import Organization


@dataclass(frozen=True)
class ThemeDriver:
    theme_id: int
    name: str
    share: metrics.Rate  # responses mentioning the theme, of all with a classified comment
    mentioned: metrics.MetricValue  # NPS of the responses that mention it
    rest: metrics.MetricValue  # NPS of the others
    difference: stats.Difference | None  # mentioned minus rest

    @property
    def n(self) -> int:
        return self.mentioned.n

    @property
    def enough(self) -> bool:
        return self.mentioned.enough and self.rest.enough and self.difference is not None

    def _gated(self, value: float) -> float | None:
        return value if self.enough else None

    @property
    def diff(self) -> float | None:
        return self._gated(self.difference.diff) if self.difference else None

    @property
    def diff_low(self) -> float | None:
        return self._gated(self.difference.low) if self.difference else None

    @property
    def diff_high(self) -> float | None:
        return self._gated(self.difference.high) if self.difference else None

    @property
    def _fraction(self) -> float:
        return self.share.numerator / self.share.denominator if self.share.denominator else 0.0

    @property
    def impact(self) -> float | None:
        """Points the overall NPS would gain (negative: lose) if these scored like the rest."""
        return None if self.diff is None else -self._fraction * self.diff

    @property
    def impact_low(self) -> float | None:
        return None if self.diff_high is None else -self._fraction * self.diff_high

    @property
    def impact_high(self) -> float | None:
        return None if self.diff_low is None else -self._fraction * self.diff_low


@dataclass(frozen=True)
class ThemeDrivers:
    overall: metrics.MetricValue  # NPS of all responses with a classified comment
    themes: list[ThemeDriver]  # by impact, largest first; those without a number last


def _histograms(
    org: Organization, f: metrics.Filters
) -> tuple[dict[int, int], dict[int, dict[int, int]]]:
    """NPS histograms of all responses with a classified comment, and per theme mentioned."""
    question_ids = metrics.question_ids(org, metrics.METRICS["nps"], f)
    cells = metrics.answer_cells(org, question_ids, f, commented=True)
    overall = {
        r["score"]: int(r["c"]) for r in cells.values("score").annotate(c=Sum("count")).order_by()
    }
    per_theme: dict[int, dict[int, int]] = defaultdict(dict)
    by_theme = metrics.answer_cells(org, question_ids, f, "theme_id", commented=True)
    for r in by_theme.values("theme_id", "score").annotate(c=Sum("count")).order_by():
        per_theme[r["theme_id"]][r["score"]] = int(r["c"])
    return overall, per_theme


def _driver(
    org: Organization, theme: Theme, overall: dict[int, int], mentioned: dict[int, int]
) -> ThemeDriver:
    nps = metrics.METRICS["nps"]
    rest = {s: c - mentioned.get(s, 0) for s, c in overall.items()}
    n, total = sum(mentioned.values()), sum(overall.values())
    return ThemeDriver(
        theme_id=theme.pk,
        name=theme.name,
        share=metrics.Rate("Mention it", n, total, org.min_sample_size, stats.wilson(n, total)),
        mentioned=metrics.value_of(org, nps, mentioned),
        rest=metrics.value_of(org, nps, rest),
        difference=stats.nps_difference(rest, mentioned),
    )


def theme_drivers(org: Organization, f: metrics.Filters | None = None) -> ThemeDrivers:
    """Counted now (jobs, board packs); pages and the API read `stored_theme_drivers`."""
    return _from_histograms(org, *_histograms(org, f or metrics.Filters()))


def _from_histograms(
    org: Organization, overall: dict[int, int], per_theme: dict[int, dict[int, int]]
) -> ThemeDrivers:
    themes = insight_queries.themes(org)
    rows = [_driver(org, t, overall, per_theme.get(t.pk, {})) for t in themes]
    # Largest impact first; themes without a number after, most mentioned first.
    rows.sort(key=lambda d: (d.impact is None, -(d.impact or 0.0), -d.n, d.name))
    return ThemeDrivers(overall=metrics.value_of(org, metrics.METRICS["nps"], overall), themes=rows)


# --- stored: histograms counted by the worker, figures computed from them per request ----

THEME_HISTOGRAMS = "beacon.analytics.theme_drivers.histograms_data"
# As key drivers: answers keep arriving; older counts are recounted on the next visit.
FRESH_FOR = dt.timedelta(minutes=15)


def histograms_data(org_id: int, params: dict[str, Any]) -> dict[str, Any]:
    """The job's computation: `_histograms` as JSON (keys are text in JSON)."""
    org = Organization.objects.get(pk=org_id)
    overall, per_theme = _histograms(org, metrics.Filters.from_params(params["filters"]))
    return {
        "overall": {str(s): c for s, c in overall.items()},
        "per_theme": {str(t): {str(s): c for s, c in h.items()} for t, h in per_theme.items()},
    }


@dataclass(frozen=True)
class StoredThemeDrivers:
    result: ThemeDrivers | None  # None until the worker has counted once
    computed: Computed


def stored_theme_drivers(org: Organization, f: metrics.Filters | None = None) -> StoredThemeDrivers:
    params = {"filters": (f or metrics.Filters()).to_params()}
    computed = read_or_request(org.pk, THEME_HISTOGRAMS, params, max_age=FRESH_FOR)
    if computed.data is None:
        return StoredThemeDrivers(None, computed)
    overall = {int(s): int(c) for s, c in computed.data["overall"].items()}
    per_theme = {
        int(t): {int(s): int(c) for s, c in h.items()}
        for t, h in computed.data["per_theme"].items()
    }
    return StoredThemeDrivers(_from_histograms(org, overall, per_theme), computed)
