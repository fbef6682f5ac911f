"""The live wallboard: login-free, signed and revocable URL, updated by server-sent events.

/wall/<token>/ renders the board (readable without JavaScript); /wall/<token>/events is
an async stream: it polls the newest response id once a second (one index lookup) and
sends a new snapshot when it changed, so a new response shows within about 2 seconds.
A bad, rotated or revoked token answers 404, and an open stream ends once revoked.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator

from asgiref.sync import sync_to_async
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render

from beacon.analytics.actions import wall_for_token
from beacon.analytics.models import Wallboard
from beacon.analytics.wallboard import change_marker, snapshot

POLL_SECONDS = 1.0
# Streams end after this long; EventSource reconnects by itself. Bounded streams keep a
# revoked or forgotten board from holding a server slot forever.
STREAM_SECONDS = 15 * 60
KEEPALIVE_SECONDS = 15.0
REVOCATION_CHECK_SECONDS = 10.0


def wall_page(request: HttpRequest, token: str) -> HttpResponse:
    wall = wall_for_token(token)
    if wall is None:
        raise Http404("no such wallboard")
    data = snapshot(wall)
    return render(
        request,
        "web/analytics/wall.html",
        {"wall": wall, "data": data, "token": token},
    )


def _event(data: dict[str, object]) -> str:
    return f"event: snapshot\ndata: {json.dumps(data)}\n\n"


async def wall_events(request: HttpRequest, token: str) -> StreamingHttpResponse:
    wall = await sync_to_async(wall_for_token)(token)
    if wall is None:
        raise Http404("no such wallboard")

    async def stream(wall: Wallboard) -> AsyncIterator[str]:
        started = last_check = last_sent = time.monotonic()
        seen = -1
        yield "retry: 2000\n\n"
        while time.monotonic() - started < STREAM_SECONDS:
            now = time.monotonic()
            if now - last_check >= REVOCATION_CHECK_SECONDS:
                last_check = now
                if await sync_to_async(wall_for_token)(token) is None:
                    yield "event: revoked\ndata: {}\n\n"
                    return
            latest = await sync_to_async(change_marker)(wall)
            if latest != seen:
                seen = latest
                yield _event(await sync_to_async(snapshot)(wall))
                last_sent = now
            elif now - last_sent >= KEEPALIVE_SECONDS:
                yield ": keep-alive\n\n"
                last_sent = now
            await asyncio.sleep(POLL_SECONDS)

    response = StreamingHttpResponse(stream(wall), content_type="text/event-stream")
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"
    return response
