"""Truth tests of the alignment scores: known agreement in, the same agreement out
within its interval; flags raised exactly on the planted stages."""

from __future__ import annotations

import numpy as np
import pytest

from beacon.alignment.actions import do_answer, do_close_round
from beacon.alignment.tests.helpers import answer_in, recipient, send_round
from beacon.analytics.alignment import (
    ROUND_INTERVALS,
    Results,
    first_choice_alpha,
    flags_by_stage,
    nominal_alpha,
    round_intervals,
    round_results,
    share,
    trend,
)
from beacon.core.computed import params_key
from beacon.core.models import ComputedResult
from beacon.cxmodel.actions import do_add_stage, do_create_persona, do_set_primary_persona
from beacon.orgs.actions import do_add_member, do_deactivate_member
from beacon.orgs.models import Department, Membership, Role
from beacon.testing import World


def test_the_coincidence_matrix_gives_krippendorffs_published_nominal_example() -> None:
    # Krippendorff (2011), "Computing Krippendorff's alpha-reliability", section C: four
    # coders, twelve units, values 1-5 with gaps; alpha (nominal) = 0.743.
    coders = [
        [1, 2, 3, 3, 2, 1, 4, 1, 2, 0, 0, 0],
        [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, 0, 3],
        [0, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, 0],
        [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, 0],
    ]
    counts = np.zeros((12, 5))
    for row in coders:
        for unit, value in enumerate(row):
            if value:
                counts[unit, value - 1] += 1
    assert round(float(nominal_alpha(counts)), 3) == 0.743


def test_perfect_agreement_gives_alpha_one_with_its_interval_at_one() -> None:
    alpha = first_choice_alpha([2] * 40, 4)
    assert (alpha.value, alpha.low, alpha.high, alpha.n) == (1.0, 1.0, 1.0, 40)


def test_first_choices_spread_at_random_give_alpha_near_zero_not_called_agreement() -> None:
    rng = np.random.default_rng(3)
    alpha = first_choice_alpha(list(rng.integers(0, 4, size=400)), 4)
    assert alpha.value is not None and alpha.low is not None and alpha.high is not None
    assert abs(alpha.value) < 0.03
    assert alpha.low <= 0.0 <= alpha.high


@pytest.mark.parametrize("p", [0.4, 0.6, 0.85])
def test_a_planted_level_of_agreement_is_recovered_within_its_interval(p: float) -> None:
    options = 4
    q = np.array([p] + [(1 - p) / (options - 1)] * (options - 1))
    truth = (np.sum(q**2) - 1 / options) / (1 - 1 / options)
    rng = np.random.default_rng(int(p * 100))
    codes = list(rng.choice(options, size=400, p=q))
    alpha = first_choice_alpha(codes, options)
    assert alpha.low is not None and alpha.high is not None
    assert alpha.low <= truth <= alpha.high
    primary = share([c == 0 for c in codes])
    assert primary.low is not None and primary.high is not None
    assert primary.low <= p <= primary.high


def _members(world: World, department: str, count: int) -> list[Membership]:
    dept = Department.objects.for_org(world.org).get(name=department)
    return [
        do_add_member(world.org, f"{department.lower()}{i}@acme.test", role=Role.AGENT,
                      display_name=f"{department} {i}", department=dept)
        for i in range(count)
    ]  # fmt: skip


