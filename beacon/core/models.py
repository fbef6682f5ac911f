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


class ComputedResult(TenantModel):
    """An analysis too slow for a request (key drivers, suggested themes), computed by the
    worker and read by pages and the API with its "as of" time (`beacon.core.computed`).

    `kind` is the dotted path of the function that computes it, `key` a hash of its
    parameters; `queued_until` is the lease of a job that is waiting or running, so many
    page loads enqueue one job, and a lost job is enqueued again once its lease runs out.
    """

    kind = models.CharField(max_length=200)
    key = models.CharField(max_length=64)
    params = models.JSONField(default=dict)
    as_of = models.DateTimeField(null=True, blank=True)
    data = models.JSONField(null=True, blank=True)
    queued_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "kind", "key"], name="computed_result_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} ({self.key[:8]})"
