"""`beacon insights backfill|train|build-default`: batch work on customers' words."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from beacon.insights import default
from beacon.insights.analysis import do_backfill
from beacon.insights.registry import do_train_themes
from beacon.orgs.models import Organization


class Command(BaseCommand):
    help = (
        "backfill: analyse free-text answers that have none yet, many per model call; "
        "train: train organisation models now; "
        "build-default: write the default model into the package data."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["backfill", "train", "build-default"])
        parser.add_argument("--org", type=int, help="only this organisation id")
        parser.add_argument(
            "--redo", action="store_true", help="backfill: analyse answers again too"
        )
        parser.add_argument("--batch-size", type=int, default=500)

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "build-default":
            size = default.build()
            self.stdout.write(
                self.style.SUCCESS(f"Wrote {default.DEFAULT_FILE} ({size / 1e6:.1f} MB)")
            )
            return
        if options["batch_size"] < 1:
            raise CommandError("--batch-size must be at least 1")
        orgs = Organization.objects.order_by("pk")
        if options["org"] is not None:
            orgs = orgs.filter(pk=options["org"])
            if not orgs.exists():
                raise CommandError(f"--org: no organisation with id {options['org']}")
        for org in orgs:
            started = time.perf_counter()
            if options["action"] == "train":
                record = do_train_themes(org)
                self.stdout.write(f"{org.name}: themes model v{record.version}")
                continue
            done = do_backfill(org, redo=options["redo"], batch_size=options["batch_size"])
            seconds = time.perf_counter() - started
            rate = f", {done / seconds:.0f}/s" if done and seconds > 0 else ""
            self.stdout.write(f"{org.name}: analysed {done} answers in {seconds:.1f} s{rate}")
