"""Reads of organisations, members and API keys."""

from __future__ import annotations

import hmac
from typing import Any

from beacon.core import clock
from beacon.orgs.actions import API_KEY_PREFIX, hash_api_key
from beacon.orgs.models import ApiKey, Membership, Organization, Role


def authenticate_api_key(secret: str) -> ApiKey | None:
    """The live key for `secret`, or None. Compares hashes in constant time."""
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
    # A bounded write: at most once a minute per key, not on every request.
    cutoff = clock.now()
    if key.last_used_at is None or (cutoff - key.last_used_at).total_seconds() > 60:
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=cutoff)
    return key


def memberships_of(user: Any) -> list[Membership]:
    return list(Membership.objects.filter(user=user).select_related("organization").order_by("pk"))


def org_owner(org: Organization) -> Membership | None:
    """The first owner: the fallback accountable person when nobody else is named."""
    return Membership.objects.for_org(org).filter(role=Role.OWNER).order_by("pk").first()


def manager_of(member: Membership) -> Membership | None:
    """The lead of the member's team, or of the nearest parent team led by someone else."""
    team = member.team
    while team is not None:
        if team.lead_id is not None and team.lead_id != member.pk:
            return team.lead
        team = team.parent
    return None
