"""`manage.py openapi` writes the API schema to docs/openapi.json; `--check` diffs it.

The schema is checked in so that a change to the API shows up in review as a diff of
this file, and CI fails when code and checked-in schema drift apart.
"""

from __future__ import annotations

import difflib
import json
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

import beacon
from beacon.api.v1 import api

DEFAULT_PATH = Path(beacon.__file__).resolve().parent.parent / "docs" / "openapi.json"


def schema_text() -> str:
    schema = api.get_openapi_schema()
    return json.dumps(schema, sort_keys=True, indent=2, ensure_ascii=False) + "\n"


class Command(BaseCommand):
    help = "Write the OpenAPI schema of API v1 to docs/openapi.json, or check it is current."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--check",
            action="store_true",
            help="Exit non-zero with a diff if the checked-in schema differs.",
        )
        parser.add_argument(
            "--output", type=Path, default=DEFAULT_PATH, help="Schema file (default: %(default)s)."
        )
        parser.add_argument("--stdout", action="store_true", help="Print the schema instead.")

    def handle(self, *args: Any, **options: Any) -> None:
        text = schema_text()
        path: Path = options["output"]
        if options["stdout"]:
            self.stdout.write(text, ending="")
            return
        if options["check"]:
            current = path.read_text(encoding="utf-8") if path.exists() else ""
            if current != text:
                diff = difflib.unified_diff(
                    current.splitlines(keepends=True),
                    text.splitlines(keepends=True),
                    fromfile=f"{path} (checked in)",
                    tofile=f"{path} (from code)",
                )
                sys.stderr.writelines(diff)
                raise CommandError(
                    f"{path} is out of date: run `python manage.py openapi` and commit it"
                )
            self.stdout.write(f"{path} is up to date")
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        self.stdout.write(f"wrote {path}")
