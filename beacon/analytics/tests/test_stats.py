from __future__ import annotations

import math

import pytest

from beacon.analytics import stats


def test_nps_value_and_interval_from_difference_of_proportions() -> None:
    hist = {10: 50, 9: 10, 8: 20, 7: 5, 5: 10, 0: 5}  # 60 promoters, 15 detractors of 100
    est = stats.nps(hist)
    assert est is not None
    assert est.value == pytest.approx(45.0)
    p, d = 0.60, 0.15
    margin = 1.959963984540054 * math.sqrt((p + d - (p - d) ** 2) / 100) * 100
    assert est.low == pytest.approx(45.0 - margin)
    assert est.high == pytest.approx(45.0 + margin)


def test_nps_of_nothing_is_none_and_of_all_promoters_is_clipped() -> None:
    assert stats.nps({}) is None
    est = stats.nps({10: 40})
    assert est is not None and (est.value, est.low, est.high) == (100.0, 100.0, 100.0)


def test_wilson_matches_the_textbook_example() -> None:
    # 8 successes of 10: Wilson 95% interval (0.4902, 0.9433).
    est = stats.wilson(8, 10)
    assert est is not None
    assert est.value == pytest.approx(80.0)
    assert est.low == pytest.approx(49.02, abs=0.01)
    assert est.high == pytest.approx(94.33, abs=0.01)


def test_top_box_and_mean() -> None:
    est = stats.top_box({5: 3, 4: 1, 2: 4}, 4)
    assert est is not None and est.value == pytest.approx(50.0)
    mean = stats.mean({1: 1, 3: 1, 5: 1})
    assert mean is not None
    assert mean.value == pytest.approx(3.0)
    # t(0.975, 2) = 4.302653; sd = 2; se = 2/sqrt(3)
    assert mean.high - mean.value == pytest.approx(4.302653 * 2 / math.sqrt(3), rel=1e-5)
