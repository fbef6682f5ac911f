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

from django.db.models import Count
from django.db.models.functions import TruncDate

from beacon.analytics import metrics, stats
from beacon.analytics.theme_drivers import ThemeDriver, stored_theme_drivers
from beacon.core.computed import Computed
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
    volume: int  # responses mentioning the theme in the period
    weeks: list[ThemeWeek]  # oldest first
    sentiments: list[SentimentShare]
    computed: Computed  # when the worker counted the drivers' histograms


def _mentions(org: Organization, theme: Theme, f: metrics.Filters) -> Any:
    window = {f"response__responded_at__{op}": v for op, v in metrics.day_range(f).items()}
    return ThemeMention.objects.filter(organization_id=org.pk, theme_id=theme.pk, **window)


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


def _weeks(org: Organization, theme: Theme, today: dt.date, weeks: int) -> list[ThemeWeek]:
    first = metrics.week_start(today) - dt.timedelta(weeks=weeks - 1)
    window = metrics.Filters(start=first, end=today)
    mentioned = _per_week(_by_day(_mentions(org, theme, window)))
    commented = AnswerInsight.objects.filter(
        organization_id=org.pk,
        unclassifiable=False,
        **{f"response__responded_at__{op}": v for op, v in metrics.day_range(window).items()},
    )
    population = _per_week(_by_day(commented))
    nps = metrics.trend(org, "nps", weeks=weeks, today=today, f=metrics.Filters(theme_id=theme.pk))
    out = []
    for week, value in nps:
        k, n = mentioned.get(week, 0), population.get(week, 0)
        share = metrics.Rate("Mention it", k, n, org.min_sample_size, stats.wilson(k, n))
        out.append(ThemeWeek(week, share, value))
    return out


def _sentiments(org: Organization, theme: Theme, f: metrics.Filters) -> list[SentimentShare]:
    rows = (
        _mentions(org, theme, f)
        .values("sentiment")
        .annotate(c=Count("response_id", distinct=True))
        .order_by()
    )
    counts = {r["sentiment"]: int(r["c"]) for r in rows}
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
    """The theme over the last `days` days (impact, volume, sentiment) and `weeks` weeks."""
    f = metrics.Filters(start=today - dt.timedelta(days=days - 1), end=today)
    stored = stored_theme_drivers(org, f)
    drivers = stored.result
    found = drivers.themes if drivers else []
    driver = next((d for d in found if d.theme_id == theme.pk), None)
    return ThemeProfile(
        computed=stored.computed,
        overall=drivers.overall if drivers else None,
        driver=driver,
        volume=_mentions(org, theme, f).values("response_id").distinct().count(),
        weeks=_weeks(org, theme, today, weeks),
        sentiments=_sentiments(org, theme, f),
    )
