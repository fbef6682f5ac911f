"""The shared CX language: personas, journeys, stages, touchpoints and needs."""

from __future__ import annotations

from typing import Any, Protocol

from django.db import models

from beacon.core.models import TenantModel


class Persona(TenantModel):
    """A needs-based customer category (what they need, not who they are on paper)."""

    name = models.CharField(max_length=120)
    description = models.TextField()
    needs = models.TextField(help_text="What this customer needs from us, in their words.")
    # The customer the company designs, markets and sells for first; the alignment audit
    # asks each department whether it names the same one.
    primary = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "name"], name="persona_name_unique"),
            models.UniqueConstraint(
                fields=["organization"],
                condition=models.Q(primary=True),
                name="one_primary_persona",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Journey(TenantModel):
    name = models.CharField(max_length=120)
    description = models.TextField(blank=True)

    def __str__(self) -> str:
        return self.name


class Stage(TenantModel):
    journey = models.ForeignKey(Journey, on_delete=models.CASCADE, related_name="stages")
    name = models.CharField(max_length=120)
    position = models.PositiveIntegerField()
    description = models.TextField(blank=True)
    # Stages such as "comparing offers" or "using the product at home" happen outside the
    # company's own touchpoints; they belong on the journey all the same.
    inside_company = models.BooleanField(default=True)
    owner = models.ForeignKey("orgs.Membership", on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["journey_id", "position"]
        constraints = [
            models.UniqueConstraint(fields=["journey", "position"], name="stage_position_unique")
        ]

    def __str__(self) -> str:
        return self.name


class Touchpoint(TenantModel):
    stage = models.ForeignKey(Stage, on_delete=models.PROTECT, related_name="touchpoints")
    name = models.CharField(max_length=120)
    channel = models.CharField(max_length=40, blank=True)

    def __str__(self) -> str:
        return self.name


class Measure(models.TextChoices):
    """What shows a need is met: a standard metric at the need's stage, or one question."""

    NPS = "nps", "NPS"
    CSAT = "csat", "CSAT (share satisfied, %)"
    CES = "ces", "CES (mean, 1-7)"
    QUESTION = "question", "One question (mean score)"


class ScoredQuestion(Protocol):
    """A question a need may be measured by. `surveys` sits above this app, so a need
    names its question by id and the check reads only these attributes."""

    pk: Any
    organization_id: int
    is_scored: bool


class Need(TenantModel):
    stage = models.ForeignKey(Stage, on_delete=models.CASCADE, related_name="needs")
    persona = models.ForeignKey(
        Persona, null=True, blank=True, on_delete=models.SET_NULL, related_name="stage_needs"
    )
    description = models.TextField()
    successful_outcome = models.TextField()
    # Free text: how people talk about the measure ("first-time fix rate").
    metric = models.CharField(max_length=200, blank=True)
    # The measure Beacon computes: a metric at this stage (for this need's persona when it
    # has one), met when its whole 95% interval is at or above `target`.
    measure = models.CharField(max_length=10, choices=Measure.choices, blank=True)
    # With measure "question": a scored question's id (surveys sit above cxmodel, so no
    # foreign key; an id no longer found reads as "not enough data").
    measure_question_id = models.BigIntegerField(null=True, blank=True)
    target = models.FloatField(null=True, blank=True)
    owner = models.ForeignKey("orgs.Membership", on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(measure="") | models.Q(target__isnull=False),
                name="need_measure_has_target",
            ),
            models.CheckConstraint(
                condition=~models.Q(measure="question")
                | models.Q(measure_question_id__isnull=False),
                name="need_question_measure_names_question",
            ),
        ]

    def __str__(self) -> str:
        return self.description[:60]


class OwnerChange(TenantModel):
    """One row per owner a stage or need had: who, from when, set by whom, by which event.

    Written by the cxmodel `do_*` functions that set an owner (adding the stage or need
    counts as its first owner), so the journey map can show a stage's owners over time.
    """

    stage = models.ForeignKey(
        Stage, null=True, blank=True, on_delete=models.CASCADE, related_name="owner_changes"
    )
    need = models.ForeignKey(
        Need, null=True, blank=True, on_delete=models.CASCADE, related_name="owner_changes"
    )
    owner = models.ForeignKey("orgs.Membership", on_delete=models.PROTECT, related_name="+")
    previous_owner = models.ForeignKey(
        "orgs.Membership", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor = models.ForeignKey(
        "orgs.Membership", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    event = models.ForeignKey("orgs.Event", on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(stage__isnull=True, need__isnull=False)
                | models.Q(stage__isnull=False, need__isnull=True),
                name="owner_change_one_subject",
            )
        ]
