"""`beacon createorg NAME --owner EMAIL`: a new organisation with its first owner."""

from __future__ import annotations

import getpass
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from beacon.core.errors import BeaconError
from beacon.orgs.actions import do_add_member, do_create_organization
from beacon.orgs.models import Role


class Command(BaseCommand):
    help = "Create an organisation and its owner."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name")
        parser.add_argument("--slug")
        parser.add_argument("--owner", required=True, help="the owner's email (their login)")
        parser.add_argument("--owner-name", default="", help="shown in the UI")
        parser.add_argument("--password", help="the owner's password (asked if not given)")

    def handle(self, *args: Any, **options: Any) -> None:
        password = options["password"] or getpass.getpass("Owner's password: ")
        try:
            with transaction.atomic():
                org = do_create_organization(options["name"], options["slug"])
                do_add_member(
                    org,
                    options["owner"],
                    role=Role.OWNER,
                    display_name=options["owner_name"] or options["owner"].split("@")[0],
                    password=password,
                )
        except BeaconError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(self.style.SUCCESS(f"Created {org.name} (slug {org.slug})"))
