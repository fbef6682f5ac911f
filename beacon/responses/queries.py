"""Reads of responses and verbatims."""

from __future__ import annotations

from typing import Any

from beacon.responses.models import Answer, Response
from beacon.surveys.models import QuestionKind
from beacon.surveys.scales import DETRACTOR_MAX, NPS_MAX, PASSIVE_MIN, PROMOTER_MIN


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


# NPS bands of the verbatim feed as inclusive score ranges.
NPS_BANDS = {
    "detractor": (0, DETRACTOR_MAX),
    "passive": (PASSIVE_MIN, PROMOTER_MIN - 1),
    "promoter": (PROMOTER_MIN, NPS_MAX),
}
# The verbatim feed's filters: name -> lookup on Answer (ids; the band and search apart).
VERBATIM_ID_FILTERS = {
    "survey": "response__survey_id",
    "stage": "response__stage_id",
    "persona": "response__persona_id",
    "team": "response__team_id",
}


def verbatim_lookups(org: Any, values: dict[str, str], *, reveal: bool) -> dict[str, Any]:
    """The feed's checked filter values (survey, stage, persona, team, band, q) as lookups.

    The page and the exports read the same rows through this one function. Search reads
    what the viewer is shown: those who see comments masked (`reveal` false, ADR 0004)
    search the masked text, so a phone number or email they cannot see cannot find a
    comment either.
    """
    lookups: dict[str, Any] = {
        lookup: int(values[name])
        for name, lookup in VERBATIM_ID_FILTERS.items()
        if values.get(name)
    }
    band = values.get("band")
    if band in NPS_BANDS:
        low, high = NPS_BANDS[band]
        lookups["response_id__in"] = (
            Answer.objects.for_org(org)
            .filter(question__kind=QuestionKind.NPS, number__gte=low, number__lte=high)
            .values("response_id")
        )
    if values.get("q"):
        field = "text" if reveal else "insight__redacted_text"
        lookups[f"{field}__icontains"] = values["q"]
    return lookups


def response_with_answers(org: Any, response_id: int) -> Response | None:
    return (
        Response.objects.for_org(org)
        .select_related("survey", "contact", "stage", "touchpoint", "persona", "team", "staff")
        .prefetch_related("answers__question")
        .filter(pk=response_id)
        .first()
    )
