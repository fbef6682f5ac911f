"""Each metric's per-answer contribution averages to the metric itself, so a test of a
change in the contributions (analytics/impact.py) is a test of the metric shown."""

from __future__ import annotations

import pytest

from beacon.analytics.metrics import METRICS

HISTOGRAMS = {
    "nps": {0: 3, 5: 4, 6: 2, 7: 5, 8: 1, 9: 6, 10: 9},
    "csat": {1: 2, 2: 3, 3: 4, 4: 7, 5: 11},
    "ces": {1: 1, 3: 2, 4: 3, 5: 4, 6: 5, 7: 6},
    "ces_easy": {1: 1, 3: 2, 4: 3, 5: 4, 6: 5, 7: 6},
}


@pytest.mark.parametrize("key", sorted(METRICS))
def test_mean_contribution_is_the_metric(key: str) -> None:
    metric = METRICS[key]
    hist = HISTOGRAMS[key]
    n = sum(hist.values())
    mean = sum(metric.contribution(score) * count for score, count in hist.items()) / n
    estimate = metric.compute(hist)
    assert estimate is not None
    assert mean == pytest.approx(estimate.value, abs=1e-9)


def test_band_edges() -> None:
    nps = METRICS["nps"].contribution
    assert [nps(s) for s in (6, 7, 8, 9)] == [-100.0, 0.0, 0.0, 100.0]
    csat = METRICS["csat"].contribution
    assert [csat(s) for s in (3, 4)] == [0.0, 100.0]
    easy = METRICS["ces_easy"].contribution
    assert [easy(s) for s in (4, 5)] == [0.0, 100.0]
