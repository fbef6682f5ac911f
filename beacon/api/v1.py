"""API v1: one NinjaAPI, authenticated by organisation API keys."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ninja import NinjaAPI
from ninja.renderers import JSONRenderer
from ninja.responses import NinjaJSONEncoder

from beacon.api import (
    alignment,
    analytics,
    cx,
    distribution,
    errors,
    exports,
    insights,
    interactions,
    loop,
    members,
    metrics,
    outcomes,
    privacy,
    responses,
    surveys,
)
from beacon.api.auth import ApiKeyAuth

DESCRIPTION = """\
Send interactions and responses into Beacon and read responses and metrics back.

**Authentication.** Every call needs an organisation API key, created by an admin in
Beacon (Settings → API keys): `Authorization: Bearer <key>`. The key's organisation scopes
everything; ids of other organisations are treated as unknown. A key has scopes: `read`
(GET), `write` (every other method) and `admin` (members, invitations, keys, audit log);
a request outside the key's scopes answers 403 naming the missing scope, an expired key 401.

**Errors** are JSON. Input errors answer 422 with one entry per field:
`{"detail": [{"field": "answers.0.number", "message": "must be between 0 and 10"}]}`.
Everything else answers `{"detail": "..."}`: 400 malformed JSON, 401 missing, revoked or
expired key, 403 a scope the key lacks, 404 unknown resource, 409 conflict, 413 body too
large.

**Retries are safe.** Writes carry an `idempotency_key`; repeating a call with the same key
stores nothing twice and answers 200 instead of 201.
"""


class _Encoder(NinjaJSONEncoder):
    def default(self, o: Any) -> Any:
        # Django's encoder cuts datetimes to milliseconds; a client that pages by
        # `since=<last responded_at>` needs the exact stored value back.
        if isinstance(o, dt.datetime):
            return o.isoformat().replace("+00:00", "Z")
        return super().default(o)


class _Renderer(JSONRenderer):
    encoder_class = _Encoder


api = NinjaAPI(
    title="Beacon API",
    version="1",
    description=DESCRIPTION,
    urls_namespace="api-v1",
    auth=ApiKeyAuth(),
    # Swagger UI from django-ninja's own static files ("ninja" is an installed app), so the
    # docs page loads nothing from the internet.
    docs_url="/docs",
    renderer=_Renderer(),
    parser=errors.UntrustedJsonParser(),
)
errors.install(api)
api.add_router("", interactions.router)
api.add_router("", responses.router)
api.add_router("", surveys.router)
api.add_router("", metrics.router)
api.add_router("", distribution.router)
api.add_router("", distribution.hooks)
api.add_router("", analytics.router)
api.add_router("", insights.router)
api.add_router("", loop.router)
api.add_router("", members.router)
api.add_router("", exports.router)
# Outcomes and money figures (issue 13).
api.add_router("", outcomes.router)
api.add_router("", privacy.router)
api.add_router("", alignment.router)
api.add_router("", cx.router)
