"""Truth tests of the money analyses: planted effects recovered, no effect not discovered."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from beacon.analytics.money import crown, revenue, survival
from beacon.analytics.money.crown import Windows
from beacon.analytics.money.report import refresh
from beacon.analytics.money.stored import stored_report
from beacon.analytics.tests.money_synth import (
    TODAY,
    action_plan,
    retention_plan,
    to_data,
    to_db,
)
from beacon.core import clock
from beacon.cxmodel.actions import do_add_touchpoint
from beacon.loop.improvements import ActionIn, do_create_action, do_set_action_status
from beacon.outcomes.actions import SettingsIn, do_save_settings
from beacon.outcomes.models import ReportKind
from beacon.testing import World


def _inside(fig: dict, truth: float) -> bool:
    return bool(fig["enough"] and fig["low"] <= truth <= fig["high"])


def _settings(world: World) -> None:
    do_save_settings(world.org, SettingsIn("GBP", {}, {"phone": Decimal(6)}, 90, False, False))


@pytest.mark.django_db
def test_planted_hazard_ratio_and_revenue_uplift_recovered_end_to_end(world: World) -> None:
    _settings(world)
    uplift = {"promoter": 60.0, "passive": 25.0, "detractor": 0.0}
    plan = retention_plan(3, hazard_ratio=2.5, uplift=uplift)
    to_db(world, plan, stage_touchpoints=(world.touchpoint, world.touchpoint))
    refresh(world.org, TODAY)
    data = stored_report(world.org.pk, ReportKind.VALUE).data
    hr = data["retention"]["hazard_ratio"]["detractor"]
    assert _inside(hr, 2.5), hr
    assert hr["low"] > 1  # and called a real effect
    groups = {g["label"]: g for g in data["retention"]["by_nps"]}
    assert (
        groups["detractor"]["churn"]["180"]["value"] > groups["promoter"]["churn"]["180"]["value"]
    )
    assert data["retention"]["logrank_nps"]["p_value"] < 0.05
    up = data["revenue"]["uplift"]
    assert _inside(up["promoter_vs_detractor"], 60.0), up["promoter_vs_detractor"]
    assert _inside(up["passive_vs_detractor"], 25.0), up["passive_vs_detractor"]
    assert data["point_value"]["point"]["low"] > 0
    assert data["revenue"]["by_nps"]["promoter"]["n"] == 300
    at_risk = data["at_risk"]["at_risk"]
    assert at_risk["enough"] and at_risk["low"] <= at_risk["value"] <= at_risk["high"]


def test_no_planted_effect_intervals_include_zero_in_19_of_20_seeds() -> None:
    hr_ok = uplift_ok = cost_ok = flags = 0
    for seed in range(20):
        data = to_data(retention_plan(100 + seed, n=450, hazard_ratio=1.0))
        hr = survival.cox(survival.cohort(data), data)["detractor"]
        hr_ok += hr["low"] <= 1.0 <= hr["high"]
        up = revenue.revenue_by_experience(data)["uplift"]["promoter_vs_detractor"]
        uplift_ok += up["low"] <= 0.0 <= up["high"]
        act = to_data(action_plan(200 + seed, n=400, calls_after=2.0))
        legs = crown.triple_crown(act, 1, Windows(-120.0, -60.0, 60.0), seed=seed)
        cost = legs["did"]["cost"]
        cost_ok += cost["low"] <= 0.0 <= cost["high"]
        flags += legs["flag"] != ""
    assert hr_ok >= 19 and uplift_ok >= 19 and cost_ok >= 19, (hr_ok, uplift_ok, cost_ok)
    assert flags <= 1


def _completed_action(world: World, completed: dt.datetime) -> int:
    with clock.frozen_at(completed - dt.timedelta(days=20)):
        action = do_create_action(
            world.org.pk,
            ActionIn(title="Fix repeat calls", source="driver", owner=world.owner,
                     deadline=completed, stage=world.stage, driver="repeat calls"),
            actor=world.owner,
        )  # fmt: skip
    with clock.frozen_at(completed):
        do_set_action_status(action, "in_progress", actor=world.owner)
        do_set_action_status(action, "done", actor=world.owner)
    return action.pk


@pytest.mark.django_db
def test_action_cost_change_recovered_and_a_cost_rise_with_better_experience_is_flagged(
    world: World,
) -> None:
    _settings(world)
    other = do_add_touchpoint(world.outside_stage, "Shop", "in_person")
    completed = TODAY - dt.timedelta(days=60)
    # Fewer repeat calls after the action: 2 -> 1 per customer at £6 each = -£6.
    to_db(world, action_plan(5, n=400, calls_before=2.0, calls_after=1.0),
          stage_touchpoints=(world.touchpoint, other))  # fmt: skip
    action_id = _completed_action(world, completed)
    refresh(world.org, TODAY)
    report = stored_report(world.org.pk, ReportKind.ACTION, action_id).data
    assert report["stage_id"] == world.stage.pk and report["touched"] == 200
    assert _inside(report["legs"]["cost"], -6.0), report["legs"]["cost"]
    assert _inside(report["did"]["cost"], -6.0), report["did"]["cost"]
    assert report["flag"] == ""


def test_better_experience_at_higher_cost_is_flagged() -> None:
    plan = action_plan(8, n=600, calls_before=1.0, calls_after=3.0, touched_score_after="promoter")
    data = to_data(plan)
    result = crown.triple_crown(data, 1, Windows(-120.0, -60.0, 60.0), seed=1)
    assert result["legs"]["experience"]["low"] > 0
    assert _inside(result["did"]["cost"], 12.0)
    assert result["flag"] == "experience improved at the expense of cost to serve"


def test_below_the_minimum_sample_it_says_not_enough_data() -> None:
    data = to_data(retention_plan(1, n=30), min_n=30)
    rev = revenue.revenue_by_experience(data)["by_nps"]["promoter"]
    assert rev["enough"] is False and rev["value"] is None
    assert rev["note"] == "not enough data (n=10, needs 30)"
