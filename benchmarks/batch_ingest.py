"""Batch ingest over HTTP: `POST /api/v1/responses/batch` and `/interactions/batch`.

Starts the real server (`beacon run`, uvicorn, `--workers 2`, no job worker beside it so
the figures are the ingest path's own) on loopback over a fresh database, then a few
keep-alive clients post N responses in batches of 1,000 (an NPS score, a comment,
30 % detractors) and N interactions (each with its own contact, at a touchpoint whose
active survey invites the contact: the trigger runs for every one). Request bodies are
built before the clock starts. Prints one JSON line per kind: items/s wall clock, the
server processes' CPU seconds (user + system, from /proc) per 1,000 items (and on
PostgreSQL its backends' for this database, which the server keeps connected), the
clients' own CPU per 1,000 (they run on the same cores), p50/p95 per
request, the jobs left queued, and the load average before and after.

    .venv/bin/python -m benchmarks.batch_ingest --items 100000 --clients 4
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench REDIS_URL=redis://127.0.0.1:6379/2 \
        .venv/bin/python -m benchmarks.batch_ingest
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from benchmarks.common import (
    cpu_seconds_of,
    interaction_items,
    response_items,
    start_django,
)

start_django("beacon-batch-")

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

BATCH = 1000


def _cpu_seconds(pid: int) -> float:
    """User + system CPU of a process and its children that are still running."""
    total = 0.0
    pids = [pid]
    for p in Path("/proc").iterdir():
        if p.name.isdigit():
            try:
                stat = (p / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                pids.append(int(p.name))
    for p in pids:
        try:
            total += cpu_seconds_of(p)
        except OSError:
            continue
    return total


def _database_cpu_seconds() -> dict[int, float]:
    """PostgreSQL: CPU seconds of each server backend connected to this database (the
    server keeps its connections, so a backend's CPU is there until the run ends)."""
    if connection.vendor != "postgresql":
        return {}
    name = f" {connection.settings_dict['NAME']} "
    found = {}
    for p in Path("/proc").iterdir():
        if not p.name.isdigit():
            continue
        try:
            title = (p / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            if not title.startswith("postgres:") or name not in title:
                continue
            found[int(p.name)] = cpu_seconds_of(int(p.name))
        except OSError:
            continue
    return found


def _wait_up(port: int, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            c.request("GET", "/healthz")
            c.getresponse().read()
            return
        except OSError:
            time.sleep(0.5)
    raise SystemExit("the server did not start")


def _post_all(port: int, secret: str, path: str, bodies: list[bytes], clients: int,
              ) -> tuple[float, list[float], dict[int, int]]:  # fmt: skip
    """Post every body from `clients` keep-alive connections; (wall s, latencies, statuses)."""
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    lock = threading.Lock()
    queue = list(reversed(bodies))
    headers = {"Authorization": f"Bearer {secret}", "Content-Type": "application/json"}

    def client() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        while True:
            with lock:
                if not queue:
                    return
                body = queue.pop()
            start = time.perf_counter()
            conn.request("POST", path, body=body, headers=headers)
            answer = conn.getresponse()
            data = answer.read()
            took = time.perf_counter() - start
            assert answer.status == 200, data[:500]
            items = json.loads(data)["items"]
            with lock:
                latencies.append(took)
                for item in items:
                    statuses[item["status"]] = statuses.get(item["status"], 0) + 1

    threads = [threading.Thread(target=client) for _ in range(clients)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return time.perf_counter() - start, latencies, statuses


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _queued() -> int:
    from beacon.core.jobs import bulk, critical

    return int(critical.pending_count() + bulk.pending_count())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--interactions", type=int, default=None, help="default: --items")
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--port", type=int, default=8765)
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:  # as `beacon run` leaves a new database
            cursor.execute("PRAGMA journal_mode=WAL")

    from beacon.core.jobs import bulk, critical
    from beacon.testing import build_world

    critical.flush()
    bulk.flush()
    world = build_world(f"Batch Bench {time.time_ns()}")
    rng = random.Random(14)
    run = time.time_ns()
    responses, interactions = [], []
    for b in range(0, args.items, BATCH):
        items = response_items(world, rng, run, b, min(BATCH, args.items - b))
        responses.append(json.dumps({"items": items}).encode())
    n_interactions = args.items if args.interactions is None else args.interactions
    for b in range(0, n_interactions, BATCH):
        items = interaction_items(world, run, b, min(BATCH, n_interactions - b))
        interactions.append(json.dumps({"items": items}).encode())
    env = {**os.environ}
    server = subprocess.Popen(
        [sys.executable, "-m", "beacon", "run", "--port", str(args.port), "--workers",
         str(args.workers), "--no-worker", "--no-access-log"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True,
    )  # fmt: skip
    try:
        _wait_up(args.port)
        for kind, path, bodies, n in (
            ("responses", "/api/v1/responses/batch", responses, args.items),
            ("interactions", "/api/v1/interactions/batch", interactions, n_interactions),
        ):
            load_before = os.getloadavg()
            queued_before = _queued()
            cpu = _cpu_seconds(server.pid)
            db_cpu = _database_cpu_seconds()
            client_cpu = time.process_time()
            wall, latencies, statuses = _post_all(
                args.port, world.api_secret, path, bodies, args.clients
            )
            client_cpu = time.process_time() - client_cpu
            cpu = _cpu_seconds(server.pid) - cpu
            db_after = _database_cpu_seconds()
            db = sum(v - db_cpu.get(pid, 0.0) for pid, v in db_after.items())
            print(json.dumps({
                "kind": kind,
                "database": connection.vendor,
                "items": n,
                "batch": BATCH,
                "clients": args.clients,
                "server_workers": args.workers,
                "statuses": statuses,
                "items_per_s": round(n / wall, 1),
                "wall_s": round(wall, 2),
                "server_cpu_s": round(cpu, 2),
                "server_cpu_ms_per_1000_items": round(1000 * cpu / n * 1000, 1),
                "items_per_server_cpu_s": round(n / cpu, 1),
                "database_cpu_ms_per_1000_items": (round(1000 * db / n * 1000, 1)
                                                   if connection.vendor == "postgresql" else None),
                # The clients share the cores: sending bodies, reading the answers.
                "client_cpu_ms_per_1000_items": round(1000 * client_cpu / n * 1000, 1),
                "request_p50_ms": round(1000 * _pct(latencies, 0.5), 1),
                "request_p95_ms": round(1000 * _pct(latencies, 0.95), 1),
                "jobs_queued": _queued() - queued_before,
                "load_average_before": load_before,
                "load_average_after": os.getloadavg(),
            }), flush=True)  # fmt: skip
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
