"""The ingest edge over a real uvicorn server on loopback, beside Django's own path.

Jobs run inline in tests (BEACON_JOBS_IMMEDIATE), so the applier runs right after each
group commit, on the edge's thread: a 201 here means logged and applied.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from django.db import OperationalError

from beacon.api.tests.conftest import Api, response_body
from beacon.core import clock
from beacon.core.asgi import BeaconASGIHandler
from beacon.core.management.commands.worker import child_commands
from beacon.core.server import H11Protocol
from beacon.ingest.applier import apply_pending, prune_failed
from beacon.ingest.edge import IngestEdge
from beacon.ingest.log import Accepted, Appended, append
from beacon.ingest.models import IngestLog
from beacon.ingest.tasks import poll_ingest_log, run_applier
from beacon.loop.models import Case
from beacon.orgs.actions import do_create_api_key, do_revoke_api_key
from beacon.orgs.models import ApiKey
from beacon.responses.models import Answer, Response
from beacon.surveys.actions import QuestionIn, do_add_question, do_create_survey
from beacon.surveys.models import SurveyStatus
from beacon.testing import World, live_server

pytestmark = pytest.mark.django_db(transaction=True)

Reply = tuple[int, Any]


@pytest.fixture
def edge() -> Iterator[str]:
    app = IngestEdge(BeaconASGIHandler(threads=2))
    try:
        with live_server(app, http=H11Protocol) as (_, port):
            yield f"http://127.0.0.1:{port}/api/v1"
    finally:
        app.close()


def call(url: str, secret: str, body: Any = None, method: str = "POST") -> Reply:
    data = None if body is None else body if isinstance(body, bytes) else json.dumps(body).encode()
    request = urllib.request.Request(
        url,
        data=data,
        method=method,
        headers={"Content-Type": "application/json",
                 **({"Authorization": f"Bearer {secret}"} if secret else {})},
    )  # fmt: skip
    try:
        with urllib.request.urlopen(request, timeout=90) as r:
            return int(r.status), json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def test_a_response_is_logged_applied_and_keeps_the_id_it_was_answered_with(
    edge: str, world: World
) -> None:
    body = response_body(world, key="edge-1", answers=[
        {"question_id": world.comment.pk, "text": "Quick and friendly"},
        {"question_id": world.nps.pk, "number": 9},
        {"question_id": world.csat.pk, "number": 4},
    ], responded_at="2025-02-03T12:00:00Z")  # fmt: skip
    status, out = call(f"{edge}/responses", world.api_secret, body)
    assert status == 201, out
    # Applied, so the log keeps nothing: the comment's words are in the answer only,
    # where erasure and retention reach them.
    assert IngestLog.objects.count() == 0
    response = Response.objects.get()
    assert out == {
        "id": response.pk,
        "survey_id": world.survey.pk,
        "created": True,
        "completed": True,
        "answers": [  # in question order, as the Django path answers
            {"question_id": world.nps.pk, "number": 9, "text": "", "choices": []},
            {"question_id": world.csat.pk, "number": 4, "text": "", "choices": []},
            {"question_id": world.comment.pk, "number": None, "text": "Quick and friendly",
             "choices": []},
        ],
    }  # fmt: skip
    assert (response.channel, response.idempotency_key) == ("api", "edge-1")
    assert response.responded_at.isoformat() == "2025-02-03T12:00:00+00:00"
    assert response.completed_at is not None
    assert sorted(Answer.objects.values_list("response_id", "question_id", "number")) == sorted(
        [(response.pk, world.nps.pk, 9), (response.pk, world.csat.pk, 4),
         (response.pk, world.comment.pk, None)]
    )  # fmt: skip
    # The list (the Django path) shows it under the same id.
    assert [r["id"] for r in Api(world.api_secret).get("/responses").json()["items"]] == [out["id"]]


def test_a_retry_answers_200_with_the_same_body_and_stores_one_response(
    edge: str, world: World
) -> None:
    body = response_body(world, key="edge-retry")
    first = call(f"{edge}/responses", world.api_secret, body)
    again = call(f"{edge}/responses", world.api_secret, {**body, "answers": [
        {"question_id": world.nps.pk, "number": 2}]})  # fmt: skip
    assert (first[0], again[0]) == (201, 200)
    assert again[1] == {**first[1], "created": False}  # the first post's answers
    assert (IngestLog.objects.count(), Response.objects.count()) == (0, 1)
    # The Django path answers a retry of an applied post the same way.
    django = Api(world.api_secret).post("/responses", body)
    assert (django.status_code, django.json()) == (200, again[1])


BAD: dict[str, Callable[[World], Any]] = {
    "score out of range": lambda w: response_body(w, key="b1", nps=11),
    "unknown question": lambda w: response_body(
        w, key="b2", answers=[{"question_id": 987654, "number": 3}]
    ),
    "repeated question": lambda w: response_body(w, key="b3", answers=[
        {"question_id": w.nps.pk, "number": 3}, {"question_id": w.nps.pk, "number": 4}]),
    "choices on a score": lambda w: response_body(
        w, key="b4", answers=[{"question_id": w.nps.pk, "choices": ["x"]}]
    ),
    "unknown survey": lambda w: {**response_body(w, key="b5"), "survey_id": 987654},
    "wrong types": lambda w: {**response_body(w, key="b6", answers=[
        {"question_id": w.nps.pk, "number": "ten"}]), "complete": "maybe"},
    "required unanswered": lambda w: response_body(
        w, key="b7", answers=[{"question_id": w.csat.pk, "number": 2}]
    ),
    "blank key": lambda w: response_body(w, key="   "),
    "unknown field": lambda w: {**response_body(w, key="b8"), "colour": "blue"},
    "not json": lambda w: b"{not json",
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_posts_get_the_django_paths_answer_and_store_nothing(
    edge: str, world: World, case: str
) -> None:
    body = BAD[case](world)
    django = Api(world.api_secret).post("/responses", body)
    assert 400 <= django.status_code < 500
    assert call(f"{edge}/responses", world.api_secret, body) == (
        django.status_code, django.json())  # fmt: skip
    assert (IngestLog.objects.count(), Response.objects.count()) == (0, 0)


def test_a_key_used_for_another_survey_is_422_as_on_the_django_path(
    edge: str, world: World
) -> None:
    second = do_create_survey(world.org, "Second", "Again?", status=SurveyStatus.ACTIVE)
    question = do_add_question(second, QuestionIn("nps", "Recommend us?"))
    body = response_body(world, key="shared")
    assert call(f"{edge}/responses", world.api_secret, body)[0] == 201
    other = {"survey_id": second.pk, "idempotency_key": "shared",
             "answers": [{"question_id": question.pk, "number": 9}]}  # fmt: skip
    expected = (422, {"detail": [{"field": "idempotency_key",
                                  "message": "already used for another survey"}]})  # fmt: skip
    assert call(f"{edge}/responses", world.api_secret, other) == expected
    django = Api(world.api_secret).post("/responses", other)
    assert (django.status_code, django.json()) == expected


def test_no_key_a_wrong_key_and_a_read_only_key_are_refused_as_by_django(
    edge: str, world: World
) -> None:
    body = response_body(world, key="auth")
    read_only = do_create_api_key(world.org, "reader", scopes=["read"]).secret
    for secret, status in (("", 401), ("bk_wrong", 401), ("not-a-key", 401), (read_only, 403)):
        django = Api(secret or None).post("/responses", body)
        assert django.status_code == status
        assert call(f"{edge}/responses", secret, body) == (status, django.json())
    assert Response.objects.count() == 0


def test_a_revoked_key_stops_working_within_a_second(edge: str, world: World) -> None:
    assert call(f"{edge}/responses", world.api_secret, response_body(world, key="k0"))[0] == 201
    do_revoke_api_key(ApiKey.objects.get(organization=world.org))
    revoked = time.monotonic()
    refused_after = None
    for i in range(1, 60):
        status, out = call(f"{edge}/responses", world.api_secret, response_body(world, key=f"k{i}"))
        if status == 401:
            assert out == {"detail": "unknown or revoked API key"}
            refused_after = time.monotonic() - revoked
            break
        time.sleep(0.05)
    assert refused_after is not None and refused_after < 1.5
    # Posts accepted before the cache noticed (at most a second's worth) are kept.
    assert (Response.objects.count(), IngestLog.objects.count()) == (i, 0)


def test_other_paths_and_partial_responses_go_to_django(edge: str, world: World) -> None:
    status, out = call(f"{edge}/surveys", world.api_secret, method="GET")
    assert status == 200 and [s["id"] for s in out["items"]] == [world.survey.pk]
    partial = response_body(world, key="partial", complete=False)
    assert call(f"{edge}/responses", world.api_secret, partial)[0] == 201
    assert IngestLog.objects.count() == 0
    # Its completion carries a key the Django path stored: the edge leaves it to Django.
    status, out = call(f"{edge}/responses", world.api_secret, response_body(world, key="partial"))
    assert (status, out["created"], out["completed"]) == (200, False, True)
    assert IngestLog.objects.count() == 0
    assert Response.objects.get().completed_at is not None


def test_a_detractor_posted_at_the_edge_opens_a_case(edge: str, world: World) -> None:
    status, out = call(f"{edge}/responses", world.api_secret, response_body(world, nps=2))
    assert status == 201
    case = Case.objects.get()
    assert case.response_id == out["id"]
    assert Response.objects.get().processed_at is not None


def test_many_concurrent_posts_store_each_key_once(edge: str, world: World, settings: Any) -> None:
    # Applied after the posts: each retry is the log's to answer, in the same groups as
    # first posts. (Applied at once, retries would go to the Django path, whose writes
    # SQLite's shared-cache test database refuses at once instead of waiting.)
    settings.HUEY = {**settings.HUEY, "immediate": False}
    keys = [f"c-{i}" for i in range(60)]
    posts = [k for k in keys for _ in range(2)]

    def post(key: str) -> Reply:
        return call(f"{edge}/responses", world.api_secret, response_body(world, key=key, nps=9))

    with ThreadPoolExecutor(max_workers=16) as pool:
        replies = list(pool.map(post, posts))
    assert apply_pending() == len(keys)
    by_key: dict[str, list[Reply]] = {}
    for key, reply in zip(posts, replies, strict=True):
        by_key.setdefault(key, []).append(reply)
    for key, (a, b) in by_key.items():
        assert sorted([a[0], b[0]]) == [200, 201], key
        assert a[1]["id"] == b[1]["id"]
    assert (IngestLog.objects.count(), Response.objects.count()) == (0, len(keys))
    ids = {r[1]["id"] for r in replies}
    assert set(Response.objects.values_list("pk", flat=True)) == ids


def _accepted(world: World, key: str, score: int, text: str = "") -> Accepted:
    answers = [[world.nps.pk, score, "", []]]
    if text:
        answers.append([world.comment.pk, None, text, []])
    return Accepted(world.org.pk, key, {
        "survey_id": world.survey.pk, "responded_at": "2025-01-01T00:00:00+00:00",
        "answers": answers})  # fmt: skip


def test_a_retry_while_the_first_post_waits_is_answered_from_the_log(
    world: World, settings: Any
) -> None:
    settings.HUEY = {**settings.HUEY, "immediate": False}  # a worker applies, later
    first = append([_accepted(world, "waiting", 9, "Kind staff")])[0]
    again = append([_accepted(world, "waiting", 3)])[0]
    assert (first.created, again.created, again.elsewhere) == (True, False, False)
    assert (again.target_id, again.payload) == (first.target_id, first.payload)
    assert apply_pending() == 1
    # Applied: the row is gone and the key is the response table's, which only the
    # Django path answers from.
    assert append([_accepted(world, "waiting", 3)]) == [Appended(created=False, elsewhere=True)]
    assert Response.objects.get().pk == first.target_id
    assert IngestLog.objects.count() == 0


def test_a_row_that_cannot_be_applied_keeps_its_error_without_its_words(world: World) -> None:
    # As if the survey's scale changed between accepting and applying.
    appended = append([_accepted(world, "ok-1", 9), _accepted(world, "bad", 42, "Call me, Ann"),
                       _accepted(world, "ok-2", 10)])  # fmt: skip
    assert [a.created for a in appended] == [True, True, True]
    bad = IngestLog.objects.get()
    assert (bad.idempotency_key, bad.error) == (
        "bad",
        "answers[0].number: must be between 0 and 10",
    )
    assert bad.applied_at is not None
    assert bad.payload["answers"] == [[world.nps.pk, 42, "", []], [world.comment.pk, None, "", []]]
    assert sorted(Response.objects.values_list("pk", flat=True)) == sorted(
        [appended[0].target_id, appended[2].target_id]
    )
    assert apply_pending() == 0  # nothing retried
    # A retry of the failed key is the Django path's to answer (it was never stored).
    assert append([_accepted(world, "bad", 9)]) == [Appended(created=False, elsewhere=True)]


def test_rows_that_failed_to_apply_are_pruned_after_a_month(world: World, settings: Any) -> None:
    append([_accepted(world, "old", 42), _accepted(world, "recent", 42)])
    settings.HUEY = {**settings.HUEY, "immediate": False}
    append([_accepted(world, "waiting", 9)])
    now = clock.now()
    IngestLog.objects.filter(idempotency_key="old").update(applied_at=now - dt.timedelta(days=31))
    assert prune_failed(now) == 1
    assert sorted(IngestLog.objects.values_list("idempotency_key", flat=True)) == [
        "recent", "waiting"]  # fmt: skip


def test_the_applier_loop_applies_what_is_logged_until_stopped(world: World, settings: Any) -> None:
    settings.HUEY = {**settings.HUEY, "immediate": False}  # nothing applies inline
    target = append([_accepted(world, "looped", 8)])[0].target_id
    stop = threading.Event()
    applier = threading.Thread(target=run_applier, args=(stop, 0.05))
    applier.start()
    try:
        deadline = time.monotonic() + 30
        while not _exists(target):
            assert time.monotonic() < deadline, "the applier applied nothing"
            time.sleep(0.05)
    finally:
        stop.set()
        applier.join(timeout=30)
    assert not applier.is_alive()
    assert Answer.objects.get(response_id=target).number == 8
    assert IngestLog.objects.count() == 0


def _exists(response_id: int) -> bool:
    try:
        return Response.objects.filter(pk=response_id).exists()
    except OperationalError:
        # SQLite's shared-cache test database refuses a read while another connection
        # writes, where a database file waits: read again.
        return False


def test_the_minute_poll_applies_only_while_the_edge_is_on(world: World, settings: Any) -> None:
    settings.HUEY = {**settings.HUEY, "immediate": False}
    append([_accepted(world, "polled", 7)])
    settings.INGEST_EDGE = False
    assert poll_ingest_log.call_local() == 0
    settings.INGEST_EDGE = True
    assert poll_ingest_log.call_local() == 1
    assert Response.objects.get().idempotency_key == "polled"


def test_the_worker_starts_the_applier_beside_its_queues_only_with_the_edge_on(
    settings: Any,
) -> None:
    applier = [sys.executable, "-m", "beacon", "ingest_applier", "--stop-with-parent",
               "--parent-pid", str(os.getpid())]  # fmt: skip
    settings.INGEST_EDGE = True
    on = child_commands(["critical", "bulk"], 2, quiet=True)
    assert on == [
        [sys.executable, "-m", "beacon", "worker", "--workers", "2", "--quiet",
         "--parent-pid", str(os.getpid()), "--queues", q]
        for q in ("critical", "bulk")
    ] + [applier]  # fmt: skip
    settings.INGEST_EDGE = False
    assert child_commands(["critical", "bulk"], 2, quiet=True) == on[:2]


FRAMING = ("x-content-type-options", "referrer-policy", "cross-origin-opener-policy",
           "x-frame-options", "content-security-policy", "strict-transport-security")  # fmt: skip


def post_raw(base: str, secret: str, body: Any, **headers: str) -> tuple[int, dict[str, str]]:
    """A post without following redirects: the status and the headers Beacon framed it
    with (those Django's middleware sets)."""
    import http.client
    from urllib.parse import urlsplit

    url = urlsplit(f"{base}/responses")
    conn = http.client.HTTPConnection("127.0.0.1", url.port, timeout=60)
    try:
        conn.request("POST", url.path, json.dumps(body), {
            "Content-Type": "application/json", "Authorization": f"Bearer {secret}",
            **headers})  # fmt: skip
        answer = conn.getresponse()
        body = answer.read()
        if body:  # keep-alive clients read an answer's length, not chunks
            assert answer.getheader("Content-Length") == str(len(body))
        return answer.status, {k.lower(): v for k, v in answer.getheaders()
                               if k.lower() in FRAMING or k.lower() == "location"}  # fmt: skip
    finally:
        conn.close()


def test_the_edges_answer_carries_the_headers_djangos_does(edge: str, world: World) -> None:
    at_edge = post_raw(edge, world.api_secret, response_body(world, key="edge"))
    by_django = post_raw(edge, world.api_secret, response_body(world, key="dj", complete=False))
    assert (IngestLog.objects.count(), Response.objects.count()) == (0, 2)  # one each way
    assert at_edge == by_django
    status, headers = at_edge
    assert status == 201
    assert (headers["x-content-type-options"], headers["x-frame-options"]) == ("nosniff", "DENY")
    assert headers["referrer-policy"] == "same-origin" and headers["content-security-policy"]


def test_where_https_is_required_a_plain_http_post_is_redirected_and_not_stored(
    world: World, settings: Any
) -> None:
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.SECURE_HSTS_SECONDS = 3600
    app = IngestEdge(BeaconASGIHandler(threads=2))
    try:
        with live_server(app, http=H11Protocol) as (_, port):
            base = f"http://127.0.0.1:{port}/api/v1"
            status, headers = post_raw(base, world.api_secret, response_body(world, key="plain"))
            assert (status, headers["location"]) == (
                301, f"https://127.0.0.1:{port}/api/v1/responses")  # fmt: skip
            assert Response.objects.count() == 0
            # Through the TLS proxy: stored, with HSTS as Django's answers carry it.
            https = {"X-Forwarded-Proto": "https"}
            at_edge = post_raw(base, world.api_secret, response_body(world, key="tls"), **https)
            partial = response_body(world, key="tls-dj", complete=False)
            by_django = post_raw(base, world.api_secret, partial, **https)
    finally:
        app.close()
    assert at_edge == by_django
    assert at_edge[0] == 201
    assert at_edge[1]["strict-transport-security"].startswith("max-age=3600")
    assert sorted(Response.objects.values_list("idempotency_key", flat=True)) == ["tls", "tls-dj"]
