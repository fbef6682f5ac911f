"""Surveys, their questions, and invitations to answer them."""

from __future__ import annotations

import secrets
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


class ShowIfOp(models.TextChoices):
    """How a follow-up question's condition reads the earlier answer it depends on."""

    AT_MOST = "le", "score is at most"
    AT_LEAST = "ge", "score is at least"
    PICKED = "picked", "this choice is picked"


class SurveyStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    ACTIVE = "active", "Active"
    CLOSED = "closed", "Closed"


def new_widget_secret() -> str:
    """256 random bits, hex: what the customer's server signs widget user ids with."""
    return secrets.token_hex(32)


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
    # One reminder this many days after the email if unanswered; None sends none.
    reminder_after_days = models.PositiveIntegerField(null=True, blank=True, default=3)
    # Per-survey budget: a contact is asked this survey at most once in this many days.
    resurvey_after_days = models.PositiveIntegerField(default=0)
    # Origins (scheme://host[:port], one per line) whose pages may post widget answers.
    widget_origins = models.TextField(blank=True)
    # Key of the HMAC-SHA256 the customer's server computes over a widget user's id: only a
    # signed id attaches widget answers to that contact (public.channels). Admins see it.
    widget_secret = models.CharField(max_length=64, default=new_widget_secret)
    # Language code -> {"title", "intro", "thank_you"}; missing keys fall back to the above.
    translations = models.JSONField(default=dict, blank=True)

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
    # Language code -> {"text", "help_text", "low_label", "high_label", "choices"}; the
    # stored answer is always the original choice, translations are only what is shown.
    translations = models.JSONField(default=dict, blank=True)
    # Show-if: asked only when the answer to an earlier question of the same survey meets
    # the condition (surveys/conditions.py). RESTRICT: the question it reads cannot be
    # removed while the rule stands, but the whole survey still can.
    show_if_question = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.RESTRICT, related_name="dependents"
    )
    show_if_op = models.CharField(max_length=10, choices=ShowIfOp.choices, blank=True)
    # A score ("6") for le/ge, a choice as stored for picked.
    show_if_value = models.CharField(max_length=200, blank=True)

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
    QR = "qr", "QR code"
    WIDGET = "widget", "In-app widget"


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
    # 32 url-safe characters from secrets.token_urlsafe(24): 192 bits. Unique through a
    # constraint (`invitation_token_unique`), not `unique=True`: on PostgreSQL the field
    # option also builds a `varchar_pattern_ops` index, which serves only `LIKE` and
    # prefix searches (none is made on tokens) and cost every invitation written about
    # 2 ms per 1,000 of the database's time.
    token = models.CharField(max_length=64)
    channel = models.CharField(
        max_length=10, choices=InvitationChannel.choices, default=InvitationChannel.LINK
    )
    expires_at = models.DateTimeField()
    opened_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    rule = models.ForeignKey(
        "surveys.DistributionRule",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="invitations",
    )
    stage = models.ForeignKey(
        "cxmodel.Stage", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Email invitations: queued by the sweeper once `send_at` has come (delayed sends).
    send_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)
    # A score link of the email was followed: when first, and the score it carried. The
    # score is only shown preselected; it counts once the page submits it (see ADR 0005).
    clicked_at = models.DateTimeField(null=True, blank=True)
    clicked_score = models.SmallIntegerField(null=True, blank=True)
    # Different score links followed within seconds: a mail scanner, not a person.
    scanner_suspected_at = models.DateTimeField(null=True, blank=True)
    # Language of the email and pages ("" = the contact's, then the browser's).
    language = models.CharField(max_length=10, blank=True)

    class Meta:
        constraints = [
            # One invitation per interaction and survey: a repeated trigger asks once.
            models.UniqueConstraint(
                fields=["survey", "interaction"], name="invitation_per_interaction_unique"
            ),
            models.UniqueConstraint(fields=["token"], name="invitation_token_unique"),
        ]
        indexes = [models.Index(fields=["channel", "sent_at", "send_at"])]


class DistributionRule(TenantModel):
    """When an interaction should lead to an invitation to a survey, and how."""

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="rules")
    # Each filter left empty matches everything.
    touchpoint = models.ForeignKey(
        "cxmodel.Touchpoint", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    stage = models.ForeignKey(
        "cxmodel.Stage", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    team = models.ForeignKey(
        "orgs.Team", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    # Contact attribute -> required value, or a list of accepted values.
    conditions = models.JSONField(default=dict, blank=True)
    channel = models.CharField(
        max_length=10, choices=InvitationChannel.choices, default=InvitationChannel.EMAIL
    )
    delay_minutes = models.PositiveIntegerField(default=0)
    # Percentage of matching interactions asked; the draw is fixed per interaction.
    sample_percent = models.PositiveSmallIntegerField(default=100)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["survey_id", "pk"]


class SurveyPolicy(TenantModel):
    """Organisation-wide survey budget: ask a contact at most once every N days."""

    min_days_between = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization"], name="survey_policy_per_org")
        ]


class ContactBudget(TenantModel):
    """When a contact was last invited; the row a trigger claims with a conditional UPDATE."""

    contact = models.OneToOneField(
        "contacts.Contact", on_delete=models.CASCADE, related_name="survey_budget"
    )
    last_invited_at = models.DateTimeField(null=True, blank=True)


class SuppressionReason(models.TextChoices):
    SAMPLED_OUT = "sampled_out", "Sampled out"
    BUDGET = "budget", "Survey budget (asked recently)"
    SURVEY_BUDGET = "survey_budget", "Asked this survey recently"
    UNSUBSCRIBED = "unsubscribed", "Unsubscribed"
    NO_EMAIL = "no_email", "No email address"


class Suppression(TenantModel):
    """A matching interaction that was deliberately not turned into an invitation."""

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="suppressions")
    contact = models.ForeignKey("contacts.Contact", on_delete=models.CASCADE, related_name="+")
    interaction = models.ForeignKey(
        "contacts.Interaction", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    rule = models.ForeignKey(
        DistributionRule, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    stage = models.ForeignKey(
        "cxmodel.Stage", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.CharField(max_length=20, choices=SuppressionReason.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["survey", "interaction"], name="suppression_per_interaction_unique"
            )
        ]
