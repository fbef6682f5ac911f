from __future__ import annotations

import datetime as dt

import pytest

from beacon.core import clock
from beacon.core.errors import ValidationFailed
from beacon.loop.actions import CaseRuleIn, do_create_case_rule, do_open_case_for
from beacon.loop.models import Case, OwnerRule, Priority
from beacon.loop.tests.helpers import respond
from beacon.orgs.actions import do_add_member, do_set_team_lead
from beacon.orgs.models import Role
from beacon.testing import World

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC)


def test_keyword_rule_opens_an_urgent_case_for_a_named_member(world: World) -> None:
    do_create_case_rule(
        world.org.pk,
        CaseRuleIn(
            keyword="cancel",
            priority=Priority.URGENT,
            owner_rule=OwnerRule.MEMBER,
            owner_member=world.agent,
        ),
    )
    with clock.frozen_at(NOW):
        case = do_open_case_for(respond(world, 1, nps=9, comment="I will CANCEL my contract!"))
        assert do_open_case_for(respond(world, 2, nps=2, comment="cannot log in")) is None
    assert case is not None
    assert (case.owner, case.priority) == (world.agent, "urgent")
    # No due_hours on the rule: urgent means four hours.
    assert case.due_at == NOW + dt.timedelta(hours=4)
    assert case.title == "Customer 1 on Support follow-up: comment mentions 'cancel'"


def test_score_and_attribute_must_both_hold_and_team_lead_owns(world: World) -> None:
    lead = do_add_member(world.org, "lead@acme.test", role=Role.AGENT, display_name="Lee Lead")
    do_set_team_lead(world.team, lead)
    do_create_case_rule(
        world.org.pk,
        CaseRuleIn(question=world.nps, max_score=8, contact_attribute="value",
                   contact_value="high", priority=Priority.HIGH, owner_rule=OwnerRule.TEAM_LEAD),
    )  # fmt: skip
    with clock.frozen_at(NOW):
        low_value = respond(world, 1, nps=7, attributes={"value": "low"})
        high_value = respond(world, 2, nps=7, attributes={"value": "High"})
        happy = respond(world, 3, nps=9, attributes={"value": "high"})
        assert do_open_case_for(low_value) is None
        assert do_open_case_for(happy) is None
        case = do_open_case_for(high_value)
    assert case is not None
    assert (case.owner, case.priority, case.due_at) == (lead, "high", NOW + dt.timedelta(hours=24))


def test_stage_rule_falls_back_to_stage_owner_when_team_has_no_lead(world: World) -> None:
    do_create_case_rule(
        world.org.pk,
        CaseRuleIn(question_kind="nps", max_score=10, stage=world.stage, due_hours=3,
                   owner_rule=OwnerRule.TEAM_LEAD),
    )  # fmt: skip
    case = do_open_case_for(respond(world, 1, nps=10))
    assert case is not None and case.owner == world.stage_owner
    assert round((case.due_at - case.created_at).total_seconds()) == 3 * 3600


def test_rules_in_position_order_first_match_wins(world: World) -> None:
    do_create_case_rule(world.org.pk, CaseRuleIn(question_kind="nps", max_score=6, position=2))
    do_create_case_rule(
        world.org.pk,
        CaseRuleIn(keyword="refund", priority=Priority.URGENT, position=1),
    )
    case = do_open_case_for(respond(world, 1, nps=3, comment="I want a refund"))
    assert case is not None and case.priority == "urgent"
    assert case.events.values_list("kind", "data").first() == (
        "opened", {"rule": "comment mentions 'refund'"}
    )  # fmt: skip


def test_bad_rules_are_refused_naming_the_field(world: World, other_world: World) -> None:
    with pytest.raises(ValidationFailed) as exc:
        do_create_case_rule(world.org.pk, CaseRuleIn(priority="asap", owner_rule="member"))
    assert exc.value.errors == {
        "max_score": "set a score threshold or a keyword, or the rule opens every case",
        "priority": "must be one of urgent, high, normal, low",
        "owner_member": "name the member who owns these cases",
    }
    with pytest.raises(ValidationFailed) as exc:
        do_create_case_rule(
            world.org.pk,
            CaseRuleIn(question=other_world.nps, max_score=3, contact_attribute="value"),
        )
    assert exc.value.errors == {
        "question": "belongs to another organisation",
        "contact_value": "give both the attribute and its value",
    }
    with pytest.raises(ValidationFailed) as exc:
        do_create_case_rule(world.org.pk, CaseRuleIn(question_kind="text", max_score=3))
    assert exc.value.errors == {
        "question_kind": "choose a scored question kind (nps, csat, ces, rating)"
    }
    assert Case.objects.count() == 0
