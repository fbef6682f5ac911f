"""The statistics behind every number: point estimates with 95% intervals."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from scipy import stats

Z95 = 1.959963984540054


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
    p = sum(c for s, c in hist.items() if s >= 9) / n
    d = sum(c for s, c in hist.items() if s <= 6) / n
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
    half = float(stats.t.ppf(0.975, n - 1)) * math.sqrt(var / n)
    return Estimate(m, m - half, m + half)
