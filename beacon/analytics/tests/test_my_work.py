"""My work's comments: one query per part (staff, stages, team), merged newest first."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db.models import Q

from beacon.analytics.my_work import VERBATIMS_SHOWN, concerning
from beacon.core import clock
from beacon.cxmodel.models import Stage
from beacon.loop.tests.helpers import respond
from beacon.orgs.actions import do_add_member, do_create_team
from beacon.orgs.models import Membership, Role
from beacon.responses.queries import verbatims
from beacon.testing import World

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC)


def _in_one_query(member: Membership, since: dt.datetime) -> list[Any]:
    """The comments as My work read them before, as one OR of the parts (the reference)."""
    stages = list(Stage.objects.for_org(member.organization_id).filter(owner=member))
    mine = Q(response__staff=member) | Q(response__stage__in=stages)
    if member.team_id:
        mine |= Q(response__team_id=member.team_id)
    newest = verbatims(member.organization_id, response__responded_at__gte=since)
    return list(newest.filter(mine)[:VERBATIMS_SHOWN])


def test_my_comments_part_by_part_are_the_newest_of_all_parts_as_one_query_read_them(
    world: World, other_world: World
) -> None:
    billing = do_create_team(world.org, "Billing")
    bill = do_add_member(
        world.org, "bill@acme.test", role=Role.AGENT, display_name="Bill", team=billing
    )
    loner = do_add_member(world.org, "lo@acme.test", role=Role.AGENT, display_name="Lo Ner")
    with clock.frozen_at(NOW):
        for n in range(1, 41):
            # Every third names Bill as staff in Support; Billing's are every fourth; two
            # share each moment, so the order on ties (the newer answer first) counts too.
            at = NOW - dt.timedelta(days=n // 2 * 3, hours=1)
            team = billing if n % 4 == 0 else world.team
            staff = bill if n % 3 == 0 else (world.agent if n % 5 == 0 else None)
            respond(world, n, nps=n % 11, comment=f"Comment {n}", staff=staff, team=team, at=at)
        # Loner: named on one comment of the 90 days and on one older, and on one without
        # a comment; nothing else concerns them.
        respond(
            world, 41, nps=9, comment="Loner helped", staff=loner, at=NOW - dt.timedelta(days=80)
        )
        respond(
            world, 42, nps=9, comment="Loner long ago", staff=loner, at=NOW - dt.timedelta(days=100)
        )
        respond(world, 43, nps=9, staff=loner, at=NOW - dt.timedelta(days=2))
        respond(other_world, 1, nps=2, comment="Another organisation's")
        today = NOW.date()
        since = dt.datetime.combine(today - dt.timedelta(days=89), dt.time.min, tzinfo=dt.UTC)
        members = [world.owner, world.agent, world.stage_owner, bill, loner]
        got = {m.display_name: [a.pk for a in concerning(m, today).verbatims] for m in members}
        want = {m.display_name: [a.pk for a in _in_one_query(m, since)] for m in members}
    assert got == want
    texts = {m.display_name: [a.text for a in _in_one_query(m, since)] for m in members}
    # The owner owns the outside stage and no team, and nobody named them.
    assert texts["Olive Owner"] == []
    assert texts["Lo Ner"] == ["Loner helped"]
    # The stage owner sees the stage's newest page; Bill his team's and those naming him.
    stage = [1, 3, 2, 5, 4, 7, 6, 9, 8, 11, 10, 13, 12, 15, 14]
    assert texts["Sam Stage"] == [f"Comment {n}" for n in stage]
    bills = [3, 4, 6, 9, 8, 12, 15, 16, 18, 21, 20, 24, 27, 28, 30]
    assert texts["Bill"] == [f"Comment {n}" for n in bills]
