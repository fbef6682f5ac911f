"""Follow-up cases for unhappy customers, their timeline, rules and root causes."""

from __future__ import annotations

from django.db import models

from beacon.core.models import TenantModel


class RootCause(TenantModel):
    code = models.SlugField(max_length=60)
    name = models.CharField(max_length=200)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "code"], name="root_cause_code_unique")
        ]

    def __str__(self) -> str:
        return self.name


class CaseRule(TenantModel):
    """Open a case when a question of this kind is answered at or below `max_score`."""

    question_kind = models.CharField(max_length=10)
    max_score = models.IntegerField()
    priority = models.CharField(max_length=10, default="normal")
    due_hours = models.PositiveIntegerField(default=48)
    active = models.BooleanField(default=True)


class CaseStatus(models.TextChoices):
    NEW = "new", "New"
    IN_PROGRESS = "in_progress", "In progress"
    RESOLVED = "resolved", "Resolved"


# Allowed moves; resolving goes through do_resolve_case (it needs a root cause).
TRANSITIONS = {
    CaseStatus.NEW: {CaseStatus.IN_PROGRESS},
    CaseStatus.IN_PROGRESS: {CaseStatus.NEW},
    CaseStatus.RESOLVED: {CaseStatus.IN_PROGRESS},
}


class Case(TenantModel):
    # One case per response: the unique key makes a re-run of the rules a no-op.
    response = models.OneToOneField(
        "responses.Response", on_delete=models.CASCADE, related_name="case"
    )
    contact = models.ForeignKey(
        "contacts.Contact", null=True, blank=True, on_delete=models.SET_NULL, related_name="cases"
    )
    title = models.CharField(max_length=300)
    owner = models.ForeignKey("orgs.Membership", on_delete=models.PROTECT, related_name="cases")
    status = models.CharField(max_length=12, choices=CaseStatus.choices, default=CaseStatus.NEW)
    priority = models.CharField(max_length=10, default="normal")
    due_at = models.DateTimeField()
    first_contact_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    root_cause = models.ForeignKey(
        RootCause, null=True, blank=True, on_delete=models.PROTECT, related_name="cases"
    )
    resolution = models.TextField(blank=True)

    class Meta:
        indexes = [models.Index(fields=["organization", "status", "due_at"])]


class CaseEventKind(models.TextChoices):
    OPENED = "opened", "Opened"
    ASSIGNED = "assigned", "Assigned"
    STATUS = "status", "Status changed"
    NOTE = "note", "Note"
    RESOLVED = "resolved", "Resolved"
    NOTIFIED = "notified", "Owner notified"


class CaseEvent(TenantModel):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=12, choices=CaseEventKind.choices)
    actor = models.ForeignKey(
        "orgs.Membership", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    body = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["created_at", "pk"]
