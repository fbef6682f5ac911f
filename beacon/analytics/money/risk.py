"""Revenue at risk per customer: a Cox model's churn probability times each customer's revenue.

The model (lifelines `CoxPHFitter`) is fitted on the retention cohort: the clock starts
at a customer's first survey while subscribed; the covariates are that answer's NPS
category, tenure, plan, and the revenue of the year before it (log, so a doubling is
one step). Each current customer whose latest answer is a detractor's gets a churn
probability within the horizon from their own covariates today (latest category, tenure,
plan, last year's revenue); revenue at risk is the sum of their yearly revenue times that
probability. The interval is simulated: coefficients are drawn from their estimated
sampling distribution (normal, the fit's covariance), the Breslow baseline hazard is
recomputed for each draw and drawn around it by its own variance (log-normal), and the
sum is recomputed; the 2.5th and 97.5th percentiles of the draws bound it. That costs a
few matrix products instead of refitting the model, so the worker's run stays short; a
large cohort is fitted on a seeded sample.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from beacon.analytics.money.data import YEAR, Data, category, last_per_contact, yearly_revenue
from beacon.analytics.money.figures import Figure, figure, not_enough
from beacon.analytics.money.survival import (
    Cohort,
    common_plans,
    covariates,
    cox_ratios,
    design,
    longest_horizon,
)

DRAWS = 2000
CHUNK = 200
# More customers than this are fitted on a seeded sample of this many (and resampled so).
MAX_FIT_ROWS = 20_000
TOP_CUSTOMERS = 20


def _log_revenue_before(data: Data, c: Cohort) -> np.ndarray:
    starts = [
        (data.subscriptions[int(k)].end or 0.0) - float(d)
        for k, d in zip(c.contact, c.duration, strict=True)
    ]
    return np.log1p(
        [max(yearly_revenue(data, int(k), t), 0.0) for k, t in zip(c.contact, starts, strict=True)]
    )


def _current(data: Data, columns: list[str], plans: list[str]) -> tuple[list[int], Any]:
    """Subscribed customers whose latest answer is a detractor's, as rows of the model."""
    import pandas as pd

    latest = last_per_contact(data.nps)
    people = sorted(
        c
        for c, i in latest.items()
        if category(int(data.nps.score[i])) == "detractor"
        and c in data.subscriptions
        and data.subscriptions[c].end is None
    )
    values = covariates(
        ["detractor"] * len(people),
        np.array([-data.subscriptions[c].start / YEAR for c in people]),
        [data.plan.get(c, "") for c in people],
        plans,
    )
    values["log_revenue"] = np.log1p([max(yearly_revenue(data, c), 0.0) for c in people])
    frame = pd.DataFrame(values).astype(float)
    return people, frame.reindex(columns=columns, fill_value=0.0)


def _fit(frame: Any) -> Any:
    from lifelines import CoxPHFitter

    return CoxPHFitter(alpha=0.05).fit(frame, "duration", "event")


