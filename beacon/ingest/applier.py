"""Applying the ingest log: logged posts become responses, in id order, in batches.

Runs in its own process (`beacon ingest_applier`, started beside the worker's queues),
so case jobs never hold its interpreter. Each batch is one transaction through the bulk
writer (`responses.bulk.store`: rows, answers, rollups), then each response gets the id
its post was answered with (reserved from the response sequence when it was logged),
then the fan-out is enqueued as the pipeline does for every stored response.

An applied row is deleted in the same transaction: from then on the response is the
record, and erasure and retention reach its comment there, so the log never holds a
comment's words longer than it takes to apply them. A row that cannot be applied keeps
its error and what it held except its free text (`_without_text`), never retried blindly;
`prune_failed` deletes such rows after `FAILED_KEEP`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.db import connection, transaction

from beacon.core import clock
from beacon.core.errors import ValidationFailed
from beacon.ingest.models import IngestKind, IngestLog
from beacon.pipeline.actions import CASE_STAGE, enqueue_stage
from beacon.responses import bulk, checks
from beacon.responses.models import Answer, Response
from beacon.surveys.models import Survey

BATCH = 1000
# How long a row that could not be applied stays for an admin to look at.
FAILED_KEEP = dt.timedelta(days=30)
# Serializes appliers on PostgreSQL (two consumer threads may both run one); SQLite's
# write lock does the same there.
_APPLIER_LOCK = 0x1_0E57


def apply_pending(limit: int = 100_000) -> int:
    """Apply logged posts until none is left (or `limit` rows); returns how many rows."""
    done = 0
    while done < limit:
        applied = apply_batch(min(BATCH, limit - done))
        if not applied:
            break
        done += applied
    return done


def apply_batch(size: int = BATCH) -> int:
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_APPLIER_LOCK])
        rows = list(
            IngestLog.objects.filter(applied_at__isnull=True, kind=IngestKind.RESPONSE)
            .order_by("pk")
            .values_list("pk", "organization_id", "idempotency_key", "payload", "target_id")[:size]
        )
        if not rows:
            return 0
        surveys = Survey.objects.in_bulk({row[3]["survey_id"] for row in rows})
        items: dict[int, checks.ResponseIn] = {}
        errors: dict[int, str] = {}
        for pk, org_id, key, payload, _ in rows:
            survey = surveys.get(payload["survey_id"])
            if survey is None or survey.organization_id != org_id:
                errors[pk] = f"survey {payload['survey_id']} no longer exists"
            else:
                items[pk] = _response_in(survey, key, payload)
        stored = _store(items, errors)
        targets = {pk: target for pk, *_, target in rows}
        _renumber([(assigned, targets[pk]) for pk, assigned in stored.items()])
        for pk in items:
            if pk not in stored and pk not in errors:
                errors[pk] = "the idempotency key was stored by another path first"
        now = clock.now()
        IngestLog.objects.filter(pk__in=[row[0] for row in rows if row[0] not in errors]).delete()
        payloads = {pk: payload for pk, _, _, payload, _ in rows}
        for pk, message in errors.items():
            IngestLog.objects.filter(pk=pk).update(
                applied_at=now, error=message, payload=_without_text(payloads[pk])
            )
        if stored:
            enqueue_stage(CASE_STAGE)
    return len(rows)


def _without_text(payload: dict[str, Any]) -> dict[str, Any]:
    """A failed row's payload without the respondent's words (scores, choices and ids
    stay, to say what was lost): the log has no contact to erase by and is not reached
    by retention, so it keeps no free text once applying is over."""
    answers = [[q, n, "", c] for q, n, _, c in payload["answers"]]
    return {**payload, "answers": answers}


def prune_failed(now: dt.datetime | None = None) -> int:
    """Delete rows that failed to apply more than FAILED_KEEP ago; rows deleted."""
    before = (now or clock.now()) - FAILED_KEEP
    deleted, _ = IngestLog.objects.filter(applied_at__lt=before).delete()
    return deleted


def _response_in(survey: Survey, key: str, payload: dict[str, Any]) -> checks.ResponseIn:
    return checks.ResponseIn(
        survey=survey,
        idempotency_key=key,
        answers=[checks.AnswerIn(q, n, t, list(c)) for q, n, t, c in payload["answers"]],
        channel="api",
        responded_at=dt.datetime.fromisoformat(payload["responded_at"]),
    )


def _store(items: dict[int, checks.ResponseIn], errors: dict[int, str]) -> dict[int, int]:
    """Store the batch; returns log row -> the id the bulk writer gave its response.

    A batch the checks refuse (a survey edited between accepting and applying) is
    stored item by item, each in a savepoint, so only the refused rows are left out."""
    by_item = {id(item): pk for pk, item in items.items()}
    try:
        with transaction.atomic():
            created = bulk.store(list(items.values()), batch_size=BATCH)
    except ValidationFailed:
        created = []
        for pk, item in items.items():
            try:
                with transaction.atomic():
                    created += bulk.store([item])
            except ValidationFailed as e:
                errors[pk] = "; ".join(f"{f}: {m}" for f, m in e.errors.items())
    return {by_item[id(item)]: assigned for assigned, item in created}


def _renumber(pairs: Sequence[tuple[int, int]]) -> None:
    """Give each new response (and its answers) the id its post was answered with.

    The reserved ids come from the same sequence and were never handed out, and foreign
    keys are checked at commit, so the two updates cannot collide with any row."""
    pairs = [(assigned, target) for assigned, target in pairs if assigned != target]
    if not pairs:
        return
    values = ", ".join(["(%s, %s)"] * len(pairs))
    params = [n for pair in pairs for n in pair]
    cast = "::bigint" if connection.vendor == "postgresql" else ""
    mapping = f"SELECT column1{cast} AS old, column2{cast} AS new FROM (VALUES {values}) AS v"  # noqa: S608
    with connection.cursor() as cursor:
        for table, column in ((Response._meta.db_table, "id"),
                              (Answer._meta.db_table, "response_id")):  # fmt: skip
            sql = f"UPDATE {table} SET {column} = m.new FROM ({mapping}) AS m "  # noqa: S608
            cursor.execute(sql + f"WHERE {table}.{column} = m.old", params)
