"""`make bench-faults`: responses posted through crashes, and what came out the other end.

Beacon runs as a user runs it: `beacon run --no-worker` (the web server `beacon run`
serves) and `beacon worker` (the job worker `beacon run` starts beside it), each in its own
process group, against a fresh database, with EMAIL_URL pointing at an SMTP server on
loopback (aiosmtpd in this process) that stands in for the case owners' mail server.

Eight clients post N responses (30 % detractors, every one with a comment) to
`POST /api/v1/responses`, each with its idempotency key; a connection error, a timeout or a
5xx is retried with the same key until it is acknowledged (2xx). Meanwhile, at fixed
fractions of the responses acknowledged:

- the web server is killed (SIGKILL to its process group) three times,
- the worker (its supervisor and both queue consumers) twice,
- the SMTP server is stopped for three minutes,

each killed process restarted after a pause, as a supervisor would. Those fractions are of
the faulted middle of the load: a quiet head (the first 15 % of the responses, before any
fault) and a quiet tail (the last 15 %, posted only once every fault is over: the SMTP
server back, the last killed process serving again) give journeys outside the fault
windows even when the faults would otherwise cover the whole load. Then it waits for the
pipeline to drain and counts: acknowledged / stored / duplicates / lost; detractors / cases /
duplicate cases; emails expected / delivered / duplicated (by Message-ID at the SMTP
server); rollups against a rebuild; and the time from a detractor's answer (its first
attempt) to the owner's email arriving, for journeys that overlapped a fault window and for
those that did not.

    python -m benchmarks.faults                      # quick: 2,000 responses, durations x 0.25
    python -m benchmarks.faults --responses 10000 --scale 1   # the full run (FULL=1)

`--scale` multiplies every duration the benchmark chooses (the SMTP outage, the pauses
before restarts); Beacon's own timings (job leases, sweeper period, retry backoff) stay at
their defaults. PostgreSQL runs with Redis as the job queue (REDIS_URL), as deployments on
PostgreSQL do; SQLite with the embedded queue. Results go to benchmarks/results/.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
sys.path.insert(0, str(ROOT))

COMMENTS = [
    "Waited forty minutes on hold and nobody called back",
    "The agent was friendly and fixed my router in minutes",
    "Billing charged me twice this month, still not refunded",
    "Internet keeps dropping every evening since the upgrade",
    "Great service, the technician arrived on time",
    "The app logged me out three times while paying",
    "Prices went up again without any notice",
    "Quick answer in the chat, thank you",
]

# (fraction of responses acknowledged, what happens): the fault plan of issue 14.
PLAN = [
    (0.10, "smtp"),
    (0.20, "web"),
    (0.35, "worker"),
    (0.50, "web"),
    (0.65, "worker"),
    (0.80, "web"),
]
SMTP_DOWN_S = 180.0
RESTART_PAUSE_S = 10.0
TARGET_P95_S = 2.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# ------------------------------------------------------------------ the SMTP server


class Sink:
    """An SMTP server on loopback that records each message's arrival and Message-ID."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.arrivals: list[tuple[float, str, str]] = []  # (time, Message-ID, outbox pk)
        self._controller: Any = None

    def start(self) -> None:
        import logging

        from aiosmtpd.controller import Controller
        from aiosmtpd.handlers import Message

        logging.getLogger("mail.log").setLevel(logging.WARNING)

        arrivals = self.arrivals

        class Record(Message):
            def handle_message(self, message: Any) -> None:
                arrivals.append(
                    (
                        time.time(),
                        str(message["Message-ID"] or ""),
                        str(message["X-Beacon-Message"] or ""),
                    )
                )

        self._controller = Controller(Record(), hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None


# ------------------------------------------------------------------ Beacon's processes


class Process:
    """One of Beacon's commands in its own process group, so a kill takes its children."""

    def __init__(self, name: str, command: list[str], env: dict[str, str], log: Path) -> None:
        self.name, self.command, self.env, self.log = name, command, env, log
        self.popen: subprocess.Popen[bytes] | None = None
        self.cpu_by_pid: dict[int, float] = {}

    def start(self) -> None:
        with self.log.open("ab") as out:
            self.popen = subprocess.Popen(
                self.command, env=self.env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip

    def signal(self, sig: int) -> None:
        assert self.popen is not None
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.popen.pid, sig)

    def kill(self) -> None:
        self.sample_cpu()
        self.signal(signal.SIGKILL)
        assert self.popen is not None
        self.popen.wait()

    def stop(self) -> None:
        self.sample_cpu()
        self.signal(signal.SIGTERM)
        assert self.popen is not None
        try:
            self.popen.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.kill()
        time.sleep(0.5)
        self.signal(signal.SIGKILL)  # a consumer child still finishing its job

    def sample_cpu(self) -> None:
        """User + system CPU seconds of every live process of the group, kept per pid (a
        killed process's last sample stays counted)."""
        if self.popen is None:
            return
        tick = os.sysconf("SC_CLK_TCK")
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[3]) == self.popen.pid:  # the process group
                self.cpu_by_pid[int(stat.parent.name)] = (int(fields[11]) + int(fields[12])) / tick

    @property
    def cpu_s(self) -> float:
        return round(sum(self.cpu_by_pid.values()), 1)

    def log_count(self, text: str) -> int:
        try:
            return self.log.read_text(errors="replace").count(text)
        except OSError:
            return 0


