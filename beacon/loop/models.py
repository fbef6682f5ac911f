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


class Priority(models.TextChoices):
    URGENT = "urgent", "Urgent"
    HIGH = "high", "High"
    NORMAL = "normal", "Normal"
    LOW = "low", "Low"


# Hours to the due date when a rule does not set its own.
PRIORITY_DUE_HOURS = {
    Priority.URGENT: 4,
    Priority.HIGH: 24,
    Priority.NORMAL: 48,
    Priority.LOW: 120,
}


class OwnerRule(models.TextChoices):
    STAGE_OWNER = "stage_owner", "Owner of the stage"
    TEAM_LEAD = "team_lead", "Lead of the team that served the customer"
    MEMBER = "member", "A named member"


class CaseRule(TenantModel):
    """Open a case when every condition the rule sets holds for a response.

    Conditions: a score at or below `max_score` (on one question, or on any question of
    `question_kind`), a keyword in the comment, a contact attribute value, a stage. The
    rule also decides the case's priority, due date and owner.
    """

    name = models.CharField(max_length=200, blank=True)
    position = models.PositiveIntegerField(default=0)
    question = models.ForeignKey(
        "surveys.Question", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    question_kind = models.CharField(max_length=10, blank=True)
    max_score = models.IntegerField(null=True, blank=True)
    keyword = models.CharField(max_length=100, blank=True)
    contact_attribute = models.CharField(max_length=100, blank=True)
    contact_value = models.CharField(max_length=200, blank=True)
    stage = models.ForeignKey(
        "cxmodel.Stage", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    priority = models.CharField(max_length=10, choices=Priority.choices, default=Priority.NORMAL)
    # None: the due date follows the priority (PRIORITY_DUE_HOURS).
    due_hours = models.PositiveIntegerField(null=True, blank=True)
    owner_rule = models.CharField(
        max_length=12, choices=OwnerRule.choices, default=OwnerRule.STAGE_OWNER
    )
    owner_member = models.ForeignKey(
        "orgs.Membership", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
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
    priority = models.CharField(max_length=10, choices=Priority.choices, default=Priority.NORMAL)
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
    ESCALATED = "escalated", "Escalated"
    REPLIED = "replied", "Reply sent to the customer"
    CUSTOMER = "customer", "The customer answered"
    FIRST_CONTACT = "first_contact", "First contact with the customer"


class CaseEvent(TenantModel):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=20, choices=CaseEventKind.choices)
    actor = models.ForeignKey(
        "orgs.Membership", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    body = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["created_at", "pk"]


class CaseEscalation(TenantModel):
    """An overdue case raised one step up the hierarchy; the unique key makes it once a step."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="escalations")
    step = models.PositiveIntegerField()
    escalated_to = models.ForeignKey("orgs.Membership", on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["case", "step"], name="case_escalation_step_unique")
        ]


# ------------------------------------------------------------------ actions


class ActionStatus(models.TextChoices):
    OPEN = "open", "Open"
    IN_PROGRESS = "in_progress", "In progress"
    DONE = "done", "Done"
    CANCELLED = "cancelled", "Cancelled"


class ActionSource(models.TextChoices):
    THEME = "theme", "A theme"
    ROOT_CAUSE = "root_cause", "A root cause"
    DRIVER = "driver", "A driver"
    CASES = "cases", "A group of cases"


class Action(TenantModel):
    """Improvement work: fixing the cause many customers share, not one customer's case."""

    title = models.CharField(max_length=300)
    description = models.TextField(blank=True)
    source = models.CharField(max_length=12, choices=ActionSource.choices)
    owner = models.ForeignKey("orgs.Membership", on_delete=models.PROTECT, related_name="actions")
    deadline = models.DateTimeField()
    status = models.CharField(
        max_length=12, choices=ActionStatus.choices, default=ActionStatus.OPEN
    )
    progress = models.PositiveSmallIntegerField(default=0)
    completed_at = models.DateTimeField(null=True, blank=True)
    # Themes live in `insights`, built alongside; a plain id keeps loop free of a foreign
    # key into a model that may change (docs/adr/0003-closed-loop.md).
    theme_id = models.BigIntegerField(null=True, blank=True)
    root_cause = models.ForeignKey(
        RootCause, null=True, blank=True, on_delete=models.PROTECT, related_name="actions"
    )
    driver = models.CharField(max_length=200, blank=True)
    # The question whose score should move; its before/after is the action's impact.
    question = models.ForeignKey(
        "surveys.Question", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    stage = models.ForeignKey(
        "cxmodel.Stage", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    cases = models.ManyToManyField(Case, blank=True, related_name="actions")
    # What customers are told; shown on the public wall when `on_wall`. It is also the
    # "what we changed" of the customer messages, never the internal title.
    public_summary = models.TextField(blank=True)
    # What customers told us, in their words (the messages' "what you told us").
    customer_said = models.TextField(blank=True)
    on_wall = models.BooleanField(default=False)

    class Meta:
        indexes = [models.Index(fields=["organization", "status", "deadline"])]

    def __str__(self) -> str:
        return self.title


class ActionUpdate(TenantModel):
    action = models.ForeignKey(Action, on_delete=models.CASCADE, related_name="updates")
    author = models.ForeignKey(
        "orgs.Membership", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    body = models.TextField()
    progress = models.PositiveSmallIntegerField(null=True, blank=True)
    status = models.CharField(max_length=12, blank=True)

    class Meta:
        ordering = ["created_at", "pk"]


class ActionReminder(TenantModel):
    """A reminder sent before or after the deadline; once each (unique key)."""

    action = models.ForeignKey(Action, on_delete=models.CASCADE, related_name="reminders")
    kind = models.CharField(max_length=10)  # "before" or "after"

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["action", "kind"], name="action_reminder_unique")
        ]


class CustomerUpdateStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    # Approved and waiting for the throttled sender to hand it to the outbox.
    APPROVED = "approved", "Approved, waiting to be sent"
    # Handed to the outbox (whose row says whether the server took it).
    SENT = "sent", "Sent"
    DISCARDED = "discarded", "Discarded"


class UpdateChannel(models.TextChoices):
    EMAIL = "email", "Email"


class CustomerUpdate(TenantModel):
    """ "You said, we did": one message per customer per action, approved before it goes."""

    action = models.ForeignKey(Action, on_delete=models.CASCADE, related_name="customer_updates")
    contact = models.ForeignKey("contacts.Contact", on_delete=models.CASCADE, related_name="+")
    subject = models.CharField(max_length=300)
    body = models.TextField()
    status = models.CharField(
        max_length=10, choices=CustomerUpdateStatus.choices, default=CustomerUpdateStatus.DRAFT
    )
    channel = models.CharField(
        max_length=10, choices=UpdateChannel.choices, default=UpdateChannel.EMAIL
    )
    # The language the message was written in (the customer's, from the template).
    language = models.CharField(max_length=10, default="en")
    approved_by = models.ForeignKey(
        "orgs.Membership", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["action", "contact"], name="customer_update_once_per_action"
            )
        ]
        indexes = [
            models.Index(fields=["action", "status"]),
            # The throttled sender reads approved updates oldest first, and counts what it
            # handed to the outbox in the last minute.
            models.Index(fields=["status", "approved_at"]),
            models.Index(fields=["organization", "sent_at"]),
        ]


class CustomerUpdateTemplate(TenantModel):
    """The organisation's wording of "you said, we did" in one language (defaults in code)."""

    language = models.CharField(max_length=10)
    subject = models.CharField(max_length=300)
    body = models.TextField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "language"], name="customer_update_template_unique"
            )
        ]


