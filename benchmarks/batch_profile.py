"""CPU per 1,000 items of a batch endpoint, in process, with the database's share.

Posts N batches of 1,000 to `POST /api/v1/interactions/batch` (each with its own contact,
at a touchpoint whose active survey invites every one: the trigger runs for each) or to
`/responses/batch` through Django's test client in this process, on a fresh database,
and prints one JSON line: this process's CPU time per 1,000 items (the request: parsing,
validation, storing, answering) and, on PostgreSQL, its backend's CPU time per 1,000
(read from /proc for this connection; COMMIT's deferred foreign key checks included).
On SQLite the database works inside this process. CPU time is steadier than the wall
clock on a loaded machine (it still grows with the load: compare runs taken side by
side, alternating the versions compared).

    .venv/bin/python -m benchmarks.batch_profile --kind interactions --batches 10
    .venv/bin/python -m benchmarks.batch_profile --kind interactions \
        --database-url postgres://postgres@127.0.0.1:5432/bench_profile   # dropped, made anew

`--sample` prints where the timed batches spent their CPU time (a signal every
millisecond of CPU notes the stack: cProfile's cost per call swells Django's many small
calls). `--profile FILE` writes a cProfile of them to FILE. `--statements` also times
each ORM statement of one more batch (wall clock; the bulk writer's `executemany` and
`COPY` are not among them).
"""

from __future__ import annotations

import argparse
import collections
import cProfile
import json
import os
import random
import signal
import time
from typing import Any

from benchmarks.common import (
    backend_cpu,
    backend_pid,
    interaction_items,
    response_items,
    start_django,
)

start_django("beacon-batch-profile-")

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402


def _bodies(kind: str, world: Any, batches: int, size: int) -> list[bytes]:
    rng = random.Random(14)
    run = time.time_ns()
    out = []
    for b in range(batches):
        if kind == "interactions":
            items = interaction_items(world, run, b * size, size)
        else:
            items = response_items(world, rng, run, b * size, size)
        out.append(json.dumps({"items": items}).encode())
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--kind", choices=("interactions", "responses"), default="interactions")
    parser.add_argument("--batches", type=int, default=10)
    parser.add_argument("--size", type=int, default=1000)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--database-url")
    parser.add_argument("--profile")
    parser.add_argument("--statements", action="store_true")
    parser.add_argument("--sample", action="store_true")
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA journal_mode=WAL")

    from beacon.testing import build_world

    world = build_world(f"Batch Profile {time.time_ns()}")
    bodies = _bodies(args.kind, world, args.warmup + args.batches, args.size)
    client = Client(HTTP_AUTHORIZATION=f"Bearer {world.api_secret}", HTTP_HOST="localhost")
    path = f"/api/v1/{args.kind}/batch"

    def post(body: bytes) -> None:
        r = client.post(path, body, content_type="application/json")
        assert r.status_code == 200, r.content[:500]
        statuses = {item["status"] for item in json.loads(r.content)["items"]}
        assert statuses == {201}, statuses

    for body in bodies[: args.warmup]:
        post(body)
    backend = backend_pid()
    timed = bodies[args.warmup :]
    profiler = cProfile.Profile(time.process_time) if args.profile else None
    sampler = _Sampler() if args.sample else None
    load = os.getloadavg()
    wall, cpu, db = time.perf_counter(), time.process_time(), backend_cpu(backend)
    if profiler:
        profiler.enable()
    for body in timed:
        post(body)
    if sampler:
        sampler.stop()
    if profiler:
        profiler.disable()
        profiler.dump_stats(args.profile)
    wall = time.perf_counter() - wall
    cpu = time.process_time() - cpu
    db = backend_cpu(backend) - db
    n = len(timed) * args.size
    print(json.dumps({
        "kind": args.kind,
        "database": connection.vendor,
        "items": n,
        "server_cpu_ms_per_1000": round(1000 * cpu / n * 1000, 1),
        "database_cpu_ms_per_1000": round(1000 * db / n * 1000, 1) if backend else None,
        "wall_ms_per_1000": round(1000 * wall / n * 1000, 1),
        "load_average_before": load,
        "load_average_after": os.getloadavg(),
    }), flush=True)  # fmt: skip
    if args.statements:
        _statements(post, _bodies(args.kind, world, 1, args.size)[0])


class _Sampler:
    """Where this process spends its CPU time: a signal every millisecond of CPU time
    (`ITIMER_PROF`) notes the functions on the stack (inclusive counts). A profile
    without cProfile's cost per call, which swells Django's many small calls."""

    def __init__(self) -> None:
        self.counts: collections.Counter[str] = collections.Counter()
        self.total = 0
        signal.signal(signal.SIGPROF, self._sample)
        signal.setitimer(signal.ITIMER_PROF, 0.001, 0.001)

    def _sample(self, signum: int, frame: Any) -> None:
        seen = set()
        while frame is not None:
            code = frame.f_code
            where = f"{'/'.join(code.co_filename.rsplit('/', 2)[-2:])}:{code.co_name}"
            if where not in seen:
                seen.add(where)
                self.counts[where] += 1
            frame = frame.f_back
        self.total += 1

    def stop(self) -> None:
        signal.setitimer(signal.ITIMER_PROF, 0, 0)
        for where, n in self.counts.most_common(90):
            print(f"{100 * n / self.total:5.1f}%  {where}")


def _statements(post: Any, body: bytes) -> None:
    """Each SQL statement of one batch with its wall time, slowest first."""
    took: list[tuple[float, str]] = []

    def timer(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        start = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            took.append((time.perf_counter() - start, sql[:150]))

    with connection.execute_wrapper(timer):
        post(body)
    for seconds, sql in sorted(took, reverse=True)[:25]:
        print(f"{1000 * seconds:8.2f} ms  {sql}")
    print(f"{len(took)} statements, {1000 * sum(s for s, _ in took):.1f} ms")


if __name__ == "__main__":
    main()