def hazards(
    frame: Any, current: Any, beta: np.ndarray, horizon: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For each coefficient vector (columns of `beta`): the Breslow baseline cumulative
    hazard at `horizon`, its variance, and each current customer's (rows) relative hazard.
    A customer's churn probability is 1 - exp(-baseline x relative).

    Covariates are centred on the cohort's means, which leaves the probabilities unchanged
    and keeps exp() finite.
    """
    names = list(current.columns)
    cohort_x = frame[names].to_numpy()
    mean = cohort_x.mean(axis=0)
    order = np.argsort(-frame["duration"].to_numpy(), kind="stable")
    risk_sets = np.cumsum(np.exp((cohort_x[order] - mean) @ beta), axis=0)  # longest first
    counted = (frame["event"].to_numpy()[order] > 0) & (
        frame["duration"].to_numpy()[order] <= horizon
    )
    base = (1.0 / risk_sets[counted]).sum(axis=0)
    variance = (1.0 / risk_sets[counted] ** 2).sum(axis=0)
    return base, variance, np.exp((current.to_numpy() - mean) @ beta)


def _interval(
    fitted: Any, frame: Any, current: Any, revenue: np.ndarray, horizon: int, seed: int
) -> tuple[float, float]:
    rng = np.random.default_rng(seed)
    names = list(current.columns)
    beta = fitted.params_[names].to_numpy()
    cov = fitted.variance_matrix_.loc[names, names].to_numpy()
    sums = []
    for _ in range(DRAWS // CHUNK):
        base, variance, relative = hazards(
            frame, current, rng.multivariate_normal(beta, cov, size=CHUNK).T, horizon
        )
        # The baseline given the coefficients, log-normal around its estimate.
        spread = np.sqrt(np.log1p(variance / base**2))
        drawn = base * np.exp(rng.normal(-0.5 * spread**2, spread))
        sums.append(revenue @ (1.0 - np.exp(-drawn * relative)))
    every = np.concatenate(sums)
    return float(np.percentile(every, 2.5)), float(np.percentile(every, 97.5))


def _ratios(fitted: Any, n: int, events: int, data: Data, window: str) -> dict[str, Figure]:
    method = "Cox proportional hazards (lifelines), per customer; 95% Wald interval"
    names = ("detractor", "passive", "log_revenue", "tenure_years")
    return cox_ratios(fitted, names, n, events, data, window, method)


MODEL_WINDOW = "from the first survey while subscribed"


def fit_model(data: Data, c: Cohort, rng: np.random.Generator) -> tuple[Any, Any] | str:
    """(fitted model, the frame it was fitted on), or why there is none."""
    n, events = len(c.duration), int(c.event.sum())
    min_events = max(data.min_n // 3, 10)
    if n < data.min_n or events < min_events:
        return (
            f"not enough data (n={n}, {events} churned; needs {data.min_n} customers and "
            f"{min_events} churned)"
        )
    rows = np.arange(n)
    if n > MAX_FIT_ROWS:
        rows = np.sort(rng.choice(n, size=MAX_FIT_ROWS, replace=False))
    frame = design(c, data, {"log_revenue": _log_revenue_before(data, c)}).iloc[rows]
    try:
        return _fit(frame), frame
    except Exception as exc:  # lifelines raises its own convergence errors
        return f"the model did not converge ({type(exc).__name__})"


def hazard_ratios(data: Data, c: Cohort, *, seed: int = 0) -> dict[str, Figure]:
    """The per-customer model's hazard ratios, each with its 95% interval."""
    model = fit_model(data, c, np.random.default_rng(seed))
    if isinstance(model, str):
        blank = not_enough(len(c.duration), data.min_n, window=MODEL_WINDOW, method="Cox",
                           note=model)  # fmt: skip
        return {"detractor": blank}
    fitted, frame = model
    return _ratios(fitted, len(frame), int(frame["event"].sum()), data, MODEL_WINDOW)


def revenue_at_risk_per_customer(
    data: Data, c: Cohort, nps_groups: list[dict[str, Any]], *, seed: int = 0
) -> dict[str, Any]:
    """Current detractors' yearly revenue times their own modelled churn probability."""
    horizon = longest_horizon(nps_groups)
    window = f"churn within {horizon} days; revenue of the last 12 months (annualised)"
    method = (
        "sum over subscribed customers whose latest answer is a detractor's of yearly "
        "revenue x their churn probability from a Cox model (NPS category, tenure, plan, "
        f"log revenue); 95% interval from {DRAWS} draws of the coefficients and baseline"
    )
    if len(c.duration) > MAX_FIT_ROWS:
        method += f"; fitted on a seeded sample of {MAX_FIT_ROWS} customers"
    rng = np.random.default_rng(seed)
    model = fit_model(data, c, rng) if horizon else "needs follow-up to 90 days"
    if isinstance(model, str):
        return {"at_risk": not_enough(len(c.duration), data.min_n, window=window,
                                      method=method, note=model)}  # fmt: skip
    assert horizon is not None
    fitted, frame = model
    columns = [col for col in frame.columns if col not in ("duration", "event")]
    people, current = _current(data, columns, common_plans(c, data))
    if not people:
        note = "no subscribed customer's latest answer is a detractor's"
        return {"at_risk": not_enough(0, 1, window=window, method=method, note=note)}
    revenue = np.array([max(yearly_revenue(data, p), 0.0) for p in people])
    names = list(current.columns)
    base, _, relative = hazards(frame, current, fitted.params_[names].to_numpy()[:, None], horizon)
    prob = 1.0 - np.exp(-base[0] * relative[:, 0])
    low, high = _interval(fitted, frame, current, revenue, horizon, seed)
    at_risk = figure(
        float((revenue * prob).sum()),
        low,
        high,
        n=len(people),
        min_n=1,
        window=window,
        method=method,
        revenue=round(float(revenue.sum()), 2),
        horizon_days=horizon,
        draws=DRAWS,
    )
    # The customers to call first: those with revenue at stake, the most first.
    order = [i for i in np.argsort(-(revenue * prob)) if revenue[i] > 0][:TOP_CUSTOMERS]
    top = [
        {
            "contact_id": people[i],
            "yearly_revenue": round(float(revenue[i]), 2),
            "churn_probability": round(float(prob[i]), 4),
            "at_risk": round(float(revenue[i] * prob[i]), 2),
        }
        for i in order
    ]
    return {
        "at_risk": at_risk,
        "hazard_ratios": _ratios(fitted, len(frame), int(frame["event"].sum()), data, MODEL_WINDOW),
        "customers": top,
        "concordance": round(float(fitted.concordance_index_), 3),
    }
