"""POST /responses and GET /responses."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from beacon.api.tests.conftest import Api, fields, interaction_body, response_body
from beacon.contacts.models import Contact
from beacon.loop.models import Case
from beacon.responses.models import Answer, Response
from beacon.testing import World

pytestmark = pytest.mark.django_db


def test_submit_stores_answers_and_returns_them(api: Api, world: World) -> None:
    body = response_body(
        world,
        answers=[
            {"question_id": world.nps.pk, "number": 9},
            {"question_id": world.csat.pk, "number": 4},
            {"question_id": world.comment.pk, "text": "Quick and friendly"},
        ],
        contact={"external_id": "cust-7", "email": "seven@example.com", "name": "Seven"},
        touchpoint_id=world.touchpoint.pk,
        responded_at="2025-02-03T12:00:00Z",
    )
    r = api.post("/responses", body)
    assert r.status_code == 201, r.content
    response = Response.objects.get()
    assert r.json() == {
        "id": response.pk,
        "survey_id": world.survey.pk,
        "created": True,
        "completed": True,
        "answers": [
            {"question_id": world.nps.pk, "number": 9, "text": "", "choices": []},
            {"question_id": world.csat.pk, "number": 4, "text": "", "choices": []},
            {"question_id": world.comment.pk, "number": None, "text": "Quick and friendly",
             "choices": []},
        ],
    }  # fmt: skip
    contact = Contact.objects.get()
    assert (contact.external_id, contact.email, contact.name) == (
        "cust-7", "seven@example.com", "Seven")  # fmt: skip
    assert response.organization_id == world.org.pk
    assert response.contact_id == contact.pk
    assert response.channel == "api"
    assert response.touchpoint_id == world.touchpoint.pk
    assert response.stage_id == world.stage.pk
    assert response.responded_at == dt.datetime(2025, 2, 3, 12, tzinfo=dt.UTC)
    assert response.completed_at is not None


def test_retry_answers_200_and_stores_one_response(api: Api, world: World) -> None:
    body = response_body(world, contact={"external_id": "cust-1"})
    first = api.post("/responses", body)
    again = api.post("/responses", body)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == {**first.json(), "created": False}
    assert Response.objects.count() == 1
    assert Answer.objects.count() == 1
    assert Contact.objects.count() == 1


def test_answers_come_back_in_question_order_new_or_retried(api: Api, world: World) -> None:
    body = response_body(world, answers=[
        {"question_id": world.comment.pk, "text": "Fine"},
        {"question_id": world.csat.pk, "number": 5},
        {"question_id": world.nps.pk, "number": 10},
    ])  # fmt: skip
    first = api.post("/responses", body)
    again = api.post("/responses", body)
    order = [world.nps.pk, world.csat.pk, world.comment.pk]
    assert [a["question_id"] for a in first.json()["answers"]] == order
    assert again.json() == {**first.json(), "created": False}


def test_storing_a_response_does_not_query_per_answer(api: Api, world: World) -> None:
    interaction_id = api.post("/interactions", interaction_body(world)).json()["id"]
    one = response_body(world, key="one", interaction_id=interaction_id)
    three = response_body(world, key="three", interaction_id=interaction_id, answers=[
        {"question_id": world.nps.pk, "number": 3},
        {"question_id": world.csat.pk, "number": 2},
        {"question_id": world.comment.pk, "text": "Slow"},
    ])  # fmt: skip
    with CaptureQueriesContext(connection) as small:
        assert api.post("/responses", one).status_code == 201
    with CaptureQueriesContext(connection) as large:
        assert api.post("/responses", three).status_code == 201
    assert len(large.captured_queries) == len(small.captured_queries)
    assert Answer.objects.filter(response__idempotency_key="three").count() == 3


def test_partial_then_complete(api: Api, world: World) -> None:
    partial = api.post("/responses", response_body(world, key="p", complete=False))
    assert partial.status_code == 201
    assert partial.json()["completed"] is False
    body = response_body(world, key="p", answers=[{"question_id": world.csat.pk, "number": 5}])
    done = api.post("/responses", body)
    assert done.status_code == 200
    assert done.json()["completed"] is True
    assert [a["question_id"] for a in done.json()["answers"]] == [world.nps.pk, world.csat.pk]


def test_response_for_an_interaction_copies_its_dimensions(api: Api, world: World) -> None:
    interaction_id = api.post("/interactions", interaction_body(world)).json()["id"]
    r = api.post("/responses", response_body(world, interaction_id=interaction_id))
    assert r.status_code == 201
    response = Response.objects.get()
    assert response.interaction_id == interaction_id
    assert (response.team_id, response.staff_id, response.stage_id) == (
        world.team.pk, world.agent.pk, world.stage.pk)  # fmt: skip


@pytest.mark.django_db(transaction=True)
def test_nps_3_via_api_opens_case_for_stage_owner(api: Api, world: World) -> None:
    received = api.post("/interactions", interaction_body(world)).json()
    r = api.post("/responses", response_body(world, nps=3, interaction_id=received["id"]))
    assert r.status_code == 201, r.content
    case = Case.objects.get()
    assert case.response_id == r.json()["id"]
    assert case.owner_id == world.stage_owner.pk
    assert case.organization_id == world.org.pk
    assert Response.objects.get().processed_at is not None


@pytest.mark.django_db(transaction=True)
def test_nps_9_via_api_opens_no_case(api: Api, world: World) -> None:
    assert api.post("/responses", response_body(world, nps=9)).status_code == 201
    assert Case.objects.count() == 0


def test_score_11_on_nps_is_422_naming_the_answer(api: Api, world: World) -> None:
    r = api.post("/responses", response_body(world, nps=11))
    assert fields(r) == {"answers.0.number": "must be between 0 and 10"}
    assert Response.objects.count() == 0


def test_unknown_question_is_422(api: Api, world: World) -> None:
    body = response_body(world, answers=[{"question_id": 987654, "number": 3}])
    assert fields(api.post("/responses", body)) == {
        "answers.0.question_id": "no question 987654 in this survey"
    }


def test_unknown_survey_is_404(api: Api, world: World) -> None:
    r = api.post("/responses", {**response_body(world), "survey_id": 987654})
    assert r.status_code == 404
    assert r.json() == {"detail": "survey 987654 not found"}


def test_wrong_types_are_named(api: Api, world: World) -> None:
    body = response_body(world, answers=[{"question_id": world.nps.pk, "number": "ten"}])
    body["complete"] = "maybe"
    assert set(fields(api.post("/responses", body))) == {"answers.0.number", "complete"}


def test_required_question_unanswered_is_422_on_answers(api: Api, world: World) -> None:
    body = response_body(world, answers=[{"question_id": world.csat.pk, "number": 2}])
    assert fields(api.post("/responses", body)) == {
        "answers": f"required questions are not answered: {world.nps.pk}"
    }
    assert Response.objects.count() == 0 and Answer.objects.count() == 0


def test_bad_answer_leaves_no_contact_behind(api: Api, world: World) -> None:
    body = response_body(world, nps=11, contact={"external_id": "new-customer"})
    assert api.post("/responses", body).status_code == 422
    assert Contact.objects.count() == 0


def test_bad_contact_email_is_named(api: Api, world: World) -> None:
    body = response_body(world, contact={"external_id": "c", "email": "nope"})
    assert fields(api.post("/responses", body)) == {"contact.email": "is not a valid email address"}


@pytest.mark.parametrize("field", ["interaction_id", "touchpoint_id"])
def test_unknown_reference_is_422(api: Api, world: World, field: str) -> None:
    body = response_body(world)
    body[field] = 987654
    assert list(fields(api.post("/responses", body))) == [field]


# --- listing ------------------------------------------------------------------------------


def _submit(api: Api, world: World, n: int, **kw: object) -> list[int]:
    ids = []
    for i in range(n):
        r = api.post("/responses", response_body(world, key=f"k{i}", nps=i % 11, **kw))
        assert r.status_code == 201, r.content
        ids.append(r.json()["id"])
    return ids


def test_list_is_newest_first_with_answers(api: Api, world: World) -> None:
    [first, second] = _submit(api, world, 2, contact={"external_id": "c1"})
    r = api.get("/responses")
    assert r.status_code == 200
    page = r.json()
    assert page["next_cursor"] is None
    assert [item["id"] for item in page["items"]] == [second, first]
    item = page["items"][1]
    response = Response.objects.get(pk=first)
    assert item == {
        "id": first,
        "survey_id": world.survey.pk,
        "contact_id": response.contact_id,
        "interaction_id": None,
        "touchpoint_id": None,
        "stage_id": None,
        "persona_id": None,
        "team_id": None,
        "staff_id": None,
        "channel": "api",
        "responded_at": response.responded_at.isoformat().replace("+00:00", "Z"),
        "completed_at": response.completed_at.isoformat().replace("+00:00", "Z"),  # type: ignore[union-attr]
        "answers": [{"question_id": world.nps.pk, "number": 0, "text": "", "choices": []}],
    }


def test_cursor_pages_through_everything_once(api: Api, world: World) -> None:
    ids = _submit(api, world, 5)
    seen: list[int] = []
    cursor = None
    pages = 0
    while True:
        params: dict[str, object] = {"limit": 2}
        if cursor:
            params["cursor"] = cursor
        page = api.get("/responses", **params).json()
        seen += [item["id"] for item in page["items"]]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == sorted(ids, reverse=True)
    assert pages == 3


def test_filters_by_survey_and_time(api: Api, world: World) -> None:
    old_body = response_body(world, key="old", responded_at="2024-01-10T08:00:00Z")
    new_body = response_body(world, key="new", responded_at="2024-03-10T08:00:00Z")
    old = api.post("/responses", old_body).json()["id"]
    new = api.post("/responses", new_body).json()["id"]

    def ids(**params: object) -> list[int]:
        r = api.get("/responses", **params)
        assert r.status_code == 200, r.content
        return [item["id"] for item in r.json()["items"]]

    assert ids(since="2024-02-01T00:00:00Z") == [new]
    assert ids(until="2024-02-01T00:00:00Z") == [old]
    assert ids(since="2024-01-10T08:00:00Z", until="2024-03-10T08:00:00Z") == [old]
    assert ids(survey_id=world.survey.pk) == [new, old]


def test_listing_does_not_query_per_response(api: Api, world: World) -> None:
    _submit(api, world, 2)
    with CaptureQueriesContext(connection) as small:
        assert len(api.get("/responses").json()["items"]) == 2
    _submit_more = [api.post("/responses", response_body(world, key=f"more{i}")) for i in range(6)]
    assert all(r.status_code == 201 for r in _submit_more)
    with CaptureQueriesContext(connection) as large:
        assert len(api.get("/responses").json()["items"]) == 8
    assert len(large.captured_queries) == len(small.captured_queries)


def test_limit_above_500_is_422_naming_limit(api: Api, world: World) -> None:
    assert list(fields(api.get("/responses", limit=10000))) == ["limit"]
    assert list(fields(api.get("/responses", limit=0))) == ["limit"]


@pytest.mark.parametrize("cursor", ["abc", "-1", "0", "99999999999999999999", "١٢"])
def test_bad_cursor_is_422(api: Api, world: World, cursor: str) -> None:
    assert list(fields(api.get("/responses", cursor=cursor))) == ["cursor"]


def test_bad_filter_types_are_named(api: Api, world: World) -> None:
    r = api.get("/responses", survey_id="x", since="yesterday")
    assert set(fields(r)) == {"survey_id", "since"}
