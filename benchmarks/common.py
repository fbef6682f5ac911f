"""What the ingest benchmarks share: the process set up before Django starts, the
database server's CPU read from /proc, and the batch items they post.

`start_django(prefix)` must run before anything imports Django's settings: it gives the
run its own data directory, keeps jobs queued (not run inline), and with
`--database-url URL` on the command line drops and creates that PostgreSQL database and
points `DATABASE_URL` at it.
"""

from __future__ import annotations

import os
import random
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent

COMMENTS = [
    "Waited forty minutes on hold and nobody called back",
    "The agent was friendly and fixed my router in minutes",
    "Billing charged me twice this month, still not refunded",
    "Great service, the technician arrived on time",
]


def start_django(prefix: str) -> None:
    os.environ.setdefault("BEACON_DATA_DIR", tempfile.mkdtemp(prefix=prefix))
    os.environ["BEACON_JOBS_IMMEDIATE"] = "0"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "beacon.settings.base")
    sys.path.insert(0, str(ROOT))
    if "--database-url" in sys.argv:  # before Django reads its settings
        url = sys.argv[sys.argv.index("--database-url") + 1]
        os.environ["DATABASE_URL"] = url
        name = url.rsplit("/", 1)[1]
        base = url.rsplit("/", 1)[0] + "/postgres"
        import psycopg

        with psycopg.connect(base, autocommit=True) as pg:
            pg.execute(f'DROP DATABASE IF EXISTS "{name}"')
            pg.execute(f'CREATE DATABASE "{name}"')
    import django

    django.setup()


def cpu_seconds_of(pid: int) -> float:
    """User + system CPU seconds of one process, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def backend_pid() -> int | None:
    """PostgreSQL: the server process of this process's connection (its CPU is the
    database's work for it); None on SQLite, which works inside this process."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return int(cursor.fetchone()[0])


def backend_cpu(pid: int | None) -> float:
    return 0.0 if pid is None else cpu_seconds_of(pid)


def response_items(world: Any, rng: random.Random, run: int, first: int, n: int,
                   ) -> list[dict[str, Any]]:  # fmt: skip
    """Batch items of `POST /responses/batch`: an NPS score (30 % detractors) and a
    comment each."""
    items = []
    for i in range(first, first + n):
        score = rng.randint(0, 6) if rng.random() < 0.3 else rng.randint(7, 10)
        items.append({
            "survey_id": world.survey.pk,
            "idempotency_key": f"r-{run}-{i}",
            "touchpoint_id": world.touchpoint.pk,
            "answers": [{"question_id": world.nps.pk, "number": score},
                        {"question_id": world.comment.pk, "text": rng.choice(COMMENTS)}],
        })  # fmt: skip
    return items


def interaction_items(world: Any, run: int, first: int, n: int) -> list[dict[str, Any]]:
    """Batch items of `POST /interactions/batch`: each with a new contact, at the world's
    touchpoint, whose active survey invites every one (the trigger runs for all)."""
    return [
        {"contact": {"external_id": f"c-{run}-{i}", "email": f"c{i}@example.com"},
         "idempotency_key": f"i-{run}-{i}", "touchpoint_id": world.touchpoint.pk}
        for i in range(first, first + n)
    ]  # fmt: skip
