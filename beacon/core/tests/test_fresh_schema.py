"""`beacon migrate` on an empty database makes the same schema as replaying every
migration (which is how the test database itself was made), and records them all."""

from __future__ import annotations

import copy
import io
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.migration import Migration
from django.db.migrations.operations import AddField, RunPython, RunSQL
from django.db.models import IntegerField
from django.db.utils import load_backend
from django.test import override_settings

from beacon.core import fresh_schema


def _schema(connection: BaseDatabaseWrapper) -> dict[str, Any]:
    """Every table's columns and constraints, in an order that does not depend on the
    order the columns were added in."""
    out: dict[str, Any] = {}
    with connection.cursor() as cursor:
        for table in sorted(connection.introspection.table_names(cursor)):
            columns = sorted(
                (c.name, str(c.type_code), c.null_ok, str(c.default), str(c.collation))
                for c in connection.introspection.get_table_description(cursor, table)
            )
            constraints = Counter(
                (
                    "" if name.startswith("__unnamed") else name,
                    tuple(spec["columns"] or ()),
                    bool(spec["primary_key"]),
                    bool(spec["unique"]),
                    str(spec["foreign_key"]),
                    bool(spec["check"]),
                    bool(spec["index"]),
                    str(spec.get("type")),
                )
                for name, spec in connection.introspection.get_constraints(cursor, table).items()
            )
            out[table] = {"columns": columns, "constraints": constraints}
    return out


class _To:
    """Routes every query to one database: data migrations that query without naming
    their database then still read the one being migrated."""

    def __init__(self, alias: str) -> None:
        self.alias = alias

    def db_for_read(self, model: Any, **hints: Any) -> str:
        return self.alias

    def db_for_write(self, model: Any, **hints: Any) -> str:
        return self.alias


@contextmanager
def _scratch(tmp_path: Path, alias: str) -> Iterator[BaseDatabaseWrapper]:
    """An empty database on the test database's server (a file on SQLite), under `alias`."""
    base = connections["default"]
    settings = copy.deepcopy(base.settings_dict)
    postgres = base.vendor == "postgresql"
    settings["NAME"] = (
        f"{base.settings_dict['NAME']}_{alias}_{uuid.uuid4().hex[:8]}"
        if postgres
        else str(tmp_path / f"{alias}.sqlite3")
    )
    wrapper: BaseDatabaseWrapper = load_backend(settings["ENGINE"]).DatabaseWrapper(
        settings, alias=alias
    )
    if postgres:
        with base._nodb_cursor() as cursor:
            cursor.execute(f'CREATE DATABASE "{settings["NAME"]}"')
    # Registered under its alias: transactions and signal handlers look connections up.
    connections[alias] = wrapper
    connections.settings[alias] = settings
    try:
        yield wrapper
    finally:
        wrapper.close()
        del connections.settings[alias]
        del connections[alias]
        if postgres:
            with base._nodb_cursor() as cursor:
                cursor.execute(f'DROP DATABASE "{settings["NAME"]}"')


@pytest.fixture
def empty_database(tmp_path: Path, django_db_blocker: Any) -> Iterator[BaseDatabaseWrapper]:
    """Outside any test transaction: migrate manages its own."""
    with django_db_blocker.unblock(), _scratch(tmp_path, "fresh") as wrapper:
        yield wrapper


@pytest.fixture
def replayed_database(tmp_path: Path, django_db_blocker: Any) -> Iterator[BaseDatabaseWrapper]:
    """Every migration replayed one by one, as Django does on any database."""
    with django_db_blocker.unblock(), _scratch(tmp_path, "replayed") as wrapper:
        with override_settings(DATABASE_ROUTERS=[_To("replayed")]):
            executor = MigrationExecutor(wrapper)
            executor.migrate(executor.loader.graph.leaf_nodes())
        yield wrapper


def test_one_pass_makes_the_replayed_schema(
    empty_database: BaseDatabaseWrapper, replayed_database: BaseDatabaseWrapper
) -> None:
    assert fresh_schema.is_empty(empty_database)
    executor = MigrationExecutor(empty_database)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    assert len(plan) > 70 and fresh_schema.replay_needed(plan) == []

    fresh_schema.create(executor, plan)

    replayed = _schema(replayed_database)
    made = _schema(empty_database)
    assert len(replayed) > 100
    assert sorted(made) == sorted(replayed)
    for table, spec in replayed.items():
        assert made[table] == spec, table
    # Every migration is on record, so the next `migrate` has nothing to do and later
    # migrations apply on top as on any other install.
    loader = MigrationLoader(empty_database)
    assert set(loader.applied_migrations) == set(
        MigrationLoader(replayed_database).applied_migrations
    )
    assert not fresh_schema.is_empty(empty_database)
    assert MigrationExecutor(empty_database).migration_plan(loader.graph.leaf_nodes()) == []


def test_migrate_command_takes_the_one_pass_only_when_empty(
    empty_database: BaseDatabaseWrapper,
) -> None:
    out = io.StringIO()
    call_command("migrate", database="fresh", interactive=False, stdout=out)
    assert "Empty database: created the tables of" in out.getvalue()
    # The post-migrate handlers ran: content types and permissions exist.
    with empty_database.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM django_content_type")
        assert cursor.fetchone()[0] >= 90
        cursor.execute("SELECT COUNT(*) FROM auth_permission")
        assert cursor.fetchone()[0] >= 360
    again = io.StringIO()
    call_command("migrate", database="fresh", interactive=False, stdout=again)
    assert "No migrations to apply." in again.getvalue()
    assert "Empty database" not in again.getvalue()


def _migration(app: str, name: str, *operations: Any) -> Migration:
    kind = type("Migration", (Migration,), {"operations": list(operations)})
    made: Migration = kind(name, app)
    return made


def _noop(apps: Any, schema_editor: Any) -> None:
    return None


def test_a_migration_that_changes_data_is_replayed() -> None:
    schema_only = _migration("surveys", "0100_x", AddField("survey", "x", IntegerField()))
    elidable = _migration("surveys", "0101_y", RunPython(_noop, elidable=True))
    known = _migration("auth", "0011_update_proxy_permissions", RunPython(_noop))
    data = _migration("surveys", "0102_z", RunPython(_noop))
    sql = _migration("surveys", "0103_sql", RunSQL("UPDATE surveys_survey SET name = name"))
    plan = [(m, False) for m in (schema_only, elidable, known, data, sql)]
    assert fresh_schema.replay_needed(plan) == ["surveys.0102_z", "surveys.0103_sql"]
