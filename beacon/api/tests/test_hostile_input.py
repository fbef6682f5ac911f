"""Every operation of the published schema, sent the inputs that used to answer 500.

The schema (docs/openapi.json, checked against the code by `beacon openapi --check`) lists
every parameter with its type; each gets the values of its type that broke something once:
dates far in the future or past (date arithmetic overflows), integers beyond 64 bits, NUL
characters (PostgreSQL cannot store or compare them), and bodies nested thousands deep.
Each must answer 4xx naming the field, quickly.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from beacon.api.tests.conftest import Api, fields
from beacon.orgs.actions import do_create_api_key
from beacon.testing import World

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(world: World) -> Api:
    """A key with every scope, so each operation reads its input instead of refusing."""
    key = do_create_api_key(world.org, "sweep", scopes=("read", "write", "admin"),
                            actor=world.owner)  # fmt: skip
    return Api(key.secret)


SCHEMA = json.loads((Path(__file__).parents[3] / "docs" / "openapi.json").read_text())
# Generous for a loaded test machine; the slow cases took minutes.
QUICK_SECONDS = 10.0


def _types(schema: dict[str, Any]) -> set[str]:
    kinds = {schema.get("format") or schema.get("type") or ""}
    for option in schema.get("anyOf", []):
        kinds |= _types(option)
    return kinds - {"", "null"}


HOSTILE = {
    "date": ["4069-01-01", "0001-01-01"],
    "date-time": ["9999-12-31T23:59:59+00:00", "0001-01-01T00:00:00Z"],
    "integer": [str(2**70), "3649"],
    "string": ["x\x00y"],
}


def _operations() -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method, path, op)
        for path, ops in SCHEMA["paths"].items()
        for method, op in ops.items()
        if path != "/api/v1/webhooks/{token}"  # signed by the help desk; tested there
    ]


# Path parameters that are names, not ids: a valid one, so the other inputs are judged.
VALID_PATH = {"name": "responses"}


def _path(path: str, op: dict[str, Any], override: dict[str, str] | None = None) -> str:
    for p in op.get("parameters", []):
        if p["in"] == "path":
            value = (override or {}).get(p["name"], VALID_PATH.get(p["name"], "1"))
            path = path.replace("{" + p["name"] + "}", value)
    return path.removeprefix("/api/v1")


def _cases() -> list[Any]:
    cases = []
    for method, path, op in _operations():
        if method != "get":
            continue
        for p in op.get("parameters", []):
            for kind in _types(p["schema"]):
                for value in HOSTILE.get(kind, []):
                    cases.append(
                        pytest.param(path, op, p, value, id=f"{path}:{p['name']}={value!r}")
                    )
    return cases


@pytest.mark.parametrize(("path", "op", "param", "value"), _cases())
def test_hostile_parameters_answer_quickly_without_a_server_error(
    api: Api, world: World, path: str, op: dict[str, Any], param: dict[str, Any], value: str
) -> None:
    began = time.monotonic()
    if param["in"] == "path":
        r = api.client.get("/api/v1" + _path(path, op, {param["name"]: value}), **api.headers)
    else:
        # Required parameters get a valid value, so the hostile one is what is judged.
        required = {
            p["name"]: world.survey.pk
            for p in op.get("parameters", [])
            if p["in"] == "query" and p.get("required")
        }
        r = api.get(_path(path, op), **{**required, param["name"]: value})
    elapsed = time.monotonic() - began
    assert r.status_code < 500, r.content
    assert elapsed < QUICK_SECONDS
    if r.status_code == 422:
        assert param["name"] in fields(r), fields(r)


BODY_OPERATIONS = [
    pytest.param(method, path, op, id=f"{method} {path}")
    for method, path, op in _operations()
    if "requestBody" in op and "application/json" in op["requestBody"]["content"]
]


@pytest.mark.parametrize(("method", "path", "op"), BODY_OPERATIONS)
def test_deeply_nested_bodies_are_400_naming_the_body(
    api: Api, world: World, method: str, path: str, op: dict[str, Any]
) -> None:
    url = "/api/v1" + _path(path, op)
    for body in ("[" * 5000, '{"a": ' * 5000 + "1" + "}" * 5000):
        r = getattr(api.client, method)(url, data=body, content_type="application/json",
                                        **api.headers)  # fmt: skip
        assert r.status_code == 400, r.content
        assert r.json() == {"detail": "request body is nested more than 32 levels deep"}


def test_a_date_in_year_4069_is_422_naming_it(api: Api, world: World) -> None:
    r = api.get("/analytics/compare", b_start="2026-01-01", b_end="4069-01-01")
    assert r.status_code == 422
    assert list(fields(r)) == ["b_end"]
    assert fields(r)["b_end"].startswith("must be on or before ")
    r = api.get("/analytics/compare", start="4069-01-01")
    assert list(fields(r)) == ["start"]


def test_suggested_themes_over_ten_years_is_422_naming_days(api: Api, world: World) -> None:
    began = time.monotonic()
    r = api.get("/insights/suggested-themes", days=3649)
    assert time.monotonic() - began < QUICK_SECONDS
    assert fields(r) == {"days": "Input should be less than or equal to 365"}
    assert api.get("/insights/suggested-themes", days=365).status_code == 200


def test_nul_in_a_path_or_query_parameter_is_refused_naming_it(api: Api, world: World) -> None:
    r = api.get("/contacts/a%00b/may-survey")
    assert r.status_code == 400
    assert r.json() == {
        "detail": [{"field": "the address", "message": "must not contain a NUL character"}]
    }
    r = api.get("/analytics/trend", sentiment="x\x00")
    assert r.status_code == 422
    assert fields(r) == {"sentiment": "must not contain a NUL character"}
