"""`beacon demo`: load the demo organisation once (skipped if it is already there)."""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from beacon.demo.seed import DEMO_EMAIL, DEMO_PASSWORD, DEMO_SLUG, open_invitations, seed
from beacon.orgs.models import Organization


class Command(BaseCommand):
    help = "Load the Northwind Mobile demo organisation (about 20,000 responses)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--responses", type=int, default=20_000)
        parser.add_argument("--seed", type=int, default=7)

    def handle(self, *args: Any, **options: Any) -> None:
        org = Organization.objects.filter(slug=DEMO_SLUG).first()
        if org is not None:
            self.stdout.write("Demo organisation already loaded; skipping.")
        else:
            started, cpu = time.monotonic(), time.process_time()

            def progress(step: str) -> None:
                # CPU time beside the clock: on a shared machine the clock alone says more
                # about the neighbours than about the demo.
                elapsed = time.monotonic() - started
                used = time.process_time() - cpu
                self.stdout.write(f"  [{elapsed:5.1f}s, CPU {used:5.1f}s] {step}")
                self.stdout.flush()

            self.stdout.write("Loading the demo organisation:")
            org = seed(responses=options["responses"], seed=options["seed"], progress=progress)
            took, used = time.monotonic() - started, time.process_time() - cpu
            self.stdout.write(
                self.style.SUCCESS(
                    f"Loaded demo organisation {org.name} in {took:.1f}s (CPU {used:.1f}s)"
                )
            )
        self.stdout.write(f"Log in at {settings.BASE_URL}/login/ as {DEMO_EMAIL} / {DEMO_PASSWORD}")
        links = [f"{settings.BASE_URL}/s/{i.token}/" for i in open_invitations(org)]
        if links:
            self.stdout.write("Answer as a customer (open invitations):")
            for link in links:
                self.stdout.write(f"  {link}")
