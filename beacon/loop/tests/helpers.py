"""Responses built through the real write paths, with the contact and interaction behind them."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any

from beacon.contacts.actions import InteractionIn, do_record_interaction, do_upsert_contact
from beacon.orgs.models import Membership, Team
from beacon.responses.checks import AnswerIn, ResponseIn
from beacon.responses.ingest import ingest
from beacon.responses.models import Response
from beacon.testing import World, contact_in, http_server


def respond(
    world: World,
    n: int = 1,
    *,
    nps: int | None = None,
    csat: int | None = None,
    comment: str = "",
    attributes: dict[str, Any] | None = None,
    staff: Membership | None = None,
    team: Team | None = None,
    at: dt.datetime | None = None,
    key: str = "",
) -> Response:
    contact = contact_in(n, attributes=attributes or {})
    do_upsert_contact(world.org, contact)
    interaction = do_record_interaction(
        world.org,
        InteractionIn(
            contact=contact,
            idempotency_key=f"call-{n}-{key}",
            touchpoint=world.touchpoint,
            team=team or world.team,
            staff=staff,
            occurred_at=at,
        ),
    ).interaction
    answers = []
    if nps is not None:
        answers.append(AnswerIn(world.nps.pk, number=nps))
    if csat is not None:
        answers.append(AnswerIn(world.csat.pk, number=csat))
    if comment:
        answers.append(AnswerIn(world.comment.pk, text=comment))
    return ingest(
        ResponseIn(
            survey=world.survey,
            idempotency_key=f"r-{n}-{key}",
            answers=answers,
            interaction=interaction,
            responded_at=at,
        )
    ).response


def part(mail: Any, content_type: str) -> str:
    """The decoded body of one part of a received email."""
    found = next(p for p in mail.walk() if p.get_content_type() == content_type)
    return str(found.get_payload(decode=True).decode())


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    signature_ok: bool

    @property
    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class HookServer:
    """A real HTTP server on loopback that checks X-Beacon-Signature like a receiver would."""

    secrets: dict[str, str] = field(default_factory=dict)  # path -> secret
    received: list[Received] = field(default_factory=list)
    status: int = 200
    port: int = 0

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"


def verify(secret: str, timestamp: str, body: bytes, header: str) -> bool:
    expected = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return hmac.compare_digest("sha256=" + expected.hexdigest(), header)


def serve_hooks() -> Iterator[HookServer]:
    hooks = HookServer()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            secret = hooks.secrets.get(self.path, "")
            ok = bool(secret) and verify(
                secret,
                self.headers.get("X-Beacon-Timestamp", ""),
                body,
                self.headers.get("X-Beacon-Signature", ""),
            )
            hooks.received.append(Received(self.path, dict(self.headers), body, ok))
            self.send_response(hooks.status if ok else 401)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    with http_server(Handler) as port:
        hooks.port = port
        yield hooks
