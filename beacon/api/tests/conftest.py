"""An API client authenticated with a world's key, and request bodies that are valid."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from beacon.testing import World

TestResponse = Any  # the test client's response: an HttpResponse with .json()


class Api:
    """Django's test client speaking JSON with an API key."""

    def __init__(self, secret: str | None) -> None:
        self.client = Client()
        self.headers: dict[str, Any] = {"HTTP_AUTHORIZATION": f"Bearer {secret}"} if secret else {}

    def post(self, path: str, body: Any, **extra: Any) -> TestResponse:
        data = body if isinstance(body, str | bytes) else json.dumps(body)
        return self.client.post(
            f"/api/v1{path}", data=data, content_type="application/json",
            **{**self.headers, **extra},
        )  # fmt: skip

    def get(self, path: str, **params: Any) -> TestResponse:
        return self.client.get(f"/api/v1{path}", data=params, **self.headers)


@pytest.fixture
def api(world: World) -> Api:
    return Api(world.api_secret)


def interaction_body(world: World, key: str = "call-1", **kw: Any) -> dict[str, Any]:
    return {
        "contact": {"external_id": "cust-1", "email": "customer1@example.com", "name": "Ann"},
        "idempotency_key": key,
        "touchpoint_id": world.touchpoint.pk,
        "team_id": world.team.pk,
        "staff_id": world.agent.pk,
        **kw,
    }


def response_body(world: World, key: str = "resp-1", nps: int = 9, **kw: Any) -> dict[str, Any]:
    return {
        "survey_id": world.survey.pk,
        "idempotency_key": key,
        "answers": [{"question_id": world.nps.pk, "number": nps}],
        **kw,
    }


def fields(response: TestResponse) -> dict[str, str]:
    """{field: message} of a 422 body, after checking its shape."""
    assert response.status_code == 422, response.content
    detail = response.json()["detail"]
    assert isinstance(detail, list) and all(set(d) == {"field", "message"} for d in detail)
    return {d["field"]: d["message"] for d in detail}
