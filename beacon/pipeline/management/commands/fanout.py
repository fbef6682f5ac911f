"""`beacon fanout`: responses whose fan-out never finished in any attempt allowed, and
retrying them."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from beacon.pipeline.actions import retry_stuck_fanout, stuck_fanout


class Command(BaseCommand):
    help = (
        "List responses whose fan-out (case, analysis) was started as often as allowed "
        "(BEACON_FANOUT_MAX_ATTEMPTS) and never finished: a batch that failed, or a worker "
        "killed while it ran; --retry gives them back to the sweeper once the cause is fixed."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--retry", action="store_true", help="enqueue them again")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["retry"]:
            self.stdout.write(f"{retry_stuck_fanout()} response(s) given back to the sweeper")
            return
        stuck = list(stuck_fanout().select_related("organization")[:100])
        if not stuck:
            self.stdout.write("No response is stuck.")
            return
        # An attempt is counted when a batch starts on the response and cleared when it
        # commits: what is left counts batches that started and never finished.
        self.stdout.write(
            f"{len(stuck)} response(s) whose fan-out was started "
            f"{settings.FANOUT_MAX_ATTEMPTS} times and never finished:"
        )
        for response in stuck:
            stage = "case" if response.cased_at is None else "analysis"
            self.stdout.write(
                f"  response {response.pk} of {response.organization.slug}, "
                f"received {response.responded_at:%Y-%m-%d %H:%M}, stage: {stage}"
            )
        self.stdout.write("Run `beacon fanout --retry` once the cause is fixed.")
