"""The lean ingest edge: an ASGI app in front of Django for `POST /api/v1/responses`
and `POST /api/v1/interactions`.

A complete response posted with a valid write key, to a survey of the key's
organisation, with nothing that needs a lookup the edge does not cache (a contact,
an interaction, a touchpoint) is checked here, in the event loop, with the Django path's
own check functions, appended to the ingest log in a group commit and answered: 201 with
the id the response will have, or 200 with the first post's answer for a repeated key.
The worker applies the log (`applier.py`). Everything else — another path or method, a
partial response, a body or key the edge cannot vouch for, a check that needs the stored
response — goes to Django unchanged, which answers it in its own words (docs/adr/0010).

A single interaction with a valid write key is stored before it is answered, grouped
with the interactions posted at the same time and stored by the batch endpoint's code
(`interactions.py`); what that code does not answer 200 or 201 goes to Django.
"""

from __future__ import annotations

import asyncio
import io
import json
import logging
import threading
import time
from collections.abc import Awaitable, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Generic, TypeVar, cast

import pydantic
from django.conf import settings
from django.core.handlers.asgi import ASGIRequest
from django.db import close_old_connections, connection
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.middleware.clickjacking import XFrameOptionsMiddleware
from django.middleware.security import SecurityMiddleware

from beacon.api.errors import field_errors
from beacon.api.schemas import InteractionIn, ResponseIn
from beacon.core import clock
from beacon.core.errors import ValidationFailed
from beacon.core.middleware import ContentSecurityPolicyMiddleware
from beacon.core.untrusted import UntrustedJsonError, loads_untrusted
from beacon.ingest.definitions import (
    Fresh,
    SurveyRules,
    key_of,
    survey_rules,
    usable,
    writing_key,
)
from beacon.ingest.interactions import Posted, Stored, store
from beacon.ingest.log import Accepted, Appended, append
from beacon.orgs.models import ApiKey
from beacon.responses import checks

logger = logging.getLogger(__name__)

PATH = "/api/v1/responses"
INTERACTIONS_PATH = "/api/v1/interactions"
# A group is written when it holds this many posts or its first post waited this long.
GROUP_ITEMS = 100
GROUP_SECONDS = 0.002
JSON = "application/json; charset=utf-8"

ASGIApp = Callable[[dict[str, Any], Any, Any], Awaitable[None]]
T = TypeVar("T")
S = TypeVar("S", bound=pydantic.BaseModel)
Item = TypeVar("Item")
Out = TypeVar("Out")
Answer = tuple[int, bytes]


class GroupWriter(Generic[Item, Out]):
    """Collects accepted posts and writes them a group at a time on one thread.

    While a group is being written the next one collects, so under load each commit
    (one fsync) carries many posts; a lone post waits at most GROUP_SECONDS. `write`
    takes a group and returns one answer per post, None where the Django path must
    answer it. With `at_once` above 1, that many groups are written at the same time
    (`run` must then have as many threads); the next group still collects while every
    slot is busy.
    """

    def __init__(
        self,
        run: Callable[..., Awaitable[Any]],
        write: Callable[[list[Item]], Sequence[Out | None]],
        *,
        at_once: int = 1,
    ) -> None:
        self._run = run
        self._write_group = write
        self._at_once = at_once
        self._slots: asyncio.Semaphore | None = None
        self._writing: set[asyncio.Task[None]] = set()
        self._waiting: list[tuple[Item, asyncio.Future[Out | None]]] = []
        self._first_at = 0.0
        self._wake: asyncio.Event | None = None
        self._task: asyncio.Task[None] | None = None

    async def submit(self, item: Item) -> Out | None:
        """The group's answer for this post; None when the group could not be written."""
        if self._wake is None or self._task is None or self._task.done():
            self._wake = asyncio.Event()
            self._slots = asyncio.Semaphore(self._at_once)
            self._task = asyncio.ensure_future(self._loop())
        future: asyncio.Future[Out | None] = asyncio.get_running_loop().create_future()
        if not self._waiting:
            self._first_at = time.monotonic()
        self._waiting.append((item, future))
        self._wake.set()
        return await future

    async def _loop(self) -> None:
        assert self._wake is not None and self._slots is not None
        while True:
            await self._wake.wait()
            left = GROUP_SECONDS - (time.monotonic() - self._first_at)
            if len(self._waiting) < GROUP_ITEMS and left > 0:
                await asyncio.sleep(left)
            await self._slots.acquire()
            group, self._waiting = self._waiting[:GROUP_ITEMS], self._waiting[GROUP_ITEMS:]
            if self._waiting:
                self._first_at = time.monotonic()
            else:
                self._wake.clear()
            task = asyncio.ensure_future(self._write(group, self._slots))
            self._writing.add(task)  # held until done: the loop keeps no other reference
            task.add_done_callback(self._writing.discard)

    async def _write(
        self, group: list[tuple[Item, asyncio.Future[Out | None]]], slots: asyncio.Semaphore
    ) -> None:
        try:
            await self._write_now(group)
        finally:
            slots.release()

    async def _write_now(self, group: list[tuple[Item, asyncio.Future[Out | None]]]) -> None:
        try:
            answers: Sequence[Out | None] = await self._run(
                self._write_group, [item for item, _ in group]
            )
        except Exception:
            # The Django path gets these posts (it may succeed, or answer in its words).
            logger.exception("ingest edge: writing %d posts failed", len(group))
            answers = [None] * len(group)
        for (_, future), answer in zip(group, answers, strict=True):
            if not future.done():
                future.set_result(answer)


