"""The batch endpoints' set-based path gives what the single endpoints give, item by item."""

from __future__ import annotations

from typing import Any

import pytest

from beacon.api.tests.conftest import Api, interaction_body, response_body
from beacon.contacts.models import Contact, Interaction
from beacon.loop.models import Case
from beacon.orgs.models import Event
from beacon.responses.models import Answer, Response, ResponseCountRollup, ScoreRollup, SliceRollup
from beacon.surveys.actions import QuestionIn, do_add_question, do_create_survey
from beacon.surveys.distribution import do_set_survey_budget
from beacon.surveys.models import Invitation, Suppression, SuppressionReason
from beacon.testing import World

pytestmark = pytest.mark.django_db

WHEN = "2025-03-04T10:00:00Z"


def _items(world: World) -> list[dict[str, Any]]:
    """Responses of every shape the batch stores set-based, and one it completes later."""
    tp = world.touchpoint.pk
    return [
        response_body(world, "a", nps=9, responded_at=WHEN),
        response_body(world, "b", nps=2, touchpoint_id=tp, responded_at=WHEN,
                      contact={"external_id": "c-1", "email": "One@Example.com",
                               "persona_id": world.persona.pk, "attributes": {"plan": "pro"}}),
        response_body(world, "c", nps=7, responded_at=WHEN, answers=[
            {"question_id": world.comment.pk, "text": "Slow"},
            {"question_id": world.csat.pk, "number": 4},
            {"question_id": world.nps.pk, "number": 7},
            {"question_id": world.ces.pk},  # empty: not stored
        ], contact={"external_id": "c-1", "name": "Ann"}),
        response_body(world, "d", nps=10, complete=False, responded_at=WHEN),
    ]  # fmt: skip


def _names(world: World) -> dict[str, dict[int, str]]:
    """Each id field's ids of the world, by name."""
    return {
        "organization_id": {world.org.pk: "org"},
        "survey_id": {world.survey.pk: "survey"},
        "question_id": {world.nps.pk: "nps", world.csat.pk: "csat", world.ces.pk: "ces",
                        world.comment.pk: "comment"},
        "stage_id": {world.stage.pk: "stage"},
        "touchpoint_id": {world.touchpoint.pk: "touchpoint"},
        "persona_id": {world.persona.pk: "persona"},
        "team_id": {world.team.pk: "team"},
    }  # fmt: skip


def _rollups(world: World) -> list[tuple[str, list[tuple[Any, ...]]]]:
    """Every rollup row of the world, its ids spelt as names (two worlds compare)."""
    names = _names(world)
    out = []
    models: list[Any] = [ScoreRollup, SliceRollup, ResponseCountRollup]
    for model in models:
        rows = []
        for found in model.objects.filter(organization_id=world.org.pk).values():
            row: dict[str, Any] = dict(found)
            row.pop("id")
            for f in names.keys() & set(row):
                row[f] = names[f].get(row[f], str(row[f]))
            dimension = row.get("dimension")
            if dimension in ("stage", "persona", "team", "touchpoint") and row["value"]:
                row["value"] = names[f"{dimension}_id"].get(int(row["value"]), row["value"])
            rows.append(tuple(sorted(row.items())))
        out.append((model.__name__, sorted(rows)))
    return out


def _stored(world: World) -> list[dict[str, Any]]:
    """Responses with their answers and contact, ids spelt as names."""
    names = {k: v for ids in _names(world).values() for k, v in ids.items()}
    out = []
    for r in Response.objects.filter(organization_id=world.org.pk).order_by("idempotency_key"):
        contact = r.contact
        out.append({
            "key": r.idempotency_key, "channel": r.channel, "completed": r.completed_at is not None,
            "responded_at": r.responded_at, "stage": names.get(r.stage_id or 0),
            "touchpoint": names.get(r.touchpoint_id or 0),
            "persona": names.get(r.persona_id or 0),
            "attributes": r.rollup_attributes,
            "contact": None if contact is None else (contact.external_id, contact.email,
                                                     contact.name, contact.attributes),
            "answers": [(_names(world)["question_id"][a.question_id], a.number, a.text, a.choices)
                        for a in r.answers.order_by("question__position")],
        })  # fmt: skip
    return out


