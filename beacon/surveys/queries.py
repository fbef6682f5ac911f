"""Reads of surveys and invitations."""

from __future__ import annotations

from beacon.contacts.models import Interaction
from beacon.core import clock
from beacon.surveys.models import (
    RECOMMENDED_MAX_QUESTIONS,
    Invitation,
    Question,
    Survey,
    SurveyStatus,
)


def matching_surveys(interaction: Interaction) -> list[Survey]:
    """Active surveys asked after this interaction's touchpoint."""
    if interaction.touchpoint_id is None:
        return []
    return list(
        Survey.objects.for_org(interaction.organization_id)
        .filter(status=SurveyStatus.ACTIVE, touchpoints=interaction.touchpoint_id)
        .order_by("pk")
    )


def survey_editor_warnings(survey: Survey) -> list[str]:
    count = Question.objects.filter(survey=survey).count()
    if count > RECOMMENDED_MAX_QUESTIONS:
        return [
            f"This survey has {count} questions. Surveys of {RECOMMENDED_MAX_QUESTIONS} or fewer "
            "are answered far more often; consider removing some."
        ]
    return []


def invitation_by_token(token: str) -> Invitation | None:
    return (
        Invitation.objects.select_related("survey", "survey__organization", "contact")
        .filter(token=token)
        .first()
    )


def invitation_problem(invitation: Invitation | None) -> str | None:
    """Why this invitation cannot be answered now, or None if it can."""
    if invitation is None:
        return "unknown"
    if invitation.completed_at is not None:
        return "used"
    if invitation.expires_at < clock.now():
        return "expired"
    if invitation.survey.status != SurveyStatus.ACTIVE:
        return "closed"
    return None


def questions_of(survey: Survey) -> list[Question]:
    return list(Question.objects.filter(survey=survey).order_by("position"))
