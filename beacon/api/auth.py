"""Organisation API keys: `Authorization: Bearer <secret>`; the key's organisation scopes all."""

from __future__ import annotations

from typing import cast

from django.http import HttpRequest
from ninja.errors import AuthenticationError
from ninja.security import HttpBearer

from beacon.orgs.models import ApiKey, Organization
from beacon.orgs.queries import authenticate_api_key


class ApiKeyAuth(HttpBearer):
    def __call__(self, request: HttpRequest) -> ApiKey:
        # Distinct messages for "no key sent" and "key refused" save client developers time;
        # ninja's own bearer class answers both with a bare "Unauthorized".
        header = request.headers.get(self.header, "")
        scheme, _, token = header.partition(" ")
        if not header:
            raise AuthenticationError(message="send an API key: Authorization: Bearer <key>")
        if scheme.lower() != "bearer" or not token.strip():
            raise AuthenticationError(message="the Authorization header must be 'Bearer <key>'")
        return self.authenticate(request, token.strip())

    def authenticate(self, request: HttpRequest, token: str) -> ApiKey:
        key = authenticate_api_key(token)
        if key is None:
            raise AuthenticationError(message="unknown or revoked API key")
        return key


def org_of(request: HttpRequest) -> Organization:
    """The organisation of the key that authenticated this request."""
    key = cast(ApiKey, request.auth)  # type: ignore[attr-defined]
    return key.organization
