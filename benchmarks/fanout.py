"""Batch ingest and fan-out throughput on one thread.

Stores N responses with comments (30 % detractors) through the pipeline's bulk entry point
(`submit_bulk`, one call per 1,000, as an import or the batch endpoint does) on a fresh
database with the real job queues (not inline), then runs the fan-out's two stages the
way their drain jobs do, batch after batch until none is ready: the case stage (critical
queue), then the analysis stage (bulk queue). Email sends the case stage queues are
counted, not sent (the SMTP path is measured by `make bench-faults`). Prints one JSON line
with the wall clock and the CPU time per response of this process and, on PostgreSQL, of
its database server process too (both share the machine's cores).

    .venv/bin/python -m benchmarks.fanout --responses 10000
    .venv/bin/python -m benchmarks.fanout --responses 10000 \
        --database-url postgres://postgres@127.0.0.1:5432/bench_fanout   # dropped and made anew

`--profile FILE` writes a cProfile of the two stages (CPU time) to FILE. `--one-by-one N`
also times the first N responses through the one-response path (a batch of one), for
comparison. `--backfill` instead stores the responses as history (already
processed, as `beacon demo` does) and times reading all their comments with `do_backfill`,
the demo's comment-reading step.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import random
import time
from typing import Any

from benchmarks.common import backend_cpu, backend_pid, start_django

start_django("beacon-fanout-")

from django.core.management import call_command  # noqa: E402


class Clock:
    """Wall clock, this process's CPU time, and the database server process's (PostgreSQL:
    read from /proc for this connection's backend; SQLite runs in this process)."""

    def __init__(self) -> None:
        self.backend = backend_pid()

    def start(self) -> tuple[float, float, float]:
        return time.perf_counter(), time.process_time(), backend_cpu(self.backend)

    def since(self, at: tuple[float, float, float]) -> tuple[float, float, float]:
        wall, cpu, db = self.start()
        return wall - at[0], cpu - at[1], db - at[2]


def figures(n: int, spent: tuple[float, float, float]) -> dict[str, float]:
    wall, cpu, db = spent
    return {
        "responses": n,
        "per_s_wall": round(n / wall, 1) if wall else 0.0,
        "cpu_ms_per_response": round(1000 * cpu / max(n, 1), 3),
        "db_server_cpu_ms_per_response": round(1000 * db / max(n, 1), 3),
    }


def backfill(org: Any, items: list[Any], clock: Clock) -> None:
    from beacon.insights.analysis import do_backfill
    from beacon.insights.registry import theme_model_for
    from beacon.responses.ingest import ingest_bulk

    ingest_bulk(items, historical=True)
    theme_model_for(org)  # the engine loads once per process, before the step
    at = clock.start()
    read = do_backfill(org)
    spent = clock.since(at)
    print(json.dumps({"comments_read": figures(read, spent), "load_average": os.getloadavg()}))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--responses", type=int, default=10000)
    parser.add_argument("--one-by-one", type=int, default=0)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--backfill", action="store_true")
    parser.add_argument(
        "--profile", default="", help="write a CPU-time cProfile of the two stages to this file"
    )
    args = parser.parse_args()
    call_command("migrate", verbosity=0)

    from django.db import connection

    from beacon.core.jobs import QUEUES
    from beacon.demo.verbatims import STAGE_KEYS, generate_verbatim
    from beacon.insights.taxonomy import do_adopt_starter
    from beacon.loop.models import Case
    from beacon.notifications.models import OutboxMessage
    from beacon.pipeline.actions import ANALYSIS_STAGE, CASE_STAGE, submit_bulk
    from beacon.pipeline.processing import drain, process_response
    from beacon.responses.checks import AnswerIn, ResponseIn
    from beacon.responses.models import Response
    from beacon.testing import build_world

    world = build_world("Fanout Bench")
    do_adopt_starter(world.org, "telecom")  # themes to find, as the demo's organisation has
    rng = random.Random(14)
    total = args.responses + args.one_by_one
    items = []
    for i in range(total):
        score = rng.randint(0, 6) if rng.random() < 0.3 else rng.randint(7, 10)
        # Varied comments (the demo's generator), some naming a staff member, so the text
        # engine and the praise finder see what real comments give them.
        comment = generate_verbatim(
            rng,
            stage=rng.choice(STAGE_KEYS),
            sentiment="negative" if score <= 6 else ("neutral" if score <= 8 else "positive"),
            staff_name=world.agent.display_name.split()[0],
        ).text
        items.append(
            ResponseIn(
                survey=world.survey,
                idempotency_key=f"bench-{i}",
                touchpoint=world.touchpoint,
                answers=[
                    AnswerIn(world.nps.pk, number=score),
                    AnswerIn(world.comment.pk, text=comment),
                ],
            )
        )
    clock = Clock()
    if args.backfill:
        backfill(world.org, items, clock)
        return
    at = clock.start()
    for start in range(0, total, 1000):
        submit_bulk(items[start : start + 1000])
    stored = clock.since(at)
    for huey in QUEUES.values():  # the stages run below, as their jobs would run them
        huey.flush()
    # The engine loads once per process (as a worker's first job does): not part of a stage.
    from beacon.insights.registry import theme_model_for

    theme_model_for(world.org)

    alone: dict[str, float] = {}
    if args.one_by_one:
        first = list(Response.objects.order_by("pk").values_list("pk", flat=True))
        at = clock.start()
        for pk in first[: args.one_by_one]:
            process_response(pk)
        alone = figures(args.one_by_one, clock.since(at))
    load_before = os.getloadavg()
    # CPU time, not wall clock: on a loaded machine the wall clock is mostly waiting.
    profiler = cProfile.Profile(time.process_time) if args.profile else None
    if profiler is not None:
        profiler.enable()
    at = clock.start()
    cased = drain(CASE_STAGE)
    case = clock.since(at)
    at = clock.start()
    analysed = drain(ANALYSIS_STAGE)
    analysis = clock.since(at)
    if profiler is not None:
        profiler.disable()
        profiler.dump_stats(args.profile)
    both = tuple(a + b for a, b in zip(case, analysis, strict=True))
    assert cased == analysed == args.responses, (cased, analysed)
    detractors = sum(
        1 for i in items if i.answers[0].number is not None and i.answers[0].number <= 6
    )
    assert Case.objects.count() == detractors
    print(
        json.dumps(
            {
                "database": connection.vendor,
                "responses": args.responses,
                "stored": figures(total, stored),
                "case_stage": figures(cased, case),
                "analysis_stage": figures(analysed, analysis),
                "both_stages": figures(analysed, both),  # type: ignore[arg-type]
                "one_by_one_both_stages": alone,
                "cases": Case.objects.count(),
                "emails_queued": OutboxMessage.objects.count(),
                "load_average_before": load_before,
                "load_average_after": os.getloadavg(),
            }
        )
    )


if __name__ == "__main__":
    main()
