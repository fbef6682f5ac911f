"""What the board pack's "Follow the money" section says, as text blocks.

It reads the report the worker stored for the Value page (`analytics.money.stored`), with
each figure's text by the one decimals rule, so the pack, the page and the API show the
same numbers. Nothing is fitted here. Without outcome data the section says which data
is missing and what each kind would show.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from beacon.analytics.money.stored import Stored, stored_report
from beacon.outcomes.models import OutcomeKind, ReportKind
from beacon.outcomes.queries import totals

TITLE = "Follow the money"
HORIZONS = ("90", "180", "365")
# What each kind of outcome data makes possible, for the "what is missing" lines.
NEEDED = (
    (
        (OutcomeKind.SUBSCRIPTION_STARTED, OutcomeKind.SUBSCRIPTION_ENDED),
        "subscription events (started, renewed, ended)",
        "retention by experience and revenue at risk",
    ),
    (
        (OutcomeKind.ORDER, OutcomeKind.SUBSCRIPTION_STARTED, OutcomeKind.SUBSCRIPTION_RENEWED),
        "orders or subscription payments",
        "revenue by experience and the value of a point",
    ),
    ((OutcomeKind.SERVICE_CONTACT,), "service contacts", "cost to serve"),
)


@dataclass(frozen=True)
class MoneyBlock:
    heading: str
    lines: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)  # a table; the first row is its header


def text(f: dict[str, Any] | None, pre: str = "", post: str = "") -> str:
    """'GBP 12.30 (GBP 10.00 to GBP 14.60, n = 300)', as the Value page shows it, or why
    there is no figure."""
    if not f:
        return "not computed yet"
    shown = f.get("shown")
    if not shown:
        return str(f.get("note") or "not enough data")
    return (
        f"{pre}{shown['value']}{post} ({pre}{shown['low']} to {pre}{shown['high']}{post}, "
        f"n = {f['n']})"
    )


def missing(per_kind: dict[str, int]) -> list[str]:
    return [
        f"No {what} received yet: needed for {use}."
        for kinds, what, use in NEEDED
        if not any(per_kind.get(k) for k in kinds)
    ]


def _retention(r: dict[str, Any]) -> MoneyBlock:
    rows = [["Group", "Share churned (95% interval, n)"]]
    for g in r.get("by_nps", []):
        if not g.get("enough"):
            rows.append([f"{g['label']} ({g['n']} customers)", str(g.get("note", ""))])
            continue
        rows += [
            [f"{g['label']}, by {h} days", text(g.get("churn", {}).get(h), post="%")]
            for h in HORIZONS
        ]
    hr = r.get("hazard_ratio", {})
    return MoneyBlock(
        "Retention by experience",
        [
            f"Detractors' churn hazard vs promoters': {text(hr.get('detractor'), post='x')}; "
            f"passives': {text(hr.get('passive'), post='x')} (Cox model adjusted for tenure "
            "and plan)."
        ],
        rows,
    )


def _revenue(data: dict[str, Any], cur: str) -> MoneyBlock:
    revenue = data.get("revenue", {})
    rows = [["Group", f"Revenue per customer, {data.get('window_days')} days after the survey"]]
    rows += [[name, text(f, cur)] for name, f in revenue.get("by_nps", {}).items()]
    up = revenue.get("uplift", {})
    rows.append(["Promoter minus detractor", text(up.get("promoter_vs_detractor"), cur)])
    rows.append(["Passive minus detractor", text(up.get("passive_vs_detractor"), cur)])
    lines = [revenue["note"]] if revenue.get("note") else []
    return MoneyBlock("Revenue by experience", lines, rows)


def _cost(data: dict[str, Any], cur: str) -> MoneyBlock:
    cost = data.get("cost_to_serve", {})
    rows = [["Group", "Per customer (95% interval, n)"]]
    groups = [("everyone", cost["overall"])] if "overall" in cost else []
    groups += list(cost.get("by_experience", {}).items())
    for name, g in groups:
        rows.append([f"{name}: service contacts", text(g.get("contacts"))])
        rows.append([f"{name}: cost", text(g.get("cost"), cur)])
    lines = [f"The last {cost['window_days']} days." if "window_days" in cost else ""]
    return MoneyBlock("Cost to serve", [x for x in lines if x], rows)


def _point_and_risk(data: dict[str, Any], cur: str) -> list[MoneyBlock]:
    point = data.get("point_value", {})
    risk = data.get("at_risk", {})
    return [
        MoneyBlock(
            "The value of one point",
            [
                f"One point of likelihood to recommend: {text(point.get('point'), cur)} per "
                "customer per year.",
                f"Moving a detractor to passive: {text(point.get('detractor_to_passive'), cur)}.",
                "Associations on the organisation's own data, within plan and persona segments.",
            ],
        ),
        MoneyBlock(
            "Revenue at risk",
            [
                "Current detractors' yearly revenue at risk, each customer's revenue times "
                f"their own churn probability (Cox model): {text(risk.get('at_risk'), cur)}.",
                "With the detractors' group churn rate instead: "
                f"{text(risk.get('group_level'), cur)}.",
            ],
        ),
    ]


LEGS = (
    ("experience", "experience (NPS points)", False),
    ("cost", "cost to serve per customer", True),
    ("revenue", "revenue per customer", True),
    ("retention", "retention (points)", False),
)


def _crowns(data: dict[str, Any], cur: str) -> MoneyBlock:
    rows = [["Action and leg", "Change after vs before (95% interval, n)"]]
    lines = []
    for a in data.get("actions", []):
        title, legs = a.get("title", ""), a.get("legs", {})
        if not a.get("enough"):
            rows.append([title, str(a.get("note") or "not enough data")])
            continue
        rows += [
            [f"{title}: {label}", text(legs.get(key), cur if money else "")]
            for key, label, money in LEGS
        ]
        if a.get("flag"):
            lines.append(f"Trade-off in {title}: {a['flag']}.")
    if len(rows) == 1:
        return MoneyBlock("The triple crown per action", ["No completed improvement action yet."])
    return MoneyBlock("The triple crown per action", lines, rows)


def money_section(org_id: int) -> list[MoneyBlock]:
    per_kind: dict[str, int] = totals(org_id)["per_kind"]
    report: Stored = stored_report(org_id, ReportKind.VALUE)
    gaps = missing(per_kind)
    if not any(per_kind.values()):
        send = "Send outcomes through the API, a CSV import or a webhook."
        return [MoneyBlock(TITLE, ["No outcome data yet, so no money figures.", *gaps, send])]
    if report.as_of is None:
        note = str(report.data.get("note") or "Not computed yet.")
        return [MoneyBlock(TITLE, [note, *gaps])]
    data, cur = report.data, f"{report.data.get('currency', '')} "
    intro = MoneyBlock(
        TITLE,
        [
            f"Figures as of {report.as_of:%d %b %Y, %H:%M}, the same as the Value page; each "
            "with its 95% interval and n. Associations, not proof of cause.",
            *gaps,
        ],
    )
    return [
        intro,
        _retention(data.get("retention", {})),
        _revenue(data, cur),
        _cost(data, cur),
        *_point_and_risk(data, cur),
        _crowns(data, cur),
    ]