def test_a_batch_stores_what_the_single_endpoint_stores(world: World, other_world: World) -> None:
    single, batch = Api(world.api_secret), Api(other_world.api_secret)
    one_by_one = [single.post("/responses", item) for item in _items(world)]
    assert [r.status_code for r in one_by_one] == [201, 201, 201, 201]
    together = batch.post("/responses/batch", {"items": _items(other_world)})
    assert together.status_code == 200, together.content
    items = together.json()["items"]
    assert [i["status"] for i in items] == [201, 201, 201, 201]
    # Each answer as the single endpoint answers it, ids apart.
    for alone, item in zip(one_by_one, items, strict=True):
        mine, theirs = alone.json(), item["result"]
        assert [(a["number"], a["text"]) for a in mine["answers"]] == [
            (a["number"], a["text"]) for a in theirs["answers"]
        ]
        assert (mine["created"], mine["completed"]) == (theirs["created"], theirs["completed"])
    assert items[2]["result"]["answers"] == [
        {"question_id": other_world.nps.pk, "number": 7, "text": "", "choices": []},
        {"question_id": other_world.csat.pk, "number": 4, "text": "", "choices": []},
        {"question_id": other_world.comment.pk, "number": None, "text": "Slow", "choices": []},
    ]
    assert _stored(other_world) == _stored(world)
    assert _rollups(other_world) == _rollups(world)
    assert [r[1] for r in _rollups(world)] != [[], [], []]


def test_a_retried_batch_stores_nothing_twice(api: Api, world: World) -> None:
    first = api.post("/responses/batch", {"items": _items(world)}).json()["items"]
    rollups, answers = _rollups(world), Answer.objects.count()
    events = Event.objects.count()
    again = api.post("/responses/batch", {"items": _items(world)}).json()["items"]
    assert [i["status"] for i in again] == [200, 200, 200, 200]
    assert [i["result"]["id"] for i in again] == [i["result"]["id"] for i in first]
    assert [i["result"]["answers"] for i in again] == [i["result"]["answers"] for i in first]
    assert Response.objects.count() == 4
    assert (Answer.objects.count(), _rollups(world)) == (answers, rollups)
    assert Event.objects.count() == events  # nothing written, nothing recorded
    # One event per survey and batch for the responses stored together.
    assert Event.objects.filter(verb="responses.received").count() == 1


def test_each_item_answers_its_own_error(api: Api, world: World, other_world: World) -> None:
    api.post("/responses/batch", {"items": [response_body(world, "taken")]})
    items = [
        response_body(world, "ok", nps=5),
        response_body(world, "r-1", nps=12),
        response_body(world, "r-2", touchpoint_id=other_world.touchpoint.pk,
                      interaction_id=999_999),
        response_body(world, "r-3", survey_id=other_world.survey.pk),
        response_body(world, "r-4", contact={"external_id": "x", "email": "not-an-address"}),
        response_body(world, "r-5", answers=[{"question_id": world.csat.pk, "number": 3}]),
        response_body(world, "r-6", answers=[{"question_id": other_world.nps.pk, "number": 3}]),
        {**response_body(world, "r-7"), "answers": [{"question_id": world.nps.pk, "number": "9"}]},
        response_body(world, "taken", nps=4),
    ]  # fmt: skip
    r = api.post("/responses/batch", {"items": items})
    out = r.json()["items"]
    assert [(i["index"], i["status"]) for i in out] == [
        (0, 201), (1, 422), (2, 422), (3, 404), (4, 422), (5, 422), (6, 422), (7, 422), (8, 200)
    ]  # fmt: skip
    errors = [i["errors"] for i in out]
    assert errors[1] == [{"field": "answers.0.number", "message": "must be between 0 and 10"}]
    assert errors[2] == [
        {"field": "interaction_id", "message": "no interaction 999999 in this organisation"},
        {"field": "touchpoint_id",
         "message": f"no touchpoint {other_world.touchpoint.pk} in this organisation"},
    ]  # fmt: skip
    assert out[3]["detail"] == f"survey {other_world.survey.pk} not found"
    assert errors[4] == [{"field": "contact.email", "message": "is not a valid email address"}]
    assert errors[5] == [
        {"field": "answers", "message": f"required questions are not answered: {world.nps.pk}"}
    ]
    unknown = f"no question {other_world.nps.pk} in this survey"
    assert errors[6] == [{"field": "answers.0.question_id", "message": unknown}]
    assert errors[7] == [
        {"field": "answers.0.number", "message": "Input should be a valid integer"}
    ]
    assert out[8]["result"]["answers"][0]["number"] == 9  # the stored one, not 4
    # The refused items wrote nothing: not a response, not a contact.
    keys = set(Response.objects.values_list("idempotency_key", flat=True))
    assert keys == {"taken", "ok"}
    assert not Contact.objects.filter(external_id="x").exists()
    # The single endpoint names the same fields with the same messages.
    for index in (1, 2, 4, 5, 6, 7):
        alone = api.post("/responses", items[index])
        assert alone.status_code == 422
        assert alone.json()["detail"] == errors[index], index


