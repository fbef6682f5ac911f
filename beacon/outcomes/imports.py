"""Outcome rows for the CSV import machinery of `contacts.imports` (progress, row errors).

The columns are the fields of the API's items; `idempotency_key` may be left out, in
which case the row itself is the key, so importing the same file twice stores nothing
twice either way.
"""

from __future__ import annotations

from beacon.orgs.models import Organization
from beacon.outcomes.actions import ItemStatus, write_checked
from beacon.outcomes.checks import Checked, Checker
from beacon.outcomes.queries import settings_of


class OutcomeRows:
    """The `RowWriter` of outcome imports."""

    id_column = "idempotency_key"

    def __init__(self, org: Organization) -> None:
        self.org = org
        self.settings = settings_of(org)
        self.checker = Checker(org, self.settings)

    def restart(self) -> None:
        self.checker = Checker(self.org, self.settings)

    def check(self, row: dict[str, str]) -> tuple[Checked | None, dict[str, str]]:
        return self.checker.check(row, key_required=False)

    def key(self, item: Checked) -> str:
        return item.idempotency_key

    def write(self, items: list[tuple[int, Checked]]) -> int:
        results = write_checked(self.org, items)
        return sum(r.status != ItemStatus.EXISTS for r in results)
