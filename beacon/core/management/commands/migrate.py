"""`beacon migrate`: Django's migrate, with a fresh database's schema made in one pass.

On an empty database (and without options that pick migrations or fake them) the tables
of the migrations' final state are created directly and every migration is recorded as
applied (beacon.core.fresh_schema); otherwise, and whenever a migration does more than
its state records, the migrations are replayed one by one as usual.
"""

from __future__ import annotations

import time
from typing import Any

from django.core.management.commands import migrate
from django.core.management.sql import emit_post_migrate_signal, emit_pre_migrate_signal
from django.db import connections
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.state import ProjectState

from beacon.core import fresh_schema

# Options under which the command must do exactly what Django's does.
AS_DJANGO_DOES = (
    "app_label",
    "migration_name",
    "fake",
    "fake_initial",
    "plan",
    "run_syncdb",
    "check_unapplied",
    "prune",
)


class Command(migrate.Command):
    def handle(self, *args: Any, **options: Any) -> None:
        if any(options.get(name) for name in AS_DJANGO_DOES) or not self._fresh(options):
            super().handle(*args, **options)

    def _fresh(self, options: dict[str, Any]) -> bool:
        """Make the schema in one pass if this database is empty; False if it is not."""
        self.verbosity = options["verbosity"]
        self.interactive = options["interactive"]
        connection = connections[options["database"]]
        connection.prepare_database()
        if not fresh_schema.is_empty(connection):
            return False
        executor = MigrationExecutor(connection)
        if executor.loader.detect_conflicts():
            return False  # Django's own command reports them
        plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
        replay = fresh_schema.replay_needed(plan)
        if replay:
            if self.verbosity >= 1:
                self.stdout.write(f"Replaying every migration: {', '.join(replay)} change data.")
            return False
        started = time.monotonic()
        # Handlers (Django's, allauth's) are registered by importing each app's management
        # module, as Django's command does first.
        self._import_management_modules()
        emit_pre_migrate_signal(
            self.verbosity,
            self.interactive,
            connection.alias,
            stdout=self.stdout,
            apps=ProjectState(real_apps=executor.loader.unmigrated_apps).apps,
            plan=plan,
        )
        final = fresh_schema.create(executor, plan)
        emit_post_migrate_signal(
            self.verbosity,
            self.interactive,
            connection.alias,
            stdout=self.stdout,
            apps=final,
            plan=plan,
        )
        if self.verbosity >= 1:
            self.stdout.write(
                f"Empty database: created the tables of {len(plan)} migrations' final state "
                f"and recorded them as applied in {time.monotonic() - started:.1f}s."
            )
        return True

    @staticmethod
    def _import_management_modules() -> None:
        from importlib import import_module

        from django.apps import apps
        from django.utils.module_loading import module_has_submodule

        for app_config in apps.get_app_configs():
            if module_has_submodule(app_config.module, "management"):
                import_module(".management", app_config.name)
