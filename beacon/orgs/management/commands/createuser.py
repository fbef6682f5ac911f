"""`beacon createuser ORG EMAIL --role ROLE`: add a member to an organisation."""

from __future__ import annotations

import getpass
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from beacon.core.errors import BeaconError
from beacon.orgs.actions import do_add_member
from beacon.orgs.models import Organization, Role


class Command(BaseCommand):
    help = "Add a member (a login) to an organisation."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("org", help="organisation slug")
        parser.add_argument("email")
        parser.add_argument("--role", choices=Role.values, default=Role.VIEWER)
        parser.add_argument("--name", default="")
        parser.add_argument("--password", help="asked if not given")

    def handle(self, *args: Any, **options: Any) -> None:
        org = Organization.objects.filter(slug=options["org"]).first()
        if org is None:
            raise CommandError(f"no organisation with slug {options['org']!r}")
        password = options["password"] or getpass.getpass("Password: ")
        try:
            member = do_add_member(
                org,
                options["email"],
                role=options["role"],
                display_name=options["name"] or options["email"].split("@")[0],
                password=password,
            )
        except BeaconError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(self.style.SUCCESS(f"{member.email} is now {member.role} of {org.name}"))
