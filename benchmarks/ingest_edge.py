"""Single-request ingest over real HTTP: 8 keep-alive clients against `beacon run`.

Starts `beacon run` (uvicorn and the job worker beside it) on a fresh
database with one organisation, then 8 asyncio clients post complete responses (NPS and
a comment, 30 % detractors) one request at a time on keep-alive connections, each
response with its own idempotency key. Reports responses/s, p50/p95 latency, the CPU
seconds of the server and worker processes, the load average, and how long after the
last answer the last response was stored, and how long after its answer each response was
stored (p50/p95/max: the applier's lag; negative on the Django path, which stores first).

`--interactions` posts single interactions instead (`POST /api/v1/interactions`, each with a
contact of its own at a touchpoint whose active survey invites it, so the trigger runs for
every one). With the edge on they are stored in groups by the batch endpoint's code, with
`--django` one at a time by the Django path; either way before they are answered (their
answer carries the contact's id and the invitation links, docs/adr/0010).

    .venv/bin/python -m benchmarks.ingest_edge --requests 2000            # edge, SQLite
    .venv/bin/python -m benchmarks.ingest_edge --requests 2000 --django   # Django path
    .venv/bin/python -m benchmarks.ingest_edge --database-url postgres://…/bench_edge
    .venv/bin/python -m benchmarks.ingest_edge --requests 2000 --interactions

Prints one JSON line.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.common import COMMENTS, ROOT
from benchmarks.common import cpu_seconds_of as _own_cpu

TICKS = os.sysconf("SC_CLK_TCK")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _tree(root: int) -> dict[int, float]:
    """`root` and every process below it, each with its user + system CPU seconds."""
    parents: dict[int, int] = {}
    times: dict[int, float] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(entry.name)] = int(fields[1])
        times[int(entry.name)] = (int(fields[11]) + int(fields[12])) / TICKS
    found, todo = {}, [root]
    while todo:
        pid = todo.pop()
        found[pid] = times.get(pid, 0.0)
        todo += [child for child, parent in parents.items() if parent == pid]
    return found


def _tree_cpu(root: int) -> float:
    """User + system CPU seconds of `root` and every process below it (from /proc)."""
    return sum(_tree(root).values())


def _wait_settled(root: int, deadline: float) -> None:
    """Until the worker's queue consumers run and the server's tree uses under a tenth
    of a core: a round that starts earlier pays for the worker's start-up imports."""
    while time.time() < deadline:
        commands = []
        for pid in _tree(root):
            try:
                commands.append(Path(f"/proc/{pid}/cmdline").read_bytes())
            except OSError:
                continue
        before = _tree_cpu(root)
        time.sleep(1)
        if any(b"--queues" in c for c in commands) and _tree_cpu(root) - before < 0.1:
            return


def _setup(env: dict[str, str]) -> dict[str, Any]:
    """Migrate and build one organisation in a child process: (survey, questions, key)."""
    script = (
        "import json, django; django.setup();"
        "from django.core.management import call_command;"
        "call_command('migrate', verbosity=0);"
        "from beacon.testing import build_world;"
        "w = build_world('Bench Telecom');"
        "print(json.dumps({'survey': w.survey.pk, 'nps': w.nps.pk, 'comment': w.comment.pk,"
        " 'touchpoint': w.touchpoint.pk, 'secret': w.api_secret}))"
    )
    out = subprocess.run([sys.executable, "-c", script], env=env, check=True,
                         capture_output=True, text=True, cwd=ROOT)  # fmt: skip
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def _count(data_dir: str, database_url: str, table: str = "responses_response") -> int:
    """Rows stored in `table`, read straight from the database (no Django start-up)."""
    sql = f"SELECT count(*) FROM {table}"
    if database_url:
        import psycopg

        with psycopg.connect(database_url) as conn:
            row = conn.execute(sql).fetchone()
    else:
        import sqlite3

        with sqlite3.connect(Path(data_dir) / "beacon.sqlite3", timeout=30) as conn:
            row = conn.execute(sql).fetchone()
    return int(row[0]) if row else 0


