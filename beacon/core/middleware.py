"""Middleware: static files without thread hops, and NUL characters refused at the door.

Static files under ASGI without leaving the event loop for every request.

WhiteNoise's middleware is synchronous only. Django adapts a sync middleware in an async
chain with two thread hops per request (into it, and back out to the async middleware
below it), and the view then takes a third: on a busy worker that costs more than many
API calls themselves. This subclass answers static paths the same way and passes every
other request straight on, in whichever mode the chain runs.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from csp.middleware import CSPMiddleware
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseBase,
    JsonResponse,
)
from django.utils.decorators import sync_and_async_middleware
from whitenoise.middleware import WhiteNoiseMiddleware  # type: ignore[import-untyped]


class _BothModes:
    """A middleware class that runs in the sync or the async chain without thread hops:
    `_async` says which one it was built into."""

    sync_capable = True
    async_capable = True

    def __init__(self, get_response: Callable[[HttpRequest], Any]) -> None:
        super().__init__(get_response)  # type: ignore[call-arg]
        self._next = get_response
        self._async = iscoroutinefunction(get_response)
        if self._async:
            markcoroutinefunction(self)  # type: ignore[type-var]  # a callable instance


class StaticFilesMiddleware(_BothModes, WhiteNoiseMiddleware):  # type: ignore[misc]
    def __call__(self, request: HttpRequest) -> Any:
        if self._async:
            return self._acall(request)
        return super().__call__(request)

    def _static_file(self, request: HttpRequest) -> Any:
        if self.autorefresh:
            return self.find_file(request.path_info)
        return self.files.get(request.path_info)

    async def _acall(self, request: HttpRequest) -> HttpResponseBase:
        static_file = self._static_file(request)
        if static_file is not None:
            # Opening a file the package ships is quick; Django streams its body in a thread.
            return self.serve(static_file, request)  # type: ignore[no-any-return]
        get_response: Callable[[HttpRequest], Awaitable[HttpResponseBase]] = self.get_response
        return await get_response(request)


# ---------------------------------------------------------------- Content-Security-Policy


class ContentSecurityPolicyMiddleware(_BothModes, CSPMiddleware):
    """django-csp's header on every response, in whichever mode the chain runs.

    Its base class would run the two hooks through thread hops in the async chain; they
    only set a lazy nonce and a header, so they run inline like the static files above.
    """

    def __call__(self, request: HttpRequest) -> Any:
        if self._async:
            return self._acall(request)
        self.process_request(request)
        response: HttpResponseBase = self._next(request)
        return self.process_response(request, response)

    async def _acall(self, request: HttpRequest) -> HttpResponseBase:
        self.process_request(request)
        response: HttpResponseBase = await self._next(request)
        return self.process_response(request, response)


# ---------------------------------------------------------------- NUL characters

_JSON_PREFIXES = ("/api/", "/s/widget/")
# Form posts are parsed here as CSRF protection would parse them anyway; uploaded files
# stay files (request.FILES) and are not read.
_FORMS = ("application/x-www-form-urlencoded", "multipart/form-data")


def nul_refusal(request: HttpRequest) -> HttpResponse | None:
    """A 400 naming where a NUL character came in, else None.

    No Beacon input may hold NUL, and PostgreSQL fails on one inside a query (as a token
    in an address, a search word, a form field), so it is refused at the door for every
    page and endpoint, before any view can pass it on. JSON bodies are checked where
    they are parsed, with the field's name (beacon.core.untrusted, the API schemas).
    """
    where = None
    if "\x00" in request.path:
        where = "the address"
    elif any("\x00" in k or "\x00" in v for k, v in request.COOKIES.items()):
        where = "a cookie"
    else:
        sources = [request.GET]
        if request.method == "POST" and request.content_type in _FORMS:
            sources.append(request.POST)
        for source in sources:
            for key, values in source.lists():
                if "\x00" in key or any("\x00" in v for v in values):
                    where = key.replace("\x00", "") or "a parameter"
                    break
            if where is not None:
                break
    if where is None:
        return None
    if request.path.startswith(_JSON_PREFIXES):
        detail = [{"field": where, "message": "must not contain a NUL character"}]
        status = 422 if source_is_field(where) else 400
        return JsonResponse({"detail": detail}, status=status)
    return HttpResponseBadRequest(
        f"{where} must not contain a NUL character", content_type="text/plain; charset=utf-8"
    )


def source_is_field(where: str) -> bool:
    return where not in {"the address", "a cookie"}


@sync_and_async_middleware
def refuse_nul_middleware(get_response: Callable[[HttpRequest], Any]) -> Any:
    if iscoroutinefunction(get_response):

        async def async_middleware(request: HttpRequest) -> HttpResponseBase:
            refused = nul_refusal(request)
            if refused is not None:
                return refused
            return await get_response(request)  # type: ignore[no-any-return]

        return async_middleware

    def middleware(request: HttpRequest) -> HttpResponseBase:
        refused = nul_refusal(request)
        if refused is not None:
            return refused
        return get_response(request)  # type: ignore[no-any-return]

    return middleware
