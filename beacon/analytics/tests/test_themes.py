"""Themes and sentiment as a dimension: filters, breakdowns and theme drivers of NPS."""

from __future__ import annotations

import datetime as dt
import math

import pytest
from django.test import override_settings

from beacon.analytics import metrics, stats
from beacon.analytics.tests.helpers import BASE, answered, said
from beacon.analytics.theme_drivers import theme_drivers
from beacon.contacts.actions import do_upsert_contact
from beacon.insights.corrections import do_correct_theme
from beacon.insights.models import Theme
from beacon.insights.taxonomy import do_create_theme, do_update_theme
from beacon.responses.checks import AnswerIn, ResponseIn
from beacon.responses.ingest import ingest
from beacon.responses.models import Answer
from beacon.responses.rollups import do_set_rollup_attributes
from beacon.testing import World, contact_in

pytestmark = pytest.mark.django_db

DAY = BASE.date()
F = metrics.Filters


def _r(*values: float | None) -> tuple[float | None, ...] | float | None:
    """Rounded to 9 places, so float results compare exactly; one value alone unwrapped."""
    out = tuple(None if v is None else round(v, 9) for v in values)
    return out[0] if len(out) == 1 else out


def _themes(world: World) -> tuple[Theme, Theme]:
    return do_create_theme(world.org, "Price"), do_create_theme(world.org, "Staff")


def _small(world: World, min_n: int) -> None:
    world.org.min_sample_size = min_n
    world.org.save()


@pytest.fixture
def mixed(world: World) -> tuple[World, Theme, Theme]:
    """Five responses with known scores, themes and sentiments, and one without a comment."""
    _small(world, 1)
    price, staff = _themes(world)
    said(world, [
        (10, {price: "positive"}, "positive"),
        (0, {price: "negative", staff: "negative"}, "negative"),
        (9, {staff: "positive"}, "positive"),
        (10, {staff: "neutral"}, "mixed"),
        (5, {}, "neutral"),
    ])  # fmt: skip
    answered(world, [(8, 4, "")], prefix="plain")
    return world, price, staff


def test_theme_and_sentiment_filters_narrow_every_metric(mixed: tuple[World, Theme, Theme]) -> None:
    world, price, staff = mixed
    org = world.org
    assert metrics.histogram(org, "nps", F(theme_id=price.pk)) == {10: 1, 0: 1}
    assert metrics.histogram(org, "nps", F(theme_id=price.pk, sentiment="negative")) == {0: 1}
    assert metrics.histogram(org, "nps", F(theme_id=staff.pk, sentiment="positive")) == {9: 1}
    # Without a theme, sentiment is the comment's overall one.
    assert metrics.histogram(org, "nps", F(sentiment="positive")) == {10: 1, 9: 1}
    assert metrics.histogram(org, "nps", F(sentiment="mixed")) == {10: 1}
    assert metrics.histogram(org, "nps", F(theme_id=price.pk, sentiment="mixed")) == {}
    staff_nps = metrics.metric(org, "nps", F(theme_id=staff.pk))
    assert (staff_nps.n, _r(staff_nps.value)) == (3, _r(100 / 3))
    summary = metrics.summary(org, F(sentiment="neutral"))
    assert (summary["nps"].n, summary["nps"].value, summary["csat"].n) == (1, -100.0, 0)
    assert metrics.response_volume(org, F(theme_id=staff.pk)) == 3
    assert metrics.response_volume(org) == 6


def test_trend_series_and_compare_read_answers_with_a_theme(
    mixed: tuple[World, Theme, Theme],
) -> None:
    world, price, _staff = mixed
    said(world, [(0, {price: "negative"}, "negative")], day=8, prefix="later")
    f = F(start=DAY, end=DAY + dt.timedelta(days=13), theme_id=price.pk)
    days = metrics.series(world.org, "nps", "day", f)
    assert [(d, v.n) for d, v in days if v.n] == [(DAY, 2), (DAY + dt.timedelta(days=8), 1)]
    weeks = metrics.trend(world.org, "nps", weeks=2, today=DAY + dt.timedelta(days=8), f=f)
    assert [(w, v.n, v.value) for w, v in weeks] == [
        (DAY, 2, 0.0),
        (DAY + dt.timedelta(weeks=1), 1, -100.0),
    ]
    first = F(start=DAY, end=DAY + dt.timedelta(days=6), theme_id=price.pk)
    second = F(start=DAY + dt.timedelta(days=7), end=DAY + dt.timedelta(days=13), theme_id=price.pk)
    c = metrics.compare(world.org, "nps", first, second)
    assert c.difference is not None and c.difference.diff == pytest.approx(-100.0)


