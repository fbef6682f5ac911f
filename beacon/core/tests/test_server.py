"""`beacon run`'s HTTP protocol turns Nagle off on sockets bound the way multi-worker
uvicorn binds them (a plain `socket(AF_INET)`, protocol number 0)."""

from __future__ import annotations

import asyncio
import http.client
import socket
from collections.abc import Iterator
from typing import Any

import pytest
from uvicorn.protocols.http.h11_impl import H11Protocol as StockH11Protocol

from beacon.core.server import H11Protocol
from beacon.testing import live_server


async def _app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"ok"})


@pytest.fixture(params=[H11Protocol, StockH11Protocol], ids=["beacon", "stock"])
def served(request: pytest.FixtureRequest) -> Iterator[tuple[type[asyncio.Protocol], Any]]:
    sock = socket.socket(family=socket.AF_INET)  # as uvicorn's Config.bind_socket does
    sock.bind(("127.0.0.1", 0))
    with live_server(_app, sock, http=request.param) as (srv, port):
        yield request.param, (srv, port)


def test_connections_of_a_worker_socket_send_without_delay(
    served: tuple[type[asyncio.Protocol], Any],
) -> None:
    protocol, (srv, port) = served
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    conn.request("GET", "/")
    assert conn.getresponse().read() == b"ok"
    [server_side] = srv.server_state.connections
    nodelay = server_side.transport.get_extra_info("socket").getsockopt(
        socket.IPPROTO_TCP, socket.TCP_NODELAY
    )
    conn.close()
    # uvicorn's own protocol leaves Nagle on here: each response waits for a delayed ACK.
    assert bool(nodelay) == (protocol is H11Protocol)
