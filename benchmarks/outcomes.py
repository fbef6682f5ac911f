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
from decimal import Decimal
from pathlib import Path
from typing import Any

import django
import numpy as np

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "beacon.settings.base")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, models, transaction  # noqa: E402

from beacon.contacts.models import Contact  # noqa: E402
from beacon.orgs.actions import do_create_organization  # noqa: E402
from beacon.orgs.models import Organization  # noqa: E402
from beacon.outcomes.models import Outcome, OutcomeKind  # noqa: E402
from beacon.responses.models import Answer, Response  # noqa: E402
from beacon.surveys.actions import QuestionIn, do_add_question, do_create_survey  # noqa: E402
from beacon.surveys.models import Question, Survey, SurveyStatus  # noqa: E402

RESULTS = Path(__file__).parent / "results" / "outcomes.json"
SLUG = "outcome-bench"
BATCH = 10_000
READS = 50
END = dt.datetime(2026, 6, 1, tzinfo=dt.UTC)


def _write(model: type[models.Model], n: int, fixed: dict[str, Any],
           varying: dict[str, list[Any]]) -> list[int]:  # fmt: skip
    """Insert n rows of `model` and return their keys: columns in `varying` one value per
    row, every other column its `fixed` or default value. On PostgreSQL through COPY, with
    keys taken from the table's sequence first (COPY returns none); bulk_create's INSERTs
    and a model instance per row would take most of an hour for 10M outcomes."""
    table = model._meta.db_table
    fields = [f for f in model._meta.concrete_fields if f.column != "id"]
    template = model(**fixed)
    prepped = {f.column: f.get_db_prep_save(f.pre_save(template, True), connection)
               for f in fields}  # fmt: skip
    by_column = {f.column: f for f in fields}
    columns = ["id", *prepped]
    quoted = ", ".join(connection.ops.quote_name(c) for c in columns)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                [table, n],
            )
            ids = [pk for (pk,) in cursor.fetchall()]
        else:  # one writer: the keys after the largest are free
            cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {table}")
            first = cursor.fetchone()[0] + 1
            ids = list(range(first, first + n))
        values: list[Any] = [ids]
        for column, value in prepped.items():
            if column not in varying:
                values.append([value] * n)
            elif connection.vendor == "postgresql":  # psycopg adapts Python values itself
                values.append(varying[column])
            else:
                field = by_column[column]
                values.append([field.get_db_prep_save(v, connection) for v in varying[column]])
        rows = zip(*values, strict=True)
        if connection.vendor == "postgresql":
            raw = cursor.cursor  # psycopg's own cursor: Django's wrapper has no COPY
            with raw.copy(f"COPY {table} ({quoted}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            marks = ", ".join(["%s"] * len(columns))
            cursor.executemany(f"INSERT INTO {table} ({quoted}) VALUES ({marks})", list(rows))
    return ids


def _days_before_end(days: np.ndarray) -> list[dt.datetime]:
    return [END - dt.timedelta(days=float(d)) for d in days]


def _seed_outcomes(org: Organization, contacts: list[int], base: int, events: int,
                   rng: np.random.Generator) -> None:  # fmt: skip
    """A subscription start per customer, `events - 1` orders and service contacts after
    it, and an end 195 days after the start for one customer in six."""
    n = len(contacts)
    start = rng.integers(200, 500, n).astype(float)  # days before END
    contact_ids, kinds, keys, days, amounts = [], [], [], [], []
    contact_ids += contacts
    kinds += [OutcomeKind.SUBSCRIPTION_STARTED] * n
    keys += [f"s{base + i}" for i in range(n)]
    days += list(start)
    amounts += [Decimal(30)] * n
    channels = [""] * n
    for e in range(max(events - 1, 0)):
        kind = OutcomeKind.ORDER if e % 2 else OutcomeKind.SERVICE_CONTACT
        contact_ids += contacts
        kinds += [kind] * n
        keys += [f"e{base + i}-{e}" for i in range(n)]
        days += list(start - rng.uniform(1, 190, n))
        amounts += [Decimal(int(a)) for a in rng.integers(5, 120, n)]
        channels += ["phone"] * n
    ended = [i for i in range(n) if (base + i) % 6 == 0]
    contact_ids += [contacts[i] for i in ended]
    kinds += [OutcomeKind.SUBSCRIPTION_ENDED] * len(ended)
    keys += [f"x{base + i}" for i in ended]
    days += [start[i] - 195 for i in ended]
    amounts += [None] * len(ended)
    channels += [""] * len(ended)
    _write(Outcome, len(keys), {"organization": org}, {
        "contact_id": contact_ids, "kind": kinds, "idempotency_key": keys,
        "occurred_at": _days_before_end(np.array(days)), "amount": amounts,
        "channel": channels,
    })  # fmt: skip


def _insert_select(model: type[models.Model], fixed: dict[str, Any], exprs: dict[str, str],
                   source: str, params: list[Any]) -> None:  # fmt: skip
    """INSERT ... SELECT: the columns in `exprs` computed by PostgreSQL from `source`, every
    other column its `fixed` or default value (as the model would write it)."""
    table = model._meta.db_table
    fields = [f for f in model._meta.concrete_fields if f.column != "id"]
    template = model(**fixed)
    columns, selects, values = [], [], []
    for f in fields:
        columns.append(connection.ops.quote_name(f.column))
        if f.column in exprs:
            selects.append(exprs[f.column])
        else:
            selects.append("%s")
            values.append(f.get_db_prep_save(f.pre_save(template, True), connection))
    sql = f"INSERT INTO {table} ({', '.join(columns)}) SELECT {', '.join(selects)} FROM {source}"
    with connection.cursor() as cursor:
        cursor.execute(sql, [*values, *params])


def _seed_postgres(org: Organization, survey: Survey, nps: Question, customers: int,
                   events: int) -> None:  # fmt: skip
    """The same data as `_seed_outcomes` and `seed` write, generated by PostgreSQL itself:
    even COPY spends an hour of this shared machine's Python on 10M rows."""
    end = f"'{END.isoformat()}'::timestamptz - ({{}}) * interval '1 day'"
    with connection.cursor() as cursor:
        cursor.execute("SELECT setseed(0.1)")
    for base in range(0, customers, 100_000):
        hi = min(base + 100_000, customers)
        with transaction.atomic():
            _insert_select(Contact, {"organization": org}, {"external_id": "'c' || g"},
                           "generate_series(%s, %s) g", [base, hi - 1])  # fmt: skip
            with connection.cursor() as cursor:
                cursor.execute(
                    "CREATE TEMP TABLE bench_start ON COMMIT DROP AS SELECT id AS contact_id, "
                    "substr(external_id, 2)::bigint AS k, 200 + floor(random() * 300) AS start "
                    "FROM contacts_contact WHERE organization_id = %s AND id > "
                    "(SELECT COALESCE(MAX(contact_id), 0) FROM outcomes_outcome "
                    " WHERE organization_id = %s)",
                    [org.pk, org.pk],
                )
            common = {"contact_id": "contact_id"}
            _insert_select(Outcome, {"organization": org}, {
                **common, "kind": f"'{OutcomeKind.SUBSCRIPTION_STARTED}'",
                "occurred_at": end.format("start"), "idempotency_key": "'s' || k",
                "amount": "30",
            }, "bench_start", [])  # fmt: skip
            _insert_select(Outcome, {"organization": org, "channel": "phone"}, {
                **common,
                "kind": f"CASE WHEN e %% 2 = 1 THEN '{OutcomeKind.ORDER}' "
                        f"ELSE '{OutcomeKind.SERVICE_CONTACT}' END",
                "occurred_at": end.format("start - 1 - random() * 189"),
                "idempotency_key": "'e' || k || '-' || e",
                "amount": "floor(5 + random() * 115)",
            }, "bench_start CROSS JOIN generate_series(0, %s) e", [events - 2])  # fmt: skip
            _insert_select(Outcome, {"organization": org}, {
                **common, "kind": f"'{OutcomeKind.SUBSCRIPTION_ENDED}'",
                "occurred_at": end.format("start - 195"), "idempotency_key": "'x' || k",
            }, "bench_start WHERE k %% 6 = 0", [])  # fmt: skip
            answered = end.format("150 + floor(random() * 49)")
            _insert_select(Response, {"organization": org, "survey": survey}, {
                **common, "idempotency_key": "'r' || k", "responded_at": "answered",
                "completed_at": "answered",
            }, f"(SELECT contact_id, k, {answered} AS answered FROM bench_start) a",
               [])  # fmt: skip
            _insert_select(Answer, {"organization": org, "question": nps}, {
                "response_id": "id", "number": "floor(random() * 11)",
            }, "responses_response WHERE survey_id = %s AND id > "
               "(SELECT COALESCE(MAX(response_id), 0) FROM responses_answer "
               " WHERE question_id = %s)", [survey.pk, nps.pk])  # fmt: skip
        print(f"seeded {hi:,} customers", file=sys.stderr, flush=True)


def seed(customers: int, events: int) -> Organization:
    call_command("migrate", verbosity=0)
    found = Organization.objects.filter(slug=SLUG).first()
    if found is not None:
        return found
    rng = np.random.default_rng(1)
    org = do_create_organization("Outcome bench", slug=SLUG)
    survey = do_create_survey(org, "After the call", "How did we do?", status=SurveyStatus.ACTIVE)
    nps = do_add_question(survey, QuestionIn("nps", "Recommend us?", required=True))
    if connection.vendor == "postgresql":
        _seed_postgres(org, survey, nps, customers, events)
        return org
    for base in range(0, customers, BATCH):
        n = min(BATCH, customers - base)
        with transaction.atomic():
            contacts = _write(Contact, n, {"organization": org},
                              {"external_id": [f"c{base + i}" for i in range(n)]})  # fmt: skip
            _seed_outcomes(org, contacts, base, events, rng)
            answered = _days_before_end(rng.integers(150, 199, n))
            responses = _write(Response, n, {"organization": org, "survey": survey}, {
                "contact_id": contacts, "idempotency_key": [f"r{base + i}" for i in range(n)],
                "responded_at": answered, "completed_at": answered,
            })  # fmt: skip
            scores = [int(x) for x in rng.integers(0, 11, n)]
            _write(Answer, n, {"organization": org, "question": nps},
                   {"response_id": responses, "number": scores})  # fmt: skip
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
    parser.add_argument("--steps", default=",".join(STEPS), help="which to measure, e.g. read")
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
    for step in [s for s in args.steps.split(",") if s]:
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
