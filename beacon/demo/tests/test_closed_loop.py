from __future__ import annotations

import datetime as dt

import pytest

from beacon.analytics.impact import action_impact, evidence
from beacon.core import clock
from beacon.demo.closed_loop import seed_closed_loop
from beacon.demo.seed import seed
from beacon.loop.actions import do_open_case_for, do_resolve_case
from beacon.loop.models import (
    Action,
    CaseEscalation,
    CaseRule,
    CustomerUpdate,
    RootCause,
    WallPost,
    WinBackCall,
)
from beacon.loop.tests.helpers import respond
from beacon.notifications.actions import requeue_lost_messages
from beacon.notifications.models import OutboxMessage, OutboxState
from beacon.orgs.models import Organization
from beacon.testing import World

pytestmark = pytest.mark.django_db

TODAY = dt.datetime(2026, 11, 20, 9, 0, tzinfo=dt.UTC)


def test_demo_examples_show_every_part_of_the_loop(world: World) -> None:
    cause = RootCause.objects.for_org(world.org).get(code="process")
    day = dt.timedelta(days=1)
    for n in range(1, 13):
        at = TODAY - (70 - 5 * n) * day  # every five days from 65 days ago
        with clock.frozen_at(at):
            case = do_open_case_for(respond(world, n, nps=3 if n < 7 else 9, at=at,
                                            comment=f"Comment number {n}"))  # fmt: skip
            if case is not None and n < 5:
                do_resolve_case(case, cause, "explained", actor=world.agent)
    # Six answers before, four after: enough for this organisation to judge.
    Organization.objects.filter(pk=world.org.pk).update(min_sample_size=4)
    examples = seed_closed_loop(world.org, today=TODAY)
    assert CaseRule.objects.for_org(world.org).count() == 3
    # Cases 5 and 6 were left open long past their due time.
    assert examples.escalated == 2
    assert CaseEscalation.objects.count() == 2
    action = examples.completed_action
    assert action is not None and action.status == "done"
    # NPS rose from 3s to 9s: the drafts are proposed; customers 1-4 raised the root cause
    # and five drafts at most are approved, for the throttled sender.
    assert examples.updates_sent == 4
    assert CustomerUpdate.objects.filter(status="approved").count() == 4
    with clock.frozen_at(TODAY):
        impact = action_impact(action, min_n=1)
    # Completed 30 days ago: answers 31-60 days ago against 1-29 days ago (the
    # completion day itself, answer 8, belongs to neither window).
    assert impact is not None and (impact.before.n, impact.after.n) == (6, 4)
    assert impact.significant
    # Promoters of the last 30 days with a comment: answers 8 to 12.
    assert examples.wall_posts == WallPost.objects.filter(status="approved").count() == 5
    assert WinBackCall.objects.count() == examples.lost_calls == 4


def test_demo_action_is_not_announced_while_its_score_has_not_improved() -> None:
    org = seed(responses=1000, today=TODAY)
    action = Action.objects.for_org(org).get(status="done")
    with clock.frozen_at(TODAY):
        found = evidence(action, org.min_sample_size)
    assert found.verdict == "unchanged"
    assert found.why == (
        "NPS moved from 18 (95% interval 2 to 33, n=107) in the 30 days before completion "
        "to 14 (95% interval -3 to 31, n=95) after: a change that could be chance "
        "(p = 0.728). Cases with this root cause rose from 0 in the 30 days before "
        "completion to 3 in the 30 days after."
    )
    assert not CustomerUpdate.objects.for_org(org).exists()
    # The history stays withheld: nothing waits for the sender.
    outbox = OutboxMessage.objects.for_org(org)
    assert outbox.filter(state=OutboxState.WITHHELD).count() == outbox.count() > 0
    with clock.frozen_at(TODAY):
        assert requeue_lost_messages() == 0  # due, with no job: none
