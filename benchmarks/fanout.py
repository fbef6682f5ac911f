"""Batch ingest and fan-out throughput on one thread.

Posts N responses with comments (30 % detractors) to `POST /api/v1/responses/batch` in
batches of 1,000 (Django's test client: the whole request path but no socket) on a fresh
SQLite database with the real job queues (not inline), then drains them as a consumer
thread does, queue by queue:
the critical queue's case stage, then the bulk queue's analysis stage. Email sends the
case stage queues are counted, not sent (the SMTP path is measured by `make bench-faults`
once it exists). Prints one JSON line.

    .venv/bin/python -m benchmarks.fanout --responses 2000
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
os.environ["BEACON_DATA_DIR"] = tempfile.mkdtemp(prefix="beacon-fanout-")
os.environ["BEACON_JOBS_IMMEDIATE"] = "0"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "beacon.settings.base")
sys.path.insert(0, str(ROOT))

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402

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


def drain(huey: Any, name: str) -> tuple[int, float, float]:
    """Run every queued job called `name`, as one consumer thread would; others are dropped.

    Returns the count, the wall-clock seconds and the CPU seconds of this process (on a
    shared machine the CPU time is the steadier figure)."""
    done, start, cpu = 0, time.perf_counter(), time.process_time()
    while (task := huey.dequeue()) is not None:
        if task.name == name:
            huey.execute(task)
            done += 1
    return done, time.perf_counter() - start, time.process_time() - cpu


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--responses", type=int, default=2000)
    args = parser.parse_args()
    call_command("migrate", verbosity=0)

    from django.test import Client

    from beacon.core.jobs import bulk, critical
    from beacon.loop.models import Case
    from beacon.notifications.models import OutboxMessage
    from beacon.testing import build_world

    world = build_world("Fanout Bench")
    rng = random.Random(14)
    items = []
    for i in range(args.responses):
        score = rng.randint(0, 6) if rng.random() < 0.3 else rng.randint(7, 10)
        items.append(
            {
                "survey_id": world.survey.pk,
                "idempotency_key": f"bench-{i}",
                "touchpoint_id": world.touchpoint.pk,
                "answers": [
                    {"question_id": world.nps.pk, "number": score},
                    {"question_id": world.comment.pk, "text": rng.choice(COMMENTS)},
                ],
            }
        )
    client = Client(HTTP_AUTHORIZATION=f"Bearer {world.api_secret}", HTTP_HOST="127.0.0.1")
    start, cpu = time.perf_counter(), time.process_time()
    for at in range(0, len(items), 1000):
        answer = client.post(
            "/api/v1/responses/batch",
            data=json.dumps({"items": items[at : at + 1000]}),
            content_type="application/json",
        )
        assert answer.status_code == 200, answer.content
        assert {i["status"] for i in answer.json()["items"]} == {201}
    stored_s, stored_cpu = time.perf_counter() - start, time.process_time() - cpu
    cased, case_s, case_cpu = drain(critical, "open_case_task")
    analysed, analysis_s, analysis_cpu = drain(bulk, "analyse_response_task")
    n = args.responses
    print(
        json.dumps(
            {
                "responses": args.responses,
                "batch_ingest_per_s": round(args.responses / stored_s, 1),
                "case_stage_per_s": round(cased / case_s, 1),
                "analysis_stage_per_s": round(analysed / analysis_s, 1),
                "both_stages_per_s": round(analysed / (case_s + analysis_s), 1),
                "cpu_ms_per_response": {
                    "batch_ingest": round(1000 * stored_cpu / n, 2),
                    "case_stage": round(1000 * case_cpu / max(cased, 1), 2),
                    "analysis_stage": round(1000 * analysis_cpu / max(analysed, 1), 2),
                },
                "cases": Case.objects.count(),
                "emails_queued": OutboxMessage.objects.count(),
                "load_average": os.getloadavg(),
            }
        )
    )


if __name__ == "__main__":
    main()
