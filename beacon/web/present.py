"""How numbers are shown: every value with its margin and n, or why there is none."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.urls import reverse

from beacon.analytics.attention import Item
from beacon.analytics.display import figure
from beacon.analytics.metrics import MetricValue, Rate


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
    unit = mv.unit
    if mv.value is None or mv.low is None or mv.high is None:
        return Shown(mv.key, mv.label, mv.n, mv.min_n, enough=False)
    f = figure(mv.key, mv.value, mv.low, mv.high)
    return Shown(
        key=mv.key,
        label=mv.label,
        n=mv.n,
        min_n=mv.min_n,
        enough=True,
        value=f.value + unit,
        margin=f.margin,
        low=f.low + unit,
        high=f.high + unit,
    )


def shown_rate(rate: Rate) -> Shown:
    """A share as a percentage with its interval; n is the number it is a share of."""
    n = rate.denominator
    if rate.value is None or rate.low is None or rate.high is None:
        return Shown("percent", rate.label, n, rate.min_n, enough=False)
    f = figure("percent", rate.value, rate.low, rate.high)
    return Shown("percent", rate.label, n, rate.min_n, True, f"{f.value}%", f.margin,
                 f"{f.low}%", f"{f.high}%")  # fmt: skip


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


def _attention_link(item: Item, mine: bool) -> str:
    if item.kind == "alert":
        return reverse("web:analytics_alerts")
    if item.kind == "drop":
        stage = f"&stage_id={item.stage_id}" if item.stage_id else ""
        return reverse("web:analytics") + f"?metric={item.metric}{stage}"
    if item.kind == "overdue":
        return reverse("web:cases") + ("?overdue=1&mine=1" if mine else "?overdue=1")
    if item.kind == "emerging":
        return reverse("web:insights_theme", args=[item.target_id])
    return reverse("web:action", args=[item.target_id])


ATTENTION_KINDS = {
    "alert": "Alert",
    "drop": "Drop",
    "overdue": "Overdue",
    "emerging": "Emerging theme",
    "action": "Action due",
}


def attention_rows(items: list[Item], *, mine: bool = False) -> list[dict[str, str]]:
    """Each item with its kind in words and the page where it is acted on."""
    return [
        {
            "kind": ATTENTION_KINDS[i.kind],
            "title": i.title,
            "detail": i.detail,
            "url": _attention_link(i, mine),
        }
        for i in items
    ]
