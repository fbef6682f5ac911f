from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.test import Client

from beacon.insights.models import Correction, Theme
from beacon.pipeline.processing import process_response
from beacon.responses.checks import AnswerIn, ResponseIn
from beacon.responses.ingest import ingest
from beacon.responses.models import Answer
from beacon.testing import World

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
    filtered = call(world, "get", "/verbatims", {"theme_id": roaming}).json()
    assert [v["answer_id"] for v in filtered["items"]] == [answer_id]
    assert filtered["next_before_id"] is None
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


def test_suggestions_emerging_themes_praise_and_models_over_the_api(
    world: World, other_world: World
) -> None:
    from beacon.core import clock
    from beacon.insights.models import Praise
    from beacon.insights.registry import do_train_themes
    from beacon.insights.taxonomy import do_create_theme
    from beacon.insights.tests.test_analysis import respond

    do_create_theme(world.org, "Billing", "Bills and charges", ["charged twice"])
    now = clock.now()
    for week in range(1, 5):
        for i in range(6):
            at = now - dt.timedelta(days=7 * week + 1, hours=i)
            respond(world, "Lovely friendly staff, thank you", at=at)
        respond(world, "I was charged twice on my bill", at=now - dt.timedelta(days=7 * week + 2))
    for i in range(6):
        respond(world, "I was charged twice on my bill", at=now - dt.timedelta(days=1, hours=i))
    respond(world, "Priya was fantastic, so patient and helpful. Thank you!", nps=10)
    for place in ["car park", "car park entrance", "car park barrier", "car park at night"]:
        respond(world, f"The {place} was full and parking cost too much")

    emerging = call(world, "get", "/insights/emerging-themes").json()["items"]
    assert [(e["theme"], e["this_week"], e["this_week_total"]) for e in emerging] == [
        ("Billing", 6, 11)
    ]
    assert (emerging[0]["before"], emerging[0]["before_total"]) == (4, 28)
    assert emerging[0]["z"] >= 1.96

    suggested = call(world, "get", "/insights/suggested-themes").json()["items"]
    assert suggested and all(s["size"] >= len(s["examples"]) for s in suggested)
    assert any("car park" in e for s in suggested for e in s["examples"])
    assert call(world, "get", "/insights/suggested-themes", {"days": 0}).status_code == 422

    praise = call(world, "get", "/praise").json()["items"]
    stored = Praise.objects.get(organization=world.org)
    assert [(p["id"], p["member"], p["member_id"]) for p in praise] == [
        (stored.pk, world.agent.display_name, world.agent.pk)
    ]
    assert "so patient and helpful" in praise[0]["excerpt"]
    mine = call(world, "get", "/praise", {"member_id": world.owner.pk}).json()["items"]
    assert mine == []
    assert call(world, "get", "/praise", {"member_id": other_world.owner.pk}).status_code == 404

    assert call(world, "get", "/insights/models").json()["items"] == []
    do_train_themes(world.org)
    (model,) = call(world, "get", "/insights/models").json()["items"]
    assert (model["kind"], model["version"], model["quality"]) == ("themes", 1, None)
    assert model["quality_n"] == 0 and model["examples"] > 0

    for path in ["/insights/emerging-themes", "/insights/suggested-themes", "/praise"]:
        assert call(other_world, "get", path).json()["items"] == [], path
    assert call(other_world, "get", "/insights/models").json()["items"] == []
