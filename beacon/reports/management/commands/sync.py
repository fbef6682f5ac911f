"""`beacon sync --dir PATH`: write the warehouse files (docs/warehouse-sync.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from beacon.orgs.models import Organization
from beacon.reports.sync import do_sync_all, do_sync_org


class Command(BaseCommand):
    help = "Write new responses and verbatims, and current cases, actions and contacts."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dir", default=settings.BEACON_SYNC_DIR, help="target directory")
        parser.add_argument("--org", help="only this organisation (slug)")
        parser.add_argument("--format", choices=["parquet", "csv"], default="parquet")

    def handle(self, *args: Any, **options: Any) -> None:
        if not options["dir"]:
            raise CommandError("name a directory with --dir or BEACON_SYNC_DIR")
        directory = Path(options["dir"])
        if options["org"]:
            org = Organization.objects.filter(slug=options["org"]).first()
            if org is None:
                raise CommandError(f"no organisation {options['org']!r}")
            count = len(do_sync_org(org, directory, options["format"]))
        else:
            count = do_sync_all(directory, options["format"])
        self.stdout.write(self.style.SUCCESS(f"Wrote {count} files to {directory}"))
