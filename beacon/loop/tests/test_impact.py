from __future__ import annotations

import datetime as dt

import pytest

from beacon.analytics.impact import action_impact, welch_p
from beacon.core import clock
from beacon.loop.actions import do_open_case_for, do_resolve_case
from beacon.loop.improvements import ActionIn, do_create_action, do_set_action_status
from beacon.loop.models import Action, RootCause
from beacon.loop.tests.helpers import respond
from beacon.responses.models import ScoreRollup
from beacon.testing import World

pytestmark = pytest.mark.django_db

DONE = dt.datetime(2026, 10, 15, 12, 0, tzinfo=dt.UTC)


def test_welch_p_on_histograms() -> None:
    assert welch_p({1: 1}, {10: 1}, "nps") is None  # one answer a side: no test
    assert welch_p({3: 5}, {3: 5}, "nps") == 1.0
    assert welch_p({3: 5}, {10: 5}, "nps") == 0.0
    p = welch_p({2: 20, 9: 10}, {2: 5, 9: 25}, "nps")
    assert p is not None and p < 0.01


def test_completed_action_shows_before_after_and_recurrence(world: World) -> None:
    cause = RootCause.objects.for_org(world.org).get(code="process")
    day = dt.timedelta(days=1)
    n = 0
    # Ten days before: mostly detractors with the root cause; ten days after: promoters.
    for offset in range(1, 11):
        for score in (2, 3, 9):
            n += 1
            at = DONE - offset * day
            with clock.frozen_at(at):
                case = do_open_case_for(respond(world, n, nps=score, at=at))
                if case is not None and offset <= 5:
                    do_resolve_case(case, cause, "fixed", actor=world.agent)
        for score in (9, 10, 3):
            n += 1
            at = DONE + offset * day
            with clock.frozen_at(at):
                case = do_open_case_for(respond(world, n, nps=score, at=at))
                if case is not None and offset == 1:
                    do_resolve_case(case, cause, "fixed", actor=world.agent)
    with clock.frozen_at(DONE - 20 * day):
        action = do_create_action(
            world.org.pk,
            ActionIn(title="Fix the process", source="root_cause", owner=world.stage_owner,
                     deadline=DONE, root_cause=cause, question=world.nps),
        )  # fmt: skip
    with clock.frozen_at(DONE):
        assert action_impact(action, min_n=10) is None  # not done yet
        do_set_action_status(action, "done", actor=world.stage_owner)
    with clock.frozen_at(DONE + 11 * day):
        action.refresh_from_db()
        impact = action_impact(action, min_n=10)
    assert impact is not None
    assert impact.days == 11
    assert (impact.before.n, impact.after.n) == (30, 30)
    assert impact.before.estimate is not None and impact.after.estimate is not None
    assert round(impact.before.estimate.value, 1) == round(100 * (10 - 20) / 30, 1)
    assert round(impact.after.estimate.value, 1) == round(100 * (20 - 10) / 30, 1)
    assert impact.difference is not None and round(impact.difference, 1) == 66.7
    assert impact.significant and impact.p_value is not None and impact.p_value < 0.05
    # Cases with the root cause: 10 in the 11 days before (resolved ones), 1 after.
    assert impact.recurrence == (11, 10, 1)
    # Of a stage: its answers only, read from the stage's slices; the same counts as the
    # full cube's cells of the stage (what was read before).
    for stage_id in (world.stage.pk, world.stage.pk + 1000):
        Action.objects.filter(pk=action.pk).update(stage_id=stage_id)
        action.refresh_from_db()
        with clock.frozen_at(DONE + 11 * day):
            of_stage = action_impact(action, min_n=10)
        assert of_stage is not None and of_stage.of_stage
        cube = ScoreRollup.objects.filter(question_id=world.nps.pk, stage_id=stage_id)
        before = cube.filter(day__gte=(DONE - 11 * day).date(), day__lt=DONE.date())
        after = cube.filter(day__gt=DONE.date(), day__lte=(DONE + 11 * day).date())
        assert (of_stage.before.n, of_stage.after.n) == (
            sum(c.count for c in before),
            sum(c.count for c in after),
        )
    assert of_stage is not None and (of_stage.before.n, of_stage.after.n) == (0, 0)
    Action.objects.filter(pk=action.pk).update(stage_id=world.stage.pk)
    action.refresh_from_db()
    with clock.frozen_at(DONE + 11 * day):
        of_stage = action_impact(action, min_n=10)
    assert of_stage is not None and (of_stage.before.n, of_stage.after.n) == (30, 30)
