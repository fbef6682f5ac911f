from __future__ import annotations

import pytest

from beacon.core.errors import Conflict, ValidationFailed
from beacon.loop.actions import (
    do_add_note,
    do_create_root_cause,
    do_open_case_for,
    do_reassign,
    do_resolve_case,
    do_set_status,
)
from beacon.loop.models import Case, CaseRule, CaseStatus, RootCause
from beacon.responses.checks import AnswerIn, ResponseIn
from beacon.responses.ingest import ingest
from beacon.testing import World

pytestmark = pytest.mark.django_db


def _response(world: World, **scores: int):
    questions = {"nps": world.nps, "csat": world.csat}
    answers = [AnswerIn(questions[k].pk, number=v) for k, v in scores.items()]
    if "nps" not in scores:
        answers.append(AnswerIn(world.nps.pk, number=10))
    return ingest(
        ResponseIn(
            survey=world.survey,
            idempotency_key=str(scores),
            answers=answers,
            touchpoint=world.touchpoint,
        )
    ).response


@pytest.mark.parametrize(
    ("scores", "opens"),
    [({"nps": 6}, True), ({"nps": 7}, False), ({"csat": 2}, True), ({"csat": 3}, False)],
)
def test_default_rule_is_nps_up_to_6_or_csat_up_to_2(world: World, scores, opens) -> None:
    case = do_open_case_for(_response(world, **scores))
    assert (case is not None) is opens


def test_org_rules_replace_the_default(world: World) -> None:
    CaseRule.objects.create(organization=world.org, question_kind="nps", max_score=3, due_hours=4)
    assert do_open_case_for(_response(world, nps=5)) is None
    case = do_open_case_for(_response(world, nps=2))
    assert case is not None
    assert round((case.due_at - case.created_at).total_seconds()) == 4 * 3600


def test_case_goes_to_stage_owner_once(world: World) -> None:
    response = _response(world, nps=1)
    case = do_open_case_for(response)
    assert case is not None and case.owner == world.stage_owner
    assert do_open_case_for(response) == case
    assert Case.objects.count() == 1


def test_resolution_needs_a_root_cause_and_a_resolution(world: World) -> None:
    case = do_open_case_for(_response(world, nps=1))
    assert case is not None
    with pytest.raises(ValidationFailed) as exc:
        do_resolve_case(case, None, "", actor=world.agent)
    assert exc.value.errors == {
        "root_cause": "choose the root cause before resolving",
        "resolution": "say what was done",
    }
    cause = RootCause.objects.for_org(world.org).get(code="process")
    do_resolve_case(case, cause, "Called back and refunded", actor=world.agent)
    case.refresh_from_db()
    assert (case.status, case.root_cause, case.resolution) == (
        CaseStatus.RESOLVED,
        cause,
        "Called back and refunded",
    )
    with pytest.raises(Conflict):
        do_resolve_case(case, cause, "again", actor=world.agent)


def test_another_orgs_root_cause_or_owner_is_refused(world: World, other_world: World) -> None:
    case = do_open_case_for(_response(world, nps=1))
    assert case is not None
    foreign = do_create_root_cause(other_world.org.pk, "x", "Foreign")
    with pytest.raises(ValidationFailed):
        do_resolve_case(case, foreign, "done", actor=world.agent)
    with pytest.raises(ValidationFailed):
        do_reassign(case, other_world.agent, "because", actor=world.owner)


def test_status_moves_and_first_contact(world: World) -> None:
    case = do_open_case_for(_response(world, nps=1))
    assert case is not None
    with pytest.raises(ValidationFailed):
        do_set_status(case, "resolved", actor=world.agent)
    do_set_status(case, "in_progress", actor=world.agent)
    case.refresh_from_db()
    assert case.status == "in_progress" and case.first_contact_at is not None
    do_add_note(case, "<b>called</b>", actor=world.agent)
    do_reassign(case, world.agent, "on shift", actor=world.owner)
    kinds = list(case.events.values_list("kind", flat=True))
    assert kinds == ["opened", "notified", "status", "note", "assigned", "notified"]