class CustomerUpdateSettings(TenantModel):
    """How fast approved updates leave: at most `per_minute` messages a minute."""

    per_minute = models.PositiveIntegerField(default=60)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization"], name="customer_update_settings_one_per_org"
            )
        ]


# ------------------------------------------------------------------ public wall


class WallSettings(TenantModel):
    """The organisation's opt-in to a public wall (kept in loop: orgs is another app)."""

    enabled = models.BooleanField(default=False)
    embeddable = models.BooleanField(default=False)
    headline = models.CharField(max_length=200, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization"], name="wall_settings_one_per_org")
        ]


class SurveyConsent(TenantModel):
    """The survey tells respondents their comment may be published; recorded here by survey."""

    survey = models.OneToOneField("surveys.Survey", on_delete=models.CASCADE, related_name="+")
    wording = models.TextField()
    recorded_by = models.ForeignKey(
        "orgs.Membership", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )


class WallPostStatus(models.TextChoices):
    PENDING = "pending", "Waiting for moderation"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"


class WallPost(TenantModel):
    response = models.OneToOneField(
        "responses.Response", on_delete=models.CASCADE, related_name="+"
    )
    # Stored already redacted: the original never leaves the staff side.
    text = models.TextField()
    score = models.IntegerField(null=True, blank=True)
    status = models.CharField(
        max_length=10, choices=WallPostStatus.choices, default=WallPostStatus.PENDING
    )
    public_reply = models.TextField(blank=True)
    moderated_by = models.ForeignKey(
        "orgs.Membership", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    moderated_at = models.DateTimeField(null=True, blank=True)


# ------------------------------------------------------------------ sharing with staff


class DigestFrequency(models.TextChoices):
    DAILY = "daily", "Daily"
    WEEKLY = "weekly", "Weekly"
    OFF = "off", "Off"


class DigestPreference(TenantModel):
    member = models.OneToOneField("orgs.Membership", on_delete=models.CASCADE, related_name="+")
    frequency = models.CharField(
        max_length=8, choices=DigestFrequency.choices, default=DigestFrequency.WEEKLY
    )


class DigestSent(TenantModel):
    """One digest per member and period ("2026-11-23" or "2026-W48")."""

    member = models.ForeignKey("orgs.Membership", on_delete=models.CASCADE, related_name="+")
    period = models.CharField(max_length=12)
    verbatims = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["member", "period"], name="digest_once_per_period")
        ]


