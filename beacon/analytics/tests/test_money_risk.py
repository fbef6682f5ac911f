"""Truth tests of revenue at risk per customer: the planted hazard ratio and the revenue it
puts at risk recovered within their intervals; with no effect, nothing called significant."""

from __future__ import annotations

import math
import time

import numpy as np

from beacon.analytics.money import risk, survival
from beacon.analytics.money.data import category, last_per_contact, yearly_revenue
from beacon.analytics.tests.money_synth import retention_plan, to_data

BASE_RATE = 1 / 400  # promoters' churn per day in the synthetic plan


def test_planted_hazard_ratio_and_the_revenue_it_puts_at_risk_are_recovered() -> None:
    data = to_data(retention_plan(7, n=900, hazard_ratio=2.5, base_rate=BASE_RATE))
    c = survival.cohort(data)
    groups = survival.retention(data, c)["by_nps"]
    started = time.perf_counter()
    out = risk.revenue_at_risk_per_customer(data, c, groups)
    assert time.perf_counter() - started < 10  # one fit and matrix products, no refits
    ratios = out["hazard_ratios"]
    assert ratios["detractor"]["low"] <= 2.5 <= ratios["detractor"]["high"], ratios["detractor"]
    assert ratios["detractor"]["low"] > 1  # called a real effect
    # Revenue has no planted effect on churn: its interval includes 1.
    assert ratios["log_revenue"]["low"] <= 1 <= ratios["log_revenue"]["high"]
    # Lifetimes are exponential: a current detractor churns within the horizon with
    # probability 1 - exp(-rate x horizon), whatever their tenure.
    at_risk = out["at_risk"]
    horizon = at_risk["horizon_days"]
    assert horizon == 180
    latest = last_per_contact(data.nps)
    current = [
        k
        for k, i in latest.items()
        if category(int(data.nps.score[i])) == "detractor" and data.subscriptions[k].end is None
    ]
    assert at_risk["n"] == len(current) == 77
    truth = sum(yearly_revenue(data, k) for k in current) * (
        1 - math.exp(-BASE_RATE * 2.5 * horizon)
    )
    assert at_risk["low"] <= truth <= at_risk["high"], (truth, at_risk)
    assert at_risk["draws"] == risk.DRAWS
    top = out["customers"]
    assert len(top) == risk.TOP_CUSTOMERS and all(t["yearly_revenue"] > 0 for t in top)
    assert [t["at_risk"] for t in top] == sorted((t["at_risk"] for t in top), reverse=True)


def test_no_planted_effect_is_not_called_significant_in_19_of_20_seeds() -> None:
    inside = 0
    for seed in range(20):
        data = to_data(retention_plan(300 + seed, n=450, hazard_ratio=1.0))
        hr = risk.hazard_ratios(data, survival.cohort(data))["detractor"]
        inside += hr["low"] <= 1.0 <= hr["high"]
    assert inside >= 19, inside


def test_without_follow_up_or_detractors_it_says_why() -> None:
    data = to_data(retention_plan(5, n=60))
    data.min_n = 200
    c = survival.cohort(data)
    out = risk.revenue_at_risk_per_customer(data, c, survival.retention(data, c)["by_nps"])
    assert out["at_risk"]["enough"] is False
    assert out["at_risk"]["note"] == "needs follow-up to 90 days"


def test_the_probabilities_are_lifelines_own_predictions() -> None:
    """The Breslow baseline computed here equals the fitted model's survival function (at
    an event time: between them lifelines interpolates, a step function does not)."""
    data = to_data(retention_plan(8, n=450))
    c = survival.cohort(data)
    model = risk.fit_model(data, c, np.random.default_rng(0))
    assert not isinstance(model, str)
    fitted, frame = model
    rows = frame.drop(columns=["duration", "event"]).iloc[:5]
    at = float(frame["duration"][(frame["event"] > 0) & (frame["duration"] <= 120)].max())
    base, _, relative = risk.hazards(
        frame, rows, fitted.params_[rows.columns].to_numpy()[:, None], at
    )
    ours = 1.0 - np.exp(-base[0] * relative[:, 0])
    theirs = 1.0 - fitted.predict_survival_function(rows, times=[at]).to_numpy()[0]
    assert np.allclose(ours, theirs, atol=1e-6), (ours, theirs)
