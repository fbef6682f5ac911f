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
    for base in range(0, rows, BATCH):
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
            comment = " ".join(WORDS[(k + j) % len(WORDS)] for j in range(12))
            answers.append(Answer(organization=org, response=r, question=text, text=comment))
        Answer.objects.bulk_create(answers)
        print(f"seeded {base + n:,}", file=sys.stderr, flush=True)
    assert Question.objects.filter(survey=survey, kind=QuestionKind.NPS).exists()


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
