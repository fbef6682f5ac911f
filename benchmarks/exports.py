"""Exports of 1,000,000 rows: time and peak memory per format.

    BEACON_DATA_DIR=/tmp/beacon-export-bench python benchmarks/exports.py --rows 1000000

`seed` fills a fresh database with one organisation and N responses (an NPS score and a
comment each; written with bulk_create, as the rows themselves are not what is measured).
Each format is then exported in its own process through `beacon.reports.exports.download`,
the function the staff page and the API call, reading the streamed response to the end;
the child's peak RSS (VmHWM) and wall time are written to
benchmarks/results/exports.json.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "beacon.settings.base")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402

from beacon.contacts.models import Contact  # noqa: E402
from beacon.orgs.actions import do_create_organization  # noqa: E402
from beacon.orgs.models import Organization  # noqa: E402
from beacon.reports.datasets import CHUNK, DATASETS  # noqa: E402
from beacon.reports.exports import download  # noqa: E402
from beacon.responses.models import Answer, Response  # noqa: E402
from beacon.surveys.actions import QuestionIn, do_add_question, do_create_survey  # noqa: E402
from beacon.surveys.models import Question, QuestionKind, SurveyStatus  # noqa: E402

RESULTS = Path(__file__).parent / "results" / "exports.json"
BATCH = 10_000
WORDS = [
    "the",
    "call",
    "was",
    "quick",
    "and",
    "the",
    "agent",
    "kind",
    "but",
    "the",
    "wait",
    "far",
    "too",
    "long",
    "again",
]


def seed(rows: int) -> None:
    call_command("migrate", verbosity=0)
    if Organization.objects.filter(slug="export-bench").exists():
        return
    org = do_create_organization("Export bench")
    survey = do_create_survey(org, "After the call", "How did we do?", status=SurveyStatus.ACTIVE)
    nps = do_add_question(survey, QuestionIn("nps", "Recommend us?", required=True))
    text = do_add_question(survey, QuestionIn("text", "Why?"))
    start = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    copying = rows > BATCH
    for base in range(0, BATCH if copying else rows, BATCH):
        n = min(BATCH, rows - base)
        contacts = Contact.objects.bulk_create(
            Contact(
                organization=org,
                external_id=f"c{base + i}",
                email=f"c{base + i}@example.com",
                name=f"Customer {base + i}",
            )
            for i in range(n)
        )
        responses = Response.objects.bulk_create(
            Response(
                organization=org,
                survey=survey,
                contact=contacts[i],
                idempotency_key=f"r{base + i}",
                responded_at=start + dt.timedelta(seconds=10 * (base + i)),
                completed_at=start + dt.timedelta(seconds=10 * (base + i)),
            )
            for i in range(n)
        )
        answers = []
        for i, r in enumerate(responses):
            k = base + i
            answers.append(Answer(organization=org, response=r, question=nps, number=k % 11))
            answers.append(Answer(organization=org, response=r, question=text, text=_comment(k)))
        Answer.objects.bulk_create(answers)
        print(f"seeded {base + n:,}", file=sys.stderr, flush=True)
    if copying:
        _copy_first_batch(rows, text.pk)
    assert Question.objects.filter(survey=survey, kind=QuestionKind.NPS).exists()


def _comment(k: int) -> str:
    return " ".join(WORDS[(k + j) % len(WORDS)] for j in range(12))


def _columns(table: str) -> list[str]:
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(f'PRAGMA table_info("{table}")')
            return [row[1] for row in cursor.fetchall() if row[1] != "id"]
        cursor.execute(
            "SELECT column_name FROM information_schema.columns"
            " WHERE table_schema = current_schema() AND table_name = %s ORDER BY ordinal_position",
            [table],
        )
        return [row[0] for row in cursor.fetchall() if row[0] != "id"]


def _later(column: str, seconds: int) -> str:
    """SQL for a timestamp column `seconds` later, in this database's dialect."""
    if connection.vendor == "sqlite":
        return f"datetime({column}, '+{seconds} seconds')"
    return f"{column} + interval '{seconds} seconds'"


