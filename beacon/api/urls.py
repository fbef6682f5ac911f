"""/api/: version 1 under /api/v1/; anything else under /api/ answers JSON too."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponseBase, HttpResponseNotAllowed, JsonResponse
from django.urls import URLPattern, URLResolver, path, re_path

from beacon.api.v1 import api

View = Callable[..., HttpResponseBase]


def not_found(request: HttpRequest, rest: str = "") -> JsonResponse:
    # API clients get JSON even for a mistyped path, not the HTML 404 page.
    return JsonResponse({"detail": f"no such endpoint: {request.path}"}, status=404)


def _json_405(view: View) -> View:
    # ninja answers a wrong method in plain text; keep the API's one error shape.
    @functools.wraps(view)  # keeps ninja's csrf_exempt marker
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        response = view(request, *args, **kwargs)
        if isinstance(response, HttpResponseNotAllowed):
            allowed = response["Allow"]
            json_response = JsonResponse(
                {"detail": f"method {request.method} not allowed; use {allowed}"}, status=405
            )
            json_response["Allow"] = allowed
            return json_response
        return response

    return wrapped


def _v1() -> tuple[list[URLPattern | URLResolver], str, str]:
    patterns, app_name, namespace = api.urls
    for p in patterns:
        if isinstance(p, URLPattern):
            p.callback = _json_405(p.callback)
    return patterns, app_name, namespace


urlpatterns: list[URLPattern | URLResolver] = [
    path("v1/", _v1()),
    re_path(r"^(?P<rest>.*)$", not_found),
]
