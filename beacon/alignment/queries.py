"""Tenant-scoped reads of alignment rounds."""

from __future__ import annotations

from collections.abc import Sequence

from django.db.models import Count, Q, QuerySet

from beacon.alignment.actions import hash_token
from beacon.alignment.models import Recipient, Reply, Round, RoundStatus
from beacon.cxmodel.models import Stage
from beacon.orgs.models import Department, Membership, Organization, Team

AUDIENCES = ("all", "departments", "teams")


def rounds(org: Organization | int) -> QuerySet[Round]:
    """The organisation's rounds, newest first, with how many were asked and answered."""
    return (
        Round.objects.for_org(org)
        .select_related("journey", "created_by", "primary_persona")
        .annotate(
            asked=Count("recipients", distinct=True),
            answered=Count(
                "recipients", filter=Q(recipients__answered_at__isnull=False), distinct=True
            ),
        )
        .order_by("-created_at", "-pk")
    )


def round_of(org: Organization | int, round_id: int) -> Round | None:
    return rounds(org).filter(pk=round_id).first()


def recipient_by_token(token: str) -> Recipient | None:
    return (
        Recipient.objects.select_related("round__organization", "round__journey", "membership")
        .filter(token_hash=hash_token(token))
        .first()
    )


def link_state(recipient: Recipient) -> str:
    """open, closed or deactivated: whether the link still takes answers."""
    if recipient.membership.deactivated_at is not None:
        return "deactivated"
    return "open" if recipient.round.is_open else "closed"


def audience(
    org: Organization | int,
    kind: str,
    *,
    departments: Sequence[Department] = (),
    teams: Sequence[Team] = (),
) -> list[Membership]:
    """Active members to ask: everyone, or those of the chosen departments or teams
    (every role, the front line included)."""
    members = Membership.objects.for_org(org).filter(deactivated_at__isnull=True)
    if kind == "departments":
        members = members.filter(department__in=list(departments))
    elif kind == "teams":
        members = members.filter(team__in=list(teams))
    elif kind != "all":
        raise ValueError(f"unknown audience {kind!r}")
    return list(members.select_related("user").order_by("display_name", "pk"))


def round_stages(round_: Round) -> list[Stage]:
    return list(
        Stage.objects.for_org(round_.organization_id)
        .filter(journey_id=round_.journey_id)
        .select_related("owner")
        .prefetch_related("needs")
        .order_by("position")
    )


def replies(round_: Round) -> list[Reply]:
    return list(
        Reply.objects.for_org(round_.organization_id)
        .filter(round=round_)
        .select_related("recipient")
        .prefetch_related("stages")
        .order_by("pk")
    )


def scored_rounds(org: Organization | int) -> list[Round]:
    """Rounds that have answers or are closed, oldest first (the trend's order)."""
    found = Round.objects.for_org(org).filter(
        Q(status=RoundStatus.CLOSED) | Q(replies__isnull=False)
    )
    return list(found.distinct().select_related("primary_persona").order_by("created_at", "pk"))
