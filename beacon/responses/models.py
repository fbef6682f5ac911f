"""Responses, their answers, and the additive score rollups the dashboards read."""

from __future__ import annotations

from django.db import models

from beacon.core.models import TenantModel


class Response(TenantModel):
    survey = models.ForeignKey("surveys.Survey", on_delete=models.CASCADE, related_name="responses")
    invitation = models.OneToOneField(
        "surveys.Invitation",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="response",
    )
    contact = models.ForeignKey(
        "contacts.Contact",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="responses",
    )
    interaction = models.ForeignKey(
        "contacts.Interaction",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="responses",
    )
    # Dimensions copied at ingest time, so analytics never joins through interactions.
    touchpoint = models.ForeignKey(
        "cxmodel.Touchpoint", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    stage = models.ForeignKey(
        "cxmodel.Stage", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    persona = models.ForeignKey(
        "cxmodel.Persona", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    team = models.ForeignKey(
        "orgs.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    staff = models.ForeignKey(
        "orgs.Membership", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    channel = models.CharField(max_length=20, default="link")
    idempotency_key = models.CharField(max_length=200)
    responded_at = models.DateTimeField()
    completed_at = models.DateTimeField(null=True, blank=True)
    # The after-commit fan-out runs in two stages (beacon.pipeline): `cased_at` is set by
    # the case stage (case rules, the owner's email), `processed_at` once the analysis
    # stage (insights, praise, sharing) has run too.
    cased_at = models.DateTimeField(null=True, blank=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    # Until when the pending stage's job may wait in its queue; after that the sweeper
    # takes the job for lost and enqueues it again. Null: since creation (a new response).
    fanout_lease_until = models.DateTimeField(null=True, blank=True)
    # How often the sweeper has enqueued the fan-out again. A response whose job fails
    # every time (a poison message) stops being retried at the limit instead of costing
    # the worker a job per lease forever; `beacon fanout` lists and retries those.
    fanout_attempts = models.PositiveSmallIntegerField(default=0, db_default=0)
    # The org's rollup attributes (RollupAttribute keys) as they were at ingest, so
    # deleting the response later subtracts from the same cells even if the contact changed.
    rollup_attributes = models.JSONField(default=dict, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "idempotency_key"], name="response_idempotency_unique"
            )
        ]
        indexes = [
            models.Index(fields=["organization", "responded_at"]),
            models.Index(fields=["organization", "id"]),
            # A customer's history (their page, a case's, their data export) reads their
            # responses newest first; on the organisation's index that was a walk through
            # all of the organisation's responses.
            models.Index(
                fields=["organization", "contact", "responded_at"], name="response_contact_history"
            ),
            # What concerns a member (My work): the newest comments of their team, of each
            # stage they own and naming them as staff, each read newest first on its own
            # index and stopping after a page; walking the organisation's responses for the
            # few that match read every response of 90 days for a member with none.
            models.Index(
                fields=["organization", "team", "responded_at"], name="response_team_newest"
            ),
            models.Index(
                fields=["organization", "stage", "responded_at"], name="response_stage_newest"
            ),
            models.Index(
                fields=["organization", "staff", "responded_at"], name="response_staff_newest"
            ),
            # The sweeper reads only the few responses whose fan-out has not finished.
            models.Index(
                fields=["fanout_lease_until"],
                condition=models.Q(processed_at__isnull=True),
                name="response_fanout_pending",
            ),
            # The fan-out's batches take the oldest unprocessed responses first.
            models.Index(
                fields=["id"],
                condition=models.Q(processed_at__isnull=True),
                name="response_fanout_ready",
            ),
        ]


class Answer(TenantModel):
    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey("surveys.Question", on_delete=models.CASCADE, related_name="+")
    number = models.IntegerField(null=True, blank=True)
    text = models.TextField(blank=True)
    choices = models.JSONField(default=list, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["response", "question"], name="answer_unique")
        ]


class ScoreRollup(models.Model):
    """Count of answers with one score in one cell (day x survey x question x dimensions).

    Dimension ids are plain integers with 0 for "none" so the unique key has no NULLs
    (NULLs are never equal in a unique constraint, which would split cells).
    """

    organization_id = models.BigIntegerField()
    day = models.DateField()
    survey_id = models.BigIntegerField()
    question_id = models.BigIntegerField()
    stage_id = models.BigIntegerField(default=0)
    touchpoint_id = models.BigIntegerField(default=0)
    persona_id = models.BigIntegerField(default=0)
    team_id = models.BigIntegerField(default=0)
    score = models.IntegerField()
    count = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=[
                    "organization_id",
                    "day",
                    "survey_id",
                    "question_id",
                    "stage_id",
                    "touchpoint_id",
                    "persona_id",
                    "team_id",
                    "score",
                ],
                name="score_rollup_cell_unique",
            )
        ]
        indexes = [models.Index(fields=["organization_id", "question_id", "day"])]

    def __str__(self) -> str:
        return f"{self.day} q{self.question_id} score {self.score}: {self.count}"


