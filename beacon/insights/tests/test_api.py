from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from beacon.insights.models import Correction, Theme
from beacon.pipeline.actions import process_response
from beacon.responses.ingest import AnswerIn, ResponseIn, ingest
from beacon.responses.models import Answer
from conftest import World

pytestmark = pytest.mark.django_db


def call(world: World, method: str, path: str, body: Any = None) -> Any:
    client = Client()
    headers: dict[str, Any] = {"HTTP_AUTHORIZATION": f"Bearer {world.api_secret}"}
    if method == "get":
        return client.get(f"/api/v1{path}", data=body or {}, **headers)
    return getattr(client, method)(
        f"/api/v1{path}", data=json.dumps(body), content_type="application/json", **headers
    )


def test_themes_verbatims_and_corrections_over_the_api(world: World, other_world: World) -> None:
    r = call(world, "post", "/theme-starters", {"industry": "telecom"})
    assert r.status_code == 201 and len(r.json()["items"]) == 7
    assert call(world, "post", "/theme-starters", {"industry": "mines"}).status_code == 422
    r = call(world, "post", "/themes", {"name": "", "description": ""})
    assert r.status_code == 422 and r.json()["detail"][0]["field"] == "name"
    r = call(world, "post", "/themes", {"name": "Roaming", "phrases": ["no signal abroad"]})
    assert r.status_code == 201
    roaming = r.json()["id"]
    response = ingest(
        ResponseIn(
            survey=world.survey,
            idempotency_key="api-1",
            answers=[
                AnswerIn(world.nps.pk, number=3),
                AnswerIn(world.comment.pk, text="Charged twice, mail me at x@y.example"),
            ],
        )
    ).response
    process_response(response.pk)
    items = call(world, "get", "/verbatims").json()["items"]
    assert [(v["text"], v["sentiment"]) for v in items] == [
        ("Charged twice, mail me at [email]", "negative")
    ]
    answer_id = items[0]["answer_id"]
    r = call(
        world,
        "post",
        f"/verbatims/{answer_id}/corrections",
        {"theme_id": roaming, "sentiment": "negative"},
    )
    assert r.status_code == 201 and r.json()["kind"] == "theme_added"
    r = call(world, "post", f"/verbatims/{answer_id}/corrections", {"sentiment": "furious"})
    assert r.status_code == 422
    assert Correction.objects.count() == 1
    filtered = call(world, "get", "/verbatims", {"theme_id": roaming}).json()["items"]
    assert [v["answer_id"] for v in filtered] == [answer_id]
    nps = {
        i["theme"]: (i["n"], i["nps"])
        for i in call(world, "get", "/insights/theme-nps").json()["items"]
    }
    assert nps["Roaming"] == (1, -100.0)
    # Another organisation sees none of it and cannot touch it.
    assert call(other_world, "get", "/verbatims").json()["items"] == []
    r = call(other_world, "post", f"/verbatims/{answer_id}/corrections", {"sentiment": "positive"})
    assert r.status_code == 404
    r = call(other_world, "put", f"/themes/{roaming}", {"name": "Mine"})
    assert r.status_code == 404
    assert Theme.objects.get(pk=roaming).name == "Roaming"
    assert Answer.objects.get(pk=answer_id).organization_id == world.org.pk
