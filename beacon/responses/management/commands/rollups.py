"""`beacon rollups rebuild`: recompute the score rollups from the stored answers."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from beacon.responses import rollups


class Command(BaseCommand):
    help = "Maintain the score rollups the dashboards read."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["rebuild"])
        parser.add_argument("--org", type=int, help="only this organisation id")

    def handle(self, *args: Any, **options: Any) -> None:
        cells = rollups.rebuild(options["org"])
        self.stdout.write(self.style.SUCCESS(f"Rebuilt {cells} rollup cells"))
