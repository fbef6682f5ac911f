"""The closed forms that spare the web server SciPy agree with SciPy."""

from __future__ import annotations

import subprocess
import sys

import pytest
from scipy import stats as scipy_stats

from beacon.analytics import stats


@pytest.mark.parametrize("df", [1, 2, 5, 29, 30, 31, 45, 100, 1_000, 99_999, 10**7])
def test_t_quantile_matches_scipy(df: int) -> None:
    assert stats._t975(df) == pytest.approx(float(scipy_stats.t.ppf(0.975, df)), abs=4e-8)


@pytest.mark.parametrize("x", [0.0, 0.5, 1.96, 3.0, 6.0, 9.0])
def test_normal_tail_matches_scipy(x: float) -> None:
    assert stats._normal_sf(x) == pytest.approx(float(scipy_stats.norm.sf(x)), rel=1e-12)


def test_mean_interval_of_a_large_sample_uses_the_t_multiplier() -> None:
    hist = {1: 40, 4: 30, 7: 30}
    est = stats.mean(hist)
    assert est is not None
    var = (40 * (1 - 3.7) ** 2 + 30 * (4 - 3.7) ** 2 + 30 * (7 - 3.7) ** 2) / 99
    half = float(scipy_stats.t.ppf(0.975, 99)) * (var / 100) ** 0.5
    assert (est.value, est.low, est.high) == pytest.approx((3.7, 3.7 - half, 3.7 + half))


def test_welch_test_from_histograms_matches_scipy_without_loading_scipy_stats() -> None:
    a, b = {1: 4, 2: 7, 3: 2, 5: 1}, {2: 1, 3: 5, 4: 6, 5: 3}
    found = stats.mean_difference(a, b)
    assert found is not None

    def sample(hist: dict[int, int]) -> list[float]:
        return [float(s) for s, c in hist.items() for _ in range(c)]

    reference = scipy_stats.ttest_ind(sample(b), sample(a), equal_var=False)
    assert found.p_value == pytest.approx(float(reference.pvalue), rel=1e-12)
    # The home page's "needs attention" card runs this test in the web server: scipy.stats
    # there cost every server process 1.5 s on its first home page, and about 70 MB.
    code = (
        "import sys; from beacon.analytics import stats; "
        "stats.mean_difference({1: 3, 2: 4}, {2: 1, 3: 5}); "
        "stats._t975(5); print('scipy.stats' in sys.modules)"
    )
    shown = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert shown.stdout == "False\n"
