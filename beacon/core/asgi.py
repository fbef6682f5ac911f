"""Beacon's ASGI handler: Django's, with one thread hop per request instead of a dozen.

Django's own ASGI handler runs the middleware chain in async mode. Every middleware
written the classic way (all of Django's own) then runs its request and response halves
through `sync_to_async`, and the sync view takes one more hop: about 17 trips between
the event loop and a thread for one API call. It also gives every request a fresh
thread (ThreadSensitiveContext), so no database connection outlives its request.

Here a sync view runs the whole classic middleware chain and the view in one call on a
small, fixed pool of threads; each thread keeps its database connection (bounded: workers
x threads). Async views (the wallboard's event stream) still take Django's async path,
so a long stream never holds a thread.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

from asgiref.sync import iscoroutinefunction, sync_to_async
from django.conf import settings
from django.core.handlers.asgi import ASGIHandler
from django.core.handlers.base import BaseHandler
from django.db import close_old_connections
from django.http import HttpRequest, HttpResponseBase
from django.urls import Resolver404, get_resolver


def _is_async_view(path: str) -> bool:
    try:
        match = get_resolver().resolve(path)
    except Resolver404:
        return False
    return iscoroutinefunction(match.func)


class BeaconASGIHandler(ASGIHandler):
    def __init__(self, threads: int) -> None:
        super().__init__()  # the async chain, for async views
        # Import every view now, not on the first request (seconds: NumPy, SciPy, ...).
        get_resolver().url_patterns  # noqa: B018
        self._sync = BaseHandler()
        self._sync.load_middleware(is_async=False)
        self._threads = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="web")
        self._respond = sync_to_async(self._respond_in_thread, thread_sensitive=False,
                                      executor=self._threads)  # fmt: skip

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            raise ValueError(f"Beacon serves HTTP only, not {scope['type']}")
        # Django wraps this in a ThreadSensitiveContext (a new thread per request); the
        # few thread-sensitive calls left (signals, closing the response) share one.
        await self.handle(scope, receive, send)

    async def get_response_async(self, request: HttpRequest) -> HttpResponseBase:
        # Static files are answered in the event loop by the async chain's first
        # middleware (core.middleware); async views run there too; the rest in a thread.
        path = request.path_info
        if path.startswith(settings.STATIC_URL) or _is_async_view(path):
            return await super().get_response_async(request)
        return await self._respond(request)

    def close(self) -> None:
        """Let the request threads finish (a server embedded in tests, say)."""
        self._threads.shutdown(wait=True)

    def _respond_in_thread(self, request: HttpRequest) -> HttpResponseBase:
        # What request_started / request_finished do for a thread that serves requests:
        # drop a connection that broke or outlived CONN_MAX_AGE.
        close_old_connections()
        try:
            return self._sync.get_response(request)
        finally:
            close_old_connections()
