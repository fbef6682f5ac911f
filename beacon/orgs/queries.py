"""Reads of organisations, members and API keys."""

from __future__ import annotations

import datetime as dt
import hmac
from dataclasses import dataclass
from typing import Any

from django.db.models import F, QuerySet

from beacon.core import clock
from beacon.orgs.actions import API_KEY_PREFIX, hash_api_key
from beacon.orgs.models import ApiKey, Department, Event, Membership, Organization, Role


def authenticate_api_key(secret: str) -> ApiKey | None:
    """The unrevoked key for `secret`, or None. Compares hashes in constant time.

    An expired key is returned (see `ApiKey.expires_at`) so the caller can say it expired
    rather than "unknown"; only someone holding the secret learns that.
    """
    if not secret.startswith(API_KEY_PREFIX):
        return None
    prefix = secret[len(API_KEY_PREFIX) :].split("_", 1)[0]
    live = ApiKey.objects.select_related("organization").filter(revoked_at__isnull=True)
    try:
        # get(): the prefix is unique, and a query without ORDER BY is cheaper to build.
        key = live.get(prefix=prefix)
    except ApiKey.DoesNotExist:
        key = None
    if key is None or not hmac.compare_digest(key.key_hash, hash_api_key(secret)):
        return None
    if key.expires_at is not None and key.expires_at <= clock.now():
        return key
    # A bounded write: at most once a minute per key, not on every request.
    cutoff = clock.now()
    if key.last_used_at is None or (cutoff - key.last_used_at).total_seconds() > 60:
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=cutoff)
    return key


def memberships_of(user: Any) -> list[Membership]:
    """The user's active memberships: a deactivated one is never offered nor chosen."""
    active = Membership.objects.filter(user=user, deactivated_at__isnull=True)
    return list(active.select_related("organization").order_by("pk"))


def deactivated_everywhere(user: Any) -> bool:
    """The user belongs to organisations, and every one of them deactivated them."""
    rows = Membership.objects.filter(user=user)
    return rows.exists() and not rows.filter(deactivated_at__isnull=True).exists()


def active_members(org: Organization | int) -> QuerySet[Membership]:
    """Members who may be given work: a deactivated member's work would be a gap at once."""
    rows = Membership.objects.for_org(org).filter(deactivated_at__isnull=True)
    return rows.order_by("display_name", "pk")


def api_keys(org: Organization) -> list[ApiKey]:
    """The organisation's keys for the keys page, live ones first, newest first."""
    rows = ApiKey.objects.for_org(org).select_related("created_by")
    return list(rows.order_by(F("revoked_at").desc(nulls_first=True), "-created_at", "-pk"))


def departments(org: Organization) -> list[Department]:
    return list(Department.objects.for_org(org).order_by("name"))


def org_owner(org: Organization) -> Membership | None:
    """The first owner: the fallback accountable person when nobody else is named."""
    owners = Membership.objects.for_org(org).filter(role=Role.OWNER, deactivated_at__isnull=True)
    return owners.order_by("pk").first()


def manager_of(member: Membership) -> Membership | None:
    """The lead of the member's team, or of the nearest parent team led by someone else."""
    team = member.team
    while team is not None:
        if team.lead_id is not None and team.lead_id != member.pk:
            return team.lead
        team = team.parent
    return None


# ------------------------------------------------------------------ audit log


@dataclass(frozen=True)
class AuditFilter:
    actor: Membership | None = None
    verb: str = ""
    since: dt.datetime | None = None  # inclusive
    until: dt.datetime | None = None  # exclusive


def audit_events(org: Organization, where: AuditFilter) -> QuerySet[Event]:
    """The organisation's recorded events matching `where`, newest first."""
    rows = Event.objects.for_org(org).select_related("actor")
    if where.actor is not None:
        rows = rows.filter(actor=where.actor)
    if where.verb:
        rows = rows.filter(verb=where.verb)
    if where.since is not None:
        rows = rows.filter(created_at__gte=where.since)
    if where.until is not None:
        rows = rows.filter(created_at__lt=where.until)
    return rows.order_by("-pk")


def audit_verbs(org: Organization) -> list[str]:
    """The verbs this organisation's log holds: the filter offers only what can match."""
    verbs = Event.objects.for_org(org).values_list("verb", flat=True).distinct()
    return sorted(str(v) for v in verbs)
