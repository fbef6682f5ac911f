"""uvicorn's HTTP/1.1 protocol with Nagle's algorithm off on every connection.

With `--workers N` uvicorn binds the listening socket itself as `socket(family)`, whose
protocol number reads 0, and asyncio only sets TCP_NODELAY on sockets that say TCP. The
response then leaves in two writes (headers, body); the second waits for the client's
delayed ACK: about 40 ms added to every request. A single-process uvicorn is not
affected. `beacon run` uses this class; plain uvicorn takes it as
`--http beacon.core.server:H11Protocol`.
"""

from __future__ import annotations

import asyncio
import socket

from uvicorn.protocols.http.h11_impl import H11Protocol as _H11Protocol


class H11Protocol(_H11Protocol):
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        sock = transport.get_extra_info("socket")
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().connection_made(transport)