# ------------------------------------------------------------------ clients


@dataclass
class Sent:
    index: int
    detractor: bool
    first_attempt: float
    acked_at: float = 0.0
    status: int = 0
    attempts: int = 0
    retried_for: Counter[str] = field(default_factory=Counter)


class Load:
    """Eight clients posting the responses, retrying each with its key until acknowledged.
    Responses from index `hold_from` on wait until `released` is set (the quiet tail)."""

    def __init__(self, base: str, secret: str, bodies: list[bytes], detractors: list[bool],
                 clients: int, give_up_s: float, hold_from: int) -> None:  # fmt: skip
        self.base, self.secret, self.bodies, self.detractors = base, secret, bodies, detractors
        self.clients, self.give_up_s = clients, give_up_s
        self.hold_from = hold_from
        self.released = threading.Event()
        self.sent: list[Sent] = []
        self.acked = 0
        self._next = 0
        self._lock = threading.Lock()
        self.threads: list[threading.Thread] = []

    def start(self) -> None:
        for _ in range(self.clients):
            t = threading.Thread(target=self._client, daemon=True)
            t.start()
            self.threads.append(t)

    def join(self) -> None:
        for t in self.threads:
            t.join()

    def _take(self) -> int | None:
        with self._lock:
            if self._next >= len(self.bodies):
                return None
            self._next += 1
            return self._next - 1

    def _client(self) -> None:
        import requests

        session = requests.Session()
        headers = {"Authorization": f"Bearer {self.secret}", "Content-Type": "application/json"}
        url = f"{self.base}/api/v1/responses"
        while (i := self._take()) is not None:
            if i >= self.hold_from:
                self.released.wait()
            sent = Sent(i, self.detractors[i], time.time())
            while time.time() - sent.first_attempt < self.give_up_s:
                sent.attempts += 1
                try:
                    answer = session.post(url, data=self.bodies[i], headers=headers, timeout=30)
                except requests.RequestException as exc:
                    sent.retried_for[type(exc).__name__] += 1
                    session = requests.Session()
                    time.sleep(0.2)
                    continue
                if answer.status_code >= 500:
                    sent.retried_for[str(answer.status_code)] += 1
                    time.sleep(0.2)
                    continue
                sent.status, sent.acked_at = answer.status_code, time.time()
                break
            with self._lock:
                self.sent.append(sent)
                if 200 <= sent.status < 300:
                    self.acked += 1


