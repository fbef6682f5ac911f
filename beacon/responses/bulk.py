"""The bulk write path: many complete responses in a few statements per batch.

`ingest_bulk()` (imports, demo data, benchmarks) comes here. The rules are those of
`ingest()`: the same validation with the same field errors, idempotency keys skipped when
stored or repeated, score rollups updated in the same transaction. What differs is the
work per response in Python (docs/performance.md has the figures):

- validation checks each answer against precomputed per-question ranges; an item that
  is not plainly valid goes through the full checks of `ingest`, which name the field;
- rows are plain tuples, written by `core.rows` (`executemany` on SQLite, `COPY` on
  PostgreSQL; no model objects);
- rollup deltas are grouped with NumPy (`rollups.add_many`), one upsert per rollup
  table and batch, instead of a Python counter per answer and slice.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from beacon.contacts.actions import ContactIn, check_contact, do_upsert_contacts
from beacon.core import clock
from beacon.core.errors import ValidationFailed
from beacon.core.memory import collector_paused
from beacon.core.rows import insert
from beacon.responses import rollups
from beacon.responses.checks import (
    MAX_TEXT_LENGTH,
    ResponseIn,
    check_answers,
    check_envelope,
    check_required,
    check_shown,
    dimensions,
    given_answers,
)
from beacon.responses.events import responses_received
from beacon.responses.models import Answer, Response
from beacon.surveys.models import Question, QuestionKind, Survey

# SQLite page cache while a bulk load runs (KiB).
BULK_SQLITE_CACHE_KIB = 512 * 1024

RESPONSE = Response._meta.db_table

_RESPONSE_COLUMNS = ("created_at", "channel", "idempotency_key", "responded_at", "completed_at",
                     "processed_at", "invitation_id", "contact_id", "interaction_id",
                     "touchpoint_id", "stage_id", "persona_id", "team_id", "staff_id",
                     "organization_id", "survey_id", "rollup_attributes")  # fmt: skip
_ANSWER_COLUMNS = ("created_at", "organization_id", "response_id", "question_id", "number",
                   "text", "choices")  # fmt: skip


@dataclass(frozen=True)
class _Rules:
    """What a plainly valid answer looks like, per question of one survey."""

    questions: dict[int, Question]
    ranges: dict[int, tuple[int, int]]
    texts: frozenset[int]
    required: frozenset[int]

    @classmethod
    def of(cls, survey_id: int) -> _Rules:
        questions = {q.pk: q for q in Question.objects.filter(survey_id=survey_id)}
        ranges = {}
        for q in questions.values():
            scale = q.scale
            if scale is not None:
                ranges[q.pk] = (scale.low, scale.high)
        texts = frozenset(q.pk for q in questions.values() if q.kind == QuestionKind.TEXT)
        required = frozenset(q.pk for q in questions.values() if q.required)
        # Show-if rules are read by the full checks (conditions.py), never guessed here.
        if any(q.show_if_question_id is not None for q in questions.values()):
            ranges, texts = {}, frozenset()
        return cls(questions, ranges, texts, required)


@dataclass
class _Seen:
    """What one call has resolved so far: question rules per survey, and each distinct
    (survey, invitation, contact, interaction, touchpoint) as a code into `who`."""

    rules: dict[int, _Rules] = field(default_factory=dict)
    codes: dict[tuple[int, ...], int] = field(default_factory=dict)
    who: list[rollups.Who] = field(default_factory=list)
    # Per code: invitation, contact, interaction, touchpoint, stage, persona, team and
    # staff ids (None for none), then the rollup attributes as stored (JSON text).
    columns: list[tuple[Any, ...]] = field(default_factory=list)
    attribute_keys: dict[int, list[str]] = field(default_factory=dict)


def store(
    items: Sequence[ResponseIn], *, historical: bool = False, batch_size: int = 5000
) -> list[tuple[int, ResponseIn]]:
    """Store many complete responses; returns (id, item) of each response created.

    Each batch is validated whole, then written in one transaction; a bad item raises
    `ValidationFailed` (the field error `ingest` gives) before its batch writes anything.
    """
    seen = _Seen()
    created: list[tuple[int, ResponseIn]] = []
    with _large_page_cache(), collector_paused():
        for start in range(0, len(items), batch_size):
            batch = items[start : start + batch_size]
            codes = _validate(batch, seen)
            created.extend(_write(batch, codes, seen, historical))
    return created


@contextmanager
def _large_page_cache() -> Iterator[None]:
    """SQLite: a bulk load updates a dozen indexes and the rollups all over their
    B-trees; SQLite's default 2 MB page cache makes that disk-bound from ~1M rows."""
    if connection.vendor != "sqlite":
        yield
        return
    connection.ensure_connection()
    raw = connection.connection
    before = raw.execute("PRAGMA cache_size").fetchone()[0]
    raw.execute(f"PRAGMA cache_size = {-BULK_SQLITE_CACHE_KIB}")
    try:
        yield
    finally:
        raw.execute(f"PRAGMA cache_size = {int(before)}")


