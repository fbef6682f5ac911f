"""Reads of privacy: the settings, whether a contact was erased."""

from __future__ import annotations

from beacon.orgs.models import Organization
from beacon.privacy.models import Erasure, PrivacySettings


def settings_of(org: Organization | int) -> PrivacySettings:
    """The organisation's settings, or the defaults (unsaved: keep everything)."""
    org_id = org if isinstance(org, int) else org.pk
    found = PrivacySettings.objects.filter(organization_id=org_id).first()
    return found or PrivacySettings(organization_id=org_id)


def erasure_of(org: Organization | int, contact_id: int) -> Erasure | None:
    return (
        Erasure.objects.for_org(org)
        .select_related("erased_by")
        .filter(contact_id=contact_id)
        .first()
    )


def organisations_with_retention() -> list[int]:
    return list(
        PrivacySettings.objects.filter(retention_months__isnull=False)
        .order_by("organization_id")
        .values_list("organization_id", flat=True)
    )
