"""One theme as a theme page shows it: what it does to NPS, how often it comes up week by
week and with what NPS, and how customers feel about it.

The NPS impact is the theme's row of the theme drivers analysis (theme_drivers.py). The
weekly share of mentions and the sentiment split are proportions with Wilson intervals;
the weekly NPS of the responses that mention the theme is the usual NPS with its interval.
Every count is a count of responses (a response whose two comments mention the theme
counts once), so shares and NPS speak of the same customers.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Sum
from django.db.models.functions import TruncDate

from beacon.analytics import metrics, stats
from beacon.analytics.theme_drivers import ThemeDriver, stored_theme_drivers
from beacon.core.computed import Computed, read_or_request
from beacon.insights.models import AnswerInsight, Sentiment, Theme, ThemeMention
from beacon.orgs.models import Organization

TREND_WEEKS = 13


@dataclass(frozen=True)
class ThemeWeek:
    week: dt.date  # the Monday the week starts on
    mentions: metrics.Rate  # responses mentioning the theme, of those with a classified comment
    nps: metrics.MetricValue  # NPS of the responses that mention it


@dataclass(frozen=True)
class SentimentShare:
    sentiment: str
    label: str
    share: metrics.Rate  # of the responses mentioning the theme


@dataclass(frozen=True)
class ThemeProfile:
    # NPS of every response with a classified comment; None while the worker first counts.
    overall: metrics.MetricValue | None
    driver: ThemeDriver | None  # None for a switched-off theme: the analysis reads active ones
    volume: int | None  # responses mentioning the theme in the period; None while counting
    weeks: list[ThemeWeek]  # oldest first; empty while the worker first counts
    sentiments: list[SentimentShare]  # empty while the worker first counts
    computed: Computed  # when the worker counted the drivers' histograms
    figures: Computed  # when the worker counted volume, weeks and sentiments


def _mentions(org_id: int, theme_id: int, f: metrics.Filters) -> Any:
    window = {f"response__responded_at__{op}": v for op, v in metrics.day_range(f).items()}
    return ThemeMention.objects.filter(organization_id=org_id, theme_id=theme_id, **window)


def _per_week(rows: Any) -> dict[dt.date, int]:
    """Responses per week from rows of (day, responses that day)."""
    weeks: dict[dt.date, int] = defaultdict(int)
    for row in rows:
        weeks[metrics.week_start(row["day"])] += int(row["c"])
    return weeks


def _by_day(qs: Any) -> Any:
    day = TruncDate("response__responded_at", tzinfo=dt.UTC)
    return (
        qs.annotate(day=day)
        .values("day")
        .annotate(c=Count("response_id", distinct=True))
        .order_by()
    )


def _nps_per_week(
    org: Organization, theme_id: int, first: dt.date, weeks: int
) -> dict[dt.date, dict[int, int]]:
    """Each week's NPS histogram of the responses mentioning the theme, as `metrics.trend`
    counts it (whole weeks, the last one to its Sunday), in one read of the answers
    grouped by day: a read per week read every answer of the organisation each time
    (SQLite walks them by organisation), 11 s of the theme page's 15 at 1M."""
    f = metrics.Filters(start=first, end=first + dt.timedelta(weeks=weeks, days=-1),
                        theme_id=theme_id)  # fmt: skip
    question_ids = metrics.question_ids(org, metrics.METRICS["nps"], f)
    cells = metrics.answer_cells(org, question_ids, f)
    out: dict[dt.date, dict[int, int]] = defaultdict(dict)
    for row in cells.values("day", "score").annotate(c=Sum("count")).order_by():
        week = out[metrics.week_start(row["day"])]
        week[row["score"]] = week.get(row["score"], 0) + int(row["c"])
    return out


