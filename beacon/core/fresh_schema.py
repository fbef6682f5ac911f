"""A fresh database's schema in one pass, instead of replaying every migration.

Replaying the migrations on an empty database re-renders the historical models after
nearly every operation (about 10 s of CPU for ~80 migrations, growing with each one);
the tables it ends with are those of the migrations' final state. On a database with no
tables and no migrations applied, `beacon migrate` creates those tables directly from
that final state and records every migration as applied, as one transaction. Anything
that state cannot express makes it replay the migrations as usual (ADR 0016).
"""

from __future__ import annotations

from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.migrations import operations as ops
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.migration import Migration
from django.db.migrations.operations.base import Operation
from django.db.migrations.state import StateApps

# Operations whose whole effect on the database is the change they make to the state.
SCHEMA_ONLY = (
    ops.AddConstraint,
    ops.AddField,
    ops.AddIndex,
    ops.AlterField,
    ops.AlterIndexTogether,
    ops.AlterModelManagers,
    ops.AlterModelOptions,
    ops.AlterModelTable,
    ops.AlterModelTableComment,
    ops.AlterOrderWithRespectTo,
    ops.AlterUniqueTogether,
    ops.CreateModel,
    ops.DeleteModel,
    ops.RemoveConstraint,
    ops.RemoveField,
    ops.RemoveIndex,
    ops.RenameField,
    ops.RenameIndex,
    ops.RenameModel,
)

# Other packages' data migrations that only rewrite rows already there, so on an empty
# database they do nothing (read in each package's source). Beacon's own say so by being
# `elidable`, Django's mark for "not needed on a database built from scratch".
EMPTY_ON_A_FRESH_DATABASE = {
    ("auth", "0011_update_proxy_permissions"),  # moves existing proxy permissions
    ("account", "0006_emailaddress_lower"),  # lower-cases existing addresses
    ("account", "0008_emailaddress_unique_primary_email_fixup"),  # fixes existing rows
}


def _needs_replay(migration: Migration, operation: Operation) -> bool:
    if isinstance(operation, SCHEMA_ONLY):
        return False
    if isinstance(operation, ops.RunPython):
        known = (migration.app_label, migration.name) in EMPTY_ON_A_FRESH_DATABASE
        return not (operation.elidable or known or operation.code is ops.RunPython.noop)
    if isinstance(operation, ops.RunSQL):
        return not operation.elidable
    # Anything else (database extensions, SeparateDatabaseAndState, custom operations)
    # may do what the state does not record.
    return True


def replay_needed(plan: list[tuple[Migration, bool]]) -> list[str]:
    """The migrations in `plan` that do more than the final state records."""
    return sorted(
        f"{m.app_label}.{m.name}"
        for m, _backwards in plan
        if any(_needs_replay(m, op) for op in m.operations)
    )


def is_empty(connection: BaseDatabaseWrapper) -> bool:
    """No tables at all, bar an empty migration record."""
    tables = set(connection.introspection.table_names())
    if not tables <= {"django_migrations"}:
        return False
    if not tables:
        return True
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM django_migrations")
        (count,) = cursor.fetchone()
    return bool(count == 0)


def create(executor: MigrationExecutor, plan: list[tuple[Migration, bool]]) -> StateApps:
    """Every table of the migrations' final state, and `plan` recorded as applied, in one
    transaction; returns the final state's models for the post-migrate handlers."""
    connection = executor.connection
    state = executor.loader.project_state()
    final = state.apps
    executor.recorder.ensure_schema()
    with connection.schema_editor() as editor:
        for model in final.get_models():
            if model._meta.managed and not model._meta.proxy and not model._meta.swapped:
                # Auto-created many-to-many tables come with their model.
                editor.create_model(model)
        for migration, _backwards in plan:
            executor.record_migration(migration)
    executor.check_replacements()
    return final
