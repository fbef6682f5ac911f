"""The journey map's figures: targets met only when the interval says so, arrows only for
significant changes, owners and orphaned stages, cases per stage; seeded synthetic data."""

from __future__ import annotations

import datetime as dt
import random

import pytest

from beacon.analytics import journey, metrics
from beacon.analytics.tests.helpers import BASE, answered
from beacon.contacts.actions import do_upsert_contact
from beacon.cxmodel.actions import do_add_need, do_create_persona, do_set_stage_owner
from beacon.orgs.actions import do_deactivate_member
from beacon.testing import World, contact_in

pytestmark = pytest.mark.django_db

NOW = BASE + dt.timedelta(days=1)


def _nps_sample(rng: random.Random, n: int, promoters: float, detractors: float) -> list[int]:
    out = []
    for _ in range(n):
        u = rng.random()
        out.append(10 if u < promoters else 3 if u < promoters + detractors else 8)
    return out


def _plant(world: World, scores: list[int], *, day: int, prefix: str) -> None:
    contact = do_upsert_contact(world.org, contact_in(900, persona=world.persona))
    answered(
        world,
        [(s, 5 if s >= 9 else 2, "") for s in scores],
        day=day,
        prefix=prefix,
        contact=contact,
        ces=6,
    )


def _stage(world: World, m: journey.JourneyMap) -> journey.StageFigures:
    return next(f for _, figs in m.journeys for f in figs if f.stage.pk == world.stage.pk)


def test_targets_met_not_met_and_unclear_recover_the_planted_nps(world: World) -> None:
    rng = random.Random(15)
    # True NPS 50 (60% promoters, 10% detractors), planted in the current period.
    _plant(world, _nps_sample(rng, 200, 0.6, 0.1), day=0, prefix="now")
    needs = {
        target: do_add_need(
            world.stage,
            f"Need {target}",
            "Outcome",
            owner=world.agent,
            measure="nps",
            target=target,
        )
        for target in (30.0, 50.0, 70.0)
    }
    other = do_create_persona(world.org, "Nobody answers", "d", "n")
    silent = do_add_need(
        world.stage,
        "Quiet",
        "Outcome",
        owner=world.agent,
        persona=other,
        measure="csat",
        target=80.0,
    )
    figures = _stage(world, journey.journey_map(world.org, NOW))
    status = {n.need.pk: n for n in figures.needs}
    value = status[needs[30.0].pk].value
    assert value is not None and value.low is not None and value.high is not None
    assert value.n == 200 and value.low <= 50 <= value.high  # the truth within its interval
    assert status[needs[30.0].pk].status == "met"
    assert status[needs[70.0].pk].status == "not_met"
    assert status[needs[50.0].pk].status == "unclear"
    assert status[needs[50.0].pk].status_text.startswith("Not enough data")
    assert (status[silent.pk].status, status[silent.pk].value.n) == ("not_enough", 0)  # type: ignore[union-attr]
    assert figures.volume == 200


def test_the_arrow_shows_a_planted_change_and_no_arrow_for_no_change(world: World) -> None:
    rng = random.Random(17)
    # The previous period is the 84 days before the current 84.
    _plant(world, _nps_sample(rng, 120, 0.45, 0.2), day=0, prefix="now")
    _plant(world, _nps_sample(rng, 120, 0.45, 0.2), day=-100, prefix="before")
    same = _stage(world, journey.journey_map(world.org, NOW)).trends["nps"]
    assert same.direction == "flat" and same.arrow == "→"
    assert same.text.startswith("NPS: no significant change")
    # Now the earlier period was much worse: a real rise.
    _plant(world, _nps_sample(rng, 240, 0.1, 0.7), day=-110, prefix="worse")
    rise = _stage(world, journey.journey_map(world.org, NOW)).trends["nps"]
    assert rise.direction == "up" and rise.arrow == "↑" and rise.comparison.significant
    assert rise.text.startswith("NPS: up, a significant change")
    assert _stage(world, journey.journey_map(world.org, NOW)).trends["ces"].direction == "flat"


def test_an_outside_stage_without_answers_says_so(world: World) -> None:
    m = journey.journey_map(world.org, NOW)
    outside = next(
        f for _, figs in m.journeys for f in figs if f.stage.pk == world.outside_stage.pk
    )
    assert not outside.stage.inside_company
    assert [t.direction for t in outside.trends.values()] == ["unknown"] * 3
    assert outside.trends["nps"].text == "NPS: not enough answers to compare periods"
    assert (outside.volume, outside.open_cases, outside.overdue_cases) == (0, 0, 0)


def test_a_deactivated_owner_orphans_the_stage_until_it_is_reassigned(world: World) -> None:
    assert _stage(world, journey.journey_map(world.org, NOW)).flags == []
    do_deactivate_member(world.stage_owner, actor=world.owner)
    orphaned = _stage(world, journey.journey_map(world.org, NOW))
    assert orphaned.flags == ["orphaned"] and orphaned.orphaned
    do_set_stage_owner(world.stage, world.agent, actor=world.owner)
    again = _stage(
        world, journey.journey_map(world.org, NOW, extra_flags={world.stage.pk: ["contested"]})
    )
    assert again.flags == ["contested"]
    history = [
        (c.owner.display_name, c.previous_owner and c.previous_owner.display_name)
        for c in again.owner_history
    ]
    assert history == [("Sam Stage", None), ("Priya Agent", "Sam Stage")]


def test_percent_of_perfect_on_the_map_maps_each_score(world: World) -> None:
    _plant(world, [10] * 20 + [3] * 20, day=0, prefix="p")
    native = _stage(world, journey.journey_map(world.org, NOW)).scores
    perfect = _stage(world, journey.journey_map(world.org, NOW, perfect=True)).scores
    assert native["nps"].value == pytest.approx(0.0) and perfect["nps"].value == pytest.approx(50.0)
    assert perfect["nps"].label == "NPS (% of perfect)" and perfect["nps"].unit == "%"
    assert perfect["ces"].value == pytest.approx(100 * 5 / 6)  # every CES answer was 6
    f = metrics.Filters(start=NOW.date() - dt.timedelta(days=83), end=NOW.date())
    assert perfect["csat"].n == metrics.metric(world.org, "csat", f).n == 40
