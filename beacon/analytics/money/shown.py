"""Stored money figures as text, by the one decimals rule of `analytics.display`.

A stored figure keeps its floats (rounded to 4 places, for calculation); each figure read
back also gets `shown`: its value, margin and bounds as text at one precision, chosen by
`display.decimals` for the kind of number it is (money per customer, a total, a
percentage, NPS points, a hazard ratio). The page, the API and the board pack print these
strings, so they can never disagree about a figure's decimals.
"""

from __future__ import annotations

from typing import Any

from beacon.analytics import display

# The kind of number a figure is, from the name it is stored under.
KIND_OF = {
    "hazard_ratio": "ratio",
    "hazard_ratios": "ratio",
    "churn": "percent",
    "experience": "nps",
    "retention": "percent",
    "contacts": "per_customer",
    "at_risk": "money_total",
}
DEFAULT_KIND = "money"


def is_figure(x: Any) -> bool:
    return isinstance(x, dict) and "enough" in x and {"value", "low", "high"} <= x.keys()


def shown_figure(kind: str, f: dict[str, Any]) -> dict[str, str] | None:
    if not f.get("enough") or None in (f.get("value"), f.get("low"), f.get("high")):
        return None
    text = display.figure(kind, f["value"], f["low"], f["high"])
    return {"value": text.value, "margin": text.margin, "low": text.low, "high": text.high}


def _kind(path: tuple[str, ...], f: dict[str, Any]) -> str:
    if f.get("unit") == "%":
        return "percent"
    for name in reversed(path):
        if name in KIND_OF:
            return KIND_OF[name]
    return DEFAULT_KIND


def _walk(x: Any, path: tuple[str, ...]) -> Any:
    if is_figure(x):
        return {**x, "shown": shown_figure(_kind(path, x), x)}
    if isinstance(x, dict):
        return {k: _walk(v, (*path, str(k))) for k, v in x.items()}
    if isinstance(x, list):
        return [_walk(v, path) for v in x]
    return x


def _row(kind: str, row: dict[str, Any], name: str, predicted: str = "") -> dict[str, str] | None:
    """A table row's value with its interval (`name`, `name_low`, `name_high`) as text; a
    predicted value beside it at the same precision."""
    value, low, high = row.get(name), row.get(f"{name}_low"), row.get(f"{name}_high")
    if value is None or low is None or high is None:
        return None
    text = display.figure(kind, value, low, high)
    out = {"value": text.value, "margin": text.margin, "low": text.low, "high": text.high}
    if predicted and row.get(predicted) is not None:
        out["predicted"] = display.number(row[predicted], len(text.value.partition(".")[2]))
    return out


def usual(kind: str, x: float | None) -> str:
    """A number without an interval (a count's cost, a stated revenue) at its usual decimals."""
    return "" if x is None else display.number(float(x), display.decimals(kind, None))


def with_shown(data: dict[str, Any]) -> dict[str, Any]:
    """A stored report with the text of every figure beside it (the stored dict is kept)."""
    out: dict[str, Any] = _walk(data, ())
    backtest = out.get("backtest")
    if isinstance(backtest, dict):
        backtest["deciles"] = [
            {
                **d,
                "shown_churn": _row("percent", d, "actual_churn", "predicted_churn"),
                "shown_revenue": _row("money", d, "actual_revenue", "predicted_revenue"),
            }
            for d in backtest.get("deciles", [])
        ]
    failure = out.get("failure_demand")
    if isinstance(failure, dict):
        failure["months"] = [
            {**m, "shown_share": _row("percent", m, "share"),
             "shown_cost": usual("money", m.get("cost"))}
            for m in failure.get("months", [])
        ]  # fmt: skip
    cost = out.get("cost_to_serve")
    if isinstance(cost, dict):
        cost["by_reason"] = [
            {**row, "shown_cost": usual("money", row.get("cost"))}
            for row in cost.get("by_reason", [])
        ]
    risk = out.get("at_risk")
    if isinstance(risk, dict) and isinstance(risk.get("customers"), list):
        risk["customers"] = [
            {**c, "shown_revenue": usual("money", c.get("yearly_revenue")),
             "shown_at_risk": usual("money", c.get("at_risk")),
             "shown_probability": usual("percent", 100 * (c.get("churn_probability") or 0.0))}
            for c in risk["customers"]
        ]  # fmt: skip
    accounts = out.get("at_risk", {}).get("accounts")
    if isinstance(accounts, dict):
        accounts["listed"] = [
            {**a, "shown_revenue": usual("money_total", a.get("annual_revenue")),
             "shown_nps": usual("nps", a.get("nps"))}
            for a in accounts.get("listed", [])
        ]  # fmt: skip
    return out
