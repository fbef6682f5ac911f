"""Surveys, their questions, and invitations to answer them."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models

from beacon.core.models import TenantModel

# A survey longer than this is still allowed, but the editor warns: short surveys are
# answered; long ones are abandoned.
RECOMMENDED_MAX_QUESTIONS = 5


class QuestionKind(models.TextChoices):
    NPS = "nps", "NPS (0-10)"
    CSAT = "csat", "CSAT (1-5)"
    CES = "ces", "CES (1-7)"
    RATING = "rating", "Rating"
    SINGLE = "single", "Single choice"
    MULTI = "multi", "Multiple choice"
    TEXT = "text", "Free text"


@dataclass(frozen=True)
class Scale:
    low: int
    high: int


# Fixed scales of the standard metrics; a rating question carries its own.
FIXED_SCALES = {
    QuestionKind.NPS: Scale(0, 10),
    QuestionKind.CSAT: Scale(1, 5),
    QuestionKind.CES: Scale(1, 7),
}
SCORED_KINDS = {QuestionKind.NPS, QuestionKind.CSAT, QuestionKind.CES, QuestionKind.RATING}


class SurveyStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    ACTIVE = "active", "Active"
    CLOSED = "closed", "Closed"


class Survey(TenantModel):
    name = models.CharField(max_length=200)
    title = models.CharField(max_length=300, help_text="What the respondent sees first.")
    intro = models.TextField(blank=True)
    thank_you = models.TextField(default="Thank you — your answer goes straight to the team.")
    status = models.CharField(
        max_length=10, choices=SurveyStatus.choices, default=SurveyStatus.DRAFT
    )
    touchpoints = models.ManyToManyField("cxmodel.Touchpoint", blank=True, related_name="surveys")
    # The anonymous link /s/a/<anonymous_token>; unguessable so links cannot be enumerated.
    anonymous_token = models.CharField(max_length=64, unique=True)
    invitation_days_valid = models.PositiveIntegerField(default=14)

    def __str__(self) -> str:
        return self.name


class Question(TenantModel):
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="questions")
    position = models.PositiveIntegerField()
    kind = models.CharField(max_length=10, choices=QuestionKind.choices)
    text = models.CharField(max_length=500)
    help_text = models.CharField(max_length=300, blank=True)
    required = models.BooleanField(default=False)
    choices = models.JSONField(default=list, blank=True)
    scale_min = models.IntegerField(null=True, blank=True)
    scale_max = models.IntegerField(null=True, blank=True)
    low_label = models.CharField(max_length=60, blank=True)
    high_label = models.CharField(max_length=60, blank=True)

    class Meta:
        ordering = ["survey_id", "position"]
        constraints = [
            models.UniqueConstraint(fields=["survey", "position"], name="question_position_unique")
        ]

    def __str__(self) -> str:
        return self.text

    @property
    def scale(self) -> Scale | None:
        kind = QuestionKind(self.kind)
        if kind in FIXED_SCALES:
            return FIXED_SCALES[kind]
        if (
            kind == QuestionKind.RATING
            and self.scale_min is not None
            and self.scale_max is not None
        ):
            return Scale(self.scale_min, self.scale_max)
        return None

    @property
    def is_scored(self) -> bool:
        return self.kind in SCORED_KINDS


class InvitationChannel(models.TextChoices):
    EMAIL = "email", "Email"
    LINK = "link", "Link"
    API = "api", "API"


class Invitation(TenantModel):
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="invitations")
    contact = models.ForeignKey(
        "contacts.Contact", on_delete=models.CASCADE, related_name="invitations"
    )
    interaction = models.ForeignKey(
        "contacts.Interaction",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="invitations",
    )
    # 32 url-safe characters from secrets.token_urlsafe(24): 192 bits.
    token = models.CharField(max_length=64, unique=True)
    channel = models.CharField(
        max_length=10, choices=InvitationChannel.choices, default=InvitationChannel.LINK
    )
    expires_at = models.DateTimeField()
    opened_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            # One invitation per interaction and survey: a repeated trigger asks once.
            models.UniqueConstraint(
                fields=["survey", "interaction"], name="invitation_per_interaction_unique"
            )
        ]
