"""The alignment endpoints: scopes, other organisations' rows, bad input, the results."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from beacon.alignment.actions import do_answer
from beacon.alignment.models import Round
from beacon.alignment.tests.helpers import answer_in, recipient, send_round
from beacon.api.tests.conftest import Api, fields
from beacon.core import clock
from beacon.notifications.models import OutboxMessage
from beacon.orgs.actions import do_create_api_key
from beacon.orgs.models import Department
from beacon.testing import World

pytestmark = pytest.mark.django_db


def admin_key(world: World) -> Api:
    return Api(do_create_api_key(world.org, "a", scopes=["read", "admin"]).secret)


def body(world: World, **kw: Any) -> dict[str, Any]:
    closes = (clock.now() + dt.timedelta(days=7)).isoformat()
    return {"title": "Q2", "journey_id": world.stage.journey_id, "closes_at": closes} | kw


def test_an_admin_key_sends_a_round_and_reads_its_results(world: World) -> None:
    api = admin_key(world)
    created = api.post("/alignment/rounds", body(world))
    assert created.status_code == 201, created.json()
    out = created.json()
    assert (out["title"], out["asked"], out["answered"], out["open"]) == ("Q2", 3, 0, True)
    assert OutboxMessage.objects.filter(cause_type="alignment.recipient").count() == 3
    round_ = Round.objects.get()
    do_answer(recipient_of(round_, world), answer_in(world, overall=world.owner))
    assert [r["id"] for r in api.get("/alignment/rounds").json()] == [round_.pk]
    results = api.get(f"/alignment/rounds/{round_.pk}/results").json()
    assert results["n"] == 1
    assert results["persona_alpha"] == {"value": None, "low": None, "high": None, "n": 1}
    help_stage = next(s for s in results["stages"] if s["stage_id"] == world.stage.pk)
    assert help_stage["owner_share"] == {"value": 1.0, "low": 1.0, "high": 1.0, "n": 1}
    assert results["overall"]["everyone_named_the_same"] is True
    assert results["flags"] == []
    # Not opted in: nothing per person.
    assert out["show_names"] is False and results["people"] == []
    assert b"Priya Agent" not in api.get(f"/alignment/rounds/{round_.pk}/results").content


def test_a_round_sent_with_names_lists_each_persons_answers(
    world: World, other_world: World
) -> None:
    api = admin_key(world)
    created = api.post("/alignment/rounds", body(world, show_names=True)).json()
    assert created["show_names"] is True
    round_ = Round.objects.get(pk=created["id"])
    do_answer(recipient_of(round_, world), answer_in(world, overall=world.owner))
    people = api.get(f"/alignment/rounds/{round_.pk}/results").json()["people"]
    assert people == [
        {
            "membership_id": world.agent.pk,
            "name": "Priya Agent",
            "department": "No department",
            "role": "Agent",
            "first_choice": "Busy professional",
            "overall": "Olive Owner",
            "stages": ["Olive Owner", "Sam Stage"],
        }
    ]
    # Another organisation's key reads neither the round nor its names.
    refused = Api(other_world.api_secret).get(f"/alignment/rounds/{round_.pk}/results")
    assert refused.status_code == 404 and b"Priya Agent" not in refused.content


def recipient_of(round_: Round, world: World) -> Any:
    return round_.recipients.get(membership=world.agent)


def test_sending_needs_the_admin_scope(world: World, api: Api) -> None:
    refused = api.post("/alignment/rounds", body(world))
    assert refused.status_code == 403
    assert refused.json() == {
        "detail": "this API key lacks the 'admin' scope that this request needs"
    }
    assert not Round.objects.exists()


def test_bad_rounds_are_422_naming_the_field_and_write_nothing(
    world: World, other_world: World
) -> None:
    api = admin_key(world)
    marketing = Department.objects.for_org(world.org).get(name="Marketing")
    theirs = Department.objects.for_org(other_world.org).get(name="Sales")
    cases = [
        (body(world, audience="departments", department_ids=[marketing.pk]),
         {"recipients": "nobody was chosen; pick departments, teams or everyone"}),
        (body(world, audience="departments", department_ids=[theirs.pk]),
         {"department_ids": "names an id that is not in your organisation"}),
        (body(world, journey_id=other_world.stage.journey_id),
         {"journey_id": "no such id in your organisation"}),
        (body(world, closes_at="2001-01-01T00:00:00Z"), {"closes_at": "must be in the future"}),
    ]  # fmt: skip
    for sent, expected in cases:
        response = api.post("/alignment/rounds", sent)
        assert response.status_code == 422, sent
        assert fields(response) == expected
    assert not Round.objects.exists() and not OutboxMessage.objects.exists()


def test_another_organisations_round_is_404_and_not_listed(
    world: World, other_world: World
) -> None:
    theirs = send_round(other_world).round
    do_answer(recipient(send_round(world), world.agent), answer_in(world))
    api = admin_key(world)
    assert api.get(f"/alignment/rounds/{theirs.pk}/results").status_code == 404
    assert theirs.pk not in [r["id"] for r in api.get("/alignment/rounds").json()]
