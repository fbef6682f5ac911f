"""Many rows in few statements, as plain tuples: the bulk paths' writer.

Django's `bulk_create` prepares each value of each object field by field through the
model's fields and the SQL compiler: on a batch of 1,000 interactions with their
contacts, invitations and events that was more than half of the request. Here a row is
a tuple of values already in the form the database takes (`db_datetime`, `db_json`;
`insert_objects` takes them from model objects, which `new` builds cheaply), written
with `executemany` on SQLite and `COPY` on PostgreSQL. The rows written are those
`bulk_create` writes.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import operator
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from django.db import connection
from django.db.models import Field, Model
from django.db.models.base import ModelState

M = TypeVar("M", bound=Model)

# psycopg binds at most 65,535 parameters per statement; SQLite takes 32,766.
_MAX_PARAMETERS = 30_000


def insert(
    model: type[Model],
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
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


def update_by_key(
    model: type[Model],
    key: str,
    fields: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    where: dict[str, Any] | None = None,
) -> int:
    """Set `fields` of many rows, each to its own values, in one statement per chunk:
    `rows` are (key value, field values...) as the database takes them; `where` adds
    equality conditions (only rows still matching are changed). How many rows changed.

    Django's way (`update` with a `Case` of one `When` per row, or `bulk_update`) builds
    and resolves an expression per row and field in Python: 500 rows of two fields took
    longer to prepare than to run. Here the values are a `VALUES` list joined on the key
    (`UPDATE ... FROM`, PostgreSQL and SQLite 3.33+); on PostgreSQL each value is cast to
    its column's type, which a `VALUES` list of parameters (a NULL above all) lacks."""
    if not rows:
        return 0
    meta = model._meta
    pg = connection.vendor == "postgresql"
    targets = [meta.get_field(name) for name in (key, *fields)]
    columns = [target.column for target in targets]  # type: ignore[union-attr]
    marks = ", ".join(
        f"CAST(%s AS {target.cast_db_type(connection)})" if pg else "%s"  # type: ignore[union-attr]
        for target in targets
    )
    named = ", ".join(f"column{i} AS {column}" for i, column in enumerate(columns, 1))
    table = meta.db_table
    sets = ", ".join(f"{column} = v.{column}" for column in columns[1:])
    conditions = [(meta.get_field(name).column, value)  # type: ignore[union-attr]
                  for name, value in (where or {}).items()]  # fmt: skip
    extra = "".join(f" AND {table}.{column} = %s" for column, _ in conditions)
    changed = 0
    chunk = max(1, _MAX_PARAMETERS // len(columns))
    with connection.cursor() as cursor:
        for start in range(0, len(rows), chunk):
            part = rows[start : start + chunk]
            values = ", ".join([f"({marks})"] * len(part))
            cursor.execute(
                f"UPDATE {table} SET {sets} "  # noqa: S608
                f"FROM (SELECT {named} FROM (VALUES {values}) AS given) AS v "
                f"WHERE {table}.{columns[0]} = v.{columns[0]}{extra}",
                [value for row in part for value in row] + [value for _, value in conditions],
            )
            changed += cursor.rowcount
    return changed


def new(model: type[M], /, **values: Any) -> M:
    """`model(**values)`, unsaved, without Django's constructor, which walks every field
    and its descriptor (the most of a batch's time once its rows were tuples). The
    object is built as unpickling builds one: state, then attribute values. `values`
    are by attribute name (`contact_id`) or by relation name with the object
    (`contact=`, cached on the new object as the constructor caches it); a field not
    given gets its default. No `pre_init`/`post_init` signal is sent: use it for models
    without receivers of those (no generic relations, no image fields)."""
    layout = _layout(model)
    made = model.__new__(model)
    made._state = ModelState()
    attrs = made.__dict__
    attrs.update(layout.constants)
    for attname, default in layout.computed:
        if attname not in values:
            attrs[attname] = default()
    relations = layout.relations
    for name, value in values.items():
        relation = relations.get(name)
        if relation is None:
            attrs[name] = value
        else:
            attname, target, f = relation
            attrs[attname] = None if value is None else getattr(value, target)
            f.set_cached_value(made, value)  # type: ignore[attr-defined]
    return made


@dataclass(frozen=True)
class _Layout:
    """How `new` fills a model's fields. `constants`: each field's default when Django's
    is a value (None, "", a given constant: the same object Django's default returns);
    `computed`: the fields whose default is called (`dict`, `clock.now`); `relations`:
    by relation name, the attribute name, the related field's attribute (`id`) and the
    field."""

    constants: dict[str, Any]
    computed: list[tuple[str, Callable[[], Any]]]
    relations: dict[str, tuple[str, str, Field[Any, Any]]]


@functools.cache
def _layout(model: type[Model]) -> _Layout:
    constants: dict[str, Any] = {}
    computed: list[tuple[str, Callable[[], Any]]] = []
    relations: dict[str, tuple[str, str, Field[Any, Any]]] = {}
    for f in model._meta.concrete_fields:
        if f.is_relation:
            relations[f.name] = (f.attname, f.target_field.attname, f)  # type: ignore[attr-defined]
        if f.has_default() and callable(f.default):
            computed.append((f.attname, f.default))
        else:
            # Django's default is `lambda: self.default`, `return_None` or `str`: the
            # same value every time.
            constants[f.attname] = f._get_default()  # type: ignore[attr-defined]
    return _Layout(constants, computed, relations)


def insert_objects(objs: Sequence[Model]) -> None:
    """`bulk_create(objs)` of unsaved objects of one model; sets each object's pk."""
    if not objs:
        return
    model = type(objs[0])
    pg = connection.vendor == "postgresql"
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    get = operator.itemgetter(*(f.attname for f in fields))
    rows: Sequence[Sequence[Any]] = [get(obj.__dict__) for obj in objs]
    convert = [(i, c) for i, f in enumerate(fields)
               if (c := _converter(f.get_internal_type(), pg)) is not None]  # fmt: skip
    if convert:
        # Column by column: a batch's datetimes are mostly one moment or None, each
        # spelt once.
        columns: list[Sequence[Any]] = list(zip(*rows, strict=True))
        for i, c in convert:
            columns[i] = c(columns[i])
        rows = list(zip(*columns, strict=True))
    ids = insert(model, [f.column for f in fields], rows)
    state_db = connection.alias
    for obj, pk in zip(objs, ids, strict=True):
        obj.pk = pk
        obj._state.adding = False
        obj._state.db = state_db


Column = Sequence[Any]


def _converter(internal_type: str, pg: bool) -> Callable[[Column], Column] | None:
    """How a column of this field type is written (None: as it is). psycopg writes
    datetimes and booleans itself; SQLite gets Django's text and integers."""
    if internal_type == "JSONField":
        return _json_column
    if internal_type in ("DateField", "DecimalField", "UUIDField", "DurationField"):
        raise NotImplementedError(f"{internal_type} is not written by rows.insert_objects")
    if pg:
        return None
    if internal_type == "DateTimeField":
        return _sqlite_datetime_column
    if internal_type == "BooleanField":
        return _sqlite_bool_column
    return None


def _json_column(values: Column) -> Column:
    return [db_json(v) for v in values]


def _sqlite_datetime_column(values: Column) -> Column:
    spelt: dict[dt.datetime | None, str | None] = {None: None}
    out = []
    for v in values:
        text = spelt.get(v, _UNSEEN)
        if text is _UNSEEN:
            text = spelt[v] = _sqlite_datetime(v)
        out.append(text)
    return out


_UNSEEN: Any = object()


def _sqlite_bool_column(values: Column) -> Column:
    return [None if v is None else int(v) for v in values]


def db_datetime(moment: dt.datetime | None) -> Any:
    """An aware datetime as this database takes it: naive UTC text on SQLite (as Django
    writes it); psycopg writes the datetime itself."""
    if connection.vendor == "postgresql":
        return moment
    return _sqlite_datetime(moment)


def _sqlite_datetime(moment: dt.datetime | None) -> str | None:
    if moment is None:
        return None
    if moment.tzinfo is not None and moment.tzinfo is not dt.UTC:
        moment = moment.astimezone(dt.UTC)
    return str(moment.replace(tzinfo=None))


def db_json(value: Any) -> str:
    # Most attributes and event data are empty.
    if type(value) is dict and not value:
        return "{}"
    return json.dumps(value)


# --- SQLite -----------------------------------------------------------------------------


def sqlite_executemany(
    table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]], *, verb: str = "INSERT"
) -> None:
    marks = ", ".join(["?"] * len(columns))
    with connection.wrap_database_errors:
        connection.connection.executemany(
            f"{verb} INTO {table} ({', '.join(columns)}) VALUES ({marks})",
            rows,
        )


