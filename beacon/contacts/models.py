"""Customers and what happened to them."""

from __future__ import annotations

from django.db import models

from beacon.core.models import TenantModel


class Contact(TenantModel):
    external_id = models.CharField(max_length=200)
    email = models.EmailField(blank=True)
    name = models.CharField(max_length=200, blank=True)
    attributes = models.JSONField(default=dict, blank=True)
    persona = models.ForeignKey(
        "cxmodel.Persona", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    unsubscribed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "external_id"], name="contact_external_id_unique"
            )
        ]

    def __str__(self) -> str:
        return self.name or self.email or self.external_id


class Interaction(TenantModel):
    """One moment the customer dealt with the company: a call, a visit, a delivery."""

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="interactions")
    touchpoint = models.ForeignKey(
        "cxmodel.Touchpoint", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    team = models.ForeignKey(
        "orgs.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    staff = models.ForeignKey(
        "orgs.Membership", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    occurred_at = models.DateTimeField()
    description = models.TextField(blank=True)
    attributes = models.JSONField(default=dict, blank=True)
    idempotency_key = models.CharField(max_length=200)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "idempotency_key"], name="interaction_idempotency_unique"
            )
        ]
        indexes = [models.Index(fields=["organization", "occurred_at"])]