def _copy(table: str, changed: dict[str, str], first: int, count: int = BATCH) -> None:
    """INSERT ... SELECT of the first `count` rows of `table` (ids from `first`), with
    `changed` columns computed from the copied row (`t`) instead."""
    columns = _columns(table)
    picked = ", ".join(changed.get(c, f't."{c}"') for c in columns)
    names = ", ".join(f'"{c}"' for c in columns)
    sql = (
        f'INSERT INTO "{table}" ({names}) SELECT {picked} FROM "{table}" t '
        f"WHERE t.id BETWEEN {first} AND {first + count - 1} ORDER BY t.id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql)  # no parameters: `%` is SQL's modulo here


def _copy_first_batch(rows: int, text_question: int) -> None:
    """The rest of the rows as shifted copies of the first batch, made by the database
    itself (bulk_create of a million rows takes most of an hour on a shared machine); the
    SQL is the same on SQLite and PostgreSQL but for the column list and time arithmetic.
    Each copy gets its own ids, keys, times, scores and comment; the rows are the same in
    kind as those made one by one, and seeding is not what is measured."""
    contact0 = Contact.objects.order_by("pk").values_list("pk", flat=True).first()
    response0 = Response.objects.order_by("pk").values_list("pk", flat=True).first()
    answer0 = Answer.objects.order_by("pk").values_list("pk", flat=True).first()
    assert contact0 is not None and response0 is not None and answer0 is not None
    comments = " ".join(f"WHEN {m} THEN '{_comment(m)}'" for m in range(len(WORDS)))
    for base in range(BATCH, rows, BATCH):
        # Full batches only: the copies are of the whole first batch.
        with transaction.atomic():
            i = f"(t.id - {contact0})"
            _copy("contacts_contact", {
                "external_id": f"'c' || ({base} + {i})",
                "email": f"'c' || ({base} + {i}) || '@example.com'",
                "name": f"'Customer ' || ({base} + {i})",
            }, contact0)  # fmt: skip
            r = f"(t.id - {response0})"
            _copy("responses_response", {
                "contact_id": f"t.contact_id + {base}",
                "idempotency_key": f"'r' || ({base} + {r})",
                "responded_at": _later("t.responded_at", 10 * base),
                "completed_at": _later("t.completed_at", 10 * base),
            }, response0)  # fmt: skip
            k = f"({base} + t.response_id - {response0})"
            _copy("responses_answer", {
                "response_id": f"t.response_id + {base}",
                "number": f"CASE WHEN t.number IS NULL THEN NULL ELSE {k} % 11 END",
                "text": f"CASE WHEN t.question_id = {text_question} THEN CASE {k} % {len(WORDS)} "
                f"{comments} END ELSE t.text END",
            }, answer0, 2 * BATCH)  # fmt: skip
            print(f"seeded {base + BATCH:,}", file=sys.stderr, flush=True)


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _server_cpu_seconds() -> float | None:
    """PostgreSQL's own CPU for this connection (its backend process, on this machine):
    the export's queries run there, outside the exporting process's CPU time."""
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None  # a server on another machine
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _rss_mb() -> float:
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return round(pages * os.sysconf("SC_PAGE_SIZE") / 2**20, 1)


def export(dataset: str, fmt: str) -> dict[str, Any]:
    org = Organization.objects.get(slug="export-bench")
    load_before = os.getloadavg()[0]
    server_before = _server_cpu_seconds()
    cpu_before = _cpu_seconds()
    began = time.perf_counter()
    response = download(DATASETS[dataset], org, {}, True, fmt)
    size = 0
    # CSV leaves a part per chunk of rows: resident memory as the rows go by shows whether
    # anything grows with them (the other formats stream a finished file).
    rss_by_rows: dict[int, float] = {}
    for parts, part in enumerate(response.streaming_content):  # type: ignore[attr-defined]
        size += len(part)
        if fmt == "csv" and parts and parts % 50 == 0:
            rss_by_rows[parts * CHUNK] = _rss_mb()
    seconds = time.perf_counter() - began
    cpu = _cpu_seconds() - cpu_before
    server_after = _server_cpu_seconds()
    # VmHWM, not getrusage's ru_maxrss: Linux carries ru_maxrss across exec, so a child
    # started by a parent that had seeded a million rows reported the parent's 190 MB.
    status = Path("/proc/self/status").read_text()
    rss_mb = int(status.split("VmHWM:")[1].split()[0]) / 1024
    return {"dataset": dataset, "format": fmt, "database": connection.vendor,
            "seconds": round(seconds, 1), "cpu_seconds": round(cpu, 1),
            "database_cpu_seconds": None if server_after is None or server_before is None
            else round(server_after - server_before, 1),
            "load_average": [load_before, os.getloadavg()[0]], "peak_rss_mb": round(rss_mb),
            "bytes": size, "rss_mb_by_rows": rss_by_rows or None}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--dataset", default="responses")
    parser.add_argument("--formats", default="csv,parquet,xlsx")
    parser.add_argument("--child", nargs=2, metavar=("DATASET", "FORMAT"))
    args = parser.parse_args()
    if args.child:
        print(json.dumps(export(*args.child)))
        return
    seed(args.rows)
    count = Response.objects.count()
    results = []
    results_file = (
        RESULTS
        if connection.vendor == "sqlite"
        else RESULTS.with_name(f"exports-{connection.vendor}.json")
    )
    RESULTS.parent.mkdir(exist_ok=True)
    for fmt in args.formats.split(","):
        out = subprocess.run(
            [sys.executable, __file__, "--child", args.dataset, fmt],
            check=True, capture_output=True, text=True,
        )  # fmt: skip
        result = json.loads(out.stdout.strip().splitlines()[-1])
        result["rows"] = count
        print(result, flush=True)
        results.append(result)
        # After each format: a long run stopped part-way keeps what it measured.
        results_file.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
