from __future__ import annotations

import pytest

from beacon.api.tests.conftest import Api, fields
from beacon.loop.models import WinBackCall
from beacon.loop.tests.helpers import respond
from beacon.testing import World

pytestmark = pytest.mark.django_db


def test_churn_event_creates_one_call_task(world: World) -> None:
    api = Api(world.api_secret)
    respond(world, 1, nps=4)
    body = {"external_id": "cust-1", "kind": "churn", "idempotency_key": "crm-77"}
    first = api.post("/churn-events", body)
    again = api.post("/churn-events", body)
    assert (first.status_code, again.status_code) == (201, 200), first.content
    call = WinBackCall.objects.get()
    assert first.json()["id"] == again.json()["id"] == call.pk
    assert (first.json()["created"], again.json()["created"]) == (True, False)
    assert first.json()["assignee_id"] == world.owner.pk  # Support has no lead


def test_bad_events_name_the_field(world: World, other_world: World) -> None:
    respond(other_world, 1, nps=4)
    api = Api(world.api_secret)
    r = api.post("/churn-events", {"external_id": "cust-1", "kind": "churn"})
    assert r.status_code == 422
    assert fields(r) == {"external_id": "no contact with external_id 'cust-1'"}
    r = api.post("/churn-events", {"external_id": "cust-1", "kind": "bored"})
    assert r.status_code == 422 and set(fields(r)) == {"kind"}
    assert WinBackCall.objects.count() == 0


def test_csv_import(world: World) -> None:
    respond(world, 1, nps=4)
    respond(world, 2, nps=4)
    api = Api(world.api_secret)
    csv_text = "external_id,kind\ncust-1,churn\ncust-2,cancellation\n"
    r = api.client.post("/api/v1/churn-events/csv", data=csv_text, content_type="text/csv",
                        **api.headers)  # fmt: skip
    assert r.status_code == 200, r.content
    assert (r.json()["created"], r.json()["existing"]) == (2, 0)
    r = api.client.post("/api/v1/churn-events/csv", data="external_id,kind\nx,churn\n",
                        content_type="text/csv", **api.headers)  # fmt: skip
    assert r.status_code == 422
    assert fields(r) == {"row 2.external_id": "no contact with external_id 'x'"}
    r = api.client.post("/api/v1/churn-events/csv", data=b"\xff\xfe", content_type="text/csv",
                        **api.headers)  # fmt: skip
    assert fields(r) == {"file": "must be UTF-8 text"}
