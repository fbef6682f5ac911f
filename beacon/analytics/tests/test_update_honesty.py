"""Truth test of the honesty rule: "here is what we changed" is proposed to customers only
when the action's metric really improved (planted effects, seeded rollups)."""

from __future__ import annotations

import datetime as dt

import pytest

from beacon.analytics.actions import propose_updates_when_improved
from beacon.analytics.impact import action_impact, evidence
from beacon.core import clock
from beacon.core.errors import ValidationFailed
from beacon.loop.actions import do_open_case_for, do_resolve_case
from beacon.loop.improvements import ActionIn, do_create_action, do_set_action_status
from beacon.loop.models import Action, CustomerUpdate, RootCause
from beacon.loop.tests.helpers import respond
from beacon.loop.updates import do_propose_customer_updates
from beacon.orgs.models import Event
from beacon.responses import rollups
from beacon.testing import World

pytestmark = pytest.mark.django_db

DONE_AT = dt.datetime(2026, 9, 1, 12, 0, tzinfo=dt.UTC)
JUDGED_AT = DONE_AT + dt.timedelta(days=30)
# 100 answers a side: NPS 0 ((30 - 30) / 100) against NPS 40 ((60 - 20) / 100).
FLAT = {9: 30, 7: 40, 3: 30}
BETTER = {9: 60, 7: 20, 3: 20}


def _action(world: World, before: dict[int, int], after: dict[int, int]) -> Action:
    cause = RootCause.objects.for_org(world.org).get(code="process")
    with clock.frozen_at(DONE_AT - dt.timedelta(days=45)):
        for n in (1, 2):
            case = do_open_case_for(respond(world, n, nps=2))
            assert case is not None
            do_resolve_case(case, cause, "explained", actor=world.agent)
        action = do_create_action(
            world.org.pk,
            ActionIn(title="Rework billing", source="root_cause", owner=world.stage_owner,
                     deadline=DONE_AT, root_cause=cause, question=world.nps,
                     public_summary="Bills now fit on one page."),
        )  # fmt: skip
    windows = (
        (DONE_AT - dt.timedelta(days=10), before),
        (JUDGED_AT - dt.timedelta(days=10), after),
    )
    # Seeded as ingest counts answers: the full cube and its slices.
    for day, hist in windows:
        rollups.apply(
            {
                rollups.Cell(world.org.pk, day.date(), world.survey.pk, world.nps.pk,
                             0, 0, 0, 0, score): count
                for score, count in hist.items()
            }
        )  # fmt: skip
    with clock.frozen_at(DONE_AT):
        do_set_action_status(action, "done", actor=world.stage_owner)
    # A metric is linked: completion alone proposes nothing.
    assert not CustomerUpdate.objects.filter(action=action).exists()
    action.refresh_from_db()
    return action


def test_planted_improvement_is_recovered_and_the_drafts_proposed(world: World) -> None:
    action = _action(world, FLAT, BETTER)
    with clock.frozen_at(JUDGED_AT):
        impact = action_impact(action, world.org.min_sample_size)
        found = evidence(action, world.org.min_sample_size)
        assert propose_updates_when_improved() == 2
        assert propose_updates_when_improved() == 0
    assert impact is not None and impact.after.estimate is not None
    assert impact.after.estimate.low <= 40 <= impact.after.estimate.high
    assert found.verdict == "improved"
    assert found.why.startswith("NPS moved from 0 (95% interval -15 to 15, n=100) in the 30 days")
    assert CustomerUpdate.objects.filter(action=action, status="draft").count() == 2


def test_no_change_is_not_announced_without_the_owners_reason(world: World) -> None:
    action = _action(world, FLAT, FLAT)
    with clock.frozen_at(JUDGED_AT):
        found = evidence(action, world.org.min_sample_size)
        assert propose_updates_when_improved() == 0
        assert found.verdict == "unchanged"
        with pytest.raises(ValidationFailed) as exc:
            do_propose_customer_updates(action, found, actor=world.stage_owner, reason=" ")
        assert list(exc.value.errors) == ["reason"]
        with pytest.raises(ValidationFailed) as exc:
            do_propose_customer_updates(action, found, actor=world.agent, reason="fixed")
        assert exc.value.errors == {"actor": "only the action's owner or an admin confirms updates"}
        assert not CustomerUpdate.objects.filter(action=action).exists()
        reason = "The new bill went live; scores lag behind the change."
        assert do_propose_customer_updates(action, found, actor=world.stage_owner,
                                           reason=reason) == 2  # fmt: skip
    [confirmed] = Event.objects.filter(verb="customer_updates.confirmed")
    assert confirmed.actor == world.stage_owner
    assert (confirmed.data["reason"], confirmed.data["verdict"]) == (reason, "unchanged")
    assert confirmed.data["why"] == found.why


def test_worse_is_not_announced(world: World) -> None:
    action = _action(world, BETTER, FLAT)
    with clock.frozen_at(JUDGED_AT):
        found = evidence(action, world.org.min_sample_size)
        assert propose_updates_when_improved() == 0
    assert found.verdict == "worse"
    assert found.why == (
        "NPS moved from 40 (95% interval 24 to 56, n=100) in the 30 days before completion "
        "to 0 (95% interval -15 to 15, n=100) after: a real decline (p < 0.001). Cases with "
        "this root cause stayed at 0 in the 30 days before and after completion."
    )
    assert not CustomerUpdate.objects.filter(action=action).exists()
