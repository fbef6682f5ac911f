"""'% of perfect': every scale on 0-100, its interval mapped the same way."""

from __future__ import annotations

import pytest

from beacon.analytics import stats
from beacon.analytics.perfect import percent_of_perfect
from beacon.surveys.models import Scale


def test_the_best_and_worst_answers_are_100_and_0_on_every_scale() -> None:
    for kind, worst, best in (("nps", 0, 10), ("csat", 1, 5), ("ces", 1, 7), ("ces_easy", 1, 7)):
        top = percent_of_perfect(kind, {best: 40})
        bottom = percent_of_perfect(kind, {worst: 40})
        assert top is not None and bottom is not None
        assert (top.value, top.low, top.high) == (100.0, 100.0, 100.0), kind
        assert (bottom.value, bottom.low, bottom.high) == (0.0, 0.0, 0.0), kind


def test_the_mean_and_its_interval_go_through_the_same_linear_map() -> None:
    hist = {1: 10, 4: 20, 5: 30}
    mean = stats.mean(hist)
    assert mean is not None
    got = percent_of_perfect("csat", hist)
    assert got is not None
    assert got.value == pytest.approx(100 * (mean.value - 1) / 4)
    assert got.low == pytest.approx(100 * (mean.low - 1) / 4)
    assert got.high == pytest.approx(100 * (mean.high - 1) / 4)
    # CES 1-7: a mean of 4 is half way.
    half = percent_of_perfect("ces", {3: 50, 5: 50})
    assert half is not None and half.value == pytest.approx(50.0)


def test_nps_is_mapped_from_its_minus_100_to_100_range() -> None:
    hist = {10: 50, 8: 20, 3: 30}  # NPS 20
    nps = stats.nps(hist)
    got = percent_of_perfect("nps", hist)
    assert nps is not None and got is not None
    assert nps.value == pytest.approx(20.0) and got.value == pytest.approx(60.0)
    assert got.low == pytest.approx((nps.low + 100) / 2)
    assert got.high == pytest.approx((nps.high + 100) / 2)


def test_a_rating_uses_its_own_scale_and_nothing_is_made_up() -> None:
    got = percent_of_perfect("rating", {0: 1, 4: 1}, Scale(0, 4))
    assert got is not None and got.value == pytest.approx(50.0)
    assert percent_of_perfect("rating", {2: 5}) is None  # no scale: no figure
    assert percent_of_perfect("csat", {}) is None