def _validate(items: Sequence[ResponseIn], seen: _Seen) -> list[int]:
    """Check every item; returns each item's code into `seen.who`."""
    return [_validate_one(d, seen) for d in items]


def _validate_one(d: ResponseIn, seen: _Seen) -> int:
    """Check one item (raises `ValidationFailed` naming the field); returns its code."""
    _check_answers(d, seen)
    marker = (id(d.survey), id(d.invitation), id(d.contact), id(d.interaction),
              id(d.touchpoint))  # fmt: skip
    code = seen.codes.get(marker)
    if code is None:
        check_envelope(d)
        code = seen.codes[marker] = _resolve(d, seen)
    return code


def _check_answers(d: ResponseIn, seen: _Seen) -> None:
    survey = d.survey
    r = seen.rules.get(survey.pk)
    if r is None:
        r = seen.rules[survey.pk] = _Rules.of(survey.pk)
    if not _plainly_valid(d, r):
        # The full checks raise with the field's message (or find the item valid).
        check_envelope(d)
        check_answers(r.questions, d.answers)
        hidden = check_shown(r.questions, given_answers(d.answers), d.answers)
        check_required(r.questions, {a.question_id for a in d.answers if not a.is_empty}, hidden)


@dataclass(frozen=True)
class Stored:
    """A response already stored under an item's key (a retry)."""

    id: int
    survey_id: int
    completed: bool


@dataclass
class Received:
    """What became of each item of `receive()`, by the item's position."""

    created: dict[int, int] = field(default_factory=dict)  # position -> new response id
    stored: dict[int, Stored] = field(default_factory=dict)
    refused: dict[int, dict[str, str]] = field(default_factory=dict)  # position -> errors


def receive(
    items: Sequence[ResponseIn], contacts: Sequence[ContactIn | None] | None = None
) -> Received:
    """Store each complete response on its own terms, in one transaction for all.

    The batch API's path: an invalid item is refused with the field errors `ingest` gives
    and the others are stored; an item whose key is already stored is reported with that
    response (not written again). New responses are stored completed now, as `ingest`
    stores them. `contacts` (one or None per item) are upserted with the responses, only
    for items stored now, as `submit_response` does. Call outside a transaction: if a
    concurrent request stores one of the keys first, the unique key refuses this write,
    which is then made again without that item.
    """
    seen = _Seen()
    out = Received()
    valid: list[tuple[int, ResponseIn]] = []
    for i, d in enumerate(items):
        contact = contacts[i] if contacts is not None else None
        try:
            if contact is not None:
                check_contact(d.survey.organization, contact)
            _check_answers(d, seen)
        except ValidationFailed as e:
            out.refused[i] = e.errors
        else:
            valid.append((i, d))
    for attempt in range(3):
        try:
            with transaction.atomic():
                out.created = _receive_fresh(valid, contacts, seen, out)
            return out
        except IntegrityError:
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def _receive_fresh(
    valid: list[tuple[int, ResponseIn]],
    contacts: Sequence[ContactIn | None] | None,
    seen: _Seen,
    out: Received,
) -> dict[int, int]:
    found = _stored_rows({(d.survey.organization_id, d.idempotency_key) for _, d in valid})
    fresh: list[tuple[int, ResponseIn]] = []
    for i, d in valid:
        row = found.get((d.survey.organization_id, d.idempotency_key))
        if row is None:
            fresh.append((i, d))
        elif row.survey_id != d.survey.pk:
            out.refused[i] = {"idempotency_key": "already used for another survey"}
        else:
            out.stored[i] = row
    if contacts is not None:
        fresh = _with_contacts(fresh, contacts)  # upserted in item order: later items win
    # Written in key order, so two batches holding the same keys in opposite orders wait
    # on the unique key instead of deadlocking (as `do_record_interactions`).
    fresh.sort(key=lambda item: item[1].idempotency_key)
    codes = [_validate_one(d, seen) for _, d in fresh]
    written = _write([d for _, d in fresh], codes, seen, historical=False, received=True)
    ids = {d.idempotency_key: pk for pk, d in written}
    by_survey: dict[int, tuple[Survey, int]] = {}
    for _, d in fresh:
        survey, n = by_survey.get(d.survey.pk, (d.survey, 0))
        by_survey[d.survey.pk] = (survey, n + 1)
    for survey, n in by_survey.values():
        responses_received(survey, count=n, channel=fresh[0][1].channel)
    return {i: ids[d.idempotency_key] for i, d in fresh}


