"""Cross-tenant access: one organisation's key never reaches another organisation's rows."""

from __future__ import annotations

from typing import Any

import pytest

from beacon.api.tests.conftest import Api, fields, interaction_body, response_body
from beacon.contacts.models import Contact, Interaction
from beacon.responses.models import Response
from beacon.surveys.models import Invitation
from beacon.testing import World

pytestmark = pytest.mark.django_db


@pytest.fixture
def other_api(other_world: World) -> Api:
    return Api(other_world.api_secret)


def _nothing_written() -> None:
    assert Interaction.objects.count() == 0
    assert Contact.objects.count() == 0
    assert Response.objects.count() == 0
    assert Invitation.objects.count() == 0


@pytest.mark.parametrize("field", ["touchpoint_id", "team_id", "staff_id"])
def test_interaction_with_other_orgs_ids_is_422(
    api: Api, world: World, other_world: World, field: str
) -> None:
    theirs = {"touchpoint_id": other_world.touchpoint.pk, "team_id": other_world.team.pk,
              "staff_id": other_world.agent.pk}  # fmt: skip
    body = interaction_body(world)
    body[field] = theirs[field]
    assert fields(api.post("/interactions", body)) == {
        field: f"no {field.removesuffix('_id').replace('staff', 'membership')} "
        f"{theirs[field]} in this organisation"
    }
    _nothing_written()


def test_interaction_with_other_orgs_persona_is_422(
    api: Api, world: World, other_world: World
) -> None:
    body = interaction_body(world)
    body["contact"]["persona_id"] = other_world.persona.pk
    assert list(fields(api.post("/interactions", body))) == ["contact.persona_id"]
    _nothing_written()


def test_same_idempotency_key_in_two_orgs_is_two_interactions(
    api: Api, other_api: Api, world: World, other_world: World
) -> None:
    mine = api.post("/interactions", interaction_body(world, key="shared"))
    theirs = other_api.post("/interactions", interaction_body(other_world, key="shared"))
    assert (mine.status_code, theirs.status_code) == (201, 201)
    assert mine.json()["id"] != theirs.json()["id"]
    assert [i["survey_id"] for i in theirs.json()["invitations"]] == [other_world.survey.pk]
    assert Interaction.objects.for_org(world.org).count() == 1


def test_response_to_other_orgs_survey_is_404(api: Api, world: World, other_world: World) -> None:
    body = response_body(world)
    body["survey_id"] = other_world.survey.pk
    body["answers"] = [{"question_id": other_world.nps.pk, "number": 1}]
    r = api.post("/responses", body)
    assert r.status_code == 404
    assert r.json() == {"detail": f"survey {other_world.survey.pk} not found"}
    _nothing_written()


def test_response_with_other_orgs_question_is_422(
    api: Api, world: World, other_world: World
) -> None:
    body = response_body(world, answers=[{"question_id": other_world.nps.pk, "number": 1}])
    assert list(fields(api.post("/responses", body))) == ["answers.0.question_id"]
    _nothing_written()


def test_response_with_other_orgs_interaction_or_touchpoint_is_422(
    api: Api, other_api: Api, world: World, other_world: World
) -> None:
    their_interaction = other_api.post("/interactions", interaction_body(other_world)).json()["id"]
    refs: dict[str, Any] = {"interaction_id": their_interaction,
                            "touchpoint_id": other_world.touchpoint.pk}  # fmt: skip
    for field, value in refs.items():
        body = response_body(world)
        body[field] = value
        assert list(fields(api.post("/responses", body))) == [field]
    assert Response.objects.count() == 0


def test_survey_list_shows_only_own_surveys(
    api: Api, other_api: Api, world: World, other_world: World
) -> None:
    assert [s["id"] for s in api.get("/surveys").json()["items"]] == [world.survey.pk]
    assert [s["id"] for s in other_api.get("/surveys").json()["items"]] == [other_world.survey.pk]


def test_response_list_shows_only_own_rows(
    api: Api, other_api: Api, world: World, other_world: World
) -> None:
    mine = api.post("/responses", response_body(world, key="same")).json()["id"]
    theirs = other_api.post("/responses", response_body(other_world, key="same")).json()["id"]
    assert [r["id"] for r in api.get("/responses").json()["items"]] == [mine]
    assert [r["id"] for r in other_api.get("/responses").json()["items"]] == [theirs]
    # A cursor bounds ids inside the caller's organisation only.
    assert [r["id"] for r in api.get("/responses", cursor=str(theirs + 1)).json()["items"]] == [
        mine
    ]
    r = api.get("/responses", survey_id=other_world.survey.pk)
    assert fields(r) == {"survey_id": f"no survey {other_world.survey.pk} in this organisation"}


@pytest.mark.parametrize("field", ["survey_id", "stage_id", "persona_id", "team_id",
                                   "touchpoint_id"])  # fmt: skip
def test_metrics_with_other_orgs_ids_is_422(
    api: Api, other_api: Api, world: World, other_world: World, field: str
) -> None:
    other_api.post("/responses", response_body(other_world, nps=0))
    theirs = {"survey_id": other_world.survey.pk, "stage_id": other_world.stage.pk,
              "persona_id": other_world.persona.pk, "team_id": other_world.team.pk,
              "touchpoint_id": other_world.touchpoint.pk}  # fmt: skip
    assert list(fields(api.get("/metrics/summary", **{field: theirs[field]}))) == [field]


def test_metrics_count_only_own_answers(
    api: Api, other_api: Api, world: World, other_world: World
) -> None:
    for i in range(3):
        other_api.post("/responses", response_body(other_world, key=f"o{i}", nps=0))
    api.post("/responses", response_body(world, nps=10))
    assert api.get("/metrics/summary").json()["nps"]["n"] == 1
    assert other_api.get("/metrics/summary").json()["nps"]["n"] == 3
