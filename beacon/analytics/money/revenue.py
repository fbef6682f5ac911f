"""Revenue by experience, the value of one point, the back-test, and revenue at risk.

All of these are associations on the organisation's own data: customers who score higher
may spend more for reasons of their own. The back-test shows whether the link predicts
the next 90 days on this organisation's data.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import numpy as np

from beacon.analytics.money.data import (
    Data,
    category,
    first_per_contact,
    last_per_contact,
    total,
    yearly_revenue,
)
from beacon.analytics.money.figures import (
    Figure,
    FloatArray,
    bootstrap,
    figure,
    mean_difference_figure,
    mean_figure,
    not_enough,
)
from beacon.analytics.money.survival import NPS_GROUPS, churn_probability, longest_horizon

BACKTEST_DAYS = 90
# Category differences shown: (higher, lower).
UPLIFTS = (("promoter", "detractor"), ("passive", "detractor"), ("promoter", "passive"))
DECILES = 10


def _after_first_answer(data: Data) -> tuple[np.ndarray, FloatArray, np.ndarray, list[str]]:
    """(contact, revenue in the window after the first answer, score, segment) per customer
    whose first answer is at least one window old."""
    w = data.window_days
    first = first_per_contact(data.nps, before=-w)
    contacts, revenue, scores, segments = [], [], [], []
    for contact, i in first.items():
        t = float(data.nps.at[i])
        contacts.append(contact)
        revenue.append(total(data.revenue.get(contact), t, t + w))
        scores.append(int(data.nps.score[i]))
        segments.append(f"{data.plan.get(contact, '')}|{int(data.nps.persona[i])}")
    return (
        np.array(contacts, dtype=np.int64),
        np.array(revenue, dtype=np.float64),
        np.array(scores, dtype=np.int64),
        segments,
    )


def revenue_by_experience(data: Data) -> dict[str, Any]:
    _, revenue, scores, _ = _after_first_answer(data)
    window = f"{data.window_days} days after the customer's first survey"
    groups = np.array([category(int(s)) for s in scores], dtype=object)
    by_group = {
        g: mean_figure(revenue[groups == g], window=window, min_n=data.min_n, seed=k)
        for k, g in enumerate(NPS_GROUPS)
    }
    by_score = {
        str(s): mean_figure(revenue[scores == s], window=window, min_n=data.min_n, seed=20 + s)
        for s in range(11)
    }
    uplift = {
        f"{high}_vs_{low}": mean_difference_figure(
            revenue[groups == low],
            revenue[groups == high],
            window=window,
            min_n=data.min_n,
            seed=31 + k,
        )
        for k, (high, low) in enumerate(UPLIFTS)
    }
    note = ""
    if data.history_days < data.window_days:
        note = f"needs {data.window_days} days of history; {int(data.history_days)} exist"
    return {
        "n": len(revenue),
        "by_nps": by_group,
        "by_score": by_score,
        "uplift": uplift,
        "note": note,
    }


def _demeaned(x: FloatArray, codes: np.ndarray, k: int) -> FloatArray:
    """x minus its segment mean, along the last axis (rows of resamples allowed)."""
    out = np.empty_like(x)
    for s in range(k):
        mask = codes == s
        counts = mask.sum(axis=-1, keepdims=True)
        sums = np.where(mask, x, 0.0).sum(axis=-1, keepdims=True)
        means = np.divide(sums, counts, out=np.zeros_like(sums), where=counts > 0)
        out = np.where(mask, x - means, out)
    return out


def _slope(score: FloatArray, revenue: FloatArray, codes: np.ndarray, k: int) -> FloatArray:
    xs, ys = _demeaned(score, codes, k), _demeaned(revenue, codes, k)
    den = (xs * xs).sum(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.asarray((xs * ys).sum(axis=-1) / den, dtype=np.float64)


def _step_value(score: np.ndarray, revenue: FloatArray, codes: np.ndarray, k: int) -> FloatArray:
    """Passive minus detractor mean within segments, weighted by each segment's detractors."""
    det, pas = score <= 6, (score >= 7) & (score <= 8)
    num = np.zeros(score.shape[:-1])
    den = np.zeros(score.shape[:-1])
    for s in range(k):
        in_s = codes == s
        nd, npas = (det & in_s).sum(axis=-1), (pas & in_s).sum(axis=-1)
        ok = (nd > 0) & (npas > 0)
        md = np.where(det & in_s, revenue, 0.0).sum(axis=-1) / np.maximum(nd, 1)
        mp = np.where(pas & in_s, revenue, 0.0).sum(axis=-1) / np.maximum(npas, 1)
        num += np.where(ok, nd * (mp - md), 0.0)
        den += np.where(ok, nd, 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.asarray(num / den, dtype=np.float64)


def value_of_a_point(data: Data) -> dict[str, Figure]:
    _, revenue, scores, segments = _after_first_answer(data)
    n = len(revenue)
    per_year = 365.0 / data.window_days
    window = f"per customer per year (from {data.window_days} days after the first survey)"
    slope_method = (
        "slope of revenue on likelihood to recommend within plan x persona "
        "segments (fixed effects); 95% percentile bootstrap; an association"
    )
    step_method = (
        "passive minus detractor revenue within segments, weighted by detractors; "
        "95% percentile bootstrap; an association"
    )
    if n < data.min_n or len(set(scores.tolist())) < 2:
        return {
            "point": not_enough(n, data.min_n, window=window, method=slope_method),
            "detractor_to_passive": not_enough(n, data.min_n, window=window, method=step_method),
        }
    names = sorted(set(segments))
    codes = np.array([names.index(s) for s in segments], dtype=np.int64)
    k, x = len(names), scores.astype(np.float64)
    point = float(_slope(x, revenue, codes, k)) * per_year
    low, high = bootstrap(lambda i: _slope(x[i], revenue[i], codes[i], k) * per_year, n, seed=41)
    step = float(_step_value(scores, revenue, codes, k)) * per_year
    s_low, s_high = bootstrap(
        lambda i: _step_value(scores[i], revenue[i], codes[i], k) * per_year, n, seed=42
    )
    return {
        "point": figure(
            point, low, high, n=n, min_n=data.min_n, window=window, method=slope_method, segments=k
        ),
        "detractor_to_passive": figure(
            step,
            s_low,
            s_high,
            n=n,
            min_n=data.min_n,
            window=window,
            method=step_method,
            segments=k,
        ),
    }


# ---------------------------------------------------------------- back-test


def _features(data: Data, at: float) -> tuple[list[int], FloatArray]:
    """Customers subscribed at `at` with an answer before it: latest score, tenure, spend."""
    last = last_per_contact(data.nps, before=at)
    contacts, rows = [], []
    for contact, i in last.items():
        sub = data.subscriptions.get(contact)
        if sub is None or sub.start > at or (sub.end is not None and sub.end <= at):
            continue
        spent = total(data.revenue.get(contact), at - BACKTEST_DAYS, at)
        contacts.append(contact)
        rows.append([float(data.nps.score[i]), (at - sub.start) / 365.0, spent])
    return contacts, np.array(rows, dtype=np.float64).reshape(-1, 3)


def _labels(data: Data, contacts: list[int], at: float) -> tuple[FloatArray, FloatArray]:
    churned, revenue = [], []
    for contact in contacts:
        end = data.subscriptions[contact].end
        churned.append(float(end is not None and at < end <= at + BACKTEST_DAYS))
        revenue.append(total(data.revenue.get(contact), at, at + BACKTEST_DAYS))
    return np.array(churned), np.array(revenue)


def backtest(data: Data) -> dict[str, Any]:
    """Fit on the 90 days before a cut-off 90 days ago, predict the 90 days since, by decile."""
    method = (
        "logistic regression (churn) and linear regression (revenue) on latest score, "
        "tenure and past 90 days' revenue, fitted on the quarter before the cut-off; "
        "actual share with Wilson 95% interval, actual revenue with bootstrap interval"
    )
    window = f"cut-off {BACKTEST_DAYS} days ago; the {BACKTEST_DAYS} days after it"
    cut = -float(BACKTEST_DAYS)
    train_at = cut - BACKTEST_DAYS
    if data.history_days < 2 * BACKTEST_DAYS + 1:
        return {
            "enough": False,
            "deciles": [],
            "window": window,
            "method": method,
            "note": f"needs {2 * BACKTEST_DAYS} days of history; {int(data.history_days)} exist",
        }
    train_c, train_x = _features(data, train_at)
    test_c, test_x = _features(data, cut)
    if len(train_c) < data.min_n or len(test_c) < DECILES * 3:
        return {
            "enough": False,
            "deciles": [],
            "window": window,
            "method": method,
            "note": f"not enough data (n={len(test_c)}, needs {data.min_n})",
        }
    from sklearn.linear_model import (  # type: ignore[import-untyped]
        LinearRegression,
        LogisticRegression,
    )

    y_churn, y_rev = _labels(data, train_c, train_at)
    t_churn, t_rev = _labels(data, test_c, cut)
    if len(set(y_churn.tolist())) < 2:
        p = np.full(len(test_c), float(y_churn.mean()))
    else:
        p = LogisticRegression(max_iter=1000).fit(train_x, y_churn).predict_proba(test_x)[:, 1]
    r = LinearRegression().fit(train_x, y_rev).predict(test_x)
    from beacon.analytics.stats import wilson

    deciles = []
    order = np.argsort(p)
    for d, idx in enumerate(np.array_split(order, DECILES), start=1):
        share = wilson(int(t_churn[idx].sum()), len(idx))
        rev = mean_figure(t_rev[idx], window=window, min_n=2, seed=100 + d)
        deciles.append(
            {
                "decile": d,
                "n": len(idx),
                "predicted_churn": round(100 * float(p[idx].mean()), 2),
                "actual_churn": round(share.value, 2) if share else None,
                "actual_churn_low": round(share.low, 2) if share else None,
                "actual_churn_high": round(share.high, 2) if share else None,
                "predicted_revenue": round(float(r[idx].mean()), 2),
                "actual_revenue": rev["value"],
                "actual_revenue_low": rev["low"],
                "actual_revenue_high": rev["high"],
            }
        )
    inside = sum(
        d["actual_churn_low"] is not None
        and d["actual_churn_low"] <= d["predicted_churn"] <= d["actual_churn_high"]
        for d in deciles
    )
    return {
        "enough": True,
        "n_train": len(train_c),
        "n_test": len(test_c),
        "deciles": deciles,
        "calibrated_deciles": inside,
        "window": window,
        "method": method,
        "note": "",
    }


# ---------------------------------------------------------------- revenue at risk


def revenue_at_risk(
    data: Data, nps_groups: list[dict[str, Any]], accounts: dict[int, tuple[int, str, Any]]
) -> dict[str, Any]:
    """Current detractors' yearly revenue times their group's churn probability."""
    horizon = longest_horizon(nps_groups)
    window = f"churn within {horizon} days; revenue of the last 12 months (annualised)"
    method = (
        "sum over current subscribed detractors of yearly revenue x the detractors' "
        "Kaplan-Meier churn probability at the horizon; interval from its 95% band"
    )
    latest = last_per_contact(data.nps)
    detractors = [
        c
        for c, i in latest.items()
        if data.nps.score[i] <= 6 and c in data.subscriptions and data.subscriptions[c].end is None
    ]
    group = next((g for g in nps_groups if g["label"] == "detractor"), {})
    prob = churn_probability(group, horizon) if horizon else None
    revenue = sum(yearly_revenue(data, c) for c in detractors)
    if prob is None:
        risk = not_enough(
            len(detractors),
            data.min_n,
            window=window,
            method=method,
            note="no churn probability yet (not enough follow-up or customers)",
        )
    else:
        risk = figure(
            revenue * prob[0],
            revenue * prob[1],
            revenue * prob[2],
            n=len(detractors),
            min_n=data.min_n,
            window=window,
            method=method,
            revenue=round(revenue, 2),
            churn_probability=prob[0],
        )
    return {"at_risk": risk, "accounts": _accounts_to_call(data, latest, accounts)}


def _accounts_to_call(
    data: Data, latest: dict[int, int], accounts: dict[int, tuple[int, str, Any]]
) -> dict[str, Any]:
    """Accounts in the top 80% of revenue whose account NPS is below -20."""
    members: dict[int, list[int]] = defaultdict(list)
    info: dict[int, tuple[str, float]] = {}
    for contact, (account, name, revenue) in accounts.items():
        info[account] = (name, float(revenue))
        if contact in latest:
            members[account].append(contact)
    ranked = sorted(info.items(), key=lambda kv: -kv[1][1])
    whole = sum(r for _, (_, r) in ranked) or 1.0
    listed, running = [], 0.0
    for account, (name, revenue) in ranked:
        if running >= 0.8 * whole:
            break
        running += revenue
        scores = [int(data.nps.score[latest[c]]) for c in members.get(account, [])]
        if not scores:
            continue
        nps = 100.0 * (sum(s >= 9 for s in scores) - sum(s <= 6 for s in scores)) / len(scores)
        if nps < -20:
            listed.append(
                {
                    "account_id": account,
                    "name": name,
                    "annual_revenue": revenue,
                    "nps": round(nps, 1),
                    "n": len(scores),
                    "contact_ids": members[account],
                }
            )
    return {
        "listed": listed,
        "accounts": len(info),
        "rule": "top 80% of annual revenue and account NPS below -20 (latest answers)",
    }