def bodies_for(n: int, survey: int, touchpoint: int, nps: int, comment: int,
               seed: int) -> tuple[list[bytes], list[bool]]:  # fmt: skip
    rng = random.Random(seed)
    bodies, detractors = [], []
    for i in range(n):
        detractor = rng.random() < 0.3
        score = rng.randint(0, 6) if detractor else rng.randint(7, 10)
        body = {
            "survey_id": survey,
            "idempotency_key": f"fault-{i}",
            "touchpoint_id": touchpoint,
            "answers": [
                {"question_id": nps, "number": score},
                {"question_id": comment, "text": rng.choice(COMMENTS)},
            ],
        }
        bodies.append(json.dumps(body).encode())
        detractors.append(detractor)
    return bodies, detractors


# ------------------------------------------------------------------ one database


def wait_for_web(base: str, timeout: float = 120) -> None:
    import requests

    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            requests.get(f"{base}/api/v1/ready", timeout=2)
            return
        except requests.RequestException:
            time.sleep(0.1)
    raise RuntimeError(f"the web server did not answer at {base} within {timeout:.0f} s")


def wait_for_worker(worker: Process, before: int, timeout: float = 120) -> None:
    """Until the (re)started worker's critical consumer says it serves."""
    deadline = time.time() + timeout
    while worker.log_count("serving the critical queue") <= before:
        if time.time() > deadline:
            raise RuntimeError(f"the worker did not start within {timeout:.0f} s")
        time.sleep(0.1)


def percentiles(values: list[float]) -> dict[str, Any]:
    if not values:
        return {"n": 0}
    ordered = sorted(values)

    def at(q: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 3)

    return {"n": len(values), "p50_s": at(0.50), "p95_s": at(0.95), "max_s": round(ordered[-1], 3)}


def rollups_vs_rebuild(org_id: int) -> dict[str, Any]:
    """Every rollup table, live, against a rebuild from the stored answers and responses
    (rolled back after): the totals, and cells per table."""
    from django.db import transaction

    from beacon.responses.models import (
        ChannelRollup,
        ResponseCountRollup,
        ScoreRollup,
        SliceRollup,
        WeeklySliceRollup,
    )
    from beacon.responses.rollups import rebuild

    models = (ScoreRollup, SliceRollup, WeeklySliceRollup, ResponseCountRollup, ChannelRollup)
    counts = {"count", "responses", "completed", "invited"}

    def cells() -> dict[tuple[Any, ...], tuple[int, ...]]:
        out: dict[tuple[Any, ...], tuple[int, ...]] = {}
        for model in models:
            names = [f.attname for f in model._meta.concrete_fields if f.attname != "id"]
            keys = [n for n in names if n not in counts]
            values = [n for n in names if n in counts]
            for row in model.objects.filter(organization_id=org_id).values(*names):
                number = tuple(int(row[v]) for v in values)
                if any(number):
                    out[(model.__name__, *(row[k] for k in keys))] = number
        return out

    with transaction.atomic():
        live = cells()
        rebuild(org_id)
        rebuilt = cells()
        transaction.set_rollback(True)
    differing = [k for k in live.keys() | rebuilt.keys() if live.get(k) != rebuilt.get(k)]
    per_table = {
        model.__name__: {
            "live": sum(1 for k in live if k[0] == model.__name__),
            "rebuilt": sum(1 for k in rebuilt if k[0] == model.__name__),
            "differing": sum(1 for k in differing if k[0] == model.__name__),
        }
        for model in models
    }
    return {"cells_live": len(live), "cells_rebuilt": len(rebuilt),
            "cells_differing": len(differing), "per_table": per_table}  # fmt: skip


def overlaps(start: float, end: float, windows: list[dict[str, Any]]) -> bool:
    return any(start <= w["end"] and w["start"] <= end for w in windows)


