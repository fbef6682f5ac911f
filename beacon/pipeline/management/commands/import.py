"""`beacon import contacts|interactions FILE --org SLUG`: a CSV import with a progress bar."""

from __future__ import annotations

import csv
import io
import os
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from beacon.contacts.imports import do_start_import
from beacon.contacts.models import ImportKind, ImportState
from beacon.orgs.models import Organization
from beacon.pipeline.imports import run_import_job


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
        # The same run as the imports page: progress of both passes, finished in the
        # import's own transaction, and failed by the sweeper if this process is killed.
        with path.open("rb") as stream:
            job = run_import_job(job, stream, progress=bar.show)
        bar.done()
        if job.state != ImportState.DONE:
            raise CommandError(job.message[:1].lower() + job.message[1:])
        self.stdout.write(job.message)
        refused = list(csv.reader(io.StringIO(job.error_report)))[1:]
        for line, column, message in refused[:20]:
            self.stdout.write(f"  line {line}: {column}: {message}")
        if refused and options["errors"]:
            options["errors"].write_text(job.error_report, encoding="utf-8")
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

    def show(self, phase: str, done: int, total: int) -> None:
        share = done / total if total else 1.0
        filled = int(share * self.WIDTH)
        line = f"{phase:8} [{'#' * filled}{'.' * (self.WIDTH - filled)}] {share:4.0%}"
        self.out.write(("\r" if self.tty else "") + line + ("" if self.tty else os.linesep))
        self.out.flush()

    def done(self) -> None:
        if self.tty:
            self.out.write(os.linesep)
