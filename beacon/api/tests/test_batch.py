"""POST /interactions/batch and /responses/batch: each item its own status, nothing half-written."""

from __future__ import annotations

import pytest

from beacon.api.tests.conftest import Api, fields, interaction_body, response_body
from beacon.contacts.models import Contact, Interaction
from beacon.responses.models import Answer, Response
from beacon.testing import World

pytestmark = pytest.mark.django_db


def statuses(r: object) -> list[tuple[int, int]]:
    body = r.json()  # type: ignore[attr-defined]
    return [(item["index"], item["status"]) for item in body["items"]]


def test_interactions_batch_answers_each_item(api: Api, world: World, other_world: World) -> None:
    items = [
        interaction_body(world, "call-1"),
        {"idempotency_key": "call-2"},  # no contact
        interaction_body(world, "call-3", touchpoint_id=other_world.touchpoint.pk),
    ]
    r = api.post("/interactions/batch", {"items": items})
    assert r.status_code == 200, r.content
    assert statuses(r) == [(0, 201), (1, 422), (2, 422)]
    first, missing, foreign = r.json()["items"]
    stored = Interaction.objects.get()
    assert first["result"]["id"] == stored.pk and first["errors"] == []
    assert missing["result"] is None
    assert missing["errors"] == [{"field": "contact", "message": "Field required"}]
    assert [e["field"] for e in foreign["errors"]] == ["touchpoint_id"]
    again = api.post("/interactions/batch", {"items": items})
    assert statuses(again) == [(0, 200), (1, 422), (2, 422)]
    assert again.json()["items"][0]["result"]["id"] == stored.pk
    assert Interaction.objects.count() == 1


def test_responses_batch_stores_good_items_and_refuses_bad_ones_whole(
    api: Api, world: World, other_world: World
) -> None:
    bad_contact = {"external_id": "c-bad", "name": "Bad"}
    items = [
        response_body(world, "r-1", nps=9, contact={"external_id": "c-good"}),
        response_body(world, "r-2", nps=11, contact=bad_contact),  # out of range
        response_body(world, "r-3", survey_id=other_world.survey.pk),
        {**response_body(world, "r-4"), "colour": "red"},  # a misspelt field
        response_body(world, "r-5", nps=2),
    ]
    r = api.post("/responses/batch", {"items": items})
    assert r.status_code == 200, r.content
    assert statuses(r) == [(0, 201), (1, 422), (2, 404), (3, 422), (4, 201)]
    out = r.json()["items"]
    assert out[1]["errors"] == [
        {"field": "answers.0.number", "message": "must be between 0 and 10"}
    ]
    assert out[2]["detail"] == f"survey {other_world.survey.pk} not found"
    assert [e["field"] for e in out[3]["errors"]] == ["colour"]
    assert sorted(Response.objects.values_list("idempotency_key", flat=True)) == ["r-1", "r-5"]
    # The refused item left nothing behind: not its contact, not an answer.
    assert list(Contact.objects.values_list("external_id", flat=True)) == ["c-good"]
    assert Answer.objects.count() == 2
    assert out[4]["result"]["answers"] == [
        {"question_id": world.nps.pk, "number": 2, "text": "", "choices": []}
    ]


def test_batch_errors_of_the_whole_request_store_nothing(api: Api, world: World) -> None:
    assert fields(api.post("/responses/batch", {"items": []})) == {
        "items": "List should have at least 1 item after validation, not 0"
    }
    many = [response_body(world, f"k-{i}") for i in range(1001)]
    assert fields(api.post("/responses/batch", {"items": many})) == {
        "items": "List should have at most 1000 items after validation, not 1001"
    }
    twice = [response_body(world, "same"), response_body(world, "other"),
             response_body(world, "same")]  # fmt: skip
    assert fields(api.post("/responses/batch", {"items": twice})) == {
        "items.2.idempotency_key": "repeats items.0"
    }
    twice_interactions = [interaction_body(world, "x"), interaction_body(world, "x")]
    assert fields(api.post("/interactions/batch", {"items": twice_interactions})) == {
        "items.1.idempotency_key": "repeats items.0"
    }
    assert not Response.objects.exists() and not Interaction.objects.exists()


def test_batch_needs_a_key(world: World) -> None:
    for path in ("/responses/batch", "/interactions/batch"):
        r = Api(None).post(path, {"items": [response_body(world)]})
        assert r.status_code == 401
    assert not Response.objects.exists()
