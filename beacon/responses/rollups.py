"""Incremental rollups, kept in the same transaction as the answers they count.

Five additive tables: ScoreRollup (the full cube: answers per score and cell of all
dimensions), SliceRollup (answers per score and value of one dimension at a time, including
org-chosen contact attributes), WeeklySliceRollup (the same slices per week, for long
windows) and ResponseCountRollup (responses per cell, and how many came through an
invitation); ChannelRollup counts responses per day, survey and channel, with how many are
completed and how many came by invitation. Every change is a signed
delta applied with one upsert per batch, so concurrent ingests never lose a count.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from django.db import connection, transaction
from django.db.models import Count, F

from beacon.core.errors import ValidationFailed
from beacon.orgs.models import Membership, Organization
from beacon.responses.events import rollups_attributes_set
from beacon.responses.models import (
    MAX_ATTRIBUTE_VALUE_LENGTH,
    MAX_ROLLUP_ATTRIBUTES,
    Answer,
    ChannelRollup,
    Response,
    ResponseCountRollup,
    RollupAttribute,
    ScoreRollup,
    SliceRollup,
    WeeklySliceRollup,
)

Attrs = tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Cell:
    organization_id: int
    day: dt.date
    survey_id: int
    question_id: int
    stage_id: int
    touchpoint_id: int
    persona_id: int
    team_id: int
    score: int
    # The response's attribute snapshot: each (key, value) also counts in a slice.
    attrs: Attrs = ()


def _attrs(response: Response) -> Attrs:
    return tuple(sorted((str(k), str(v)) for k, v in (response.rollup_attributes or {}).items()))


def utc_day(moment: dt.datetime) -> dt.date:
    """The day a response counts on: its UTC date, as stored (rebuild reads it so)."""
    return moment.astimezone(dt.UTC).date() if moment.tzinfo else moment.date()


def week_of(day: dt.date) -> dt.date:
    """The Monday of the day's week: the key of its weekly slices."""
    return day - dt.timedelta(days=day.weekday())


def cell_for(response: Response, question_id: int, score: int) -> Cell:
    return Cell(
        organization_id=response.organization_id,
        day=utc_day(response.responded_at),
        survey_id=response.survey_id,
        question_id=question_id,
        stage_id=response.stage_id or 0,
        touchpoint_id=response.touchpoint_id or 0,
        persona_id=response.persona_id or 0,
        team_id=response.team_id or 0,
        score=score,
        attrs=_attrs(response),
    )


_COLUMNS = (
    "organization_id",
    "day",
    "survey_id",
    "question_id",
    "stage_id",
    "touchpoint_id",
    "persona_id",
    "team_id",
    "score",
)
_SLICE_COLUMNS = ("organization_id", "dimension", "question_id", "day", "survey_id", "value",
                  "score")  # fmt: skip
_COUNT_COLUMNS = (
    "organization_id",
    "day",
    "survey_id",
    "stage_id",
    "touchpoint_id",
    "persona_id",
    "team_id",
)
_CHANNEL_COLUMNS = ("organization_id", "survey_id", "day", "channel")


# PostgreSQL types of the rollup columns, for the unnest() form of the upsert.
_PG_TYPES = {"day": "date", "dimension": "text", "value": "text", "score": "integer",
             "channel": "text"}  # fmt: skip


def _pg_array(values: Sequence[Any]) -> str:
    """A PostgreSQL array literal; built here because the driver's generic quoting of a
    list costs more than the whole upsert."""
    parts = []
    for v in values:
        if isinstance(v, str):
            parts.append('"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"')
        else:
            parts.append(v.isoformat() if isinstance(v, dt.date) else str(v))
    return "{" + ",".join(parts) + "}"


