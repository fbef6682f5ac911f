"""What analytics keeps besides numbers: alert rules and their alerts, and wallboards.

Why these live here (not in notifications or web): see
docs/adr/0002-analytics-rollup-slices-alerts-wallboards.md.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from beacon.core.models import TenantModel
from beacon.insights.models import Sentiment


class AlertKind(models.TextChoices):
    BELOW = "below", "falls below a threshold"
    CHANGED = "changed", "changes significantly versus the previous period"


class AlertRule(TenantModel):
    """'NPS of stage X over the last 7 days fell below 20', evaluated periodically."""

    name = models.CharField(max_length=200)
    metric = models.CharField(max_length=20)
    kind = models.CharField(max_length=10, choices=AlertKind.choices)
    threshold = models.FloatField(null=True, blank=True)
    window_days = models.PositiveIntegerField(default=7)
    survey = models.ForeignKey(
        "surveys.Survey", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    stage = models.ForeignKey(
        "cxmodel.Stage", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    team = models.ForeignKey(
        "orgs.Team", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    # Responses whose comment mentions this theme ("NPS of comments about Billing").
    theme = models.ForeignKey(
        "insights.Theme", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    # With a theme: that theme's sentiment in the response; without: the comment's overall
    # sentiment (as metrics.Filters.sentiment). Blank: any.
    sentiment = models.CharField(max_length=10, blank=True, choices=Sentiment.choices)
    # Who is told; one accountable person per rule.
    notify = models.ForeignKey("orgs.Membership", on_delete=models.CASCADE, related_name="+")
    active = models.BooleanField(default=True)
    last_evaluated_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.name


class Alert(TenantModel):
    """One firing of a rule; it stays open (no repeat) until the condition clears."""

    rule = models.ForeignKey(AlertRule, on_delete=models.CASCADE, related_name="alerts")
    fired_at = models.DateTimeField()
    resolved_at = models.DateTimeField(null=True, blank=True)
    value = models.FloatField()
    low = models.FloatField()
    high = models.FloatField()
    n = models.PositiveIntegerField()
    previous_value = models.FloatField(null=True, blank=True)
    p_value = models.FloatField(null=True, blank=True)
    message = models.CharField(max_length=500)

    class Meta:
        constraints = [
            # The database, not only the evaluator, guarantees no repeat while it holds.
            models.UniqueConstraint(
                fields=["rule"],
                condition=Q(resolved_at__isnull=True),
                name="one_open_alert_per_rule",
            )
        ]
        indexes = [models.Index(fields=["organization", "fired_at"])]

    def __str__(self) -> str:
        return self.message


class Wallboard(TenantModel):
    """A login-free live screen; its URL is signed and stops working once revoked."""

    name = models.CharField(max_length=200)
    metrics = models.JSONField(default=list)
    survey = models.ForeignKey(
        "surveys.Survey", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    stage = models.ForeignKey(
        "cxmodel.Stage", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    # Figures and verbatims of responses whose comment mentions this theme.
    theme = models.ForeignKey(
        "insights.Theme", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    window_days = models.PositiveIntegerField(default=30)
    # Part of the signed URL: rotating it (or revoking) kills every copy of the old URL.
    nonce = models.CharField(max_length=32)
    revoked_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        "orgs.Membership", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    def __str__(self) -> str:
        return self.name
