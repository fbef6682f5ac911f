"""How numbers are shown: every value with its margin and n, or why there is none."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from beacon.analytics.metrics import MetricValue

# Decimals shown per metric: NPS and percentages as whole numbers, a 1-7 mean needs one.
_DECIMALS = {"nps": 0, "csat": 0, "ces_easy": 0, "ces": 1}


def _number(x: float, decimals: int) -> str:
    text = f"{x:.{decimals}f}"
    # "-0" reads like a negative score; it is zero.
    return text[1:] if text.startswith("-") and float(text) == 0 else text


@dataclass(frozen=True)
class Shown:
    """One metric value ready for a page."""

    key: str
    label: str
    n: int
    min_n: int
    enough: bool
    value: str = ""
    margin: str = ""
    low: str = ""
    high: str = ""

    @property
    def stats(self) -> str:
        """'±6 · n=412' beside the value, or why there is no value."""
        if not self.enough:
            return self.not_enough
        return f"±{self.margin} · n={self.n}"

    @property
    def not_enough(self) -> str:
        return f"Not enough answers (n = {self.n} of {self.min_n} needed)"

    @property
    def line(self) -> str:
        """'NPS 23 ±6 · n=412' in one line."""
        if not self.enough:
            return f"{self.label}: {self.not_enough}"
        return f"{self.label} {self.value} {self.stats}"

    @property
    def interval(self) -> str:
        return f"95% interval {self.low} to {self.high}" if self.enough else ""


def shown(mv: MetricValue) -> Shown:
    decimals = _DECIMALS.get(mv.key, 1)
    unit = mv.unit
    if mv.value is None or mv.low is None or mv.high is None or mv.margin is None:
        return Shown(mv.key, mv.label, mv.n, mv.min_n, enough=False)
    return Shown(
        key=mv.key,
        label=mv.label,
        n=mv.n,
        min_n=mv.min_n,
        enough=True,
        value=_number(mv.value, decimals) + unit,
        margin=_number(mv.margin, decimals),
        low=_number(mv.low, decimals) + unit,
        high=_number(mv.high, decimals) + unit,
    )


def _rounded(x: float | None) -> float | None:
    return None if x is None else round(x, 2)


def chart_point(mv: MetricValue) -> dict[str, Any]:
    """A value for the chart JSON; below the minimum sample there is no value, only n."""
    s = shown(mv)
    return {
        "value": _rounded(mv.value),
        "low": _rounded(mv.low),
        "high": _rounded(mv.high),
        "n": mv.n,
        "text": s.line,
    }


def trend_chart(label: str, points: list[tuple[dt.date, MetricValue]]) -> dict[str, Any]:
    return {
        "label": label,
        "points": [{"week": week.isoformat(), **chart_point(mv)} for week, mv in points],
    }


def breakdown_chart(label: str, rows: list[tuple[str, int, MetricValue]]) -> dict[str, Any]:
    return {
        "label": label,
        "rows": [{"label": name, **chart_point(mv)} for name, _pk, mv in rows],
    }