def run_one(args: argparse.Namespace) -> dict[str, Any]:
    data_dir = Path(tempfile.mkdtemp(prefix=f"beacon-faults-{args.database}-"))
    smtp_port, web_port = free_port(), free_port()
    env = {
        **os.environ,
        "BEACON_DATA_DIR": str(data_dir),
        "DJANGO_SETTINGS_MODULE": "beacon.settings.base",
        "EMAIL_URL": f"smtp://127.0.0.1:{smtp_port}",
        "BEACON_BASE_URL": f"http://127.0.0.1:{web_port}",
        "BEACON_JOBS_IMMEDIATE": "0",
    }
    for name in ("DATABASE_URL", "REDIS_URL"):
        env.pop(name, None)
    if args.database == "postgres":
        env["DATABASE_URL"] = fresh_postgres(args.postgres_url, args.pg_database)
        env["REDIS_URL"] = args.redis_url
        import redis

        redis.Redis.from_url(args.redis_url).flushdb()
    os.environ.clear()
    os.environ.update(env)

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connections

    from beacon.testing import build_world

    call_command("migrate", verbosity=0)
    world = build_world("Fault Bench")
    org_id, owner_email = world.org.pk, world.stage_owner.email
    bodies, detractors = bodies_for(
        args.responses, world.survey.pk, world.touchpoint.pk, world.nps.pk, world.comment.pk, 14
    )
    connections.close_all()

    python = sys.executable
    web = Process("web", [python, "-m", "beacon", "run", "--no-worker", "--no-access-log",
                          "--port", str(web_port)], env, data_dir / "web.log")  # fmt: skip
    worker = Process("worker", [python, "-m", "beacon", "worker", "--quiet"], env,
                     data_dir / "worker.log")  # fmt: skip
    sink = Sink(smtp_port)
    base = f"http://127.0.0.1:{web_port}"
    loads: list[tuple[float, float, float]] = []
    windows: list[dict[str, Any]] = []
    sink.start()
    web.start()
    worker.start()
    wait_for_web(base)
    wait_for_worker(worker, 0)
    cpu_bench0 = time.process_time()
    started = time.time()
    head = int(args.responses * args.quiet_head)
    tail_from = args.responses - int(args.responses * args.quiet_tail)
    load = Load(base, world.api_secret, bodies, detractors, args.clients, args.give_up_s, tail_from)
    load.start()

    def smtp_outage(window: dict[str, Any]) -> None:
        time.sleep(SMTP_DOWN_S * args.scale)
        sink.start()
        window["end"] = time.time()

    outage: threading.Thread | None = None
    for fraction, what in PLAN:
        at = head + fraction * (tail_from - head)
        while load.acked < at and any(t.is_alive() for t in load.threads):
            web.sample_cpu()
            worker.sample_cpu()
            time.sleep(0.05)
        window: dict[str, Any] = {"kind": what, "at_acked": load.acked, "start": time.time()}
        loads.append(os.getloadavg())
        if what == "smtp":
            sink.stop()
            window["end"] = float("inf")
            outage = threading.Thread(target=smtp_outage, args=(window,))
            outage.start()
        elif what == "web":
            web.kill()
            time.sleep(RESTART_PAUSE_S * args.scale)
            web.start()
            wait_for_web(base)
            window["end"] = time.time()
        else:
            before = worker.log_count("serving the critical queue")
            worker.kill()
            time.sleep(RESTART_PAUSE_S * args.scale)
            worker.start()
            wait_for_worker(worker, before)
            window["end"] = time.time()
        windows.append(window)
        print(f"  {what} down at {load.acked:,} acknowledged", flush=True)
    if outage is not None:
        outage.join()
    tail_started = time.time()
    load.released.set()
    print(f"  faults over at {load.acked:,} acknowledged; the quiet tail posts", flush=True)
    while any(t.is_alive() for t in load.threads):
        web.sample_cpu()
        worker.sample_cpu()
        time.sleep(0.2)
    load.join()
    load_s = time.time() - started
    loads.append(os.getloadavg())
    print(f"  load done in {load_s:.0f} s; draining", flush=True)

    drained_s, pending = drain(org_id, sink, args.drain_timeout_s, web, worker)
    loads.append(os.getloadavg())
    result = count(org_id, owner_email, load, sink, windows, head)
    analysis_left = analysis_pending(org_id, args.analysis_wait_s, worker)
    result.update(
        database=args.database,
        responses=args.responses,
        clients=args.clients,
        scale=args.scale,
        quiet_head_responses=head,
        quiet_tail_responses=args.responses - tail_from,
        quiet_tail_from_start_s=round(tail_started - started, 1),
        load_seconds=round(load_s, 1),
        drain_seconds=round(drained_s, 1),
        drain_incomplete=pending,
        analysis_unfinished=analysis_left,
        windows=[
            {
                "kind": w["kind"],
                "at_acked": w["at_acked"],
                "seconds": round(w["end"] - w["start"], 1),
                "from_start_s": round(w["start"] - started, 1),
            }
            for w in windows
        ],
        load_average={
            "at_faults_and_end": [[round(x, 2) for x in la] for la in loads],
            "max_1min": round(max(la[0] for la in loads), 2),
        },
        cpu_seconds={
            "web": web.cpu_s,
            "worker": worker.cpu_s,
            "clients_and_smtp": round(time.process_time() - cpu_bench0, 1),
        },
    )
    result["rollups"] = rollups_vs_rebuild(org_id)
    result["targets"]["rollups equal a rebuild"] = result["rollups"]["cells_differing"] == 0
    connections.close_all()
    web.stop()
    worker.stop()
    sink.stop()
    if args.keep_logs:
        result["data_dir"] = str(data_dir)
    else:
        shutil.rmtree(data_dir, ignore_errors=True)
    return result


