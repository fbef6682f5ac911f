"""Exports of 1,000,000 rows: time and peak memory per format.

    BEACON_DATA_DIR=/tmp/beacon-export-bench python benchmarks/exports.py --rows 1000000

`seed` fills a fresh database with one organisation and N responses (an NPS score and a
comment each; written with bulk_create, as the rows themselves are not what is measured).
Each format is then exported in its own process through `beacon.reports.exports.download`,
the function the staff page and the API call, reading the streamed response to the end;
the child's peak RSS (getrusage) and wall time are written to
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

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "beacon.settings.base")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402

from beacon.contacts.models import Contact  # noqa: E402
from beacon.orgs.actions import do_create_organization  # noqa: E402
from beacon.orgs.models import Organization  # noqa: E402
from beacon.reports.datasets import DATASETS  # noqa: E402
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
    copying = connection.vendor == "sqlite" and rows > BATCH
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
        cursor.execute(f'PRAGMA table_info("{table}")')
        return [row[1] for row in cursor.fetchall() if row[1] != "id"]


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
    """SQLite only: the rest of the rows as shifted copies of the first batch, made by the
    database itself (bulk_create of a million rows takes most of an hour on a shared
    machine). Each copy gets its own ids, keys, times, scores and comment; the rows are the
    same in kind as those made one by one, and seeding is not what is measured."""
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
            shift = f"'+{10 * base} seconds'"
            _copy("responses_response", {
                "contact_id": f"t.contact_id + {base}",
                "idempotency_key": f"'r' || ({base} + {r})",
                "responded_at": f"datetime(t.responded_at, {shift})",
                "completed_at": f"datetime(t.completed_at, {shift})",
            }, response0)  # fmt: skip
            k = f"({base} + t.response_id - {response0})"
            _copy("responses_answer", {
                "response_id": f"t.response_id + {base}",
                "number": f"CASE WHEN t.number IS NULL THEN NULL ELSE {k} % 11 END",
                "text": f"CASE WHEN t.question_id = {text_question} THEN CASE {k} % {len(WORDS)} "
                f"{comments} END ELSE t.text END",
            }, answer0, 2 * BATCH)  # fmt: skip
            print(f"seeded {base + BATCH:,}", file=sys.stderr, flush=True)


def export(dataset: str, fmt: str) -> dict[str, float | int | str]:
    org = Organization.objects.get(slug="export-bench")
    began = time.perf_counter()
    response = download(DATASETS[dataset], org, {}, True, fmt)
    size = 0
    for part in response.streaming_content:  # type: ignore[attr-defined]
        size += len(part)
    seconds = time.perf_counter() - began
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"dataset": dataset, "format": fmt, "seconds": round(seconds, 1),
            "peak_rss_mb": round(rss_mb), "bytes": size}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--dataset", default="responses")
    parser.add_argument("--child", nargs=2, metavar=("DATASET", "FORMAT"))
    args = parser.parse_args()
    if args.child:
        print(json.dumps(export(*args.child)))
        return
    seed(args.rows)
    count = Response.objects.count()
    results = []
    for fmt in ("csv", "parquet", "xlsx"):
        out = subprocess.run(
            [sys.executable, __file__, "--child", args.dataset, fmt],
            check=True, capture_output=True, text=True,
        )  # fmt: skip
        result = json.loads(out.stdout.strip().splitlines()[-1])
        result["rows"] = count
        print(result, flush=True)
        results.append(result)
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