def test_a_key_used_for_another_survey_is_refused(api: Api, world: World) -> None:
    second = do_create_survey(world.org, "Second", "Hi", touchpoints=[])
    nps = do_add_question(second, QuestionIn("nps", "Recommend us?"))
    api.post("/responses/batch", {"items": [response_body(world, "k")]})
    other = {"survey_id": second.pk, "idempotency_key": "k",
             "answers": [{"question_id": nps.pk, "number": 5}]}  # fmt: skip
    r = api.post("/responses/batch", {"items": [other]})
    assert r.json()["items"][0]["errors"] == [
        {"field": "idempotency_key", "message": "already used for another survey"}
    ]


@pytest.mark.django_db(transaction=True)
def test_detractors_of_a_batch_get_their_cases(api: Api, world: World) -> None:
    items = [response_body(world, f"k-{n}", nps=n) for n in range(11)]
    r = api.post("/responses/batch", {"items": items})
    assert [i["status"] for i in r.json()["items"]] == [201] * 11
    # The case stage ran (jobs run inline in tests) for every response: one case per
    # detractor (0-6), none for the others.
    cased = sorted(Case.objects.values_list("response__idempotency_key", flat=True))
    assert cased == sorted(f"k-{n}" for n in range(7))
    assert Response.objects.filter(cased_at__isnull=True).count() == 0


def test_interactions_batch_stores_and_triggers_like_one_at_a_time(
    world: World, other_world: World
) -> None:
    def items(w: World) -> list[dict[str, Any]]:
        return [
            interaction_body(w, "i-1"),
            interaction_body(w, "i-2", contact={"external_id": "cust-2", "name": "Bo"}),
            interaction_body(w, "i-3", contact={"external_id": "cust-1", "name": "Ann B"},
                             description="Router broken"),
        ]  # fmt: skip

    single, batch = Api(world.api_secret), Api(other_world.api_secret)
    alone = [single.post("/interactions", item).json() for item in items(world)]
    together = batch.post("/interactions/batch", {"items": items(other_world)}).json()["items"]
    assert [i["status"] for i in together] == [201, 201, 201]
    assert [len(a["invitations"]) for a in alone] == [1, 1, 1]
    assert [len(i["result"]["invitations"]) for i in together] == [1, 1, 1]

    def stored(w: World) -> list[tuple[Any, ...]]:
        return [
            (i.idempotency_key, i.contact.external_id, i.contact.email, i.contact.name,
             i.description, i.team_id == w.team.pk, i.staff_id == w.agent.pk,
             [(inv.survey_id == w.survey.pk, inv.channel, inv.stage_id == w.stage.pk)
              for inv in Invitation.objects.filter(interaction=i)])
            for i in Interaction.objects.filter(organization=w.org).order_by("idempotency_key")
        ]  # fmt: skip

    assert stored(other_world) == stored(world)
    for item in together:
        inv = Invitation.objects.get(pk=item["result"]["invitations"][0]["id"])
        assert item["result"]["invitations"][0]["token"] == inv.token
        assert item["result"]["contact_id"] == inv.contact_id
    again = batch.post("/interactions/batch", {"items": items(other_world)}).json()["items"]
    assert [i["status"] for i in again] == [200, 200, 200]
    assert [i["result"] for i in again] == [{**i["result"], "created": False} for i in together]
    assert Interaction.objects.filter(organization=other_world.org).count() == 3
    assert Invitation.objects.filter(organization=other_world.org).count() == 3