def test_flags_are_raised_exactly_on_the_planted_stages(world: World) -> None:
    journey = world.stage.journey
    renew_owner = do_add_member(world.org, "renew@acme.test", role=Role.ADMIN, display_name="Rae")
    pay = do_add_stage(journey, "Pay", owner=world.stage_owner)
    renew = do_add_stage(journey, "Renew", owner=renew_owner)
    bargain = do_create_persona(world.org, "Bargain hunter", "Price first", "The lowest price")
    do_set_primary_persona(world.persona)
    sales, product, service = (
        _members(world, "Sales", 4), _members(world, "Product", 3), _members(world, "Service", 3)
    )  # fmt: skip
    people = sales + product + service
    issued = send_round(world, members=people)
    # "Get help": 4 name its owner, 3 the agent, 3 the owner of the company: 40% at most.
    help_pick = [world.stage_owner] * 4 + [world.agent] * 3 + [world.owner] * 3
    # "Pay": 7 of 10 don't know. Overall: 6 of 10 don't know.
    for i, member in enumerate(people):
        do_answer(
            recipient(issued, member),
            answer_in(
                world,
                personas=[bargain, world.persona] if member in sales else [world.persona],
                overall=world.owner if i >= 6 else None,
                who={world.stage.pk: help_pick[i], pay.pk: "dont_know" if i < 7 else pay.owner},
            ),
        )
    do_deactivate_member(renew_owner, actor=world.owner)

    flags = flags_by_stage(world.org)
    assert {k: [f.kind for f in v] for k, v in flags.items()} == {
        world.outside_stage.pk: [],
        world.stage.pk: ["contested"],
        pay.pk: ["unknown"],
        renew.pk: ["orphaned"],
    }
    r = round_results(issued.round)
    assert [(where, f.kind) for where, f in r.flags] == [
        ("Get help", "contested"),
        ("Pay", "unknown"),
        ("Renew", "orphaned"),
        ("Overall accountability", "unknown"),
        ("Sales", "misaligned"),
    ]
    by_dept = {d.name: d for d in r.departments}
    assert (by_dept["Sales"].first_choice, by_dept["Sales"].primary_share.value) == (
        "Bargain hunter", 0.0
    )  # fmt: skip
    assert by_dept["Product"].primary_share.value == 1.0 and not by_dept["Product"].misaligned
    stages = {s.stage.name: s for s in r.stages}
    assert (stages["Get help"].owner_share.value, stages["Get help"].owner_share.n) == (0.4, 10)
    assert stages["Pay"].dont_know_share.value == 0.7
    assert stages["Compare offers"].owner_share.value == 1.0
    assert (r.overall.distinct.value, r.overall.everyone_same) == (1.0, False)
    assert r.overall.dont_know_share.value == 0.6
    # Sales names another persona first, the rest the primary: 4 of 10 versus 6 of 10.
    assert r.first_choices == [("Busy professional", 6), ("Bargain hunter", 4)]
    heat = dict(r.heat)
    assert [c.value for c in heat["Sales"]] == [1.0, 1.0, 0.0, 1.0]
    # The map reads point shares only (no bootstrap) and words each flag as the page does.
    assert [(f.kind, f.detail) for f in flags[world.stage.pk]] == [
        ("contested", "the most named person (Sam Stage) has 40%")
    ]
    assert [(f.kind, f.detail) for f in flags[pay.pk]] == [("unknown", "70% don't know who is")]
    on_page = {s.stage.pk: [(f.kind, f.detail) for f in s.flags] for s in r.stages}
    assert {k: [(f.kind, f.detail) for f in flags[k]] for k in on_page} == on_page
    # The trend computes only its own figures, with the same seeds: the same intervals.
    [point] = trend(world.org)
    assert (point.n, point.alpha, point.distinct) == (10, r.alpha, r.overall.distinct)


def test_a_deactivated_owner_makes_the_stage_orphaned_without_any_round(world: World) -> None:
    assert flags_by_stage(world.org) == {world.outside_stage.pk: [], world.stage.pk: []}
    do_deactivate_member(world.stage_owner, actor=world.owner)
    [flag] = flags_by_stage(world.org)[world.stage.pk]
    assert (flag.kind, flag.detail) == ("orphaned", "the recorded owner, Sam Stage, is deactivated")


def test_stored_intervals_give_the_figures_a_fresh_computation_gives(world: World) -> None:
    people = _members(world, "Sales", 3) + _members(world, "Service", 3)
    issued = send_round(world, members=people)
    picks = [world.stage_owner, world.agent, world.owner]
    for i, member in enumerate(people[:4]):
        do_answer(
            recipient(issued, member),
            answer_in(world, overall=picks[i % 3], who={world.stage.pk: picks[i % 3]}),
        )
    params = {"round": issued.round.pk}
    stored = ComputedResult.objects.for_org(world.org).filter(
        kind=ROUND_INTERVALS, key=params_key(params)
    )

    def fresh() -> Results:
        """The results with nothing stored: every interval bootstrapped again."""
        stored.delete()
        return round_results(issued.round)

    open_fresh = fresh()
    assert stored.get().data == round_intervals(world.org.pk, params)
    assert round_results(issued.round) == open_fresh  # read back from the store
    # A new answer moves some figures: only intervals of today's answers are kept.
    do_answer(recipient(issued, people[4]), answer_in(world, overall=world.agent))
    after_answer = round_results(issued.round)
    assert stored.get().data == round_intervals(world.org.pk, params)
    assert after_answer == fresh() and after_answer != open_fresh
    assert do_close_round(issued.round, actor=world.owner)
    issued.round.refresh_from_db()
    closed_fresh = fresh()
    assert round_results(issued.round) == closed_fresh
    assert [s.owner_share.text for s in closed_fresh.stages] == [
        s.owner_share.text for s in after_answer.stages
    ]
