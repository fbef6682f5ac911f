"""Appending to the ingest log: one statement per group of accepted posts.

Runs on the edge's writer thread (`edge.GroupWriter`), never in the event loop. A group
is one transaction: the ids the responses will get are reserved from the response table's
own sequence, the rows go in with one `INSERT … ON CONFLICT DO NOTHING RETURNING`, and the
keys that were there already are read back, so each post learns whether it is new (201)
or a retry (200 with what the first post stored).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import connection, transaction

from beacon.core import clock
from beacon.ingest.models import IngestKind, IngestLog
from beacon.responses.models import Response

logger = logging.getLogger(__name__)

LOG = IngestLog._meta.db_table
RESPONSE = Response._meta.db_table


@dataclass(frozen=True)
class Accepted:
    """A post the edge checked: what goes into the log's payload."""

    org_id: int
    key: str
    payload: dict[str, Any]


@dataclass(frozen=True)
class Appended:
    """What the log says about one accepted post.

    `target_id` and `payload` are the stored row's (the first post's, for a retry);
    `elsewhere` means the key belongs to a response stored by the Django path (a partial
    response, or one stored before the edge was on), which only that path can answer.
    """

    created: bool
    target_id: int = 0
    payload: dict[str, Any] | None = None
    elsewhere: bool = False


def append(items: Sequence[Accepted]) -> list[Appended]:
    """Append a group in one transaction; one answer per item, in order.

    A key still waiting in the log is answered from it. A key whose row was applied is
    no longer in the log (the applier deletes applied rows) but in the response table,
    read after the log, so a row applied between the two reads is found in the second;
    a row that failed to apply stays with its error and is left to the Django path too.
    """
    pg = connection.vendor == "postgresql"
    first: dict[tuple[int, str], Accepted] = {}
    for item in items:
        first.setdefault((item.org_id, item.key), item)
    with transaction.atomic():
        logged, failed = _read_back(list(first))
        elsewhere = failed | _stored_responses(
            [m for m in first if m not in logged and m not in failed]
        )
        fresh = [item for m, item in first.items() if m not in logged and m not in elsewhere]
        created = _insert(fresh, pg) if fresh else {}
        # Appended by another process since the read above: ON CONFLICT left them out.
        raced = [(i.org_id, i.key) for i in fresh if (i.org_id, i.key) not in created]
        if raced:
            again, _ = _read_back(raced)
            logged.update(again)
            # Appended and applied already: the response table has it now.
            elsewhere |= {m for m in raced if m not in again}
    if created:
        _wake_applier()
    answers: list[Appended] = []
    for item in items:
        marker = (item.org_id, item.key)
        if marker in elsewhere:
            answers.append(Appended(created=False, elsewhere=True))
        elif marker in created:  # the same key twice in one group: the first one counts
            original = first[marker]
            answers.append(Appended(original is item, created[marker], original.payload))
        else:
            target_id, payload = logged[marker]
            answers.append(Appended(False, target_id, payload))
    return answers


def _wake_applier() -> None:
    """Without a worker (jobs run inline: tests, a demo without `beacon worker`) apply
    now, on this thread. With one, the applier process polls the log by itself."""
    if not settings.HUEY.get("immediate"):
        return
    from beacon.ingest.applier import apply_pending

    try:
        apply_pending()
    except Exception:
        logger.exception("ingest log: applying inline failed; the rows stay logged")


def reserve_response_ids(count: int) -> list[int]:
    """Ids no response has or will get from the Django path: taken from its sequence."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            sql = f"SELECT nextval(pg_get_serial_sequence('{RESPONSE}', 'id')) FROM "  # noqa: S608
            cursor.execute(sql + "generate_series(1, %s)", [count])
            return [row[0] for row in cursor.fetchall()]
        # SQLite's AUTOINCREMENT takes the next id above both sqlite_sequence and the
        # largest id stored, so raising the former sets aside the ids in between.
        largest = f"SELECT COALESCE(MAX(id), 0) FROM {RESPONSE}"  # noqa: S608
        cursor.execute(
            f"INSERT INTO sqlite_sequence (name, seq) SELECT %s, ({largest}) "  # noqa: S608
            "WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = %s)",
            [RESPONSE, RESPONSE],
        )
        cursor.execute(
            "UPDATE sqlite_sequence SET seq = seq + %s WHERE name = %s RETURNING seq",
            [count, RESPONSE],
        )
        top = int(cursor.fetchone()[0])
    return list(range(top - count + 1, top + 1))


def _stored_responses(markers: Sequence[tuple[int, str]]) -> set[tuple[int, str]]:
    by_org: dict[int, list[str]] = {}
    for org_id, key in markers:
        by_org.setdefault(org_id, []).append(key)
    found: set[tuple[int, str]] = set()
    for org_id, keys in by_org.items():
        for key in Response.objects.filter(
            organization_id=org_id, idempotency_key__in=keys
        ).values_list("idempotency_key", flat=True):
            found.add((org_id, key))
    return found


def _insert(fresh: list[Accepted], pg: bool) -> dict[tuple[int, str], int]:
    ids = reserve_response_ids(len(fresh))
    stamp = connection.ops.adapt_datetimefield_value(clock.now())
    params: list[Any] = []
    for item, target_id in zip(fresh, ids, strict=True):
        params += [item.org_id, stamp, IngestKind.RESPONSE, item.key,
                   json.dumps(item.payload), target_id, ""]  # fmt: skip
    row = "(%s, %s, %s, %s, %s::jsonb, %s, %s)" if pg else "(%s, %s, %s, %s, %s, %s, %s)"
    sql = (
        f"INSERT INTO {LOG} (organization_id, created_at, kind, idempotency_key, payload, "  # noqa: S608
        f"target_id, error) VALUES {', '.join([row] * len(fresh))} "
        "ON CONFLICT (organization_id, kind, idempotency_key) DO NOTHING "
        "RETURNING organization_id, idempotency_key, target_id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {(org_id, key): target_id for org_id, key, target_id in cursor.fetchall()}


def _read_back(
    markers: list[tuple[int, str]],
) -> tuple[dict[tuple[int, str], tuple[int, dict[str, Any]]], set[tuple[int, str]]]:
    """Rows waiting to be applied (marker -> target id, payload) and the markers of rows
    that failed to apply."""
    waiting: dict[tuple[int, str], tuple[int, dict[str, Any]]] = {}
    failed: set[tuple[int, str]] = set()
    by_org: dict[int, list[str]] = {}
    for org_id, key in markers:
        by_org.setdefault(org_id, []).append(key)
    for org_id, keys in by_org.items():
        rows = IngestLog.objects.filter(
            organization_id=org_id, kind=IngestKind.RESPONSE, idempotency_key__in=keys
        ).values_list("idempotency_key", "target_id", "payload", "applied_at")
        for key, target_id, payload, applied_at in rows:
            if applied_at is None:
                waiting[(org_id, key)] = (target_id, payload)
            else:
                failed.add((org_id, key))
    return waiting, failed
