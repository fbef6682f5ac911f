"""The shared CX language: personas, journeys, stages, touchpoints and needs."""

from __future__ import annotations

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


class Need(TenantModel):
    stage = models.ForeignKey(Stage, on_delete=models.CASCADE, related_name="needs")
    persona = models.ForeignKey(
        Persona, null=True, blank=True, on_delete=models.SET_NULL, related_name="stage_needs"
    )
    description = models.TextField()
    successful_outcome = models.TextField()
    metric = models.CharField(max_length=200, blank=True)
    owner = models.ForeignKey("orgs.Membership", on_delete=models.PROTECT, related_name="+")

    def __str__(self) -> str:
        return self.description[:60]