def _with_contacts(
    fresh: list[tuple[int, ResponseIn]], contacts: Sequence[ContactIn | None]
) -> list[tuple[int, ResponseIn]]:
    """The items with their contact upserted (per organisation, in item order)."""
    by_org: dict[int, list[ContactIn]] = {}
    orgs = {}
    for i, d in fresh:
        c = contacts[i]
        if c is not None:
            by_org.setdefault(d.survey.organization_id, []).append(c)
            orgs[d.survey.organization_id] = d.survey.organization
    stored = {org_id: do_upsert_contacts(orgs[org_id], wanted) for org_id, wanted in by_org.items()}
    out = []
    for i, d in fresh:
        c = contacts[i]
        if c is not None:
            d = replace(d, contact=stored[d.survey.organization_id][c.external_id.strip()])
        out.append((i, d))
    return out


def _stored_rows(keys: set[tuple[int, str]]) -> dict[tuple[int, str], Stored]:
    by_org: dict[int, list[str]] = {}
    for org_id, key in keys:
        by_org.setdefault(org_id, []).append(key)
    found: dict[tuple[int, str], Stored] = {}
    for org_id, org_keys in by_org.items():
        rows = Response.objects.for_org(org_id).filter(idempotency_key__in=org_keys)
        for pk, key, survey_id, completed_at in rows.values_list(
            "pk", "idempotency_key", "survey_id", "completed_at"
        ):
            found[(org_id, key)] = Stored(pk, survey_id, completed_at is not None)
    return found


def _plainly_valid(d: ResponseIn, r: _Rules) -> bool:
    """True only when the full checks would pass; False means "ask them"."""
    key = d.idempotency_key
    if len(key) > 200 or not key.strip():
        return False
    ranges, texts = r.ranges, r.texts
    answered = set()
    for a in d.answers:
        q = a.question_id
        if q in answered:
            return False
        answered.add(q)
        bounds = ranges.get(q)
        if bounds is not None:
            n = a.number
            if n is None or not bounds[0] <= n <= bounds[1]:
                return False
        elif q in texts:
            if a.number is not None or a.choices or len(a.text) > MAX_TEXT_LENGTH:
                return False
            if not a.text.strip():
                answered.discard(q)  # an empty answer does not answer a required question
        else:
            return False
    return r.required <= answered


def _resolve(d: ResponseIn, seen: _Seen) -> int:
    org_id = d.survey.organization_id
    if org_id not in seen.attribute_keys:
        seen.attribute_keys[org_id] = rollups.attribute_keys(org_id)
    found = dimensions(d, seen.attribute_keys[org_id])

    def pk(name: str) -> int | None:
        obj = found[name]
        return obj.pk if obj is not None else None  # type: ignore[attr-defined]

    def ident(name: str) -> int | None:
        value = found[name]
        return value if isinstance(value, int) else None

    attrs: dict[str, str] = found["rollup_attributes"]  # type: ignore[assignment]
    columns = (pk("invitation"), pk("contact"), pk("interaction"), pk("touchpoint"),
               ident("stage_id"), ident("persona_id"), ident("team_id"), ident("staff_id"),
               json.dumps(attrs))  # fmt: skip
    seen.columns.append(columns)
    seen.who.append(
        rollups.Who(org_id, d.survey.pk, columns[4] or 0, columns[3] or 0, columns[5] or 0,
                    columns[6] or 0, tuple(sorted(attrs.items())), columns[0] is not None)
    )  # fmt: skip
    return len(seen.who) - 1


def _write(
    items: Sequence[ResponseIn],
    codes: list[int],
    seen: _Seen,
    historical: bool,
    *,
    received: bool = False,
) -> list[tuple[int, ResponseIn]]:
    pg = connection.vendor == "postgresql"
    own_transaction = not connection.in_atomic_block
    with transaction.atomic():
        if pg and own_transaction and not received:
            # A load on its own (import, seed) is retried by idempotency key, so a batch
            # may skip waiting for its WAL flush: a crash can lose the last batches, never
            # half of one. Inside a caller's transaction the caller decides; responses
            # `received` from a client are acknowledged, so their commit waits for the WAL.
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL synchronous_commit = off")
        fresh = _unseen(items, codes)
        if not fresh:
            return []
        now = _utc(clock.now())
        stamp = str(now) if pg else str(now.replace(tzinfo=None))
        rows, days = _rows(fresh, seen, stamp, historical, pg, received)
        ids = insert(Response, _RESPONSE_COLUMNS, rows)
        answers, scored = _answer_rows(fresh, ids, stamp)
        insert(Answer, _ANSWER_COLUMNS, answers, ids=False)
        channels = sorted({d.channel for d, _ in fresh})
        code = {name: i for i, name in enumerate(channels)}
        rollups.add_many(
            seen.who,
            np.array([c for _, c in fresh], dtype=np.int64),
            np.array(days, dtype=np.int64),
            np.array([code[d.channel] for d, _ in fresh], dtype=np.int64),
            channels,
            *(np.array(column, dtype=np.int64) for column in scored),
        )
    return list(zip(ids, (d for d, _ in fresh), strict=True))


