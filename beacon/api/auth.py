"""Organisation API keys: `Authorization: Bearer <secret>`; the key's organisation scopes all.

Each key carries scopes: `read` for GET, `write` for every other method, and `admin` for
the member and key endpoints (whatever the method). A key outside its scope is refused
with 403 naming the scope it lacks; an expired key with 401 saying so.
"""

from __future__ import annotations

from typing import cast

from django.http import HttpRequest
from ninja.errors import AuthenticationError, AuthorizationError
from ninja.security import HttpBearer

from beacon.core import clock
from beacon.orgs.models import ApiKey, Membership, Organization, Scope
from beacon.orgs.queries import authenticate_api_key

_READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class ApiKeyAuth(HttpBearer):
    def __init__(self, scope: str | None = None) -> None:
        # None: the scope follows the method (read or write); else this scope, always.
        super().__init__()
        self.scope = scope

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
        if key.expires_at is not None and key.expires_at <= clock.now():
            raise AuthenticationError(
                message=f"this API key expired at {key.expires_at.isoformat()}; create a new one"
            )
        needed = self.scope or (Scope.READ if request.method in _READ_METHODS else Scope.WRITE)
        if not key.allows(needed):
            raise AuthorizationError(
                message=f"this API key lacks the '{needed}' scope that this request needs"
            )
        return key


def org_of(request: HttpRequest) -> Organization:
    """The organisation of the key that authenticated this request."""
    key = cast(ApiKey, request.auth)  # type: ignore[attr-defined]
    return key.organization


def actor_of(request: HttpRequest) -> Membership | None:
    """Who a write is recorded against: the member who created the key (None: the shell)."""
    key = cast(ApiKey, request.auth)  # type: ignore[attr-defined]
    return key.created_by