class Framing:
    """What Django's middleware does around every answer, for the edge's own: the HTTPS
    redirect (a plain-HTTP post where HTTPS is required is Django's to answer, unstored)
    and the headers (HSTS, nosniff, referrer and opener policies, the content security
    policy, frame options). Django's own middleware classes, nested in their order in
    MIDDLEWARE, so the edge's 201 carries exactly the headers Django's would."""

    def __init__(self) -> None:
        self._header_chain = SecurityMiddleware(
            ContentSecurityPolicyMiddleware(XFrameOptionsMiddleware(_answer_of))
        )
        # The chain's headers differ only by whether the request came over HTTPS (HSTS);
        # running it costs 40 µs a post (the policy is rebuilt each time), so its
        # headers are kept, one list for each.
        self._headers: dict[bool, list[tuple[bytes, bytes]]] = {}

    def process_request(self, request: HttpRequest) -> HttpResponseBase | None:
        """The chain's outer hook alone: a redirect here means Django answers."""
        return self._header_chain.process_request(request)

    def headers(self, request: HttpRequest, content: bytes) -> list[tuple[bytes, bytes]]:
        """The answer's headers: its type and length (keep-alive clients read the length,
        not chunks), then those Django's middleware adds."""
        secure = request.is_secure()
        if secure not in self._headers:
            request.edge_answer = HttpResponse(content_type=JSON)  # type: ignore[attr-defined]
            framed = cast(HttpResponseBase, self._header_chain(request))  # a sync chain
            self._headers[secure] = [
                (name.lower().encode("latin-1"), value.encode("latin-1"))
                for name, value in framed.items()
                if name.lower() not in ("content-type", "content-length")
            ]
        own = [(b"content-type", JSON.encode()), (b"content-length", str(len(content)).encode())]
        return own + self._headers[secure]


def _answer_of(request: HttpRequest) -> HttpResponseBase:
    answer: HttpResponseBase = request.edge_answer  # type: ignore[attr-defined]
    return answer