def test_interactions_batch_claims_the_survey_budget_in_order(api: Api, world: World) -> None:
    do_set_survey_budget(world.org, min_days_between=30)
    items = [interaction_body(world, "i-1"), interaction_body(world, "i-2"),
             interaction_body(world, "i-3", contact={"external_id": "cust-9"})]  # fmt: skip
    out = api.post("/interactions/batch", {"items": items}).json()["items"]
    # The same contact twice: invited once, the second time the budget says no.
    assert [len(i["result"]["invitations"]) for i in out] == [1, 0, 1]
    (suppressed,) = Suppression.objects.all()
    assert (suppressed.interaction_id, suppressed.reason) == (
        out[1]["result"]["id"], SuppressionReason.BUDGET)  # fmt: skip


def test_interactions_batch_refuses_items_one_by_one(
    api: Api, world: World, other_world: World
) -> None:
    items = [
        interaction_body(world, "i-1"),
        interaction_body(world, "i-2", team_id=other_world.team.pk),
        interaction_body(world, "i-3", contact={"external_id": "c-3", "email": "nope"}),
        interaction_body(world, "i-4", contact={"external_id": " "}),
    ]
    out = api.post("/interactions/batch", {"items": items}).json()["items"]
    assert [i["status"] for i in out] == [201, 422, 422, 422]
    assert out[1]["errors"] == [
        {"field": "team_id", "message": f"no team {other_world.team.pk} in this organisation"}
    ]
    assert out[2]["errors"] == [
        {"field": "contact.email", "message": "is not a valid email address"}
    ]
    for index in (1, 2, 3):
        assert api.post("/interactions", items[index]).json()["detail"] == out[index]["errors"]
    assert list(Interaction.objects.values_list("idempotency_key", flat=True)) == ["i-1"]
    assert list(Contact.objects.values_list("external_id", flat=True)) == ["cust-1"]


def test_a_batch_writes_its_rows_in_key_order(api: Api, world: World) -> None:
    """Two batches holding the same keys in opposite orders must lock them in one order
    (test_batch_concurrency.py races two such batches); the answers stay in item order."""
    keys = ["k-3", "k-1", "k-2"]
    items = [interaction_body(world, k, contact={"external_id": f"c-{k}"}) for k in keys]
    r = api.post("/interactions/batch", {"items": items})
    assert [i["status"] for i in r.json()["items"]] == [201, 201, 201]
    by_key = dict(Interaction.objects.values_list("idempotency_key", "pk"))
    assert [i["result"]["id"] for i in r.json()["items"]] == [by_key[k] for k in keys]
    assert list(Interaction.objects.order_by("pk").values_list("idempotency_key", flat=True)) == [
        "k-1", "k-2", "k-3"
    ]  # fmt: skip
    assert list(Contact.objects.order_by("pk").values_list("external_id", flat=True)) == [
        "c-k-1", "c-k-2", "c-k-3"
    ]  # fmt: skip
    answers = [response_body(world, f"r-{k}", nps=n) for n, k in enumerate(keys)]
    r = api.post("/responses/batch", {"items": answers})
    by_key = dict(Response.objects.values_list("idempotency_key", "pk"))
    assert [i["result"]["id"] for i in r.json()["items"]] == [by_key[f"r-{k}"] for k in keys]
    assert list(Response.objects.order_by("pk").values_list("idempotency_key", flat=True)) == [
        "r-k-1", "r-k-2", "r-k-3"
    ]  # fmt: skip
    assert [a.number for a in Answer.objects.order_by("response__idempotency_key")] == [1, 2, 0]