def fresh_postgres(base_url: str, name: str) -> str:
    import psycopg

    with psycopg.connect(base_url, autocommit=True, connect_timeout=5) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {name}")
    return urlunsplit(urlsplit(base_url)._replace(path=f"/{name}"))


def drain(org_id: int, sink: Sink, timeout: float, *procs: Process) -> tuple[float, dict[str, int]]:
    """Until every stored response went through the case stage and every case email
    arrived at the SMTP server (or the timeout): (seconds, what was still pending)."""
    from django.db import connection

    from beacon.loop.models import Case
    from beacon.notifications.models import OutboxMessage, OutboxState
    from beacon.responses.models import Response

    start = time.time()
    pending: dict[str, int] = {}
    while time.time() - start < timeout:
        uncased = Response.objects.filter(organization_id=org_id, cased_at__isnull=True).count()
        cases = Case.objects.filter(organization_id=org_id).count()
        mails = OutboxMessage.objects.filter(
            organization_id=org_id, idempotency_key__startswith="case-opened:"
        )
        unsent = mails.exclude(state=OutboxState.SENT).count()
        arrived = len({pk for _, _, pk in list(sink.arrivals)})
        pending = {"uncased_responses": uncased, "unsent_emails": unsent,
                   "cases_without_arrival": max(0, cases - arrived)}  # fmt: skip
        if not any(pending.values()):
            return time.time() - start, {}
        connection.close()
        for p in procs:
            p.sample_cpu()
        time.sleep(1)
    return time.time() - start, pending


def analysis_pending(org_id: int, wait_s: float, worker: Process) -> int:
    """Responses whose analysis stage (bulk queue) has not run, after waiting up to wait_s."""
    from beacon.responses.models import Response

    deadline = time.time() + wait_s
    while True:
        left = Response.objects.filter(organization_id=org_id, processed_at__isnull=True).count()
        if not left or time.time() > deadline:
            return left
        worker.sample_cpu()
        time.sleep(2)


def phase(index: int, head: int, tail_from: int) -> str:
    return "head" if index < head else "tail" if index >= tail_from else "between"