class ChannelKind(models.TextChoices):
    SLACK = "slack", "Slack"
    TEAMS = "teams", "Microsoft Teams"
    WEBHOOK = "webhook", "Webhook"


class ChannelEvent(models.TextChoices):
    CASE = "case", "New cases"
    VERBATIM = "verbatim", "New verbatims"


class Channel(TenantModel):
    """Posts new cases or verbatims matching its filter to a chat or webhook URL."""

    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=10, choices=ChannelKind.choices)
    url = models.URLField(max_length=500)
    secret = models.CharField(max_length=100)
    event = models.CharField(max_length=10, choices=ChannelEvent.choices)
    max_score = models.IntegerField(null=True, blank=True)
    keyword = models.CharField(max_length=100, blank=True)
    active = models.BooleanField(default=True)


# ------------------------------------------------------------------ recognition


class Recognition(TenantModel):
    """Praise of a staff member: a top score on their interaction, or named in a comment."""

    staff = models.ForeignKey(
        "orgs.Membership", on_delete=models.CASCADE, related_name="recognitions"
    )
    response = models.ForeignKey("responses.Response", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=12)  # "top_score" or "named"
    text = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["response", "staff"], name="recognition_once")
        ]
        indexes = [
            # The recognition page reads the newest praises (its feed, and the window it
            # counts per person): without it, every praise of the organisation was sorted
            # (4.6 s for 200,000 on SQLite).
            models.Index(fields=["organization", "created_at", "id"], name="recognition_newest")
        ]


# ------------------------------------------------------------------ lost customers


class LostReason(TenantModel):
    code = models.SlugField(max_length=60)
    name = models.CharField(max_length=200)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "code"], name="lost_reason_code_unique")
        ]

    def __str__(self) -> str:
        return self.name


class WinBackStatus(models.TextChoices):
    OPEN = "open", "To call"
    DONE = "done", "Called"


class WinBackCall(TenantModel):
    """A lost customer's call task for a leader: created by a churn event, closed by the call."""

    contact = models.ForeignKey("contacts.Contact", on_delete=models.CASCADE, related_name="+")
    event_kind = models.CharField(max_length=20)  # "churn" or "cancellation"
    occurred_at = models.DateTimeField()
    idempotency_key = models.CharField(max_length=200)
    note = models.TextField(blank=True)
    assignee = models.ForeignKey("orgs.Membership", on_delete=models.PROTECT, related_name="+")
    due_at = models.DateTimeField()
    status = models.CharField(
        max_length=6, choices=WinBackStatus.choices, default=WinBackStatus.OPEN
    )
    called_at = models.DateTimeField(null=True, blank=True)
    outcome = models.TextField(blank=True)
    reason = models.ForeignKey(
        LostReason, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    won_back = models.BooleanField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "idempotency_key"], name="winback_idempotency_unique"
            )
        ]