def _apply_lags(data_dir: str, database_url: str, answered: dict[str, float]) -> list[float]:
    """Seconds from each post's answer (client clock) to its response being stored
    (`created_at`, the applier's clock on the same machine); negative on the Django path,
    which stores before it answers."""
    import datetime as dt

    sql = "SELECT idempotency_key, created_at FROM responses_response"
    if database_url:
        import psycopg

        with psycopg.connect(database_url) as conn:
            rows = conn.execute(sql).fetchall()
        stored = {key: at.timestamp() for key, at in rows}
    else:
        import sqlite3

        with sqlite3.connect(Path(data_dir) / "beacon.sqlite3", timeout=30) as conn:
            rows = conn.execute(sql).fetchall()
        # Naive UTC text, as Django stores datetimes on SQLite.
        stored = {key: dt.datetime.fromisoformat(at).replace(tzinfo=dt.UTC).timestamp()
                  for key, at in rows}  # fmt: skip
    return [stored[key] - at for key, at in answered.items() if key in stored]


def _interaction(world: dict[str, Any], key: str) -> bytes:
    return json.dumps({
        "contact": {"external_id": f"c-{key}", "email": f"{key}@example.com"},
        "idempotency_key": key, "touchpoint_id": world["touchpoint"],
    }).encode()  # fmt: skip


def _body(world: dict[str, Any], key: str, rng: random.Random) -> bytes:
    if world.get("interactions"):
        return _interaction(world, key)
    score = rng.randint(0, 6) if rng.random() < 0.3 else rng.randint(7, 10)
    return json.dumps({
        "survey_id": world["survey"], "idempotency_key": key,
        "answers": [{"question_id": world["nps"], "number": score},
                    {"question_id": world["comment"], "text": rng.choice(COMMENTS)}],
    }).encode()  # fmt: skip


