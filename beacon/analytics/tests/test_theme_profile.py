"""A theme's profile: its NPS impact recovers a planted effect within its interval and
calls no effect where there is none; weekly mentions and the sentiment split are counts of
responses with their intervals."""

from __future__ import annotations

import datetime as dt
import random

import pytest

from beacon.analytics import metrics
from beacon.analytics.tests.helpers import BASE, said
from beacon.analytics.theme_profile import FIGURES_FRESH_FOR, count_figures, theme_profile
from beacon.core import clock
from beacon.insights.models import Theme
from beacon.insights.taxonomy import do_create_theme, do_update_theme
from beacon.testing import World

pytestmark = pytest.mark.django_db

TODAY = BASE.date() + dt.timedelta(days=13)  # the Sunday ending the second week


def _score(rng: random.Random, detractor: float, promoter: float) -> int:
    u = rng.random()
    return rng.choice([0, 3, 6]) if u < detractor else 10 if u < detractor + promoter else 8


def _planted(world: World, price: Theme, staff: Theme) -> tuple[list[int], list[int]]:
    """Price is mentioned by unhappier customers (NPS about -40 against +50: a planted
    difference of about -90 points); Staff by half of everyone at random (no effect)."""
    rng = random.Random(17)
    scores: dict[str, list[int]] = {"with": [], "rest": []}
    for day in (0, 7):
        rows = []
        for i in range(60):
            mentions = i < 30
            score = _score(rng, 0.6, 0.2) if mentions else _score(rng, 0.1, 0.6)
            scores["with" if mentions else "rest"].append(score)
            themes = {price: "negative"} if mentions else {}
            if rng.random() < 0.5:
                themes[staff] = "positive" if i % 3 else "neutral"
            rows.append((score, themes, "negative" if mentions else "positive"))
        said(world, rows, day=day, prefix=f"w{day}")
    return scores["with"], scores["rest"]


def _nps(scores: list[int]) -> float:
    return 100 * (sum(s >= 9 for s in scores) - sum(s <= 6 for s in scores)) / len(scores)


def test_a_planted_effect_is_recovered_and_no_effect_is_not_called(world: World) -> None:
    world.org.min_sample_size = 10
    world.org.save()
    price, staff = do_create_theme(world.org, "Price"), do_create_theme(world.org, "Staff")
    with_price, rest = _planted(world, price, staff)
    profile = theme_profile(world.org, price, today=TODAY, days=14)
    d = profile.driver
    assert d is not None and d.enough
    assert d.diff is not None and d.diff_low is not None and d.diff_high is not None
    assert d.diff == pytest.approx(_nps(with_price) - _nps(rest))
    assert d.diff_low < -90 < d.diff_high  # the planted difference, within the interval
    assert d.diff_high < 0  # and called: the interval excludes no difference
    assert (d.share.numerator, d.share.denominator) == (60, 120)
    assert d.impact == pytest.approx(-0.5 * d.diff)
    assert profile.overall is not None and profile.computed.as_of is not None
    assert profile.volume == 60 and profile.overall.n == 120
    # Staff is mentioned at random: no difference is called.
    neutral = theme_profile(world.org, staff, today=TODAY, days=14).driver
    assert neutral is not None and neutral.diff_low is not None and neutral.diff_high is not None
    assert neutral.diff_low < 0 < neutral.diff_high


def test_weeks_and_sentiment_count_responses_with_intervals(world: World) -> None:
    world.org.min_sample_size = 2
    world.org.save()
    price = do_create_theme(world.org, "Price")
    said(world, [(0, {price: "negative"}, "negative"), (10, {price: "positive"}, "positive"),
                 (9, {}, "positive")], day=0)  # fmt: skip
    said(world, [(2, {price: "negative"}, "negative"), (8, {}, "neutral")], day=8, prefix="b")
    profile = theme_profile(world.org, price, today=TODAY, days=14, weeks=3)
    weeks = [(w.week, w.mentions.numerator, w.mentions.denominator, w.nps.n) for w in profile.weeks]
    monday = BASE.date()
    assert weeks == [
        (monday - dt.timedelta(weeks=1), 0, 0, 0),
        (monday, 2, 3, 2),
        (monday + dt.timedelta(weeks=1), 1, 2, 1),
    ]
    first = profile.weeks[1]
    assert first.nps.value == 0.0  # one promoter, one detractor
    assert first.mentions.value == pytest.approx(200 / 3)
    assert first.mentions.low is not None and first.mentions.low < 200 / 3 < 100
    split = {s.sentiment: (s.share.numerator, s.share.denominator) for s in profile.sentiments}
    assert split == {"positive": (1, 3), "negative": (2, 3), "neutral": (0, 3), "mixed": (0, 3)}
    assert profile.volume == 3
    # A switched-off theme keeps its history but leaves the drivers analysis.
    do_update_theme(price, name="Price", description="", phrases=[], active=False)
    assert theme_profile(world.org, price, today=TODAY, days=14).driver is None


def test_stored_figures_equal_those_counted_on_the_fly(world: World) -> None:
    world.org.min_sample_size = 2
    world.org.save()
    price = do_create_theme(world.org, "Price")
    said(world, [(0, {price: "negative"}, "negative"), (10, {price: "positive"}, "positive"),
                 (9, {}, "positive")], day=0)  # fmt: skip
    said(world, [(2, {price: "negative"}, "negative"), (8, {}, "neutral")], day=8, prefix="b")
    profile = theme_profile(world.org, price, today=TODAY, days=14, weeks=3)
    # The weekly NPS is the trend the page computed on each load before.
    trend = metrics.trend(
        world.org, "nps", weeks=3, today=TODAY, f=metrics.Filters(theme_id=price.pk)
    )
    assert [(w.week, w.nps) for w in profile.weeks] == trend
    assert profile.figures.data == count_figures(world.org, price.pk, today=TODAY, days=14, weeks=3)
    # A comment arriving later waits for the next count (the page says when it counted).
    said(world, [(1, {price: "negative"}, "negative")], day=9, prefix="c")
    again = theme_profile(world.org, price, today=TODAY, days=14, weeks=3)
    assert again.volume == 3 and again.figures.as_of == profile.figures.as_of
    with clock.frozen_at(clock.now() + FIGURES_FRESH_FOR + dt.timedelta(seconds=1)):
        assert theme_profile(world.org, price, today=TODAY, days=14, weeks=3).volume == 4
