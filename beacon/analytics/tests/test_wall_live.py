"""The wallboard over a real uvicorn server on loopback: page, 404s, and the live stream."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.asgi import get_asgi_application

from beacon.analytics.actions import (
    WallboardIn,
    do_create_wallboard,
    do_revoke_wallboard,
    wall_token,
)
from beacon.responses.checks import AnswerIn, ResponseIn
from beacon.responses.ingest import ingest
from beacon.testing import World, live_server


@pytest.fixture
def server() -> Iterator[str]:
    with live_server(get_asgi_application()) as (_, port):
        yield f"http://127.0.0.1:{port}"


def _status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=5) as r:
            return int(r.status)
    except urllib.error.HTTPError as e:
        return e.code


def _next_snapshot(stream: Any) -> dict[str, Any]:
    event = None
    while True:
        line = stream.readline().decode().rstrip("\n")
        if line.startswith("event: "):
            event = line[7:]
        elif line.startswith("data: ") and event == "snapshot":
            return dict(json.loads(line[6:]))


@pytest.mark.django_db(transaction=True)
def test_a_new_response_reaches_the_open_stream_within_two_seconds(
    world: World, server: str
) -> None:
    wall = do_create_wallboard(world.org, WallboardIn(name="Shop TV", metrics=["nps"]))
    token = wall_token(wall)
    with urllib.request.urlopen(f"{server}/wall/{token}/", timeout=5) as page:
        html = page.read().decode()
    assert "Shop TV" in html and "not enough answers" in html
    with urllib.request.urlopen(f"{server}/wall/{token}/events", timeout=10) as stream:
        assert stream.headers["Content-Type"].startswith("text/event-stream")
        first = _next_snapshot(stream)
        assert first["verbatims"] == [] and first["metrics"][0]["n"] == 0
        sent = time.monotonic()
        answers = [
            AnswerIn(world.nps.pk, number=10),
            AnswerIn(world.comment.pk, text="Lovely staff"),
        ]
        ingest(ResponseIn(world.survey, "live-1", answers, touchpoint=world.touchpoint))
        update = _next_snapshot(stream)
        took = time.monotonic() - sent
    assert [v["text"] for v in update["verbatims"]] == ["Lovely staff"]
    assert update["metrics"][0]["n"] == 1 and update["metrics"][0]["value"] is None
    assert took < 2.0, took
    do_revoke_wallboard(wall)
    assert _status(f"{server}/wall/{token}/") == 404
    assert _status(f"{server}/wall/{token}/events") == 404


@pytest.mark.django_db(transaction=True)
def test_bad_signatures_are_not_found(world: World, server: str) -> None:
    wall = do_create_wallboard(world.org, WallboardIn(name="Shop TV", metrics=["nps"]))
    token = wall_token(wall)
    assert _status(f"{server}/wall/{token}x/") == 404
    assert _status(f"{server}/wall/not-a-token/events") == 404