async def _client(port: int, secret: str, path: str, bodies: list[tuple[str, bytes]],
                  latencies: list[float], statuses: dict[int, int],
                  answered: dict[str, float]) -> None:  # fmt: skip
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    head = (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"Authorization: Bearer {secret}\r\nContent-Type: application/json\r\n"
    )
    for key, body in bodies:
        started = time.perf_counter()
        writer.write(f"{head}Content-Length: {len(body)}\r\n\r\n".encode() + body)
        status_line = await reader.readline()
        length = 0
        while (line := await reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode("latin-1").partition(":")
            if name.lower() == "content-length":
                length = int(value)
        await reader.readexactly(length)
        latencies.append(time.perf_counter() - started)
        answered[key] = time.time()
        status = int(status_line.split()[1])
        statuses[status] = statuses.get(status, 0) + 1
    writer.close()


Round = tuple[float, list[float], dict[int, int], dict[str, float]]


async def _round(port: int, world: dict[str, Any], requests: int, clients: int,
                 prefix: str) -> Round:  # fmt: skip
    rng = random.Random(7)
    path = "/api/v1/interactions" if world.get("interactions") else "/api/v1/responses"
    bodies = [(f"{prefix}-{i}", _body(world, f"{prefix}-{i}", rng)) for i in range(requests)]
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    answered: dict[str, float] = {}
    started = time.perf_counter()
    await asyncio.gather(*(
        _client(port, world["secret"], path, bodies[c::clients], latencies, statuses, answered)
        for c in range(clients)
    ))  # fmt: skip
    return time.perf_counter() - started, latencies, statuses, answered


def _wait_ready(port: int, deadline: float) -> None:
    while time.time() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.5)
    raise SystemExit("the server did not start")


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--warmup", type=int, default=200)
    parser.add_argument("--django", action="store_true", help="the Django path (edge off)")
    parser.add_argument(
        "--interactions", action="store_true", help="single interactions with their trigger"
    )
    parser.add_argument("--database-url", default="", help="PostgreSQL; SQLite if empty")
    parser.add_argument("--redis-url", default="", help="job queues on Redis; embedded if empty")
    args = parser.parse_args()

    data_dir = tempfile.mkdtemp(prefix="beacon-ingest-edge-")
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "beacon.settings.base",
           "BEACON_DATA_DIR": data_dir, "BEACON_JOBS_IMMEDIATE": "0",
           "BEACON_INGEST_EDGE": "0" if args.django else "1"}  # fmt: skip
    if args.database_url:
        env["DATABASE_URL"] = args.database_url
    world = _setup(env)
    world["interactions"] = args.interactions
    table = "contacts_interaction" if args.interactions else "responses_response"
    if args.redis_url:
        env["REDIS_URL"] = args.redis_url
        subprocess.run(["redis-cli", "-u", args.redis_url, "FLUSHDB"], check=False,
                       capture_output=True)  # fmt: skip
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "beacon", "run", "--port", str(port), "--no-access-log"],
        env=env, cwd=ROOT, stdout=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.time() + 300
        _wait_ready(port, deadline)
        asyncio.run(_round(port, world, args.warmup, args.clients, "warm"))
        # The worker (and with the edge its applier) starts after the web server, a minute
        # later under load: the round measures a running system, so wait for it.
        while _count(data_dir, args.database_url, table) < args.warmup and time.time() < deadline:
            time.sleep(0.5)
        # Interactions are stored by the server itself, so the count above says nothing of
        # the worker: wait until its consumers are up and the start-up imports are over.
        _wait_settled(server.pid, deadline)
        time.sleep(2)
        load_before = os.getloadavg()
        cpu_before, server_before = _tree_cpu(server.pid), _own_cpu(server.pid)
        wall, latencies, statuses, answered = asyncio.run(
            _round(port, world, args.requests, args.clients, "run")
        )
        done_at = time.perf_counter()
        cpu_round = _tree_cpu(server.pid) - cpu_before
        server_cpu = _own_cpu(server.pid) - server_before
        load_after = os.getloadavg()
        expected = args.warmup + args.requests
        stored = _count(data_dir, args.database_url, table)
        while stored < expected and time.perf_counter() - done_at < 300:
            time.sleep(0.1)
            stored = _count(data_dir, args.database_url, table)
        lag = time.perf_counter() - done_at
        cpu_until_stored = _tree_cpu(server.pid) - cpu_before
        lags = [] if args.interactions else _apply_lags(data_dir, args.database_url, answered)
    finally:
        server.terminate()
        server.wait(timeout=30)
    print(json.dumps({
        "path": "django" if args.django else "edge",
        "posts": "interactions" if args.interactions else "responses",
        "database": "postgresql" if args.database_url else "sqlite",
        "requests": args.requests, "clients": args.clients, "statuses": statuses,
        "responses_per_s": round(args.requests / wall, 1),
        "p50_ms": round(_percentile(latencies, 0.5) * 1000, 1),
        "p95_ms": round(_percentile(latencies, 0.95) * 1000, 1),
        "server_and_worker_cpu_s": round(cpu_round, 2),
        "server_cpu_ms_per_response": round(server_cpu / args.requests * 1000, 2),
        "cpu_ms_per_response": round(cpu_round / args.requests * 1000, 2),
        "cpu_ms_per_response_until_stored": round(cpu_until_stored / args.requests * 1000, 2),
        "stored": stored, "all_stored_s_after_last_answer": round(lag, 2),
        "applied_after_p50_s": round(_percentile(lags, 0.5), 3) if lags else None,
        "applied_after_p95_s": round(_percentile(lags, 0.95), 3) if lags else None,
        "applied_after_max_s": round(max(lags), 3) if lags else None,
        "load_before": [round(x, 1) for x in load_before],
        "load_after": [round(x, 1) for x in load_after],
        "cpus": os.cpu_count(),
    }))  # fmt: skip


if __name__ == "__main__":
    main()