class IngestEdge:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        # One thread, one database connection: appends and the cache's reads.
        self._db = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ingest")
        self._keys: Fresh[ApiKey | None] = Fresh(writing_key)
        self._surveys: Fresh[SurveyRules | None] = Fresh(survey_rules)
        self._loading: dict[object, asyncio.Future[Any]] = {}
        self.writer: GroupWriter[Accepted, Appended] = GroupWriter(self._in_thread, append)
        # Interactions are stored, not logged: a group holds its thread for the trigger's
        # statements, so PostgreSQL stores two groups at once, each on a thread and
        # connection of its own (SQLite has one writer at a time: one thread).
        pg = settings.DATABASES["default"]["ENGINE"].endswith("postgresql")
        self._storing = 2 if pg else 1
        self._stores = ThreadPoolExecutor(self._storing, thread_name_prefix="ingest-store")
        self.interactions: GroupWriter[Posted, tuple[int, dict[str, Any]]] = GroupWriter(
            self._in_store_thread, store, at_once=self._storing
        )
        self._framing = Framing()

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] != "POST"
            or scope["path"] not in (PATH, INTERACTIONS_PATH)
        ):
            await self.app(scope, receive, send)
            return
        body = await _read_body(receive)
        if body is None:  # the client went away
            return
        request = ASGIRequest(scope, io.BytesIO())
        answer: Answer | None = None
        # A request Django would redirect (plain HTTP where HTTPS is required) is its own.
        if body and self._framing.process_request(request) is None:
            take = self._answer if scope["path"] == PATH else self._interaction
            answer = await take(scope, body)
        if answer is None:
            await self.app(scope, _replay(body, receive), send)
            return
        status, content = answer
        await send({"type": "http.response.start", "status": status,
                    "headers": self._framing.headers(request, content)})  # fmt: skip
        await send({"type": "http.response.body", "body": content})

    def close(self) -> None:
        """Close the edge's database connection and thread (servers embedded in tests)."""
        self._db.submit(_close_connection).result()
        self._db.shutdown(wait=True)
        # One close per storing thread: each waits for the others, so none runs twice.
        everyone = threading.Barrier(self._storing)
        closing = [self._stores.submit(_close_connection, everyone)
                   for _ in range(self._storing)]  # fmt: skip
        for done in closing:
            done.result()
        self._stores.shutdown(wait=True)
        close = getattr(self.app, "close", None)
        if close is not None:
            close()

    async def _parsed(
        self, scope: dict[str, Any], body: bytes, schema: type[S]
    ) -> tuple[ApiKey, S] | None:
        """The writing key and the body as `schema`; None for a body or key the edge
        cannot vouch for (too large, unknown key, a schema error: Django words those)."""
        if len(body) > settings.DATA_UPLOAD_MAX_MEMORY_SIZE:
            return None
        key = await self._key(_header(scope, b"authorization"))
        if key is None:
            return None
        try:
            return key, schema.model_validate(loads_untrusted(body, refuse_nul=False))
        except (UntrustedJsonError, pydantic.ValidationError):
            return None

    async def _answer(self, scope: dict[str, Any], body: bytes) -> Answer | None:
        parsed = await self._parsed(scope, body, ResponseIn)
        if parsed is None or not _plain(parsed[1]):
            return None
        key, payload = parsed
        org_id = key.organization_id
        rules = await self._fresh(
            self._surveys, ("survey", org_id, payload.survey_id), org_id, payload.survey_id
        )
        if rules is None:
            return None
        return await self._accept(org_id, rules, payload)

    async def _interaction(self, scope: dict[str, Any], body: bytes) -> Answer | None:
        """A single interaction, stored with the others of its group before the answer."""
        parsed = await self._parsed(scope, body, InteractionIn)
        if parsed is None:
            return None
        key, payload = parsed
        stored: Stored = await self.interactions.submit(Posted(key.organization, payload))
        if stored is None:
            return None
        status, out = stored
        return status, _json(out)

    async def _accept(self, org_id: int, rules: SurveyRules, payload: ResponseIn) -> Answer | None:
        questions = rules.questions
        answers = [checks.AnswerIn(a.question_id, a.number, a.text, list(a.choices))
                   for a in payload.answers]  # fmt: skip
        data = checks.ResponseIn(survey=rules.survey, idempotency_key=payload.idempotency_key,
                                 answers=answers, channel="api")  # fmt: skip
        try:
            # What the Django path checks before it looks for a stored response.
            checks.check_envelope(data)
            checks.check_answers(questions, answers)
        except ValidationFailed as e:
            return 422, _json({"detail": field_errors(e.errors)})
        try:
            hidden = checks.check_shown(questions, checks.given_answers(answers), answers)
            checks.check_required(questions, {a.question_id for a in answers if not a.is_empty},
                                  hidden)  # fmt: skip
        except ValidationFailed:
            # The Django path answers a retry of a stored key 200 whatever it sends now,
            # and only it knows whether the key is stored: it decides.
            return None
        stored = sorted((a for a in answers if not a.is_empty),
                        key=lambda a: questions[a.question_id].position)  # fmt: skip
        accepted = Accepted(org_id, payload.idempotency_key, {
            "survey_id": rules.survey.pk,
            "responded_at": (payload.responded_at or clock.now()).isoformat(),
            "answers": [[a.question_id, a.number, a.text, a.choices] for a in stored],
        })  # fmt: skip
        appended = await self.writer.submit(accepted)
        if appended is None or appended.elsewhere or appended.payload is None:
            return None
        if appended.payload["survey_id"] != rules.survey.pk:
            errors = {"idempotency_key": "already used for another survey"}
            return 422, _json({"detail": field_errors(errors)})
        out = submitted(appended.target_id, appended.payload, created=appended.created)
        return (201 if appended.created else 200), _json(out)

    async def _key(self, header: str) -> ApiKey | None:
        scheme, _, token = header.partition(" ")
        secret = token.strip()
        if scheme.lower() != "bearer" or not secret:
            return None
        key = await self._fresh(self._keys, ("key", key_of(secret)), secret)
        return key if usable(key) else None

    async def _fresh(self, cache: Fresh[T], name: object, *args: object) -> T | None:
        """The cached entry, read again first when older than a second (one read at a
        time per entry, however many requests wait for it)."""
        fresh, value = cache.cached(name)
        if fresh:
            return value
        pending = self._loading.get(name)
        if pending is None:
            pending = asyncio.ensure_future(self._in_thread(cache.load, name, *args))
            self._loading[name] = pending
            pending.add_done_callback(lambda _: self._loading.pop(name, None))
        result: T = await asyncio.shield(pending)
        return result

    async def _in_thread(self, fn: Callable[..., T], *args: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(
            self._db, _with_connection, fn, *args
        )

    async def _in_store_thread(self, fn: Callable[..., T], *args: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(
            self._stores, _with_connection, fn, *args
        )


def _plain(payload: ResponseIn) -> bool:
    """Complete, and naming nothing the edge would have to look up or write (a contact,
    an interaction, a touchpoint): the posts the edge takes."""
    return (
        payload.complete
        and payload.contact is None
        and (payload.interaction_id is None and payload.touchpoint_id is None)
    )


def submitted(target_id: int, payload: dict[str, Any], *, created: bool) -> dict[str, Any]:
    """The body of `POST /responses` (SubmittedResponseOut) for a logged response."""
    return {
        "id": target_id,
        "survey_id": payload["survey_id"],
        "created": created,
        "completed": True,
        "answers": [
            {"question_id": q, "number": n, "text": t, "choices": c}
            for q, n, t, c in payload["answers"]
        ],
    }


def _with_connection(fn: Callable[..., T], *args: Any) -> T:
    # What a request does for its thread: drop a connection that broke or grew old.
    close_old_connections()
    try:
        return fn(*args)
    finally:
        close_old_connections()


def _json(data: object) -> bytes:
    return json.dumps(data).encode()


def _header(scope: dict[str, Any], name: bytes) -> str:
    for key, value in scope["headers"]:
        if key == name:
            return bytes(value).decode("latin-1")
    return ""


async def _read_body(receive: Any) -> bytes | None:
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)


def _replay(body: bytes, receive: Any) -> Callable[[], Awaitable[dict[str, Any]]]:
    """A `receive` that hands Django the body already read, then the client's messages."""
    sent = False

    async def again() -> dict[str, Any]:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        result: dict[str, Any] = await receive()
        return result

    return again


def _close_connection(everyone: threading.Barrier | None = None) -> None:
    if everyone is not None:
        everyone.wait(timeout=30)
    connection.close()  # the calling thread's connection: the edge's own
