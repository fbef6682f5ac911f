"""Retention by experience: Kaplan-Meier curves, log-rank test and a Cox model (lifelines).

The clock of a customer starts at their first NPS answer while subscribed (their group is
that answer's category, CSAT band and stage) and stops when the subscription ends
(churn) or at the as-of moment (censored). Customers who never subscribed are left out.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from typing import Any

import numpy as np

from beacon.analytics.money.data import Data, category, csat_band
from beacon.analytics.money.figures import Figure, figure, not_enough

HORIZONS = (90, 180, 365)
CURVE_STEP_DAYS = 7
NPS_GROUPS = ("promoter", "passive", "detractor")


@dataclass
class Cohort:
    contact: np.ndarray
    duration: np.ndarray
    event: np.ndarray
    nps_group: list[str]
    csat_group: list[str]
    stage: np.ndarray
    persona: np.ndarray
    tenure_years: np.ndarray
    plan: list[str]
    score: np.ndarray


def cohort(data: Data) -> Cohort:
    rows: list[tuple[Any, ...]] = []
    seen: set[int] = set()
    csat_first: dict[int, int] = {}
    for i in range(len(data.csat.contact)):
        csat_first.setdefault(int(data.csat.contact[i]), int(data.csat.score[i]))
    a = data.nps
    for i in range(len(a.contact)):
        contact = int(a.contact[i])
        sub = data.subscriptions.get(contact)
        if contact in seen or sub is None or a.at[i] < sub.start:
            continue
        if sub.end is not None and sub.end <= a.at[i]:
            continue
        seen.add(contact)
        end = sub.end if sub.end is not None else 0.0
        csat = csat_first.get(contact)
        rows.append(
            (
                contact,
                end - a.at[i],
                sub.end is not None,
                category(int(a.score[i])),
                csat_band(csat) if csat is not None else "",
                int(a.stage[i]),
                int(a.persona[i]),
                (a.at[i] - sub.start) / 365.0,
                data.plan.get(contact, ""),
                int(a.score[i]),
            )
        )
    cols = list(zip(*rows, strict=True)) if rows else [()] * 10
    return Cohort(
        contact=np.array(cols[0], dtype=np.int64),
        duration=np.maximum(np.array(cols[1], dtype=np.float64), 1e-3),
        event=np.array(cols[2], dtype=bool),
        nps_group=list(cols[3]),
        csat_group=list(cols[4]),
        stage=np.array(cols[5], dtype=np.int64),
        persona=np.array(cols[6], dtype=np.int64),
        tenure_years=np.array(cols[7], dtype=np.float64),
        plan=list(cols[8]),
        score=np.array(cols[9], dtype=np.int64),
    )


def _km(duration: np.ndarray, event: np.ndarray, label: str) -> Any:
    from lifelines import KaplanMeierFitter

    return KaplanMeierFitter(alpha=0.05).fit(duration, event, label=label)


def _at(frame: Any, t: float) -> tuple[float, ...]:
    """Row of a step function (lifelines frame indexed by time) in force at time t."""
    index = frame.index.to_numpy()
    pos = int(np.searchsorted(index, t, side="right")) - 1
    return tuple(float(v) for v in frame.iloc[max(pos, 0)].to_numpy())


def km_group(duration: np.ndarray, event: np.ndarray, label: str, data: Data) -> dict[str, Any]:
    n = len(duration)
    method = "Kaplan-Meier, 95% band (Greenwood, log-log)"
    if n < data.min_n:
        return {
            "label": label,
            "n": n,
            "events": int(event.sum()),
            "enough": False,
            "curve": [],
            "churn": {},
            "note": f"not enough data (n={n}, needs {data.min_n})",
        }
    kmf = _km(duration, event, label)
    followed = float(duration.max())
    curve = []
    for t in np.arange(0.0, followed + CURVE_STEP_DAYS, CURVE_STEP_DAYS):
        s = _at(kmf.survival_function_, float(t))[0]
        low, high = _at(kmf.confidence_interval_, float(t))
        curve.append([int(t), round(s, 4), round(low, 4), round(high, 4)])
    churn: dict[str, Figure] = {}
    for h in HORIZONS:
        if h > followed:
            churn[str(h)] = not_enough(
                n,
                data.min_n,
                window=f"{h} days",
                method=method,
                note=f"needs {h} days of follow-up; the longest so far is {int(followed)}",
            )
            continue
        s = _at(kmf.survival_function_, h)[0]
        low, high = _at(kmf.confidence_interval_, h)
        churn[str(h)] = figure(
            100 * (1 - s),
            100 * (1 - high),
            100 * (1 - low),
            n=n,
            min_n=data.min_n,
            window=f"{h} days after the survey",
            method=method,
            unit="%",
        )
    return {
        "label": label,
        "n": n,
        "events": int(event.sum()),
        "enough": True,
        "curve": curve,
        "churn": churn,
        "note": "",
    }


def _groups(c: Cohort, labels: list[str], data: Data, order: tuple[str, ...] = ()) -> list[Any]:
    names = list(order) or sorted({x for x in labels if x})
    out = []
    mask_of = np.array(labels, dtype=object)
    for name in names:
        mask = mask_of == name
        out.append(km_group(c.duration[mask], c.event[mask], name, data))
    return out


def logrank(c: Cohort, labels: list[str], data: Data) -> Figure:
    method = "log-rank test across groups"
    kept = np.array([bool(x) for x in labels], dtype=bool)
    groups = np.array(labels, dtype=object)[kept]
    n = int(kept.sum())
    if n < data.min_n or len(set(groups)) < 2:
        return not_enough(n, data.min_n, window="all follow-up", method=method)
    from lifelines.statistics import multivariate_logrank_test

    result = multivariate_logrank_test(c.duration[kept], groups, c.event[kept])
    p = float(result.p_value)
    return figure(
        p,
        None,
        None,
        n=n,
        min_n=data.min_n,
        window="all follow-up",
        method=method,
        statistic=round(float(result.test_statistic), 3),
        p_value=p,
    )


def covariates(
    groups: list[str], tenure_years: np.ndarray, plans: list[str], common_plans: list[str]
) -> dict[str, Any]:
    """The Cox model's covariates: NPS category (promoters the reference), tenure, and the
    plans held by at least the minimum sample (the most common one the reference)."""
    out: dict[str, Any] = {
        "detractor": [g == "detractor" for g in groups],
        "passive": [g == "passive" for g in groups],
        "tenure_years": tenure_years,
    }
    for plan in common_plans[1:]:
        out[f"plan:{plan}"] = [p == plan for p in plans]
    return out


def common_plans(c: Cohort, data: Data) -> list[str]:
    counts = Counter(c.plan)
    return [p for p, k in counts.most_common() if k >= data.min_n]


def design(c: Cohort, data: Data, extra: dict[str, np.ndarray] | None = None) -> Any:
    """The cohort as a lifelines frame (duration, event, covariates, `extra` columns)."""
    import pandas as pd

    frame = pd.DataFrame(
        {
            "duration": c.duration,
            "event": c.event.astype(int),
            **covariates(c.nps_group, c.tenure_years, c.plan, common_plans(c, data)),
            **(extra or {}),
        }
    ).astype(float)
    # Groups with no customers carry no information (and make the fit singular).
    kept = [col for col in frame.columns if frame[col].std() > 0 or col in ("duration", "event")]
    return frame.loc[:, kept]


def cox_ratios(
    fitted: Any,
    names: tuple[str, ...],
    n: int,
    events: int,
    data: Data,
    window: str,
    method: str,
    **extra: Any,
) -> dict[str, Figure]:
    """A fitted Cox model's hazard ratios with their 95% Wald intervals and p-values; a
    covariate the fit dropped (no customer had it) is "not enough data"."""
    out: dict[str, Figure] = {}
    summary = fitted.summary
    for name in names:
        if name not in summary.index:
            out[name] = not_enough(0, data.min_n, window=window, method=method)
            continue
        row = summary.loc[name]
        out[name] = figure(
            float(row["exp(coef)"]),
            float(row["exp(coef) lower 95%"]),
            float(row["exp(coef) upper 95%"]),
            n=n,
            min_n=data.min_n,
            window=window,
            method=method,
            events=events,
            p_value=float(row["p"]),
            **extra,
        )
    return out


def cox(c: Cohort, data: Data) -> dict[str, Any]:
    """Hazard ratios of detractors and passives against promoters, adjusted for tenure and plan."""
    method = "Cox proportional hazards (lifelines), adjusted for tenure and plan; 95% Wald interval"
    window = "from the first survey while subscribed"
    n, events = len(c.duration), int(c.event.sum())
    min_events = max(data.min_n // 3, 10)
    if n < data.min_n or events < min_events:
        blank = not_enough(
            n,
            data.min_n,
            window=window,
            method=method,
            note=f"not enough data (n={n}, {events} churned; needs {data.min_n} "
            f"customers and {min_events} churned)",
        )
        return {"detractor": blank, "passive": blank}
    from lifelines import CoxPHFitter

    frame = design(c, data)
    out: dict[str, Any] = {}
    try:
        fitted = CoxPHFitter(alpha=0.05).fit(frame, "duration", "event")
    except Exception as exc:  # lifelines raises its own convergence errors
        note = f"the model did not converge ({type(exc).__name__})"
        blank = not_enough(n, data.min_n, window=window, method=method, note=note)
        return {"detractor": blank, "passive": blank}
    out.update(
        cox_ratios(
            fitted, ("detractor", "passive"), n, events, data, window, method, versus="promoter"
        )
    )
    out["concordance"] = round(float(fitted.concordance_index_), 3)
    return out


def retention(data: Data, c: Cohort | None = None) -> dict[str, Any]:
    c = c if c is not None else cohort(data)
    stages = [str(s) if s else "" for s in c.stage.tolist()]
    return {
        "n": len(c.duration),
        "churned": int(c.event.sum()),
        "by_nps": _groups(c, c.nps_group, data, NPS_GROUPS),
        "by_csat": _groups(c, c.csat_group, data, ("satisfied", "neutral", "dissatisfied")),
        "by_stage": _groups(c, stages, data),
        "logrank_nps": logrank(c, c.nps_group, data),
        "logrank_csat": logrank(c, c.csat_group, data),
        "logrank_stage": logrank(c, stages, data),
        "hazard_ratio": cox(c, data),
    }


def churn_probability(group: dict[str, Any], horizon: int) -> tuple[float, float, float] | None:
    """(estimate, low, high) of the share churned by `horizon` days, as fractions."""
    fig = group.get("churn", {}).get(str(horizon))
    if not fig or not fig.get("enough"):
        return None
    return fig["value"] / 100, fig["low"] / 100, fig["high"] / 100


def longest_horizon(groups: list[dict[str, Any]]) -> int | None:
    for h in sorted(HORIZONS, reverse=True):
        if all(churn_probability(g, h) is not None for g in groups if g["enough"]) and any(
            g["enough"] for g in groups
        ):
            return h
    return None


def finite(x: float) -> bool:
    return math.isfinite(x)
