"""Tenant-scoped base model: every tenant row carries its organisation."""

from __future__ import annotations

from typing import Any, Self, TypeVar

from django.db import models

M = TypeVar("M", bound=models.Model)


class TenantQuerySet(models.QuerySet[M]):
    def for_org(self, org: Any) -> Self:
        """Rows of one organisation; `org` is an Organization or its id."""
        org_id = org if isinstance(org, int) else org.pk
        return self.filter(organization_id=org_id)


class TenantManager(models.Manager[M]):
    """The manager every tenant model uses; reads go through `for_org()`."""

    def get_queryset(self) -> TenantQuerySet[M]:
        return TenantQuerySet(self.model, using=self._db)

    def for_org(self, org: Any) -> TenantQuerySet[M]:
        return self.get_queryset().for_org(org)


class TenantModel(models.Model):
    organization = models.ForeignKey("orgs.Organization", on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    objects: Any = TenantManager()

    class Meta:
        abstract = True