def _unseen(items: Sequence[ResponseIn], codes: list[int]) -> list[tuple[ResponseIn, int]]:
    """Items whose key is neither stored nor repeated earlier in the batch."""
    by_org: dict[int, set[str]] = {}
    for d in items:
        by_org.setdefault(d.survey.organization_id, set()).add(d.idempotency_key)
    stored = {(org_id, key) for org_id, keys in by_org.items() for key in _stored(org_id, keys)}
    fresh: list[tuple[ResponseIn, int]] = []
    for d, code in zip(items, codes, strict=True):
        marker = (d.survey.organization_id, d.idempotency_key)
        if marker not in stored:
            stored.add(marker)
            fresh.append((d, code))
    return fresh


def _stored(org_id: int, keys: set[str]) -> Iterator[str]:
    ordered = sorted(keys)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"SELECT idempotency_key FROM {RESPONSE} "  # noqa: S608
                "WHERE organization_id = %s AND idempotency_key = ANY(%s)",
                [org_id, ordered],
            )
            yield from (row[0] for row in cursor.fetchall())
            return
        # SQLite takes 32,766 parameters per statement.
        for start in range(0, len(ordered), 30_000):
            chunk = ordered[start : start + 30_000]
            marks = ", ".join(["%s"] * len(chunk))
            cursor.execute(
                f"SELECT idempotency_key FROM {RESPONSE} "  # noqa: S608
                f"WHERE organization_id = %s AND idempotency_key IN ({marks})",
                [org_id, *chunk],
            )
            yield from (row[0] for row in cursor.fetchall())


def _utc(moment: dt.datetime) -> dt.datetime:
    if moment.tzinfo is dt.UTC:
        return moment
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment.astimezone(dt.UTC)


def _rows(fresh: list[tuple[ResponseIn, int]], seen: _Seen, stamp: str, historical: bool,
          pg: bool, received: bool) -> tuple[list[tuple[Any, ...]], list[int]]:  # fmt: skip
    """Response rows in _RESPONSE_COLUMNS order, with datetimes as each database stores
    them (naive UTC text on SQLite, as Django writes it), and each one's UTC day.
    A loaded response was completed when answered; one `received` from a client now
    is completed now, as `ingest` stores it."""
    processed = stamp if historical else None
    today = dt.date.fromisoformat(stamp[:10]).toordinal()
    columns = seen.columns
    rows = []
    days = []
    for d, code in fresh:
        when = d.responded_at
        if when is None:
            at = stamp
            days.append(today)
        else:
            when = _utc(when)
            at = str(when) if pg else str(when.replace(tzinfo=None))
            days.append(when.toordinal())
        c = columns[code]
        survey = d.survey
        rows.append((stamp, d.channel, d.idempotency_key, at, stamp if received else at,
                     processed, *c[:8],
                     survey.organization_id, survey.pk, c[8]))  # fmt: skip
    return rows, days


def _answer_rows(
    fresh: list[tuple[ResponseIn, int]], ids: Sequence[int], stamp: str
) -> tuple[list[tuple[Any, ...]], tuple[list[int], list[int], list[int]]]:
    """Answer rows in _ANSWER_COLUMNS order (empty answers are not stored), and the
    scored ones as (response index, question, score) columns for the rollups."""
    rows = []
    index: list[int] = []
    questions: list[int] = []
    scores: list[int] = []
    for i, ((d, _), response_id) in enumerate(zip(fresh, ids, strict=True)):
        org_id = d.survey.organization_id
        for a in d.answers:
            number = a.number
            if number is None:
                if not a.choices and not a.text.strip():
                    continue
            else:
                index.append(i)
                questions.append(a.question_id)
                scores.append(number)
            choices = json.dumps(a.choices) if a.choices else "[]"
            rows.append((stamp, org_id, response_id, a.question_id, number, a.text, choices))
    return rows, (index, questions, scores)