def _upsert(table: str, key_columns: Sequence[str], rows: Sequence[tuple[Any, ...]],
            sums: Sequence[str]) -> None:  # fmt: skip
    """Add `sums` to the rows' cells: INSERT ... ON CONFLICT DO UPDATE (both databases).

    The increment happens inside the database, so concurrent writers never lose a count.
    """
    if not rows:
        return
    columns = [*key_columns, *sums]
    cols = ", ".join(columns)
    update = ", ".join(f"{s} = {table}.{s} + excluded.{s}" for s in sums)
    conflict = f"ON CONFLICT ({', '.join(key_columns)}) DO UPDATE SET {update}"
    if connection.vendor == "postgresql":
        # One array per column: a statement with tens of thousands of placeholders costs
        # more to build and parse (in the driver and the server) than the upsert itself.
        arrays = ", ".join(f"%s::{_PG_TYPES.get(c, 'bigint')}[]" for c in columns)
        for start in range(0, len(rows), 50_000):
            batch = rows[start : start + 50_000]
            with connection.cursor() as cursor:
                cursor.execute(
                    f"INSERT INTO {table} ({cols}) SELECT * FROM unnest({arrays}) {conflict}",  # noqa: S608
                    [_pg_array(column) for column in zip(*batch, strict=True)],
                )
        return
    placeholders = "(" + ", ".join(["%s"] * len(columns)) + ")"
    # Few large statements: parsing and planning are paid per statement; SQLite takes
    # 32,766 parameters per statement.
    per = max(1, 30_000 // len(columns))
    for start in range(0, len(rows), per):
        batch = rows[start : start + per]
        values = ", ".join([placeholders] * len(batch))
        sql = f"INSERT INTO {table} ({cols}) VALUES {values} {conflict}"  # noqa: S608
        with connection.cursor() as cursor:
            cursor.execute(sql, [v for row in batch for v in row])


def apply(deltas: Mapping[Cell, int]) -> None:
    """Add each delta to its cube cell and to its slices (total, each dimension, attributes)."""
    scores: Counter[tuple[Any, ...]] = Counter()
    slices: Counter[tuple[Any, ...]] = Counter()
    # Written out rather than looped over column names: bulk imports call this for
    # every answer, and attribute lookups by name cost more than the upserts.
    for cell, d in deltas.items():
        if d == 0:
            continue
        org, day, survey, q, score = (cell.organization_id, cell.day, cell.survey_id,
                                      cell.question_id, cell.score)  # fmt: skip
        stage, tp, persona, team = cell.stage_id, cell.touchpoint_id, cell.persona_id, cell.team_id
        scores[(org, day, survey, q, stage, tp, persona, team, score)] += d
        slices[(org, "", q, day, survey, "", score)] += d
        slices[(org, "stage", q, day, survey, str(stage), score)] += d
        slices[(org, "touchpoint", q, day, survey, str(tp), score)] += d
        slices[(org, "persona", q, day, survey, str(persona), score)] += d
        slices[(org, "team", q, day, survey, str(team), score)] += d
        for key, value in cell.attrs:
            slices[(org, f"attribute:{key}", q, day, survey, value, score)] += d
    _upsert(
        ScoreRollup._meta.db_table,
        _COLUMNS,
        sorted((*k, d) for k, d in scores.items() if d),
        ["count"],
    )
    _upsert(
        SliceRollup._meta.db_table,
        _SLICE_COLUMNS,
        sorted((*k, d) for k, d in slices.items() if d),
        ["count"],
    )
    weekly: Counter[tuple[Any, ...]] = Counter()
    for (org, dim, q, day, survey, value, score), d in slices.items():
        weekly[(org, dim, q, week_of(day), survey, value, score)] += d
    _upsert(
        WeeklySliceRollup._meta.db_table,
        _SLICE_COLUMNS,
        sorted((*k, d) for k, d in weekly.items() if d),
        ["count"],
    )


def count_responses(responses: Sequence[Response], sign: int) -> None:
    """Add (or with sign -1 remove) responses to the response-count and channel rollups."""
    counts: Counter[tuple[Any, ...]] = Counter()
    invited: Counter[tuple[Any, ...]] = Counter()
    for r in responses:
        key = (r.organization_id, utc_day(r.responded_at), r.survey_id, r.stage_id or 0,
               r.touchpoint_id or 0, r.persona_id or 0, r.team_id or 0)  # fmt: skip
        counts[key] += sign
        if r.invitation_id is not None:
            invited[key] += sign
    _upsert(
        ResponseCountRollup._meta.db_table,
        _COUNT_COLUMNS,
        [(*k, d, invited[k]) for k, d in counts.items() if d or invited[k]],
        ["responses", "invited"],
    )
    channels: Counter[tuple[Any, ...]] = Counter()
    completed: Counter[tuple[Any, ...]] = Counter()
    by_invitation: Counter[tuple[Any, ...]] = Counter()
    for r in responses:
        cell = (r.organization_id, r.survey_id, utc_day(r.responded_at), r.channel)
        channels[cell] += sign
        if r.completed_at is not None:
            completed[cell] += sign
        if r.invitation_id is not None:
            by_invitation[cell] += sign
    _upsert(
        ChannelRollup._meta.db_table,
        _CHANNEL_COLUMNS,
        sorted((*k, d, completed[k], by_invitation[k]) for k, d in channels.items() if d),
        ["responses", "completed", "invited"],
    )


def count_completed(response: Response) -> None:
    """A stored partial response now completed: one more completed in its channel cell
    (`count_responses` counted the response itself when it was stored)."""
    key = (response.organization_id, response.survey_id, utc_day(response.responded_at),
           response.channel)  # fmt: skip
    _upsert(ChannelRollup._meta.db_table, _CHANNEL_COLUMNS, [(*key, 0, 1, 0)],
            ["responses", "completed", "invited"])  # fmt: skip


def deltas_for_answers(
    response: Response, scored: Iterable[tuple[int, int]], sign: int
) -> Counter[Cell]:
    """Deltas of (question_id, score) pairs of one response, +1 each or -1 each."""
    out: Counter[Cell] = Counter()
    for question_id, score in scored:
        out[cell_for(response, question_id, score)] += sign
    return out


# --- org-chosen contact attributes ------------------------------------------------------


def attribute_keys(org_id: int) -> list[str]:
    return sorted(RollupAttribute.objects.for_org(org_id).values_list("key", flat=True))


def snapshot(keys: Sequence[str], attributes: Mapping[str, Any] | None) -> dict[str, str]:
    """The values of the chosen keys as stored on the response; missing counts as ""."""
    source = attributes or {}
    out: dict[str, str] = {}
    for key in keys:
        value = source.get(key)
        text = "" if value is None else str(value)
        out[key] = text[:MAX_ATTRIBUTE_VALUE_LENGTH]
    return out


def check_attribute_keys(keys: Sequence[str]) -> list[str]:
    cleaned = [k.strip() for k in keys]
    if len(cleaned) > MAX_ROLLUP_ATTRIBUTES:
        raise ValidationFailed({"keys": f"at most {MAX_ROLLUP_ATTRIBUTES} attributes"})
    if any(not k or len(k) > 100 for k in cleaned):
        raise ValidationFailed({"keys": "each key must be 1-100 characters"})
    if len(set(cleaned)) != len(cleaned):
        raise ValidationFailed({"keys": "a key is repeated"})
    return cleaned


@transaction.atomic
def do_set_rollup_attributes(
    org: Organization, keys: Sequence[str], *, actor: Membership | None = None
) -> int:
    """Choose the contact attributes scores are broken down by, and recount.

    Past responses take their contact's current values: the value at the time was never
    kept for a key nobody had chosen. Returns the number of rollup cells rebuilt.
    """
    cleaned = check_attribute_keys(keys)
    org_id = org.pk
    RollupAttribute.objects.for_org(org_id).exclude(key__in=cleaned).delete()
    for key in cleaned:
        RollupAttribute.objects.get_or_create(organization_id=org_id, key=key)
    responses = (
        Response.objects.for_org(org_id)
        .select_related("contact")
        .only("pk", "rollup_attributes", "contact__attributes")
    )
    changed: list[Response] = []
    for r in responses.iterator(chunk_size=2000):
        r.rollup_attributes = snapshot(cleaned, r.contact.attributes if r.contact else None)
        changed.append(r)
        if len(changed) >= 2000:
            Response.objects.bulk_update(changed, ["rollup_attributes"])
            changed = []
    Response.objects.bulk_update(changed, ["rollup_attributes"])
    rollups_attributes_set(org, actor=actor, keys=cleaned)
    return rebuild(org_id)


# --- ground truth -----------------------------------------------------------------------


@transaction.atomic
def rebuild(org_id: int | None = None) -> int:
    """Recompute every cell of every rollup from the stored responses and answers."""
    tables: list[Any] = [
        ScoreRollup,
        SliceRollup,
        WeeklySliceRollup,
        ResponseCountRollup,
        ChannelRollup,
    ]
    answers = Answer.objects.filter(number__isnull=False)
    responses = Response.objects.all()
    for model in tables:
        rows = model.objects.all()
        if org_id is not None:
            rows = rows.filter(organization_id=org_id)
        rows.delete()
    if org_id is not None:
        answers = answers.filter(organization_id=org_id)
        responses = responses.filter(organization_id=org_id)
    grouped = (
        answers.values(
            org=F("organization_id"),
            survey=F("response__survey_id"),
            q=F("question_id"),
            rid=F("response_id"),
            responded=F("response__responded_at"),
            stage=F("response__stage_id"),
            tp=F("response__touchpoint_id"),
            persona=F("response__persona_id"),
            team=F("response__team_id"),
            attrs=F("response__rollup_attributes"),
            score=F("number"),
        )
        .annotate(n=Count("id"))
        .order_by()
    )
    deltas: Counter[Cell] = Counter()
    for g in grouped.iterator(chunk_size=5000):
        attrs = g["attrs"] or {}
        cell = Cell(
            g["org"],
            g["responded"].date(),
            g["survey"],
            g["q"],
            g["stage"] or 0,
            g["tp"] or 0,
            g["persona"] or 0,
            g["team"] or 0,
            g["score"],
            tuple(sorted((str(k), str(v)) for k, v in attrs.items())),
        )
        deltas[cell] += g["n"]
        if len(deltas) >= 20000:
            apply(deltas)
            deltas = Counter()
    apply(deltas)
    batch: list[Response] = []
    fields = ("organization_id", "responded_at", "survey_id", "stage_id", "touchpoint_id",
              "persona_id", "team_id", "invitation_id", "completed_at", "channel")  # fmt: skip
    for r in responses.only(*fields).iterator(chunk_size=5000):
        batch.append(r)
        if len(batch) >= 5000:
            count_responses(batch, +1)
            batch = []
    count_responses(batch, +1)
    cells = ScoreRollup.objects.all()
    if org_id is not None:
        cells = cells.filter(organization_id=org_id)
    return cells.count()


# --- many responses at once (the bulk path) ---------------------------------------------


@dataclass(frozen=True)
class Who:
    """The dimensions a response is counted under (ids, 0 for none), shared by many."""

    organization_id: int
    survey_id: int
    stage_id: int
    touchpoint_id: int
    persona_id: int
    team_id: int
    attrs: Attrs
    invited: bool


_PG_EPOCH = dt.date(2000, 1, 1).toordinal()


def add_many(who: Sequence[Who], response_who: np.ndarray, response_day: np.ndarray,
             response_channel: np.ndarray, channels: list[str], answer_response: np.ndarray,
             answer_question: np.ndarray, answer_score: np.ndarray) -> None:  # fmt: skip
    """Count new responses and their scored answers in every rollup, vectorised.

    `response_who` indexes `who`, `response_day` is each response's UTC day as a date
    ordinal, `response_channel` indexes `channels`, and each scored answer gives its
    response's index, question and score.
    Same cells and counts as `count_responses` + `apply`, without a Python object per
    answer: NumPy groups the batch, then one upsert per table adds the groups.
    """
    w = {name: np.array([getattr(x, name) for x in who], dtype=np.int64)
         for name in ("organization_id", "survey_id", "stage_id", "touchpoint_id",
                      "persona_id", "team_id", "invited")}  # fmt: skip
    org, survey, stage, tp = w["organization_id"], w["survey_id"], w["stage_id"], w["touchpoint_id"]
    persona, team = w["persona_id"], w["team_id"]
    rw, rd = response_who, response_day
    keys, sums = _group([org[rw], rd, survey[rw], stage[rw], tp[rw], persona[rw], team[rw]],
                        [np.ones(len(rw), dtype=np.int64), w["invited"][rw]])  # fmt: skip
    _add(ResponseCountRollup._meta.db_table, _COUNT_COLUMNS, keys, [1], sums,
         ["responses", "invited"])  # fmt: skip
    # The bulk path stores every response completed.
    ones = np.ones(len(rw), dtype=np.int64)
    keys, sums = _group([org[rw], survey[rw], rd, response_channel], [ones, ones, w["invited"][rw]])
    _add(ChannelRollup._meta.db_table, _CHANNEL_COLUMNS, keys, [2], sums,
         ["responses", "completed", "invited"], text={3: channels})  # fmt: skip
    if not len(answer_response):
        return
    aw, ad = rw[answer_response], rd[answer_response]
    q, score = answer_question, answer_score
    ones = np.ones(len(aw), dtype=np.int64)
    cube = [org[aw], ad, survey[aw], q, stage[aw], tp[aw], persona[aw], team[aw], score]
    keys, sums = _group(cube, [ones])
    _add(ScoreRollup._meta.db_table, _COLUMNS, keys, [1], sums, ["count"])
    # Slices: every answer counts once under each (dimension, value) of its response.
    names, pair_dim, pair_value, start, length = _slice_pairs(who)
    lw = length[aw]
    rep = np.repeat(np.arange(len(aw)), lw)
    within = np.arange(len(rep)) - np.repeat(np.cumsum(lw) - lw, lw)
    pair = start[aw][rep] + within
    at = aw[rep]
    keys, sums = _group(
        [org[at], pair_dim[pair], q[rep], ad[rep], survey[at], pair_value[pair], score[rep]],
        [np.ones(len(rep), dtype=np.int64)],
    )
    _add(SliceRollup._meta.db_table, _SLICE_COLUMNS, keys, [3], sums, ["count"],
         text={1: names, 5: names})  # fmt: skip
    # The weekly slices regroup the daily groups: date ordinal 1 (0001-01-01) is a Monday.
    day = keys[3]
    keys, sums = _group([*keys[:3], day - (day - 1) % 7, *keys[4:]], sums)
    _add(WeeklySliceRollup._meta.db_table, _SLICE_COLUMNS, keys, [3], sums, ["count"],
         text={1: names, 5: names})  # fmt: skip


def _slice_pairs(
    who: Sequence[Who],
) -> tuple[list[str], np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Each Who's (dimension, value) slices as codes into one sorted list of strings, so
    sorting codes sorts the text (rows then reach the unique index in its order)."""
    pairs = [
        [("", ""), ("stage", str(x.stage_id)), ("touchpoint", str(x.touchpoint_id)),
         ("persona", str(x.persona_id)), ("team", str(x.team_id)),
         *((f"attribute:{k}", v) for k, v in x.attrs)]
        for x in who
    ]  # fmt: skip
    names = sorted({s for p in pairs for pair in p for s in pair})
    code = {s: i for i, s in enumerate(names)}
    flat = [pair for p in pairs for pair in p]
    pair_dim = np.array([code[d] for d, _ in flat], dtype=np.int64)
    pair_value = np.array([code[v] for _, v in flat], dtype=np.int64)
    length = np.array([len(p) for p in pairs], dtype=np.int64)
    start = np.cumsum(length) - length
    return names, pair_dim, pair_value, start, length


def _group(
    keys: list[np.ndarray], weights: list[np.ndarray]
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Distinct key rows in sorted order (first key first), and each weight's sum."""
    order = _order(keys)
    ordered = [k[order] for k in keys]
    change = np.zeros(len(order), dtype=bool)
    change[:1] = True
    for k in ordered:
        change[1:] |= k[1:] != k[:-1]
    starts = np.flatnonzero(change)
    return [k[starts] for k in ordered], [np.add.reduceat(w[order], starts) for w in weights]


def _order(keys: list[np.ndarray]) -> np.ndarray:
    """The sorting permutation of the key rows. Keys are small ranges of ids, days and
    scores, so they usually pack into one int64 whose sort is several times faster
    than a lexsort over the columns."""
    if not len(keys[0]):
        return np.zeros(0, dtype=np.int64)
    packed = np.zeros(len(keys[0]), dtype=np.int64)
    room = 1
    for k in keys:
        low = int(k.min())
        span = int(k.max()) - low + 1
        room *= span
        if room >= 2**62:
            return np.lexsort(keys[::-1])
        packed = packed * span + (k - low)
    return np.argsort(packed)


def _add(table: str, key_columns: Sequence[str], keys: list[np.ndarray], days: list[int],
         sums: list[np.ndarray], sum_columns: Sequence[str],
         text: Mapping[int, list[str]] | None = None) -> None:  # fmt: skip
    """Upsert grouped deltas: `days` are the positions of date-ordinal keys, `text`
    maps positions of string codes to their strings."""
    if not len(sums[0]):
        return
    text = text or {}
    columns = [*key_columns, *sum_columns]
    update = ", ".join(f"{s} = {table}.{s} + excluded.{s}" for s in sum_columns)
    conflict = f"ON CONFLICT ({', '.join(key_columns)}) DO UPDATE SET {update}"
    if connection.vendor == "postgresql":
        _pg_add(table, columns, [*keys, *sums], days, text, conflict)
        return
    values: list[list[Any]] = []
    for i, k in enumerate(keys):
        if i in days:
            iso = {o: dt.date.fromordinal(o).isoformat() for o in np.unique(k).tolist()}
            values.append([iso[o] for o in k.tolist()])
        elif i in text:
            names = text[i]
            values.append([names[c] for c in k.tolist()])
        else:
            values.append(k.tolist())
    values.extend(s.tolist() for s in sums)
    marks = ", ".join(["?"] * len(columns))
    with connection.wrap_database_errors:
        connection.connection.executemany(
            f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks}) {conflict}",  # noqa: S608
            zip(*values, strict=True),
        )


