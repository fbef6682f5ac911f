"""Tenant-scoped base model: every tenant row carries its organisation."""

from __future__ import annotations

from typing import Any, Self, TypeVar

from django.db import models

from beacon.core import clock

M = TypeVar("M", bound=models.Model)


class TenantQuerySet(models.QuerySet[M]):
    def for_org(self, org: Any) -> Self:
        """Rows of one organisation; `org` is an Organization or its id."""
        org_id = org if isinstance(org, int) else org.pk
        return self.filter(organization_id=org_id)


# Reads go through `Model.objects.for_org(org)`: the manager carries the queryset's method.
TenantManager = models.Manager.from_queryset(TenantQuerySet)


class TenantModel(models.Model):
    organization = models.ForeignKey(
        "orgs.Organization", on_delete=models.CASCADE, related_name="+"
    )
    # From the controllable clock, so tests and seeded history can place rows in time.
    created_at = models.DateTimeField(default=clock.now, editable=False)

    objects = TenantManager()

    class Meta:
        abstract = True
