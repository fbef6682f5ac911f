"""Privacy: how long free text is kept, and which contacts were erased."""

from __future__ import annotations

from django.db import models

from beacon.core.models import TenantModel

# Longest retention period the setting accepts: ten years.
MAX_RETENTION_MONTHS = 120


class PrivacySettings(models.Model):
    """Per organisation; one-to-one so privacy keeps its settings to itself."""

    organization = models.OneToOneField(
        "orgs.Organization", on_delete=models.CASCADE, related_name="+", primary_key=True
    )
    # Free text older than this many months is redacted by the retention job; None keeps it.
    retention_months = models.PositiveIntegerField(null=True, blank=True)
    # When the retention job last finished for this organisation (shown on the settings page).
    retention_applied_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(retention_months__isnull=True)
                | models.Q(retention_months__gte=1, retention_months__lte=MAX_RETENTION_MONTHS),
                name="privacy_retention_months_range",
            )
        ]

    def __str__(self) -> str:
        return f"privacy settings of {self.organization_id}"


class Erasure(TenantModel):
    """A contact erased on request (right to erasure): once per contact (one-to-one)."""

    contact = models.OneToOneField("contacts.Contact", on_delete=models.CASCADE, related_name="+")
    erased_by = models.ForeignKey(
        "orgs.Membership", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
