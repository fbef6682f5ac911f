"""Test helpers: real data built through the same do_* functions the product uses, and
real servers on loopback (SMTP, HTTP, uvicorn). Imported by tests only; the pytest
fixtures that use these are in the repository's conftest.py."""

from __future__ import annotations

import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from email.message import Message as EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, TypeVar

import uvicorn
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Message

from beacon.contacts.actions import ContactIn
from beacon.cxmodel.actions import (
    do_add_stage,
    do_add_touchpoint,
    do_create_journey,
    do_create_persona,
)
from beacon.cxmodel.models import Persona, Stage, Touchpoint
from beacon.loop.actions import do_create_root_cause
from beacon.orgs.actions import (
    do_add_member,
    do_create_api_key,
    do_create_organization,
    do_create_team,
)
from beacon.orgs.models import Membership, Organization, Role, Team
from beacon.surveys.actions import QuestionIn, do_add_question, do_create_survey
from beacon.surveys.models import Question, Survey, SurveyStatus

T = TypeVar("T")

PASSWORD = "correct horse battery staple"


@dataclass
class World:
    org: Organization
    owner: Membership
    agent: Membership
    stage_owner: Membership
    team: Team
    persona: Persona
    stage: Stage
    outside_stage: Stage
    touchpoint: Touchpoint
    survey: Survey
    nps: Question
    csat: Question
    ces: Question
    comment: Question
    api_secret: str


def build_world(name: str) -> World:
    org = do_create_organization(name)
    slug = org.slug
    owner = do_add_member(
        org, f"owner@{slug}.test", role=Role.OWNER, display_name="Olive Owner", password=PASSWORD
    )
    team = do_create_team(org, "Support")
    stage_owner = do_add_member(
        org,
        f"stage@{slug}.test",
        role=Role.ADMIN,
        display_name="Sam Stage",
        password=PASSWORD,
        team=team,
    )
    agent = do_add_member(
        org,
        f"agent@{slug}.test",
        role=Role.AGENT,
        display_name="Priya Agent",
        password=PASSWORD,
        team=team,
    )
    persona = do_create_persona(
        org, "Busy professional", "Needs things to just work", "A fix in one contact"
    )
    journey = do_create_journey(org, "Customer journey")
    outside = do_add_stage(journey, "Compare offers", owner=owner, inside_company=False)
    stage = do_add_stage(journey, "Get help", owner=stage_owner)
    touchpoint = do_add_touchpoint(stage, "Phone support", "phone")
    survey = do_create_survey(
        org,
        "Support follow-up",
        "How did we do?",
        touchpoints=[touchpoint],
        status=SurveyStatus.ACTIVE,
    )
    nps = do_add_question(
        survey, QuestionIn("nps", "How likely are you to recommend us?", required=True)
    )
    csat = do_add_question(survey, QuestionIn("csat", "How satisfied were you with the call?"))
    ces = do_add_question(survey, QuestionIn("ces", "How easy was it to get your issue solved?"))
    comment = do_add_question(survey, QuestionIn("text", "What is the main reason for your score?"))
    do_create_root_cause(org.pk, "process", "Process gap")
    secret = do_create_api_key(org, "test key").secret
    return World(
        org,
        owner,
        agent,
        stage_owner,
        team,
        persona,
        stage,
        outside,
        touchpoint,
        survey,
        nps,
        csat,
        ces,
        comment,
        secret,
    )


def contact_in(n: int = 1, **kw: Any) -> ContactIn:
    return ContactIn(
        external_id=f"cust-{n}", email=f"customer{n}@example.com", name=f"Customer {n}", **kw
    )


class Inbox:
    """What a real SMTP server on loopback received."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if address in (m["To"] or "")]


class _Collect(Message):
    def __init__(self, inbox: Inbox) -> None:
        super().__init__()
        self.inbox = inbox

    def handle_message(self, message: EmailMessage) -> None:
        self.inbox.messages.append(message)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def live_server(
    app: Any, sock: socket.socket | None = None, **options: Any
) -> Iterator[tuple[uvicorn.Server, int]]:
    """uvicorn serving `app` on loopback in a thread: (server, port)."""
    if sock is None:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.bind(("127.0.0.1", 0))
    config = uvicorn.Config(app, lifespan="off", log_level="warning", **options)
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.time() + 10
    while not srv.started and time.time() < deadline:
        time.sleep(0.02)
    try:
        yield srv, int(sock.getsockname()[1])
    finally:
        srv.should_exit = True
        thread.join(timeout=10)
        sock.close()


@contextmanager
def http_server(
    handler: type[BaseHTTPRequestHandler], tls: ssl.SSLContext | None = None
) -> Iterator[int]:
    """A threaded stdlib HTTP(S) server on 127.0.0.1 running `handler`: yields its port."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    if tls is not None:
        server.socket = tls.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield int(server.server_address[1])
    finally:
        server.shutdown()
        server.server_close()


def race(n: int, work: Callable[[int], T], attempts: int = 500) -> list[T]:
    """Run work(0..n-1) in n threads released together; their results, in finishing order.

    SQLite's shared test cache answers "database is locked" where PostgreSQL waits, so a
    locked attempt is retried, as a client retries with the same key. Any other error
    fails the caller.
    """
    from django.db import OperationalError, connection

    barrier = threading.Barrier(n)
    results: list[T] = []
    errors: list[BaseException] = []

    def run(i: int) -> None:
        try:
            barrier.wait()
            for _ in range(attempts):
                try:
                    results.append(work(i))
                    return
                except OperationalError:
                    time.sleep(0.01)
            raise TimeoutError(f"thread {i} stayed locked out")
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    return results


class SmtpServer:
    def __init__(self) -> None:
        self.inbox = Inbox()
        self.port = free_port()
        self._controller: Controller | None = None

    def start(self) -> None:
        self._controller = Controller(_Collect(self.inbox), hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None
