"""Recording events: the audit trail every write leaves.

Every app names its verbs in its own `events.py`: a `StrEnum` subclassing `EventVerb`, and
one small function per event that calls `record_event`. orgs is the bottom layer and imports
no app above it, so `all_verbs` finds the other apps' enums by importing each installed
app's `events` module (as the admin finds `admin` modules) and listing `EventVerb`'s
subclasses.
"""

from __future__ import annotations

from enum import StrEnum
from importlib import import_module
from typing import Any

from django.apps import apps
from django.db import models
from django.utils.module_loading import module_has_submodule

from beacon.core import clock
from beacon.core.rows import db_datetime, db_json, insert
from beacon.orgs.models import ApiKey, Event, Membership, Organization, Team


class EventVerb(StrEnum):
    """The base of every app's enum of event verbs (it has no members of its own)."""


def all_verbs() -> list[str]:
    """Every event verb of every installed Beacon app, sorted (the audit log filters by
    these)."""
    for config in apps.get_app_configs():
        if config.name.startswith("beacon.") and module_has_submodule(config.module, "events"):
            import_module(f"{config.name}.events")
    return sorted({verb.value for enum in EventVerb.__subclasses__() for verb in enum})


def record_event(
    org: Organization | int,
    verb: str,
    subject: models.Model,
    *,
    actor: Membership | None = None,
    **data: Any,
) -> Event:
    """Any verb is accepted as a string; code passes an `EventVerb` member (a `str`)."""
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


def record_events(
    org: Organization | int, verb: str, subjects: list[tuple[models.Model, dict[str, Any]]]
) -> None:
    """`record_event` for many subjects, in one INSERT (set-based writes keep their trail);
    rows as tuples (`core.rows`): a batch writes one event per item."""
    if not subjects:
        return
    org_id = org if isinstance(org, int) else org.pk
    now = db_datetime(clock.now())
    insert(Event, _EVENT_COLUMNS,
           [(org_id, now, verb, subject._meta.label_lower, subject.pk, db_json(data))
            for subject, data in subjects], ids=False)  # fmt: skip


_EVENT_COLUMNS = ("organization_id", "created_at", "verb", "subject_type", "subject_id", "data")


class OrgEvent(EventVerb):
    MEMBER_ADDED = "member.added"
    ORG_CREATED = "org.created"
    ORG_UPDATED = "org.updated"
    TEAM_CREATED = "team.created"
    TEAM_LEAD_SET = "team.lead_set"


def apikey_created(
    org: Organization | int, key: ApiKey, *, actor: Membership | None = None, scopes: list[str]
) -> Event:
    return record_event(org, ApiKeyEvent.CREATED, key, actor=actor, scopes=scopes)


def apikey_revoked(
    org: Organization | int, key: ApiKey, *, actor: Membership | None = None
) -> Event:
    return record_event(org, ApiKeyEvent.REVOKED, key, actor=actor)


def member_added(
    org: Organization | int, member: Membership, *, actor: Membership | None = None, role: str
) -> Event:
    return record_event(org, OrgEvent.MEMBER_ADDED, member, actor=actor, role=role)


def org_created(org: Organization, *, name: str) -> Event:
    return record_event(org, OrgEvent.ORG_CREATED, org, name=name)


def org_updated(org: Organization, *, actor: Membership | None = None, **changes: object) -> Event:
    """`changes`: the settings changed, by field name, with their new values."""
    return record_event(org, OrgEvent.ORG_UPDATED, org, actor=actor, **changes)


def team_created(org: Organization | int, team: Team, *, actor: Membership | None = None) -> Event:
    return record_event(org, OrgEvent.TEAM_CREATED, team, actor=actor)


def team_lead_set(
    org: Organization | int, team: Team, *, actor: Membership | None = None, lead: int
) -> Event:
    return record_event(org, OrgEvent.TEAM_LEAD_SET, team, actor=actor, lead=lead)


class MemberEvent(EventVerb):
    """Verbs of changes to members, departments and API keys."""

    ROLE_CHANGED = "member.role_changed"
    PLACED = "member.placed"  # department or team changed
    DEACTIVATED = "member.deactivated"
    REACTIVATED = "member.reactivated"
    DEPARTMENT_ADDED = "department.added"
    DEPARTMENT_RENAMED = "department.renamed"
    DEPARTMENT_REMOVED = "department.removed"


class ApiKeyEvent(EventVerb):
    CREATED = "apikey.created"
    REVOKED = "apikey.revoked"