def _insert_ignoring(
    table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]], pg: bool
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


def pg_copy(table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    # psycopg's `write_row` escapes in C: a third of the time of escaping each text in
    # Python and writing the joined lines.
    sql = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
    # Django's error wrapper around psycopg's own cursor: a unique key the COPY breaks is
    # then Django's IntegrityError, which callers retry on (a concurrent batch stored
    # the key first), not psycopg's, which no caller catches.
    with (
        connection.wrap_database_errors,
        connection.cursor() as cursor,
        cursor.cursor.copy(sql) as copy,
    ):
        write = copy.write_row
        for row in rows:
            write(row)


def _pg_insert(
    table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]], ids: bool
) -> list[int]:
    if not ids:
        pg_copy(table, columns, rows)
        return []
    with connection.cursor() as cursor:
        # Ids first, so other rows can point at these without reading anything back.
        cursor.execute(
            f"SELECT nextval('{_sequence(cursor, table)}'::regclass) "  # noqa: S608
            "FROM generate_series(1, %s)",
            [len(rows)],
        )
        new = [row[0] for row in cursor.fetchall()]
    pg_copy(table, ("id", *columns), ((i, *row) for i, row in zip(new, rows, strict=True)))
    return new


_sequences: dict[str, str] = {}


def _sequence(cursor: Any, table: str) -> str:
    """The name of the table's id sequence, looked up once per process. Named in the
    statement (a constant), not as `pg_get_serial_sequence(...)`, which PostgreSQL
    evaluates again for every id drawn: four times the cost of the draws themselves."""
    name = _sequences.get(table)
    if name is None:
        cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])
        name = _sequences[table] = cursor.fetchone()[0]
    return name
