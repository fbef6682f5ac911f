"""Tenant-scoped reads for the members pages: members, invitations, open work, audit."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import User
from django.db.models import F, QuerySet

from beacon.accounts.queries import users_with_second_factor
from beacon.analytics.models import AlertRule
from beacon.core import clock
from beacon.cxmodel.models import Need, Stage
from beacon.loop.models import Action, ActionStatus, Case, CaseStatus
from beacon.members.models import Invitation
from beacon.orgs.models import ApiKey, Membership, Organization


def has_account(email: str) -> bool:
    """A person who can already sign in (a member elsewhere, with a password)."""
    user = User.objects.filter(username=email).first()
    return user is not None and user.has_usable_password()


def invitation_by_token(token_hash: str) -> Invitation | None:
    return (
        Invitation.objects.select_related("organization", "invited_by")
        .filter(token_hash=token_hash)
        .first()
    )


def invitation_state(invitation: Invitation) -> str:
    """open, accepted, revoked, expired or deactivated (the invitee's membership is)."""
    if invitation.accepted_at is not None:
        return "accepted"
    if invitation.revoked_at is not None:
        return "revoked"
    if invitation.expires_at <= clock.now():
        return "expired"
    deactivated = Membership.objects.for_org(invitation.organization_id).filter(
        user__username=invitation.email, deactivated_at__isnull=False
    )
    if deactivated.exists():
        return "deactivated"
    return "open"


def open_invitations(org: Organization) -> list[Invitation]:
    rows = Invitation.objects.for_org(org).filter(accepted_at__isnull=True, revoked_at__isnull=True)
    return list(rows.select_related("invited_by").order_by("-created_at", "-pk"))


def members(org: Organization) -> QuerySet[Membership]:
    """Everyone in the organisation, active first, with what the list shows."""
    return (
        Membership.objects.for_org(org)
        .select_related("user", "team", "department")
        .order_by(F("deactivated_at").asc(nulls_first=True), "display_name", "pk")
    )


def two_factor_by_user(user_ids: list[int]) -> dict[int, bool]:
    """Who has a second factor (an authenticator app or a passkey)."""
    with_factor = users_with_second_factor(user_ids)
    return {uid: uid in with_factor for uid in user_ids}


# ------------------------------------------------------------------ open work


# Kinds of work that need one accountable person, in the order the handover page lists them.
WORK_KINDS = ("case", "stage", "need", "action", "alert_rule")
WORK_LABELS = {
    "case": "Open cases",
    "stage": "Journey stages owned",
    "need": "Needs owned",
    "action": "Actions",
    "alert_rule": "Alert rules notifying them",
}


@dataclass(frozen=True)
class WorkItem:
    kind: str
    obj: Any
    label: str


def _work(kind: str, member: Membership) -> QuerySet[Any]:
    org_id = member.organization_id
    if kind == "case":
        return (
            Case.objects.for_org(org_id)
            .filter(owner=member)
            .exclude(status=CaseStatus.RESOLVED)
            .order_by("due_at", "pk")
        )
    if kind == "stage":
        return Stage.objects.for_org(org_id).filter(owner=member).order_by("journey_id", "position")
    if kind == "need":
        return Need.objects.for_org(org_id).filter(owner=member).order_by("pk")
    if kind == "action":
        return (
            Action.objects.for_org(org_id)
            .filter(owner=member, status__in=[ActionStatus.OPEN, ActionStatus.IN_PROGRESS])
            .order_by("deadline", "pk")
        )
    if kind == "alert_rule":
        return AlertRule.objects.for_org(org_id).filter(notify=member, active=True).order_by("pk")
    raise ValueError(f"unknown kind of work {kind!r}")


def work_item(kind: str, member: Membership, item_id: int) -> Any | None:
    """One of the member's open items, or None (another member's or organisation's)."""
    if kind not in WORK_KINDS:
        return None
    return _work(kind, member).filter(pk=item_id).first()


def open_work(member: Membership) -> list[WorkItem]:
    items: list[WorkItem] = []
    for kind in WORK_KINDS:
        for obj in _work(kind, member):
            items.append(WorkItem(kind, obj, str(getattr(obj, "title", None) or obj)))
    return items


def gaps(org: Organization) -> list[tuple[Membership, int]]:
    """Deactivated members who still hold open work: each item has no active owner."""
    result = []
    for member in members(org).filter(deactivated_at__isnull=False):
        count = sum(_work(kind, member).count() for kind in WORK_KINDS)
        if count:
            result.append((member, count))
    return result


def live_keys_created_by(member: Membership) -> list[ApiKey]:
    return list(
        ApiKey.objects.for_org(member.organization_id)
        .filter(created_by=member, revoked_at__isnull=True)
        .order_by("pk")
    )
