"""One rule for the decimals of a figure and its interval, on every page and screen.

A metric has a usual precision (NPS and percentages whole, a 1-7 mean one decimal). When
the margin of error would round to zero at that precision ("5.2 ±0.0" beside "5.1 to 5.2")
the figure shows as many more decimals as the margin needs to be seen, and the value, the
margin and both bounds always share the same count, so they can be read against each other.
"""

from __future__ import annotations

from dataclasses import dataclass

USUAL_DECIMALS = {
    "nps": 0,
    "csat": 0,
    "ces_easy": 0,
    "ces": 1,
    "percent": 0,
    # Money figures (analytics.money.shown): per customer in pence/cents, totals whole.
    "money": 2,
    "money_total": 0,
    "per_customer": 2,
    "ratio": 2,
    # Krippendorff's alpha (-1..1) and counts of people.
    "alpha": 2,
    "count": 0,
}
DEFAULT_DECIMALS = 1
MAX_DECIMALS = 3


def decimals(key: str, margin: float | None) -> int:
    places = USUAL_DECIMALS.get(key, DEFAULT_DECIMALS)
    if margin:
        while places < MAX_DECIMALS and round(abs(margin), places) == 0:
            places += 1
    return places


def number(x: float, places: int) -> str:
    text = f"{x:.{places}f}"
    # "-0" reads like a negative score; it is zero.
    return text[1:] if text.startswith("-") and float(text) == 0 else text


@dataclass(frozen=True)
class Figure:
    """A value with its margin and 95% bounds as text, all at one precision."""

    value: str
    margin: str
    low: str
    high: str


def figure(key: str, value: float, low: float, high: float) -> Figure:
    margin = max(high - value, value - low)
    places = decimals(key, margin)
    return Figure(
        value=number(value, places),
        margin=number(margin, places),
        low=number(low, places),
        high=number(high, places),
    )


def _signed(text: str) -> str:
    return text if text.startswith("-") or float(text) == 0 else f"+{text}"


def signed_figure(key: str, value: float, low: float, high: float) -> Figure:
    """A change (a difference, an impact): the value and both bounds with their sign."""
    f = figure(key, value, low, high)
    return Figure(_signed(f.value), f.margin, _signed(f.low), _signed(f.high))