def _pg_add(table: str, columns: list[str], arrays: list[np.ndarray], days: list[int],
            text: Mapping[int, list[str]], conflict: str) -> None:  # fmt: skip
    """PostgreSQL: binary COPY of the integer columns into a temporary table (NumPy
    writes the wire format), then one INSERT ... SELECT ... ON CONFLICT."""
    fields: list[tuple[str, str]] = [("n", ">i2")]
    for i in range(len(arrays)):
        fields += [(f"l{i}", ">i4"), (f"v{i}", ">i4" if i in days else ">i8")]
    rows = np.empty(len(arrays[0]), dtype=np.dtype(fields))
    rows["n"] = len(arrays)
    for i, a in enumerate(arrays):
        rows[f"l{i}"] = 4 if i in days else 8
        rows[f"v{i}"] = a - _PG_EPOCH if i in days else a
    header = b"PGCOPY\n\xff\r\n\x00" + bytes(8)
    temp = f"bulk_{table}"
    types = ", ".join(f"c{i} {'date' if i in days else 'bigint'}" for i in range(len(arrays)))
    select = ", ".join(
        f"(%s::text[])[c{i} + 1]" if i in text else f"c{i}" for i in range(len(arrays))
    )
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TEMP TABLE IF NOT EXISTS {temp} ({types}) ON COMMIT DROP")
        cursor.execute(f"TRUNCATE {temp}")
        with cursor.cursor.copy(f"COPY {temp} FROM STDIN (FORMAT BINARY)") as copy:
            copy.write(header + rows.tobytes() + b"\xff\xff")
        cursor.execute(
            f"INSERT INTO {table} ({', '.join(columns)}) SELECT {select} FROM {temp} {conflict}",  # noqa: S608
            [text[i] for i in range(len(arrays)) if i in text],
        )
