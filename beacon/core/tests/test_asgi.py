"""Beacon's ASGI handler over a real uvicorn server on loopback.

Sync views (the API, pages) run on the handler's fixed thread pool; async views (the
wallboard's event stream) on the event loop; static files straight from the middleware.
"""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from beacon.analytics.actions import WallboardIn, do_create_wallboard, wall_token
from beacon.core.asgi import BeaconASGIHandler
from beacon.core.server import H11Protocol
from beacon.responses.models import Response
from beacon.testing import World, live_server


@pytest.fixture
def server() -> Iterator[tuple[str, BeaconASGIHandler]]:
    handler = BeaconASGIHandler(threads=2)
    try:
        with live_server(handler, http=H11Protocol) as (_, port):
            yield f"http://127.0.0.1:{port}", handler
    finally:
        handler.close()


def _call(url: str, secret: str = "", body: Any = None) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode() if body is not None else None,
        headers={"Authorization": f"Bearer {secret}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as r:
            return int(r.status), dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


def _web_threads() -> set[str]:
    return {t.name for t in threading.enumerate() if t.name.startswith("web_")}


@pytest.mark.django_db(transaction=True)
def test_api_calls_run_on_the_fixed_pool_and_keep_their_meaning(
    world: World, server: tuple[str, BeaconASGIHandler]
) -> None:
    url, _ = server
    body = {"survey_id": world.survey.pk, "idempotency_key": "asgi-1",
            "answers": [{"question_id": world.nps.pk, "number": 9}]}  # fmt: skip
    status, _, content = _call(f"{url}/api/v1/responses", world.api_secret, body)
    assert status == 201, content
    assert json.loads(content)["answers"] == [
        {"question_id": world.nps.pk, "number": 9, "text": "", "choices": []}
    ]
    status, _, _ = _call(f"{url}/api/v1/responses", world.api_secret, body)
    assert status == 200
    assert Response.objects.filter(idempotency_key="asgi-1").count() == 1
    for _ in range(20):
        assert _call(f"{url}/api/v1/surveys", world.api_secret)[0] == 200
    # Twenty-two requests, never more threads than the pool has (Django's own handler
    # starts a thread per request).
    assert 1 <= len(_web_threads()) <= 2
    status, _, content = _call(f"{url}/api/v1/surveys", "bk_wrong")
    assert (status, json.loads(content)) == (401, {"detail": "unknown or revoked API key"})


@pytest.mark.django_db(transaction=True)
def test_static_files_and_the_async_event_stream(
    world: World, server: tuple[str, BeaconASGIHandler]
) -> None:
    url, _ = server
    status, headers, content = _call(f"{url}/static/beacon/css/app.css")
    assert status == 200 and headers["Content-Type"].startswith("text/css")
    assert content == (Path(__file__).parents[2] / "static/beacon/css/app.css").read_bytes()
    token = wall_token(do_create_wallboard(world.org, WallboardIn(name="TV", metrics=["nps"])))
    with urllib.request.urlopen(f"{url}/wall/{token}/events", timeout=10) as stream:
        assert stream.headers["Content-Type"].startswith("text/event-stream")
        lines = [stream.readline().decode().rstrip("\n") for _ in range(4)]
    assert lines[0] == "retry: 2000" and "event: snapshot" in lines
    assert _call(f"{url}/wall/{token}x/events")[0] == 404
