"""Streaming responses that stay streamed under ASGI.

Django's ASGI handler reads a response through `__aiter__`; for a synchronous iterator
Django's own `__aiter__` first collects the whole content in a list, which turns a large
download into a large allocation. These classes pull one chunk at a time from a thread
instead (the same thread for the whole response, so one database connection serves it).
Under WSGI and the test client the ordinary `__iter__` is used.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

from asgiref.sync import sync_to_async
from django.http import FileResponse, StreamingHttpResponse

_END = object()


def _next(chunks: Iterator[bytes]) -> Any:
    return next(chunks, _END)


async def _pull(chunks: Iterator[bytes]) -> AsyncIterator[bytes]:
    step = sync_to_async(_next, thread_sensitive=True)
    while True:
        chunk = await step(chunks)
        if chunk is _END:
            return
        yield chunk


class ChunkedStreamingResponse(StreamingHttpResponse):
    def __aiter__(self) -> AsyncIterator[bytes]:
        return _pull(iter(self.streaming_content))  # type: ignore[arg-type]


class ChunkedFileResponse(FileResponse):
    def __aiter__(self) -> AsyncIterator[bytes]:
        return _pull(iter(self.streaming_content))  # type: ignore[arg-type]