def test_breakdown_by_theme_counts_a_response_under_each_theme_it_mentions(
    mixed: tuple[World, Theme, Theme],
) -> None:
    world, price, staff = mixed
    do_create_theme(world.org, "Billing")  # mentioned by no one: a row with n = 0
    rows = metrics.breakdown(world.org, "nps", "theme")
    assert [(name, pk, v.n, v.value) for name, pk, v in rows] == [
        ("Billing", rows[0][1], 0, None),
        ("Price", price.pk, 2, 0.0),
        ("Staff", staff.pk, 3, pytest.approx(100 / 3)),
    ]
    positive = metrics.breakdown(world.org, "nps", "theme", F(sentiment="positive"))
    assert [(name, v.n) for name, _, v in positive] == [("Billing", 0), ("Price", 1), ("Staff", 1)]
    # Themes staff retired are no longer a row.
    do_update_theme(price, name="Price", description="", phrases=[], active=False)
    assert [name for name, _, _ in metrics.breakdown(world.org, "nps", "theme")] == [
        "Billing",
        "Staff",
    ]


def test_breakdown_by_sentiment_and_by_stage_within_a_theme(
    mixed: tuple[World, Theme, Theme],
) -> None:
    world, _price, staff = mixed
    rows = metrics.breakdown(world.org, "nps", "sentiment")
    assert [(name, pk, v.n, v.value) for name, pk, v in rows] == [
        ("positive", 0, 2, 100.0),
        ("negative", 0, 1, -100.0),
        ("neutral", 0, 1, -100.0),
        ("mixed", 0, 1, 100.0),
    ]
    within = metrics.breakdown(world.org, "nps", "sentiment", F(theme_id=staff.pk))
    assert [(name, v.n) for name, _, v in within] == [
        ("positive", 1),
        ("negative", 1),
        ("neutral", 0),
        ("mixed", 1),
    ]
    by_stage = metrics.breakdown(world.org, "nps", "stage", F(theme_id=staff.pk))
    assert [(name, v.n) for name, _, v in by_stage if v.n] == [(str(world.stage), 3)]
    assert metrics.dimension_names(world.org)[-2:] == ["theme", "sentiment"]


def test_the_answer_path_gives_the_rollups_numbers_when_every_response_mentions_the_theme(
    world: World,
) -> None:
    _small(world, 1)
    price, _ = _themes(world)
    said(world, [(s, {price: "neutral"}, "neutral") for s in (0, 3, 7, 8, 9, 10, 10)])
    said(world, [(s, {price: "negative"}, "negative") for s in (1, 9)], day=9, prefix="b")
    period = F(start=DAY, end=DAY + dt.timedelta(days=30))
    themed = F(start=DAY, end=DAY + dt.timedelta(days=30), theme_id=price.pk)
    assert metrics.histogram(world.org, "nps", themed) == metrics.histogram(
        world.org, "nps", period
    )
    for grain in metrics.GRAINS:
        assert metrics.series(world.org, "nps", grain, themed) == metrics.series(
            world.org, "nps", grain, period
        )
    for dimension in ("stage", "touchpoint", "survey", "team"):
        assert metrics.breakdown(world.org, "nps", dimension, themed) == metrics.breakdown(
            world.org, "nps", dimension, period
        )


@override_settings(TIME_ZONE="Pacific/Auckland")
def test_a_response_counts_on_its_utc_day_as_in_the_rollups(world: World) -> None:
    _small(world, 1)
    price, _ = _themes(world)
    late = dt.datetime(2026, 3, 2, 23, 30, tzinfo=dt.UTC)  # 3 March in Auckland
    response = ingest(
        ResponseIn(
            survey=world.survey,
            idempotency_key="late",
            answers=[AnswerIn(world.nps.pk, number=10), AnswerIn(world.comment.pk, text="ok")],
            touchpoint=world.touchpoint,
            responded_at=late,
        )
    ).response
    comment = Answer.objects.get(response=response, question=world.comment)
    do_correct_theme(comment, price, "positive", actor=world.owner)
    f = F(start=DAY, end=DAY + dt.timedelta(days=1))
    rollup = metrics.series(world.org, "nps", "day", f)
    themed = metrics.series(world.org, "nps", "day", F(**{**f.__dict__, "theme_id": price.pk}))
    assert (
        [(d, v.n) for d, v in themed]
        == [(d, v.n) for d, v in rollup]
        == [
            (DAY, 1),
            (DAY + dt.timedelta(days=1), 0),
        ]
    )


