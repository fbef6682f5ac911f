"""Every failure of the API as JSON: `{"detail": "..."}`, or a list of field errors for 422.

Clients get one shape for all input errors, whether pydantic caught them at the edge or
a domain `check` caught them later (`ValidationFailed`), so they can show the message
next to the field they sent.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any, TypeVar, cast

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.parser import Parser

from beacon.core.errors import Conflict, NotFound, ValidationFailed
from beacon.core.untrusted import UntrustedJsonError, loads_untrusted

logger = logging.getLogger(__name__)

_INDEX = re.compile(r"\[(\d+)\]")


def field_path(loc: tuple[Any, ...] | list[Any]) -> str:
    """`("body", "payload", "answers", 0, "number")` -> `answers.0.number`.

    The first element is where the value came from; a body's second element is the name
    of the view argument, which means nothing to a client.
    """
    parts = list(loc)
    source = parts.pop(0) if parts else "body"
    if source == "body" and parts:
        parts.pop(0)
    return ".".join(str(p) for p in parts) or str(source)


def field_errors(errors: Mapping[str, str]) -> list[dict[str, str]]:
    return [{"field": _INDEX.sub(r".\1", f), "message": m} for f, m in errors.items()]


def invalid(field: str, message: str) -> ValidationFailed:
    return ValidationFailed({field: message})


@contextmanager
def fields_renamed(mapping: Mapping[str, str]) -> Iterator[None]:
    """Report a domain error under the name the client sent (`touchpoint` -> `touchpoint_id`)."""
    try:
        yield
    except ValidationFailed as e:
        raise ValidationFailed({mapping.get(f, f): m for f, m in e.errors.items()}) from e


def install(api: NinjaAPI) -> None:
    def validation(request: HttpRequest, exc: ValidationError) -> HttpResponse:
        detail = [{"field": field_path(e.get("loc", ())), "message": str(e.get("msg", ""))}
                  for e in exc.errors]  # fmt: skip
        return api.create_response(request, {"detail": detail}, status=422)

    def failed(request: HttpRequest, exc: ValidationFailed) -> HttpResponse:
        return api.create_response(request, {"detail": field_errors(exc.errors)}, status=422)

    def not_found(request: HttpRequest, exc: NotFound) -> HttpResponse:
        return api.create_response(request, {"detail": str(exc) or "not found"}, status=404)

    def conflict(request: HttpRequest, exc: Conflict) -> HttpResponse:
        return api.create_response(request, {"detail": str(exc)}, status=409)

    def too_big(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        detail = f"request body is larger than {limit} bytes"
        return api.create_response(request, {"detail": detail}, status=413)

    def unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        response = api.create_response(request, {"detail": str(exc)}, status=401)
        response["WWW-Authenticate"] = 'Bearer realm="beacon"'
        return response

    def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        detail = str(exc)
        if isinstance(exc.__cause__, UntrustedJsonError):
            # ninja hides the parser's reason unless DEBUG; it is safe and useful to show.
            detail = f"request {exc.__cause__}"
        return api.create_response(request, {"detail": detail}, status=exc.status_code)

    def unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
        # A bug, not bad input: log it with the traceback, answer in the API's shape.
        logger.exception("API request %s %s failed", request.method, request.path, exc_info=exc)
        return api.create_response(request, {"detail": "internal error"}, status=500)

    _on(api, ValidationError, validation)
    _on(api, ValidationFailed, failed)
    _on(api, NotFound, not_found)
    _on(api, Conflict, conflict)
    _on(api, RequestDataTooBig, too_big)
    _on(api, AuthenticationError, unauthenticated)
    _on(api, HttpError, http_error)
    _on(api, Exception, unexpected)


class UntrustedJsonParser(Parser):
    """Bodies nested too deep for the parser are refused, not a 500 (RecursionError).

    NUL characters pass here: the schemas refuse them naming the field (beacon.api.schemas).
    """

    def parse_body(self, request: HttpRequest) -> Any:
        return loads_untrusted(request.body, refuse_nul=False)


E = TypeVar("E", bound=Exception)


def _on(
    api: NinjaAPI, exc_class: type[E], handler: Callable[[HttpRequest, E], HttpResponse]
) -> None:
    # ninja's annotation says a handler may get the exception class; it only passes instances.
    api.add_exception_handler(exc_class, cast(Any, handler))
