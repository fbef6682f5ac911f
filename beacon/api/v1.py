"""API v1: one NinjaAPI, authenticated by organisation API keys."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ninja import NinjaAPI
from ninja.renderers import JSONRenderer
from ninja.responses import NinjaJSONEncoder

from beacon.api import (
    analytics,
    distribution,
    errors,
    insights,
    interactions,
    loop,
    metrics,
    outcomes,
    responses,
    surveys,
)
from beacon.api.auth import ApiKeyAuth

DESCRIPTION = """\
Send interactions and responses into Beacon and read responses and metrics back.

**Authentication.** Every call needs an organisation API key, created by an admin in
Beacon: `Authorization: Bearer <key>`. The key's organisation scopes everything; ids of
other organisations are treated as unknown.

**Errors** are JSON. Input errors answer 422 with one entry per field:
`{"detail": [{"field": "answers.0.number", "message": "must be between 0 and 10"}]}`.
Everything else answers `{"detail": "..."}`: 400 malformed JSON, 401 missing or revoked key,
404 unknown resource, 409 conflict, 413 body too large.

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
    # The interactive docs page would load Swagger UI from a CDN; Beacon loads nothing
    # from the internet, so only the schema itself is served (openapi.json).
    docs_url=None,
    renderer=_Renderer(),
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
# Outcomes and money figures (issue 13).
api.add_router("", outcomes.router)
