"""Outcomes at scale: ingest through the batch write path, the worker's money run, and
reading the stored figures as the Value page and the API do.

    BEACON_DATA_DIR=/tmp/beacon-outcomes-bench python benchmarks/outcomes.py \\
        --customers 1000000 --events 10

`seed` fills a fresh database with one organisation, N customers with one NPS answer each
and `--events` outcomes per customer (a subscription start, orders, service contacts and
an end for about one in six), written with bulk_create: the rows themselves are not what
is measured. Then, each in its own process so its peak RSS (getrusage) is its own:

- `ingest`: new outcome items through `do_record_outcomes` (the API's batch endpoint and
  the webhook's write path) in `--ingest-batches` batches of 1,000; items per second;
- `refresh`: the worker's job (`refresh_value_reports`): every money analysis fitted and
  stored; seconds;
- `read`: the stored Value report read with each figure's text (`stored_report`) and
  serialised to JSON, as every page and API request does; p95 in milliseconds (target
  300 ms).

Results go to benchmarks/results/outcomes.json (or `--out`).
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
import numpy as np

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "beacon.settings.base")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
django.setup()

from django.core.management import call_command  # noqa: E402

from beacon.contacts.models import Contact  # noqa: E402
from beacon.orgs.actions import do_create_organization  # noqa: E402
from beacon.orgs.models import Organization  # noqa: E402
from beacon.outcomes.models import Outcome, OutcomeKind  # noqa: E402
from beacon.responses.models import Answer, Response  # noqa: E402
from beacon.surveys.actions import QuestionIn, do_add_question, do_create_survey  # noqa: E402
from beacon.surveys.models import SurveyStatus  # noqa: E402

RESULTS = Path(__file__).parent / "results" / "outcomes.json"
SLUG = "outcome-bench"
BATCH = 10_000
READS = 50
END = dt.datetime(2026, 6, 1, tzinfo=dt.UTC)


def _outcomes(org: Organization, contact: Contact, k: int, events: int,
              rng: np.random.Generator) -> list[Outcome]:  # fmt: skip
    """A subscription start, orders and service contacts; an end for detractors' share."""
    start = END - dt.timedelta(days=int(rng.integers(200, 500)))
    rows = [Outcome(organization=org, contact=contact, kind=OutcomeKind.SUBSCRIPTION_STARTED,
                    occurred_at=start, idempotency_key=f"s{k}", amount=30)]  # fmt: skip
    for e in range(max(events - 1, 0)):
        kind = OutcomeKind.ORDER if e % 2 else OutcomeKind.SERVICE_CONTACT
        when = start + dt.timedelta(days=float(rng.uniform(1, 190)))
        rows.append(Outcome(organization=org, contact=contact, kind=kind, occurred_at=when,
                            idempotency_key=f"e{k}-{e}", amount=float(rng.integers(5, 120)),
                            channel="phone"))  # fmt: skip
    if k % 6 == 0:
        end = start + dt.timedelta(days=195)
        ended = OutcomeKind.SUBSCRIPTION_ENDED
        rows.append(Outcome(organization=org, contact=contact, occurred_at=end, kind=ended,
                            idempotency_key=f"x{k}"))  # fmt: skip
    return rows


def seed(customers: int, events: int) -> Organization:
    call_command("migrate", verbosity=0)
    found = Organization.objects.filter(slug=SLUG).first()
    if found is not None:
        return found
    rng = np.random.default_rng(1)
    org = do_create_organization("Outcome bench", slug=SLUG)
    survey = do_create_survey(org, "After the call", "How did we do?", status=SurveyStatus.ACTIVE)
    nps = do_add_question(survey, QuestionIn("nps", "Recommend us?", required=True))
    for base in range(0, customers, BATCH):
        n = min(BATCH, customers - base)
        contacts = Contact.objects.bulk_create(
            Contact(organization=org, external_id=f"c{base + i}") for i in range(n)
        )
        outcomes: list[Outcome] = []
        answered = []
        for i, contact in enumerate(contacts):
            outcomes += _outcomes(org, contact, base + i, events, rng)
            answered.append(END - dt.timedelta(days=int(rng.integers(150, 199))))
        Outcome.objects.bulk_create(outcomes, batch_size=BATCH)
        responses = Response.objects.bulk_create(
            Response(organization=org, survey=survey, contact=contacts[i],
                     idempotency_key=f"r{base + i}", responded_at=answered[i],
                     completed_at=answered[i])
            for i in range(n)
        )  # fmt: skip
        Answer.objects.bulk_create(
            Answer(organization=org, response=r, question=nps, number=int(rng.integers(0, 11)))
            for r in responses
        )
        print(f"seeded {base + n:,} customers", file=sys.stderr, flush=True)
    return org


def ingest(org: Organization, batches: int) -> dict[str, Any]:
    from beacon.outcomes.actions import do_record_outcomes

    known = min(Contact.objects.for_org(org).count(), 1000)
    began = time.perf_counter()
    items = 0
    for b in range(batches):
        batch = [
            {"kind": "order", "contact_id": f"c{i % known}",
             "idempotency_key": f"bench-{b}-{i}", "occurred_at": END.isoformat(),
             "amount": "12.50"}
            for i in range(1000)
        ]  # fmt: skip
        results = do_record_outcomes(org, batch)
        items += sum(r.status == "created" for r in results)
    seconds = time.perf_counter() - began
    return {"ingest_items": items, "ingest_seconds": round(seconds, 2),
            "ingest_items_per_s": round(items / seconds)}  # fmt: skip


def refresh(org: Organization, _batches: int) -> dict[str, Any]:
    # The body of the worker's job (`refresh_value_reports`), called here rather than queued.
    from beacon.analytics.money.report import refresh as refresh_reports

    began = time.perf_counter()
    refresh_reports(org, END)
    return {"refresh_seconds": round(time.perf_counter() - began, 1)}


def read(org: Organization, _batches: int) -> dict[str, Any]:
    from beacon.analytics.money.stored import stored_report
    from beacon.outcomes.models import ReportKind

    samples = []
    for i in range(READS + 3):
        began = time.perf_counter()
        report = stored_report(org.pk, ReportKind.VALUE)
        body = json.dumps(report.data)
        if i >= 3:  # the first reads warm caches
            samples.append(time.perf_counter() - began)
    ordered = sorted(samples)
    p95 = ordered[max(0, round(0.95 * len(ordered)) - 1)]
    return {"read_p95_ms": round(p95 * 1000, 1), "report_bytes": len(body)}


STEPS = {"ingest": ingest, "refresh": refresh, "read": read}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--events", type=int, default=10, help="outcomes per customer")
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--ingest-batches", type=int, default=20, help="of 1,000 items")
    parser.add_argument("--child", choices=list(STEPS))
    args = parser.parse_args()
    if args.child:
        result = STEPS[args.child](Organization.objects.get(slug=SLUG), args.ingest_batches)
        result[f"{args.child}_peak_rss_mb"] = round(
            resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        )
        print(json.dumps(result))
        return
    org = seed(args.customers, args.events)
    results: dict[str, Any] = {
        "customers": Contact.objects.for_org(org).count(),
        "outcomes": Outcome.objects.for_org(org).count(),
    }
    for step in ("ingest", "refresh", "read"):
        out = subprocess.run(
            [sys.executable, __file__, "--child", step, "--ingest-batches",
             str(args.ingest_batches)],
            check=True, capture_output=True, text=True,
        )  # fmt: skip
        results.update(json.loads(out.stdout.strip().splitlines()[-1]))
        print(step, results, flush=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
