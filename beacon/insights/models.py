"""What Beacon understood from customers' words, and what staff taught it."""

from __future__ import annotations

import uuid

from django.db import models

from beacon.core.models import TenantModel


class Sentiment(models.TextChoices):
    POSITIVE = "positive", "Positive"
    NEGATIVE = "negative", "Negative"
    NEUTRAL = "neutral", "Neutral"
    MIXED = "mixed", "Mixed"


class Theme(TenantModel):
    """A topic customers talk about, described in the organisation's own words."""

    name = models.CharField(max_length=100)
    description = models.TextField(blank=True)
    # Short example phrases; they are training examples for the theme from day one.
    phrases = models.JSONField(default=list, blank=True)
    # Which starter taxonomy it came from ("" for themes staff made themselves).
    starter = models.CharField(max_length=30, blank=True)
    active = models.BooleanField(default=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "name"], name="theme_name_unique")
        ]

    def __str__(self) -> str:
        return self.name


def _token() -> str:
    return uuid.uuid4().hex


class ModelKind(models.TextChoices):
    THEMES = "themes", "Themes and sentiment"
    REASONS = "reasons", "Reasons for contact"


class TrainedModel(TenantModel):
    """One trained model of one organisation; the newest of a kind is the one in use."""

    kind = models.CharField(max_length=10, choices=ModelKind.choices)
    # Names this exact blob for the per-process cache (ids repeat after a rollback).
    token = models.CharField(max_length=32, default=_token, editable=False)
    version = models.PositiveIntegerField()
    engine = models.CharField(max_length=40)
    blob = models.BinaryField()
    n_examples = models.PositiveIntegerField(default=0)
    # Share of held-out staff corrections the model agrees with (None: none held out yet),
    # beside the previous model's figure on the same corrections so improvement is visible.
    quality = models.FloatField(null=True, blank=True)
    quality_n = models.PositiveIntegerField(default=0)
    previous_quality = models.FloatField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "kind", "version"], name="trained_model_version_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} v{self.version}"


class AnswerInsight(TenantModel):
    """What one free-text answer says, as far as Beacon could tell."""

    answer = models.OneToOneField(
        "responses.Answer", on_delete=models.CASCADE, related_name="insight"
    )
    response = models.ForeignKey("responses.Response", on_delete=models.CASCADE, related_name="+")
    language = models.CharField(max_length=5)
    sentiment = models.CharField(max_length=10, choices=Sentiment.choices, blank=True)
    sentiment_score = models.FloatField(null=True, blank=True)
    unclassifiable = models.BooleanField(default=False)
    reason = models.CharField(max_length=40, blank=True)
    # The text with personal data masked: what shared views, exports and messages show.
    redacted_text = models.TextField(blank=True)
    model_version = models.CharField(max_length=60, blank=True)
    # Staff set the overall sentiment by hand: retraining must not overwrite it.
    corrected = models.BooleanField(default=False)

    class Meta:
        indexes = [
            models.Index(fields=["organization", "sentiment"]),
            # The comments API pages newest first by answer id (before_id): a range of this
            # index, not a sort of every insight of the organisation.
            models.Index(fields=["organization", "answer"]),
        ]


class ThemeMention(TenantModel):
    answer = models.ForeignKey("responses.Answer", on_delete=models.CASCADE, related_name="+")
    response = models.ForeignKey("responses.Response", on_delete=models.CASCADE, related_name="+")
    theme = models.ForeignKey(Theme, on_delete=models.CASCADE, related_name="mentions")
    sentiment = models.CharField(max_length=10, choices=Sentiment.choices)
    score = models.FloatField(default=1.0)
    # "model" or "staff": staff mentions survive re-analysis.
    source = models.CharField(max_length=10, default="model")
    # The response's customer and time, copied (neither changes once the response is
    # stored) so that a theme's customers, or its mentions up to a date, are read from the
    # mentions alone: joined to their responses, a theme's tens of thousands of mentions
    # made PostgreSQL hash the whole response table (the action page's "customers to tell"
    # at 1M: 100 ms, 22 ms from the mentions). No index on the contact: contacts are never
    # deleted one by one (erasure keeps the row), so nothing looks mentions up by it.
    contact = models.ForeignKey(
        "contacts.Contact",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )
    responded_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["answer", "theme"], name="theme_mention_unique")
        ]
        # With the id last, a theme wallboard's once-a-second "newest mention" check is one
        # index lookup; the first two columns serve every other theme lookup as before.
        indexes = [
            models.Index(fields=["organization", "theme", "id"]),
            # A response counts once under a theme its two comments both mention: counts
            # by theme check for an earlier mention of the same (response, theme). With
            # only the theme's index SQLite walked every earlier mention of the theme for
            # each one (quadratic: a theme-driver count at 1M ran for over 16 minutes).
            models.Index(fields=["response", "theme"], name="theme_mention_response_theme"),
            # A theme's customers up to a date, read from this index alone (PostgreSQL:
            # an index-only scan, 4 ms for a theme's 32,000 mentions at 1M responses).
            models.Index(
                fields=["organization", "theme", "responded_at", "contact"],
                name="theme_mention_customers",
            ),
        ]


class CorrectionKind(models.TextChoices):
    THEME_ADDED = "theme_added", "Theme added"
    THEME_REMOVED = "theme_removed", "Theme removed"
    THEME_SENTIMENT = "theme_sentiment", "Theme sentiment changed"
    SENTIMENT = "sentiment", "Overall sentiment changed"


class Correction(TenantModel):
    """A member's correction of one verbatim: training data for the next model."""

    answer = models.ForeignKey("responses.Answer", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=20, choices=CorrectionKind.choices)
    theme = models.ForeignKey(
        Theme, null=True, blank=True, on_delete=models.CASCADE, related_name="corrections"
    )
    sentiment = models.CharField(max_length=10, choices=Sentiment.choices, blank=True)
    by = models.ForeignKey(
        "orgs.Membership", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Every fifth answer's corrections are kept out of training to measure the model.
    held_out = models.BooleanField(default=False)


class ContactReason(TenantModel):
    name = models.CharField(max_length=100)
    description = models.TextField(blank=True)
    phrases = models.JSONField(default=list, blank=True)
    active = models.BooleanField(default=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "name"], name="contact_reason_name_unique"
            )
        ]

    def __str__(self) -> str:
        return self.name


class InteractionReason(TenantModel):
    """Why the customer got in touch, read from the interaction's description."""

    interaction = models.OneToOneField(
        "contacts.Interaction", on_delete=models.CASCADE, related_name="+"
    )
    reason = models.ForeignKey(
        ContactReason, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    confidence = models.FloatField(default=0.0)
    source = models.CharField(max_length=10, default="model")
    model_version = models.CharField(max_length=60, blank=True)


class Praise(TenantModel):
    """A comment that praises a named member of staff."""

    answer = models.ForeignKey("responses.Answer", on_delete=models.CASCADE, related_name="+")
    response = models.ForeignKey("responses.Response", on_delete=models.CASCADE, related_name="+")
    member = models.ForeignKey("orgs.Membership", on_delete=models.CASCADE, related_name="+")
    excerpt = models.TextField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["answer", "member"], name="praise_unique")]
        indexes = [models.Index(fields=["organization", "created_at"])]
