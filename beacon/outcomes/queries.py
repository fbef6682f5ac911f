"""Tenant-scoped reads of outcomes, settings and stored reports."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from decimal import Decimal
from typing import Any

from django.db.models import Count, Sum

from beacon.orgs.models import Membership, Organization, Role
from beacon.outcomes.models import (
    Account,
    AccountMember,
    Outcome,
    OutcomeKind,
    OutcomeSettings,
    ValueReport,
)


def settings_of(org: Organization | int) -> OutcomeSettings:
    """The organisation's settings, or the defaults (unsaved) when it never set any."""
    org_id = org if isinstance(org, int) else org.pk
    found = OutcomeSettings.objects.filter(organization_id=org_id).first()
    return found or OutcomeSettings(organization_id=org_id)


def may_see_money(member: Membership) -> bool:
    """Money figures: analysts and up; viewers when the organisation allows; never agents."""
    if member.has_role(Role.ANALYST):
        return True
    return member.role == Role.VIEWER and settings_of(member.organization_id).viewers_see_money


def report_of(org: Organization | int, kind: str, subject_id: int = 0) -> ValueReport | None:
    org_id = org if isinstance(org, int) else org.pk
    return ValueReport.objects.for_org(org_id).filter(kind=kind, subject_id=subject_id).first()


def outcome_rows(
    org_id: int, kinds: Iterable[str], *, until: dt.datetime | None = None
) -> Iterator[tuple[Any, ...]]:
    """(contact, kind, occurred at, amount, channel, plan, reason, interaction) rows, read
    in chunks: at 10M outcomes the rows held at once took gigabytes."""
    rows = Outcome.objects.for_org(org_id).filter(kind__in=list(kinds))
    if until is not None:
        rows = rows.filter(occurred_at__lt=until)
    return (
        rows.order_by("contact_id", "occurred_at").values_list(
            "contact_id",
            "kind",
            "occurred_at",
            "amount",
            "channel",
            "plan",
            "reason",
            "interaction_id",
        )
    ).iterator(chunk_size=20_000)


def accounts_of(org_id: int) -> dict[int, tuple[int, str, Decimal]]:
    """Contact id -> (account id, account name, annual revenue)."""
    return {
        contact: (account, name or ext, revenue)
        for contact, account, name, ext, revenue in AccountMember.objects.for_org(org_id)
        .select_related("account")
        .values_list(
            "contact_id",
            "account_id",
            "account__name",
            "account__external_id",
            "account__annual_revenue",
        )
    }


def totals(org_id: int) -> dict[str, Any]:
    """Counts per kind and the number of accounts: what the Value page says it read."""
    per_kind = dict(
        Outcome.objects.for_org(org_id)
        .values_list("kind")
        .annotate(n=Count("pk"))
        .values_list("kind", "n")
    )
    revenue = (
        Outcome.objects.for_org(org_id)
        .exclude(kind__in=[OutcomeKind.SERVICE_CONTACT, OutcomeKind.SUBSCRIPTION_ENDED])
        .aggregate(total=Sum("amount"))["total"]
    )
    return {
        "per_kind": per_kind,
        "accounts": Account.objects.for_org(org_id).count(),
        "revenue": revenue or Decimal(0),
    }


def organisations_with_outcomes() -> list[int]:
    return list(Outcome.objects.values_list("organization_id", flat=True).distinct().order_by())
