"""Many rows in few statements, as plain tuples: the bulk paths' writer.

Django's `bulk_create` prepares each value of each object field by field through the
model's fields and the SQL compiler: on a batch of 1,000 interactions with their
contacts, invitations and events that was more than half of the request. Here a row is
a tuple of values already in the form the database takes (`db_datetime`, `db_json`,
or `values_of` for model objects), written with `executemany` on SQLite and `COPY` on
PostgreSQL. The rows written are those `bulk_create` writes.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from django.db import connection
from django.db.models import Model

# psycopg binds at most 65,535 parameters per statement; SQLite takes 32,766.
_MAX_PARAMETERS = 30_000


def insert(
    model: type[Model],
    columns: Sequence[str],
    rows: list[tuple[Any, ...]],
    *,
    ids: bool = True,
    ignore_conflicts: bool = False,
) -> Sequence[int]:
    """Insert `rows` (values in `columns` order, as `db_*` prepares them); returns the new
    ids in row order when `ids`. With `ignore_conflicts`, rows a unique key refuses are
    skipped and no ids are returned. Call inside a transaction when `ids` is asked for
    on SQLite (the ids are read as one run under the write lock)."""
    if not rows:
        return []
    table = model._meta.db_table
    pg = connection.vendor == "postgresql"
    if ignore_conflicts:
        _insert_ignoring(table, columns, rows, pg)
        return []
    if pg:
        return _pg_insert(table, columns, rows, ids)
    sqlite_executemany(table, columns, rows)
    if not ids:
        return []
    with connection.wrap_database_errors:
        last = connection.connection.execute("SELECT last_insert_rowid()").fetchone()[0]
    # Django's SQLite ids are AUTOINCREMENT and the transaction holds the write lock,
    # so the rows got one run of ids ending at the last one.
    return range(last - len(rows) + 1, last + 1)


def insert_objects(objs: Sequence[Model]) -> None:
    """`bulk_create(objs)` of unsaved objects of one model; sets each object's pk."""
    if not objs:
        return
    model = type(objs[0])
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    prepare = [_preparer(f.get_internal_type()) for f in fields]
    names = [f.attname for f in fields]
    rows = []
    for obj in objs:
        values = obj.__dict__
        rows.append(tuple(p(values[n]) for p, n in zip(prepare, names, strict=True)))
    ids = insert(model, [f.column for f in fields], rows)
    state_db = connection.alias
    for obj, pk in zip(objs, ids, strict=True):
        obj.pk = pk
        obj._state.adding = False
        obj._state.db = state_db


def db_datetime(moment: dt.datetime | None) -> str | None:
    """An aware datetime as this database stores it: naive UTC text on SQLite (as Django
    writes it), text with its offset on PostgreSQL."""
    if moment is None:
        return None
    if connection.vendor == "postgresql":
        return str(moment)
    if moment.tzinfo is not None and moment.tzinfo is not dt.UTC:
        moment = moment.astimezone(dt.UTC)
    return str(moment.replace(tzinfo=None))


def db_json(value: Any) -> str:
    return json.dumps(value)


def db_bool(value: bool | None) -> Any:
    if value is None:
        return None
    if connection.vendor == "postgresql":
        return "t" if value else "f"
    return int(value)


def _same(value: Any) -> Any:
    return value


def _preparer(internal_type: str) -> Callable[[Any], Any]:
    if internal_type == "DateTimeField":
        return db_datetime
    if internal_type == "JSONField":
        return db_json
    if internal_type == "BooleanField":
        return db_bool
    if internal_type in ("DateField", "DecimalField", "UUIDField", "DurationField"):
        raise NotImplementedError(f"{internal_type} is not written by rows.insert_objects")
    return _same


# --- SQLite -----------------------------------------------------------------------------


def sqlite_executemany(
    table: str, columns: Sequence[str], rows: list[tuple[Any, ...]], *, verb: str = "INSERT"
) -> None:
    marks = ", ".join(["?"] * len(columns))
    with connection.wrap_database_errors:
        connection.connection.executemany(
            f"{verb} INTO {table} ({', '.join(columns)}) VALUES ({marks})",
            rows,
        )


def _insert_ignoring(
    table: str, columns: Sequence[str], rows: list[tuple[Any, ...]], pg: bool
) -> None:
    if not pg:
        sqlite_executemany(table, columns, rows, verb="INSERT OR IGNORE")
        return
    # COPY cannot skip a conflicting row: one multi-row INSERT per chunk.
    per = max(1, _MAX_PARAMETERS // len(columns))
    one = "(" + ", ".join(["%s"] * len(columns)) + ")"
    with connection.cursor() as cursor:
        for start in range(0, len(rows), per):
            chunk = rows[start : start + per]
            cursor.execute(
                f"INSERT INTO {table} ({', '.join(columns)}) "  # noqa: S608
                f"VALUES {', '.join([one] * len(chunk))} ON CONFLICT DO NOTHING",
                [v for row in chunk for v in row],
            )


# --- PostgreSQL -------------------------------------------------------------------------

_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_line(row: Sequence[Any]) -> str:
    """One line of COPY's text format."""
    return "\t".join(
        "\\N" if v is None else v.translate(_COPY_ESCAPES) if isinstance(v, str) else str(v)
        for v in row
    )


def pg_copy(table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    lines = [_copy_line(row) for row in rows]
    if not lines:
        return
    sql = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
    with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
        copy.write("\n".join(lines) + "\n")


def _pg_insert(
    table: str, columns: Sequence[str], rows: list[tuple[Any, ...]], ids: bool
) -> list[int]:
    if not ids:
        pg_copy(table, columns, rows)
        return []
    with connection.cursor() as cursor:
        # Ids first, so other rows can point at these without reading anything back.
        cursor.execute(
            f"SELECT nextval(pg_get_serial_sequence('{table}', 'id')) "  # noqa: S608
            "FROM generate_series(1, %s)",
            [len(rows)],
        )
        new = [row[0] for row in cursor.fetchall()]
    pg_copy(table, ("id", *columns), ((i, *row) for i, row in zip(new, rows, strict=True)))
    return new