def count(org_id: int, owner_email: str, load: Load, sink: Sink,
          windows: list[dict[str, Any]], head: int) -> dict[str, Any]:  # fmt: skip
    from django.db.models import Count

    from beacon.loop.models import Case
    from beacon.notifications.models import OutboxMessage
    from beacon.responses.models import Response

    acked = {f"fault-{s.index}": s for s in load.sent if 200 <= s.status < 300}
    stored = Counter(
        Response.objects.filter(organization_id=org_id).values_list("idempotency_key", flat=True)
    )
    duplicates = sum(n - 1 for n in stored.values())
    lost = [k for k in acked if k not in stored]
    response_key = dict(
        Response.objects.filter(organization_id=org_id).values_list("pk", "idempotency_key")
    )
    stored_detractors = sum(1 for k in stored if load.detractors[int(k.split("-")[1])])
    case_rows = list(Case.objects.filter(organization_id=org_id).values_list("pk", "response_id"))
    per_response = Counter(r for _, r in case_rows)
    case_keys = {pk: response_key.get(r, "") for pk, r in case_rows}
    wrong_cases = sum(1 for k in case_keys.values() if not load.detractors[int(k.split("-")[1])])
    mails = OutboxMessage.objects.filter(
        organization_id=org_id, idempotency_key__startswith="case-opened:"
    )
    mail_case = dict(mails.values_list("pk", "cause_id"))
    per_case = mails.values("cause_id").annotate(n=Count("id")).filter(n__gt=1).count()
    possible_dupes = mails.filter(possible_duplicate=True).count()
    first_arrival: dict[str, float] = {}
    last_arrival: dict[str, float] = {}
    ids_of_row: dict[str, set[str]] = {}
    seen = Counter[str]()
    for at, message_id, pk in sink.arrivals:
        seen[message_id] += 1
        ids_of_row.setdefault(pk, set()).add(message_id)
        first_arrival.setdefault(pk, at)
        last_arrival[pk] = at
    case_mail_ids = {pk for pk in ids_of_row if pk.isdigit() and int(pk) in mail_case}
    inside: list[float] = []
    outside: list[float] = []
    # Where the time went, for journeys outside the fault windows: answer -> case opened
    # (the case stage's queue and run) and case opened -> email arrived (the send job's).
    opened = {pk: at.timestamp() for pk, at in Case.objects.filter(organization_id=org_id)
              .values_list("pk", "created_at")}  # fmt: skip
    to_case: list[float] = []
    to_mail: list[float] = []
    outside_by_phase: dict[str, list[float]] = {"head": [], "between": [], "tail": []}
    # Every journey, for finding where the time went: [answered (s from the load's start),
    # answer -> case opened, case opened -> email arrived, inside a fault window (1/0)].
    journeys: list[list[float]] = []
    t0 = min(s.first_attempt for s in load.sent)
    for pk in case_mail_ids:
        key = case_keys.get(mail_case[int(pk)], "")
        sent = acked.get(key)
        if sent is None:
            continue
        start, end = sent.first_attempt, first_arrival[pk]
        case_at = opened[mail_case[int(pk)]]
        journeys.append([round(start - t0, 2), round(case_at - start, 2),
                         round(end - case_at, 2), int(overlaps(start, end, windows))])  # fmt: skip
        if overlaps(start, end, windows):
            inside.append(end - start)
        else:
            outside.append(end - start)
            outside_by_phase[phase(sent.index, head, load.hold_from)].append(end - start)
            to_case.append(case_at - start)
            to_mail.append(end - case_at)
    # How long an email stood accepted by the server but not yet marked sent: a worker
    # killed inside this gap sends it again (same Message-ID).
    sent_at = {str(pk): at.timestamp() for pk, at in mails.values_list("pk", "sent_at") if at}
    gaps = [sent_at[pk] - last_arrival[pk] for pk in case_mail_ids if pk in sent_at]
    retried = Counter[str]()
    for s in load.sent:
        retried.update(s.retried_for)
    result: dict[str, Any] = {
        "acknowledged": len(acked),
        "unacknowledged": len(load.sent) - len(acked) + (len(load.bodies) - len(load.sent)),
        "stored": sum(stored.values()),
        "duplicate_rows": duplicates,
        "lost": len(lost),
        "retries": dict(retried),
        "acknowledged_as_replay_200": sum(1 for s in acked.values() if s.status == 200),
        "detractors_acknowledged": sum(1 for s in acked.values() if s.detractor),
        "detractors_stored": stored_detractors,
        "cases": len(case_rows),
        "duplicate_cases": sum(n - 1 for n in per_response.values()),
        "cases_for_non_detractors": wrong_cases,
        "emails_expected": len(case_rows),
        "email_rows": len(mail_case),
        "email_rows_per_case_over_1": per_case,
        "emails_delivered": len(case_mail_ids),
        "emails_to_someone_else": sum(
            1 for to in mails.values_list("recipient", flat=True) if to != owner_email
        ),
        "deliveries_total": sum(seen[m] for pk in case_mail_ids for m in ids_of_row[pk]),
        "duplicate_message_ids_delivered": sum(
            seen[m] - 1 for pk in case_mail_ids for m in ids_of_row[pk]
        ),
        "rows_delivered_under_two_message_ids": sum(
            1 for pk in case_mail_ids if len(ids_of_row[pk]) > 1
        ),
        "resent_after_crash_possible_duplicate": possible_dupes,
        "accepted_to_marked_sent": percentiles(gaps),
        "answer_to_email_outside_fault_windows": percentiles(outside),
        "answer_to_email_inside_fault_windows": percentiles(inside),
        "outside_by_phase": {k: percentiles(v) for k, v in outside_by_phase.items()},
        "journeys": sorted(journeys),
        "outside_answer_to_case_opened": percentiles(to_case),
        "outside_case_opened_to_email": percentiles(to_mail),
    }
    result["targets"] = {
        "0 lost": result["lost"] == 0,
        "0 duplicate rows": result["duplicate_rows"] == 0,
        "0 duplicate cases": result["duplicate_cases"] == 0,
        "0 duplicate Message-IDs delivered": result["duplicate_message_ids_delivered"] == 0,
        "p95 <= 2 s outside the fault windows": bool(outside)
        and percentiles(outside)["p95_s"] <= TARGET_P95_S,
    }
    return result


