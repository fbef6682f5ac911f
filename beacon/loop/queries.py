"""Reads of cases."""

from __future__ import annotations

from typing import Any

from beacon.loop.models import Case, CaseEvent, RootCause


def cases(org: Any, **filters: Any) -> Any:
    return (
        Case.objects.for_org(org)
        .filter(**filters)
        .select_related("owner", "contact", "response__survey", "root_cause")
        .order_by("status", "due_at")
    )


def case_detail(org: Any, case_id: int) -> Case | None:
    return (
        Case.objects.for_org(org)
        .select_related("owner", "contact", "root_cause", "response__survey", "response__stage")
        .prefetch_related("response__answers__question")
        .filter(pk=case_id)
        .first()
    )


def timeline(case: Case) -> list[CaseEvent]:
    return list(
        CaseEvent.objects.filter(case=case).select_related("actor").order_by("created_at", "pk")
    )


def root_causes(org: Any) -> list[RootCause]:
    return list(RootCause.objects.for_org(org).order_by("name"))
