"""Recording events: the audit trail every write leaves."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from django.db import models

from beacon.orgs.models import Event, Membership, Organization


def record_event(
    org: Organization | int,
    verb: str,
    subject: models.Model,
    *,
    actor: Membership | None = None,
    **data: Any,
) -> Event:
    org_id = org if isinstance(org, int) else org.pk
    assert subject.pk is not None, "record events after the subject is saved"
    return Event.objects.create(
        organization_id=org_id,
        actor=actor,
        verb=verb,
        subject_type=subject._meta.label_lower,
        subject_id=subject.pk,
        data=data,
    )


class MemberEvent(StrEnum):
    """Verbs of changes to members, departments and API keys."""

    ROLE_CHANGED = "member.role_changed"
    PLACED = "member.placed"  # department or team changed
    DEACTIVATED = "member.deactivated"
    REACTIVATED = "member.reactivated"
    DEPARTMENT_ADDED = "department.added"
    DEPARTMENT_RENAMED = "department.renamed"
    DEPARTMENT_REMOVED = "department.removed"


class ApiKeyEvent(StrEnum):
    CREATED = "apikey.created"
    REVOKED = "apikey.revoked"