def count_figures(
    org: Organization, theme_id: int, *, today: dt.date, days: int, weeks: int
) -> dict[str, Any]:
    """Everything the theme page shows besides the drivers, counted from the mentions
    (seconds at 1M responses: the worker's job, `figures_data`), as JSON."""
    f = metrics.Filters(start=today - dt.timedelta(days=days - 1), end=today)
    first = metrics.week_start(today) - dt.timedelta(weeks=weeks - 1)
    window = metrics.Filters(start=first, end=today)
    mentioned = _per_week(_by_day(_mentions(org.pk, theme_id, window)))
    commented = AnswerInsight.objects.filter(
        organization_id=org.pk,
        unclassifiable=False,
        **{f"response__responded_at__{op}": v for op, v in metrics.day_range(window).items()},
    )
    population = _per_week(_by_day(commented))
    nps = _nps_per_week(org, theme_id, first, weeks)
    rows = []
    for i in range(weeks):
        week = first + dt.timedelta(weeks=i)
        rows.append({"week": week.isoformat(), "mentioned": mentioned.get(week, 0),
                     "population": population.get(week, 0),
                     "nps": {str(s): c for s, c in sorted(nps[week].items())}})  # fmt: skip
    sentiments = (
        _mentions(org.pk, theme_id, f)
        .values("sentiment")
        .annotate(c=Count("response_id", distinct=True))
        .order_by()
    )
    return {
        "volume": _mentions(org.pk, theme_id, f).values("response_id").distinct().count(),
        "weeks": rows,
        "sentiments": {r["sentiment"]: int(r["c"]) for r in sentiments},
    }


THEME_FIGURES = "beacon.analytics.theme_profile.figures_data"
# As the drivers' histograms: comments keep arriving; older counts are recounted on a visit.
FIGURES_FRESH_FOR = dt.timedelta(minutes=15)


def figures_data(org_id: int, params: dict[str, Any]) -> dict[str, Any]:
    """The job's computation."""
    return count_figures(
        Organization.objects.get(pk=org_id),
        int(params["theme_id"]),
        today=dt.date.fromisoformat(params["today"]),
        days=int(params["days"]),
        weeks=int(params["weeks"]),
    )


def _weeks(org: Organization, rows: list[dict[str, Any]]) -> list[ThemeWeek]:
    out = []
    for row in rows:
        k, n = int(row["mentioned"]), int(row["population"])
        share = metrics.Rate("Mention it", k, n, org.min_sample_size, stats.wilson(k, n))
        hist = {int(s): int(c) for s, c in row["nps"].items()}
        nps = metrics.value_of(org, metrics.METRICS["nps"], hist)
        out.append(ThemeWeek(dt.date.fromisoformat(row["week"]), share, nps))
    return out


def _sentiments(org: Organization, counts: dict[str, int]) -> list[SentimentShare]:
    total = sum(counts.values())
    return [
        SentimentShare(
            s.value,
            s.label,
            metrics.Rate(
                s.label,
                counts.get(s.value, 0),
                total,
                org.min_sample_size,
                stats.wilson(counts.get(s.value, 0), total),
            ),
        )
        for s in Sentiment
    ]


def theme_profile(
    org: Organization, theme: Theme, *, today: dt.date, days: int, weeks: int = TREND_WEEKS
) -> ThemeProfile:
    """The theme over the last `days` days (impact, volume, sentiment) and `weeks` weeks,
    from what the worker counted (drivers' histograms, and this theme's figures)."""
    f = metrics.Filters(start=today - dt.timedelta(days=days - 1), end=today)
    stored = stored_theme_drivers(org, f)
    drivers = stored.result
    found = drivers.themes if drivers else []
    driver = next((d for d in found if d.theme_id == theme.pk), None)
    params = {"theme_id": theme.pk, "today": today.isoformat(), "days": days, "weeks": weeks}
    figures = read_or_request(org.pk, THEME_FIGURES, params, max_age=FIGURES_FRESH_FOR)
    data = figures.data
    return ThemeProfile(
        computed=stored.computed,
        figures=figures,
        overall=drivers.overall if drivers else None,
        driver=driver,
        volume=int(data["volume"]) if data else None,
        weeks=_weeks(org, data["weeks"]) if data else [],
        sentiments=_sentiments(org, data["sentiments"]) if data else [],
    )
