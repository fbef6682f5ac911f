"""The widget endpoint (CORS, identified user, validation), and email link pages."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from beacon.contacts.models import Contact
from beacon.responses.models import Answer, Response
from beacon.surveys.models import SurveyStatus
from beacon.testing import World

pytestmark = pytest.mark.django_db

SHOP = "https://shop.example"


def allow(world: World) -> None:
    world.survey.widget_origins = f"{SHOP}\nhttps://app.example"
    world.survey.save()


def post(token: str, body: Any, origin: str = SHOP) -> Any:
    data = body if isinstance(body, bytes) else json.dumps(body)
    return Client().post(
        f"/s/widget/{token}/", data=data, content_type="application/json", HTTP_ORIGIN=origin
    )


def test_widget_gets_questions_and_posts_answers_of_identified_user(world: World) -> None:
    allow(world)
    token = world.survey.anonymous_token
    got = Client().get(f"/s/widget/{token}/", HTTP_ORIGIN=SHOP)
    assert got.status_code == 200 and got["Access-Control-Allow-Origin"] == SHOP
    survey = got.json()
    assert [q["kind"] for q in survey["questions"]] == ["nps", "csat", "ces", "text"]
    assert survey["questions"][0]["low"] == 0 and survey["questions"][0]["high"] == 10
    pre = Client().options(f"/s/widget/{token}/", HTTP_ORIGIN=SHOP)
    assert pre.status_code == 204 and "POST" in pre["Access-Control-Allow-Methods"]
    body = {
        "key": survey["key"],
        "user": {"id": "u-42", "email": "u42@example.com", "name": "Uma"},
        "answers": [
            {"question_id": world.nps.pk, "number": 9},
            {"question_id": world.comment.pk, "text": "Smooth checkout"},
        ],
    }
    first = post(token, body)
    assert first.status_code == 201 and first["Access-Control-Allow-Origin"] == SHOP
    assert post(token, body).status_code == 200  # the same key again stores nothing new
    response = Response.objects.get()
    assert response.channel == "widget" and response.completed_at is not None
    assert response.contact == Contact.objects.get(external_id="u-42")
    assert list(Answer.objects.order_by("question_id").values_list("number", "text")) == [
        (9, ""), (None, "Smooth checkout"),
    ]  # fmt: skip


def test_widget_refuses_bad_input_and_other_origins(world: World) -> None:
    allow(world)
    token = world.survey.anonymous_token
    key = "k" * 10
    refused = post(token, {"key": key, "answers": [{"question_id": world.nps.pk, "number": 1}]},
                   origin="https://evil.example")  # fmt: skip
    assert refused.status_code == 403 and "Access-Control-Allow-Origin" not in refused
    assert post(token, b"{oops").status_code == 400
    assert post(token, {"key": key, "answers": []}).json() == {
        "detail": "answers must be a non-empty list"
    }
    out_of_range = post(token, {"key": key, "answers": [{"question_id": world.nps.pk,
                                                          "number": 11}]})  # fmt: skip
    assert out_of_range.status_code == 422
    assert out_of_range.json()["detail"][0]["message"] == "must be between 0 and 10"
    assert post("nope", {"key": key}).status_code == 404
    world.survey.status = SurveyStatus.CLOSED
    world.survey.save()
    assert post(token, {"key": key, "answers": [{"question_id": 1}]}).status_code == 410
    assert Response.objects.count() == 0


def test_widget_script_is_small_and_has_no_dependencies() -> None:
    import gzip
    from pathlib import Path

    import beacon

    script = Path(beacon.__file__).parent / "static" / "beacon" / "widget.js"
    source = script.read_bytes()
    assert len(gzip.compress(source, 9)) < 10_000
    assert b"import " not in source and b"http://" not in source and b"https://" not in source
