"""Ids sent by a client, resolved inside the caller's organisation.

An id of another organisation is treated exactly like an id that does not exist, so a
client cannot learn which ids are taken elsewhere.
"""

from __future__ import annotations

from typing import Any, TypeVar

from django.db.models import Model

from beacon.core.errors import ValidationFailed
from beacon.orgs.models import Organization

M = TypeVar("M", bound=Model)


class Refs:
    """Resolves several ids, then reports every unknown one at once (not just the first)."""

    def __init__(self, org: Organization) -> None:
        self.org = org
        self.errors: dict[str, str] = {}

    def get(
        self, model: type[M], pk: int | None, field: str, *, related: tuple[str, ...] = ()
    ) -> M | None:
        """The row, with `related` rows joined in (saves a query per relation read later)."""
        if pk is None:
            return None
        manager: Any = model._default_manager
        found = manager.for_org(self.org)
        try:
            # get(), not first(): a lookup by primary key needs no ORDER BY to build.
            obj: M = (found.select_related(*related) if related else found).get(pk=pk)
        except model.DoesNotExist:  # type: ignore[attr-defined]
            self.errors[field] = unknown(model, pk)
            return None
        return obj

    def check(self) -> None:
        """422 naming every unknown id."""
        if self.errors:
            raise ValidationFailed(dict(self.errors))


def unknown(model: type[Model], pk: int) -> str:
    return f"no {model._meta.verbose_name} {pk} in this organisation"


def in_org(
    org: Organization, model: type[M], ids: set[int], *, related: tuple[str, ...] = ()
) -> dict[int, M]:
    """The rows of these ids in the organisation (a batch's `Refs.get`), by id."""
    if not ids:
        return {}
    manager: Any = model._default_manager
    found = manager.for_org(org).filter(pk__in=ids)
    return {obj.pk: obj for obj in (found.select_related(*related) if related else found)}
