"""Authentication and the uniform JSON error shapes."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from beacon.api.tests.conftest import Api, fields, interaction_body, response_body
from beacon.contacts.models import Contact, Interaction
from beacon.orgs.actions import do_create_api_key, do_revoke_api_key
from beacon.orgs.models import ApiKey
from beacon.responses.models import Response
from beacon.testing import World

pytestmark = pytest.mark.django_db

ENDPOINTS = [
    ("post", "/interactions"),
    ("post", "/responses"),
    ("get", "/surveys"),
    ("get", "/responses"),
    ("get", "/metrics/summary"),
]


def _call(api: Api, method: str, path: str, world: World) -> object:
    if method == "post":
        body = interaction_body(world) if path == "/interactions" else response_body(world)
        return api.post(path, body)
    return api.get(path)


@pytest.mark.parametrize(("method", "path"), ENDPOINTS)
def test_missing_key_is_401(world: World, method: str, path: str) -> None:
    r = _call(Api(None), method, path, world)
    assert r.status_code == 401  # type: ignore[attr-defined]
    assert r.json() == {"detail": "send an API key: Authorization: Bearer <key>"}  # type: ignore[attr-defined]
    assert r["WWW-Authenticate"] == 'Bearer realm="beacon"'  # type: ignore[index]
    assert Interaction.objects.count() == 0 and Response.objects.count() == 0


@pytest.mark.parametrize(("method", "path"), ENDPOINTS)
def test_revoked_key_is_401(world: World, method: str, path: str) -> None:
    issued = do_create_api_key(world.org, "to revoke")
    do_revoke_api_key(issued.key)
    r = _call(Api(issued.secret), method, path, world)
    assert r.status_code == 401  # type: ignore[attr-defined]
    assert r.json() == {"detail": "unknown or revoked API key"}  # type: ignore[attr-defined]
    assert Interaction.objects.count() == 0 and Response.objects.count() == 0


@pytest.mark.parametrize(
    "header", ["Bearer bk_nothing_here", "Bearer ", "Basic dXNlcjpwYXNz", "bk_abc", "Bearer \x7f"]
)
def test_bad_authorization_header_is_401(world: World, header: str) -> None:
    r = Api(None).client.get("/api/v1/surveys", HTTP_AUTHORIZATION=header)
    assert r.status_code == 401
    assert isinstance(r.json()["detail"], str)


def test_valid_key_marks_last_use(api: Api, world: World) -> None:
    assert api.get("/surveys").status_code == 200
    assert ApiKey.objects.for_org(world.org).get(name="test key").last_used_at is not None


def test_auth_is_checked_before_the_body(world: World) -> None:
    assert Api(None).post("/responses", "{not json").status_code == 401


def test_malformed_json_is_400(api: Api, world: World) -> None:
    r = api.post("/interactions", '{"contact": {"external_id": "x"},')
    assert r.status_code == 400
    assert r.json()["detail"].startswith("request body is not valid JSON: ")
    assert Interaction.objects.count() == 0


def test_non_utf8_body_is_400(api: Api, world: World) -> None:
    r = api.post("/responses", b'{"survey_id": "\xff"}')
    assert r.status_code == 400
    assert r.json()["detail"].startswith("request body is not valid JSON")


@pytest.mark.parametrize("body", ["[]", '"text"', "42", "null"])
def test_body_that_is_not_an_object_is_422_on_body(api: Api, world: World, body: str) -> None:
    assert list(fields(api.post("/responses", body))) == ["body"]


def test_empty_body_is_422_on_body(api: Api, world: World) -> None:
    assert fields(api.post("/responses", "")) == {"body": "Field required"}


def test_oversized_body_is_413_and_nothing_is_written(
    api: Api, world: World, settings: object
) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000  # type: ignore[attr-defined]
    body = interaction_body(world, description="x" * 12_000)
    r = api.post("/interactions", body)
    assert r.status_code == 413
    assert r.json() == {"detail": "request body is larger than 10000 bytes"}
    assert Interaction.objects.count() == 0 and Contact.objects.count() == 0


def test_unknown_field_is_422(api: Api, world: World) -> None:
    body = {**response_body(world), "anwsers": []}
    assert fields(api.post("/responses", body)) == {"anwsers": "Extra inputs are not permitted"}


def test_nul_character_is_422_naming_the_field(api: Api, world: World) -> None:
    body = response_body(world, answers=[{"question_id": world.comment.pk, "text": "a\x00b"},
                                         {"question_id": world.nps.pk, "number": 5}])  # fmt: skip
    assert list(fields(api.post("/responses", body))) == ["answers.0.text"]
    inter = interaction_body(world, attributes={"nested": ["ok", "bad\x00"]})
    assert list(fields(api.post("/interactions", inter))) == ["attributes"]


def test_id_beyond_64_bits_is_422(api: Api, world: World) -> None:
    body = {**response_body(world), "survey_id": 2**70}
    assert list(fields(api.post("/responses", body))) == ["survey_id"]
    assert list(fields(api.get("/responses", survey_id=2**70))) == ["survey_id"]


def test_too_long_idempotency_key_is_422(api: Api, world: World) -> None:
    r = api.post("/interactions", interaction_body(world, key="k" * 201))
    assert list(fields(r)) == ["idempotency_key"]


def test_bool_is_not_a_score(api: Api, world: World) -> None:
    body = response_body(world, answers=[{"question_id": world.nps.pk, "number": True}])
    assert list(fields(api.post("/responses", body))) == ["answers.0.number"]


def test_unknown_endpoint_is_json_404(api: Api) -> None:
    r = api.get("/nothing-here")
    assert r.status_code == 404
    assert r.json() == {"detail": "no such endpoint: /api/v1/nothing-here"}


def test_schema_is_served(api: Api) -> None:
    r = Api(None).client.get("/api/v1/openapi.json")
    assert r.status_code == 200
    assert json.loads(r.content)["info"]["title"] == "Beacon API"


def test_wrong_method_is_json_405(api: Api) -> None:
    r = api.get("/interactions")
    assert r.status_code == 405
    assert r.json() == {"detail": "method GET not allowed; use POST"}
    assert r["Allow"] == "POST"


def test_csrf_does_not_apply_to_key_authenticated_posts(world: World) -> None:
    api = Api(world.api_secret)
    api.client = Client(enforce_csrf_checks=True)
    assert api.post("/interactions", interaction_body(world)).status_code == 201
