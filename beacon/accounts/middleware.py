"""The sign-in pages may send their form on to an organisation's identity provider.

The Content-Security-Policy limits where forms go (`form-action 'self'`), and Chromium
applies that limit to the redirect after a form is sent too: the SSO pages' forms end at
the identity provider, so on those pages only, the providers' origins are added."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit

from django.http import HttpRequest, HttpResponseBase

from beacon.accounts.queries import all_connections

SSO_PATHS = ("/login/sso/", "/accounts/")


def _origin(url: str) -> str | None:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else None


def identity_provider_origins() -> list[str]:
    found = set()
    for connection in all_connections():
        for url in (connection.oidc_issuer, connection.saml_sso_url):
            origin = _origin(url or "")
            if origin:
                found.add(origin)
    return sorted(found)


def sso_form_action_middleware(
    get_response: Callable[[HttpRequest], HttpResponseBase],
) -> Callable[[HttpRequest], HttpResponseBase]:
    def middleware(request: HttpRequest) -> HttpResponseBase:
        response = get_response(request)
        if request.path.startswith(SSO_PATHS) and "text/html" in response.get("Content-Type", ""):
            origins = identity_provider_origins()
            if origins:
                response._csp_update = {"form-action": origins}  # type: ignore[attr-defined]
        return response

    return middleware