# An organisation may break its scores down by this many contact attributes.
MAX_ROLLUP_ATTRIBUTES = 3
MAX_ATTRIBUTE_VALUE_LENGTH = 100


class RollupAttribute(TenantModel):
    """A contact attribute key (e.g. "plan", "region") the org wants scores broken down by."""

    key = models.CharField(max_length=100)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "key"], name="rollup_attribute_unique")
        ]

    def __str__(self) -> str:
        return self.key


class SliceCounts(models.Model):
    """The columns of a slice table: answers with one score per question x one dimension's
    value x a date (a day, or a week's Monday)."""

    organization_id = models.BigIntegerField()
    day = models.DateField()
    survey_id = models.BigIntegerField()
    question_id = models.BigIntegerField()
    # "", "stage", "persona", "team", "touchpoint" or "attribute:<key>".
    dimension = models.CharField(max_length=110)
    # The dimension's id as text, or the attribute's value ("" for none).
    value = models.CharField(max_length=MAX_ATTRIBUTE_VALUE_LENGTH, blank=True)
    score = models.IntegerField()
    count = models.BigIntegerField(default=0)

    # The unique key of a slice cell, in the order its index serves reads.
    KEY = ("organization_id", "dimension", "question_id", "day", "survey_id", "value", "score")

    class Meta:
        abstract = True


class SliceRollup(SliceCounts):
    """Count of answers with one score per day x question x one dimension's value.

    The full cube (ScoreRollup) is sparse: with a few dozen teams, stages and personas
    nearly every answer gets its own cell, so a dashboard reading it reads almost every
    answer. Slices keep one dimension at a time (and `dimension=""` for none), so the
    common questions (overall trend, a breakdown by one dimension, one filter) read a few
    thousand rows at any size. Org-chosen contact attributes are slices too
    ("attribute:<key>"), which keeps their cardinality out of the cube.
    """

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=SliceCounts.KEY, name="slice_rollup_cell_unique")
        ]

    def __str__(self) -> str:
        return f"{self.day} q{self.question_id} {self.dimension}={self.value} score {self.score}"


class WeeklySliceRollup(SliceCounts):
    """SliceRollup summed per Monday-based week: `day` is the week's Monday (the same
    column name, so a read takes either table's rows alike).

    A dashboard window of twelve weeks reads the whole weeks here and only its partial
    weeks at the edges from the daily slices, about a fifth of the rows. Written wherever
    SliceRollup is (rollups.apply and rollups.add_many), with the same deltas.
    """

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=SliceCounts.KEY, name="weekly_slice_rollup_cell_unique")
        ]

    def __str__(self) -> str:
        return f"week of {self.day} q{self.question_id} {self.dimension}={self.value}"


class ResponseCountRollup(models.Model):
    """Responses per day x survey x dimensions: volume, and those that came by invitation."""

    organization_id = models.BigIntegerField()
    day = models.DateField()
    survey_id = models.BigIntegerField()
    stage_id = models.BigIntegerField(default=0)
    touchpoint_id = models.BigIntegerField(default=0)
    persona_id = models.BigIntegerField(default=0)
    team_id = models.BigIntegerField(default=0)
    responses = models.BigIntegerField(default=0)
    invited = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=[
                    "organization_id",
                    "day",
                    "survey_id",
                    "stage_id",
                    "touchpoint_id",
                    "persona_id",
                    "team_id",
                ],
                name="response_count_rollup_cell_unique",
            )
        ]
        # The journey map sums a quarter's responses per stage: ~170k cells at 1M
        # responses. With stage and count in the index the sum reads the index alone.
        indexes = [
            models.Index(
                fields=["organization_id", "day", "stage_id", "responses"],
                name="response_count_day_stage",
            )
        ]

    def __str__(self) -> str:
        return f"{self.day} survey {self.survey_id}: {self.responses} responses"


class ChannelRollup(models.Model):
    """Responses per day x survey x channel: how many, how many completed, how many came
    through an invitation. The survey list's completed counts and the delivery report's
    answers without an invitation per channel read it.

    ResponseCountRollup counts partial responses too and has no channel; its cells (every
    dimension) number about half the responses at scale, so a survey's count summed from
    it reads about as many rows as counting the responses. A partial response counts as
    completed when it is completed, on the day it was answered (as the other rollups).
    """

    organization_id = models.BigIntegerField()
    survey_id = models.BigIntegerField()
    day = models.DateField()
    channel = models.CharField(max_length=20)
    responses = models.BigIntegerField(default=0)
    completed = models.BigIntegerField(default=0)
    invited = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization_id", "survey_id", "day", "channel"],
                name="channel_rollup_cell_unique",
            )
        ]

    def __str__(self) -> str:
        return f"{self.day} survey {self.survey_id} {self.channel}: {self.responses} responses"