# ------------------------------------------------------------------ both databases


def machine() -> dict[str, Any]:
    from benchmarks.run import machine as describe

    return describe()


def report(row: dict[str, Any]) -> None:
    print(f"\n== {row['database']}: {row['responses']:,} responses, scale {row['scale']}")
    if "error" in row:
        print(f"  failed: {row['error']}")
        return
    lines = [
        ("acknowledged / stored / duplicates / lost",
         f"{row['acknowledged']} / {row['stored']} / {row['duplicate_rows']} / {row['lost']}"),
        ("detractors / cases / duplicate cases",
         f"{row['detractors_stored']} / {row['cases']} / {row['duplicate_cases']}"),
        ("emails expected / delivered / duplicated",
         f"{row['emails_expected']} / {row['emails_delivered']} / "
         f"{row['duplicate_message_ids_delivered']}"),
        ("rollups live / rebuilt / differing",
         "{cells_live} / {cells_rebuilt} / {cells_differing}".format(**row["rollups"])),
    ]  # fmt: skip
    for table, n in row["rollups"].get("per_table", {}).items():
        lines.append((f"  {table}", "{live} / {rebuilt} / {differing}".format(**n)))
    for name in ("outside", "inside"):
        p = row[f"answer_to_email_{name}_fault_windows"]
        text = (
            f"n={p['n']} p50 {p['p50_s']} s, p95 {p['p95_s']} s, max {p['max_s']} s"
            if p["n"]
            else "n=0"
        )
        lines.append((f"answer -> email, {name} fault windows", text))
    for name, p in row.get("outside_by_phase", {}).items():
        text = f"n={p['n']} p50 {p['p50_s']} s, p95 {p['p95_s']} s" if p["n"] else "n=0"
        lines.append((f"  outside, quiet {name}" if name != "between" else
                      "  outside, between faults", text))  # fmt: skip
    for name, key in (("  of which answer -> case", "outside_answer_to_case_opened"),
                      ("  and case -> email", "outside_case_opened_to_email")):  # fmt: skip
        p = row[key]
        lines.append((name, f"p50 {p['p50_s']} s, p95 {p['p95_s']} s" if p["n"] else "n=0"))
    lines += [
        ("load / drain seconds", f"{row['load_seconds']} / {row['drain_seconds']}"),
        ("still pending after drain", str(row["drain_incomplete"] or "nothing")),
        ("analysis stage unfinished", str(row["analysis_unfinished"])),
        ("retries", str(row["retries"])),
        ("CPU s web / worker / clients", "{web} / {worker} / {clients_and_smtp}".format(
            **row["cpu_seconds"])),
        ("load average (1 min) max", str(row["load_average"]["max_1min"])),
    ]  # fmt: skip
    for name, text in lines:
        print(f"  {name:<42} {text}")
    for target, met in row["targets"].items():
        print(f"  target {target:<35} {'met' if met else 'NOT met'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--databases", default="sqlite,postgres")
    parser.add_argument("--database", default="", help=argparse.SUPPRESS)  # one, in a child
    parser.add_argument("--responses", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument(
        "--scale", type=float, default=0.25, help="multiplies the outage and restart pauses"
    )
    parser.add_argument(
        "--quiet-head", type=float, default=0.15,
        help="fraction of the responses posted before the first fault",
    )  # fmt: skip
    parser.add_argument(
        "--quiet-tail", type=float, default=0.15,
        help="fraction of the responses posted only once every fault is over",
    )  # fmt: skip
    parser.add_argument("--drain-timeout-s", type=float, default=900)
    parser.add_argument("--analysis-wait-s", type=float, default=60)
    parser.add_argument("--give-up-s", type=float, default=600, help="per response")
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres"),
    )
    parser.add_argument("--pg-database", default="bench_faults")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/4")
    parser.add_argument("--keep-logs", action="store_true", help="keep the data dir and logs")
    args = parser.parse_args()
    if args.database:
        print(json.dumps(run_one(args)), flush=True)
        return
    started = dt.datetime.now(dt.UTC)
    rows: list[dict[str, Any]] = []
    for name in [n.strip() for n in args.databases.split(",") if n.strip()]:
        print(f"{name}: {args.responses:,} responses, {args.clients} clients", flush=True)
        child = [f"--{k.replace('_', '-')}={v}" for k, v in vars(args).items()
                 if k not in {"databases", "database", "keep_logs"}]  # fmt: skip
        child += ["--keep-logs"] if args.keep_logs else []
        proc = subprocess.Popen(
            [sys.executable, "-m", "benchmarks.faults", *child, "--database", name],
            cwd=ROOT, stdout=subprocess.PIPE, text=True,
        )  # fmt: skip
        assert proc.stdout is not None
        lines = []
        for line in proc.stdout:  # progress as it happens, the result as the last line
            if line.startswith("{"):
                lines.append(line)
            else:
                print(line, end="", flush=True)
        proc.wait()
        row = json.loads(lines[-1]) if lines else {"error": f"exit {proc.returncode}"}
        row.setdefault("database", name)
        row.setdefault("responses", args.responses)
        row.setdefault("scale", args.scale)
        rows.append(row)
        report(row)
    RESULTS.mkdir(parents=True, exist_ok=True)
    document = {
        "started": started.isoformat(timespec="seconds"),
        "finished": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "command": " ".join(["python -m benchmarks.faults", *sys.argv[1:]]),
        "plan": {
            "faults_at_fraction_acknowledged_of_the_faulted_middle": PLAN,
            "quiet_head_fraction": args.quiet_head,
            "quiet_tail_fraction": args.quiet_tail,
            "smtp_down_s": SMTP_DOWN_S * args.scale,
            "restart_pause_s": RESTART_PAUSE_S * args.scale,
        },
        "results": rows,
    }
    path = RESULTS / f"faults-{started:%Y%m%d-%H%M}-{args.databases.replace(',', '-')}.json"
    path.write_text(json.dumps(document, indent=2) + "\n")
    print(f"\nwrote {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