def _nps_difference(mentioned: list[int], rest: list[int]) -> tuple[float, float]:
    """NPS mentioned minus rest and its 95% half-width, by the textbook formula."""
    parts = []
    for scores in (mentioned, rest):
        p = sum(s >= 9 for s in scores) / len(scores)
        d = sum(s <= 6 for s in scores) / len(scores)
        parts.append((p - d, (p + d - (p - d) ** 2) / len(scores)))
    (vm, var_m), (vr, var_r) = parts
    return 100 * (vm - vr), 100 * stats.Z95 * math.sqrt(var_m + var_r)


def test_theme_drivers_show_nps_with_and_without_and_the_impact(world: World) -> None:
    _small(world, 2)
    price, staff = _themes(world)
    speed = do_create_theme(world.org, "Speed")
    said(world, [
        (0, {price: "negative"}, "negative"),
        (0, {price: "negative"}, "negative"),
        (10, {price: "positive"}, "positive"),
        (10, {speed: "positive"}, "positive"),
        (10, {speed: "positive"}, "positive"),
        (9, {staff: "positive"}, "positive"),
        (5, {}, "neutral"),
    ])  # fmt: skip
    answered(world, [(0, None, "")], prefix="silent")  # no comment: not in the population
    result = theme_drivers(world.org)
    assert (result.overall.n, _r(result.overall.value)) == (7, _r(100 / 7))
    assert [(d.name, d.n, d.enough) for d in result.themes] == [
        ("Price", 3, True),
        ("Speed", 2, True),
        ("Staff", 1, False),
    ]
    p, s, st = result.themes
    assert (_r(p.mentioned.value), p.rest.value) == (_r(-100 / 3), 50.0)
    diff, half = _nps_difference([0, 0, 10], [10, 10, 9, 5])
    assert _r(p.diff, p.diff_low, p.diff_high) == _r(diff, diff - half, diff + half)
    # If the three mentioning price scored like the rest, NPS would go from 14.3 to 50.
    assert p.impact == pytest.approx(50 - 100 / 7)
    assert _r(p.impact_low, p.impact_high) == _r(-3 / 7 * (diff + half), -3 / 7 * (diff - half))
    assert (p.share.numerator, p.share.denominator) == (3, 7)
    assert s.impact == pytest.approx(2 / 7 * (-20 - 100))
    assert (st.mentioned.n, st.rest.n, st.diff, st.impact, st.mentioned.value) == (
        1, 6, None, None, None,
    )  # fmt: skip


def test_theme_drivers_below_the_minimum_sample_show_no_numbers(world: World) -> None:
    price, _ = _themes(world)  # the default minimum: 30 answers
    said(world, [(0, {price: "negative"}, "negative")] * 3 + [(10, {}, "positive")] * 3)
    driver = theme_drivers(world.org).themes[0]
    assert (driver.name, driver.n, driver.enough) == ("Price", 3, False)
    assert (driver.diff, driver.diff_low, driver.impact, driver.impact_high) == (
        None, None, None, None,
    )  # fmt: skip
    assert (driver.mentioned.value, driver.rest.value, driver.share.value) == (None, None, None)


def test_theme_drivers_honour_the_filters(mixed: tuple[World, Theme, Theme]) -> None:
    world, _price, _staff = mixed
    result = theme_drivers(world.org, F(sentiment="positive"))
    assert result.overall.n == 2
    assert {d.name: (d.n, d.rest.n) for d in result.themes} == {"Price": (1, 1), "Staff": (1, 1)}
    other_day = theme_drivers(world.org, F(start=DAY + dt.timedelta(days=1)))
    assert other_day.overall.n == 0 and all(d.n == 0 for d in other_day.themes)


def test_attribute_breakdown_within_a_theme_reads_the_attribute_snapshot(world: World) -> None:
    _small(world, 1)
    price, _ = _themes(world)
    do_set_rollup_attributes(world.org, ["plan"])
    contract = do_upsert_contact(world.org, contact_in(1, attributes={"plan": "contract"}))
    prepaid = do_upsert_contact(world.org, contact_in(2, attributes={"plan": "prepaid"}))
    answered(world, [(10, None, "")] * 3, contact=contract, prefix="c")
    answered(world, [(0, None, "")] * 2, contact=prepaid, prefix="p")
    said(world, [(0, {price: "negative"}, "negative")] * 2, prefix="t", contact=prepaid)
    said(world, [(9, {price: "neutral"}, "neutral")], prefix="u")
    plain = metrics.attribute_breakdown(world.org, "nps", "plan")
    themed = metrics.attribute_breakdown(world.org, "nps", "plan", F(theme_id=price.pk))
    assert [(label, v.n) for label, v in plain] == [("prepaid", 4), ("contract", 3), ("(none)", 1)]
    assert [(label, v.n, v.value) for label, v in themed] == [
        ("prepaid", 2, -100.0),
        ("(none)", 1, 100.0),
    ]
