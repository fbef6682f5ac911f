"""Reads of responses and verbatims."""

from __future__ import annotations

from typing import Any

from beacon.responses.models import Answer, Response
from beacon.surveys.models import QuestionKind


def verbatims(org: Any, **filters: Any) -> Any:
    """Non-empty free-text answers, newest first, with what is needed to show context."""
    return (
        Answer.objects.for_org(org)
        .filter(question__kind=QuestionKind.TEXT, **filters)
        .exclude(text="")
        .select_related(
            "response",
            "response__survey",
            "response__stage",
            "response__persona",
            "response__contact",
            "response__touchpoint",
            "response__team",
            "response__staff",
        )
        .order_by("-response__responded_at", "-pk")
    )


def response_with_answers(org: Any, response_id: int) -> Response | None:
    return (
        Response.objects.for_org(org)
        .select_related("survey", "contact", "stage", "touchpoint", "persona", "team", "staff")
        .prefetch_related("answers__question")
        .filter(pk=response_id)
        .first()
    )
