"""`field__among=values`: `field IN (values)` with the values as one parameter.

Django's `__in` prepares and binds each value on its own: for the 1,000 keys, contact
ids or external ids a batch looks up, building the statement cost more than running it.
Here the list is one array (PostgreSQL, `= ANY(%s)`) or one JSON text (SQLite, `IN
(SELECT value FROM json_each(%s))`); both use the column's index as `IN` does. The
values must already be what the column holds (strings for text, ints for ids and
foreign keys, not model objects).
"""

from __future__ import annotations

import json
from typing import Any

from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Field, ForeignObject, Lookup
from django.db.models.sql.compiler import SQLCompiler


class Among(Lookup):  # type: ignore[type-arg]
    lookup_name = "among"
    prepare_rhs = False

    def get_prep_lookup(self) -> Any:
        return list(self.rhs)

    def as_sql(
        self, compiler: SQLCompiler, connection: BaseDatabaseWrapper
    ) -> tuple[str, list[Any]]:
        # `lhs` is the column as Django's compiler spells it; the values are parameters.
        lhs, lhs_params = self.process_lhs(compiler, connection)
        if connection.vendor == "postgresql":
            return f"{lhs} = ANY(%s)", [*lhs_params, self.rhs]
        sql = f"{lhs} IN (SELECT value FROM json_each(%s))"  # noqa: S608
        return sql, [*lhs_params, json.dumps(self.rhs)]


def register() -> None:
    Field.register_lookup(Among)
    # Relations take only the lookups registered on themselves and below.
    ForeignObject.register_lookup(Among)
