"""`beacon import contacts|interactions FILE --org SLUG`: a CSV import with a progress bar."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from beacon.contacts.imports import (
    ImportRefused,
    do_finish_import,
    do_record_progress,
    do_start_import,
    run_import,
)
from beacon.contacts.models import ImportKind
from beacon.orgs.models import Organization
from beacon.pipeline.actions import receive_interaction


class Command(BaseCommand):
    help = "Import contacts or interactions from a CSV file (header line required)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("kind", choices=ImportKind.values)
        parser.add_argument("file", type=Path)
        parser.add_argument("--org", help="organisation slug (needed if there are several)")
        parser.add_argument("--errors", type=Path, help="write the refused rows to this CSV")

    def handle(self, *args: Any, **options: Any) -> None:
        org = self._org(options["org"])
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"{path}: no such file")
        size = path.stat().st_size
        job = do_start_import(org, options["kind"], path.name, size)
        bar = _Bar(self.stderr._out if hasattr(self.stderr, "_out") else sys.stderr)

        def progress(done: int, total: int) -> None:
            do_record_progress(job, done, total)
            bar.show(done, total)

        def write(data: Any) -> bool:
            return receive_interaction(org, data).created

        with path.open("rb") as stream:
            try:
                outcome = run_import(
                    org, options["kind"], stream,
                    write_interaction=write, progress=progress, total_bytes=size,
                )  # fmt: skip
            except ImportRefused as exc:
                do_finish_import(job, None, str(exc))
                raise CommandError(f"nothing was imported: {exc}") from None
        bar.done()
        job = do_finish_import(job, outcome)
        self.stdout.write(job.message)
        if outcome.errors:
            for e in outcome.errors[:20]:
                self.stdout.write(f"  line {e.line}: {e.column}: {e.message}")
            if options["errors"]:
                options["errors"].write_text(outcome.error_csv(), encoding="utf-8")
                self.stdout.write(f"all refused rows: {options['errors']}")

    def _org(self, slug: str | None) -> Organization:
        if slug:
            org = Organization.objects.filter(slug=slug).first()
            if org is None:
                raise CommandError(f"no organisation {slug!r}")
            return org
        orgs = list(Organization.objects.order_by("pk")[:2])
        if len(orgs) != 1:
            raise CommandError("say which organisation: --org SLUG")
        return orgs[0]


class _Bar:
    WIDTH = 30

    def __init__(self, out: Any) -> None:
        self.out = out
        self.tty = hasattr(out, "isatty") and out.isatty()

    def show(self, done: int, total: int) -> None:
        share = done / total if total else 1.0
        filled = int(share * self.WIDTH)
        line = f"checking [{'#' * filled}{'.' * (self.WIDTH - filled)}] {share:4.0%}"
        self.out.write(("\r" if self.tty else "") + line + ("" if self.tty else os.linesep))
        self.out.flush()

    def done(self) -> None:
        if self.tty:
            self.out.write(os.linesep)
