"""The statistics behind every number: point estimates with 95% intervals."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from beacon.surveys.scales import DETRACTOR_MAX, PROMOTER_MIN

Z95 = 1.959963984540054


# SciPy is imported only where no closed form serves, and then only scipy.special (about
# 0.2 s on first use): scipy.stats costs a web server process about 70 MB and 1.5 s of
# import, which the home page's first request after each server start paid (its
# "needs attention" card compares means with the Welch t-test below).
def _normal_sf(x: float) -> float:
    """P(Z > x) for a standard normal Z (exact: the complementary error function)."""
    return 0.5 * math.erfc(x / math.sqrt(2))


def _t975(df: float) -> float:
    """Student t's 97.5% quantile: the 95% interval's multiplier for `df` degrees of freedom.

    From 30 degrees of freedom on, the Cornish-Fisher expansion (Abramowitz & Stegun
    26.7.5) agrees with SciPy to within 4e-8; below, SciPy computes it.
    """
    if df < 30:
        from scipy import special

        return float(special.stdtrit(df, 0.975))
    z = Z95
    g1 = (z**3 + z) / 4
    g2 = (5 * z**5 + 16 * z**3 + 3 * z) / 96
    g3 = (3 * z**7 + 19 * z**5 + 17 * z**3 - 15 * z) / 384
    g4 = (79 * z**9 + 776 * z**7 + 1482 * z**5 - 1920 * z**3 - 945 * z) / 92160
    return z + g1 / df + g2 / df**2 + g3 / df**3 + g4 / df**4


@dataclass(frozen=True)
class Estimate:
    value: float
    low: float
    high: float


def nps(hist: Mapping[int, int]) -> Estimate | None:
    """NPS on -100..100; interval from the variance of the promoter-detractor difference."""
    n = sum(hist.values())
    if n == 0:
        return None
    p = sum(c for s, c in hist.items() if s >= PROMOTER_MIN) / n
    d = sum(c for s, c in hist.items() if s <= DETRACTOR_MAX) / n
    value = p - d
    variance = (p + d - value**2) / n
    margin = Z95 * math.sqrt(max(variance, 0.0))
    return Estimate(
        100 * value, max(-100.0, 100 * (value - margin)), min(100.0, 100 * (value + margin))
    )


def wilson(successes: int, n: int) -> Estimate | None:
    """A proportion (in %) with the Wilson score interval, right even near 0% and 100%."""
    if n == 0:
        return None
    p = successes / n
    z2 = Z95**2
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = Z95 * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / (1 + z2 / n)
    return Estimate(100 * p, 100 * max(0.0, centre - half), 100 * min(1.0, centre + half))


def agreement(share: float, n: int) -> Estimate | None:
    """A model's agreement with n held-out corrections, stored as a share of them, as a
    percentage with its Wilson interval (the agreeing count is a whole number)."""
    return wilson(round(share * n), n)


def top_box(hist: Mapping[int, int], threshold: int) -> Estimate | None:
    n = sum(hist.values())
    return wilson(sum(c for s, c in hist.items() if s >= threshold), n)


def bottom_box(hist: Mapping[int, int], threshold: int) -> Estimate | None:
    n = sum(hist.values())
    return wilson(sum(c for s, c in hist.items() if s <= threshold), n)


def mean(hist: Mapping[int, int]) -> Estimate | None:
    """Mean score with a Student-t interval."""
    n = sum(hist.values())
    if n == 0:
        return None
    m = sum(s * c for s, c in hist.items()) / n
    if n == 1:
        return Estimate(m, m, m)
    var = sum(c * (s - m) ** 2 for s, c in hist.items()) / (n - 1)
    half = _t975(n - 1) * math.sqrt(var / n)
    return Estimate(m, m - half, m + half)


@dataclass(frozen=True)
class Difference:
    """B minus A with its 95% interval and the two-sided p-value of "no difference"."""

    diff: float
    low: float
    high: float
    p_value: float
    test: str

    @property
    def significant(self) -> bool:
        return self.p_value < 0.05


def _z_difference(diff: float, se: float, scale: float, test: str) -> Difference:
    if se <= 0:
        return Difference(scale * diff, scale * diff, scale * diff, 1.0 if diff == 0 else 0.0, test)
    z = diff / se
    p = 2 * _normal_sf(abs(z))
    return Difference(scale * diff, scale * (diff - Z95 * se), scale * (diff + Z95 * se), p, test)


def nps_difference(a: Mapping[int, int], b: Mapping[int, int]) -> Difference | None:
    """z-test of two independent NPS values; each variance is (p + d - (p - d)^2) / n."""
    parts = []
    for hist in (a, b):
        n = sum(hist.values())
        if n == 0:
            return None
        p = sum(c for s, c in hist.items() if s >= PROMOTER_MIN) / n
        d = sum(c for s, c in hist.items() if s <= DETRACTOR_MAX) / n
        parts.append((p - d, max(p + d - (p - d) ** 2, 0.0) / n))
    (va, vara), (vb, varb) = parts
    return _z_difference(vb - va, math.sqrt(vara + varb), 100.0, "nps z-test")


def proportion_difference(
    a: Mapping[int, int], b: Mapping[int, int], threshold: int
) -> Difference | None:
    """Two-sample z-test of a top-box share (pooled SE for p, unpooled for the interval)."""
    na, nb = sum(a.values()), sum(b.values())
    if na == 0 or nb == 0:
        return None
    xa = sum(c for s, c in a.items() if s >= threshold)
    xb = sum(c for s, c in b.items() if s >= threshold)
    pa, pb = xa / na, xb / nb
    pooled = (xa + xb) / (na + nb)
    se_pooled = math.sqrt(pooled * (1 - pooled) * (1 / na + 1 / nb))
    se = math.sqrt(pa * (1 - pa) / na + pb * (1 - pb) / nb)
    diff = pb - pa
    if se_pooled <= 0:
        return Difference(100 * diff, 100 * diff, 100 * diff, 1.0 if diff == 0 else 0.0,
                          "two-proportion z-test")  # fmt: skip
    p = 2 * _normal_sf(abs(diff / se_pooled))
    return Difference(100 * diff, 100 * (diff - Z95 * se), 100 * (diff + Z95 * se), p,
                      "two-proportion z-test")  # fmt: skip


def mean_difference(
    a: Mapping[int, int], b: Mapping[int, int], value: Callable[[int], float] = float
) -> Difference | None:
    """Welch's t-test of two means, from the score histograms; `value` is what one answer
    adds to the metric (the score itself for a mean)."""
    moments = []
    for hist in (a, b):
        n = sum(hist.values())
        if n < 2:
            return None
        m = sum(value(s) * c for s, c in hist.items()) / n
        var = sum(c * (value(s) - m) ** 2 for s, c in hist.items()) / (n - 1)
        moments.append((m, var, n))
    (ma, va, na), (mb, vb, nb) = moments
    diff = mb - ma
    se2 = va / na + vb / nb
    if se2 <= 0:
        return Difference(diff, diff, diff, 1.0 if diff == 0 else 0.0, "Welch t-test")
    se = math.sqrt(se2)
    df = se2**2 / ((va / na) ** 2 / (na - 1) + (vb / nb) ** 2 / (nb - 1))
    t = diff / se
    from scipy import special

    p = float(2 * special.stdtr(df, -abs(t)))
    half = _t975(df) * se
    return Difference(diff, diff - half, diff + half, p, "Welch t-test")
