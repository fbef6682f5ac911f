"""GET /cx/journey-map: the page's figures, one organisation's rows only, read scope."""

from __future__ import annotations

import datetime as dt

import pytest

from beacon.analytics import journey
from beacon.api.tests.conftest import Api
from beacon.core import clock
from beacon.cxmodel.actions import do_add_need
from beacon.orgs.actions import do_create_api_key, do_deactivate_member
from beacon.testing import World
from beacon.web.tests.helpers import answer

pytestmark = pytest.mark.django_db


def test_the_map_has_the_same_figures_as_the_page(
    api: Api, world: World, other_world: World
) -> None:
    for i in range(31):
        answer(world, nps=[10, 7, 2][i % 3], csat=4, when=clock.now() - dt.timedelta(days=i))
    need = do_add_need(world.stage, "Reach a person", "Answered fast", owner=world.stage_owner,
                       measure="csat", target=80.0)  # fmt: skip
    do_add_need(other_world.stage, "Globex need", "Globex outcome", owner=other_world.agent)
    do_deactivate_member(world.stage_owner, actor=world.owner)
    body = api.get("/cx/journey-map").json()
    (j,) = body["journeys"]
    assert [s["name"] for s in j["stages"]] == ["Compare offers", "Get help"]
    outside, stage = j["stages"]
    assert outside["inside_company"] is False and outside["flags"] == []
    assert stage["flags"] == ["orphaned"] and stage["owner"]["deactivated"] is True
    assert (stage["volume"], stage["open_cases"], stage["overdue_cases"]) == (31, 0, 0)
    page = journey.journey_map(world.org, clock.now())
    figures = page.journeys[0][1][1]
    nps = figures.scores["nps"]
    assert stage["scores"]["nps"] == {
        "label": "NPS", "unit": "", "value": nps.value, "low": nps.low, "high": nps.high,
        "n": 31, "min_n": 30, "enough": True,
    }  # fmt: skip
    assert stage["trends"]["nps"]["direction"] == "unknown"
    (n,) = stage["needs"]
    assert (n["id"], n["measure"], n["target"], n["status"], n["orphaned"]) == (
        need.pk, "csat", 80.0, "met", True,
    )  # fmt: skip
    assert n["value"]["n"] == 31 and n["value"]["low"] >= 80.0
    assert [h["owner_id"] for h in stage["owner_history"]] == [world.stage_owner.pk]
    assert "Globex" not in str(body)
    perfect = api.get("/cx/journey-map", scale="perfect").json()
    assert perfect["journeys"][0]["stages"][1]["scores"]["csat"]["label"] == "CSAT (% of perfect)"
    assert perfect["journeys"][0]["stages"][1]["scores"]["csat"]["value"] == pytest.approx(75.0)


def test_bad_scale_is_422_and_a_key_without_read_scope_is_403(world: World) -> None:
    assert Api(world.api_secret).get("/cx/journey-map", scale="best").status_code == 422
    writer = Api(do_create_api_key(world.org, "writer", scopes=("write",)).secret)
    response = writer.get("/cx/journey-map")
    assert response.status_code == 403 and "'read' scope" in response.json()["detail"]
    assert Api(None).get("/cx/journey-map").status_code == 401


def test_another_organisations_key_sees_only_its_own_journey(
    world: World, other_world: World
) -> None:
    body = Api(other_world.api_secret).get("/cx/journey-map").json()
    ids = {s["id"] for j in body["journeys"] for s in j["stages"]}
    assert ids == {other_world.stage.pk, other_world.outside_stage.pk}
