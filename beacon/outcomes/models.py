"""Business outcomes per customer: what they bought, renewed, cancelled and cost to serve.

Money is stored in the organisation's currency (converted on the way in at the rate its
settings give) with the amount and currency as sent kept beside it, so every analysis sums
one currency and nothing sent is lost.
"""

from __future__ import annotations

from django.db import models

from beacon.core.models import TenantModel


class OutcomeKind(models.TextChoices):
    ORDER = "order", "Order"
    SUBSCRIPTION_STARTED = "subscription_started", "Subscription started"
    SUBSCRIPTION_RENEWED = "subscription_renewed", "Subscription renewed"
    SUBSCRIPTION_CHANGED = "subscription_changed", "Subscription changed"
    SUBSCRIPTION_ENDED = "subscription_ended", "Subscription ended"
    SERVICE_CONTACT = "service_contact", "Service contact"


# Kinds whose amount is money the customer paid: the revenue of a window.
REVENUE_KINDS = (
    OutcomeKind.ORDER,
    OutcomeKind.SUBSCRIPTION_STARTED,
    OutcomeKind.SUBSCRIPTION_RENEWED,
    OutcomeKind.SUBSCRIPTION_CHANGED,
)


class OutcomeSettings(models.Model):
    """Per organisation; one-to-one so the outcomes domain keeps its settings to itself."""

    organization = models.OneToOneField(
        "orgs.Organization", on_delete=models.CASCADE, related_name="+", primary_key=True
    )
    currency = models.CharField(max_length=3, default="GBP")
    # {"EUR": "0.85"}: how much of the organisation's currency one unit of another is worth.
    exchange_rates = models.JSONField(default=dict, blank=True)
    # {"phone": "6.00"}: the cost of a service contact on a channel when none is sent.
    cost_per_contact = models.JSONField(default=dict, blank=True)
    # How long after a response its outcomes count (revenue in the 12 months after, ...).
    observation_days = models.PositiveIntegerField(default=365)
    # An outcome for an unknown customer id creates the contact instead of being refused.
    create_unknown_contacts = models.BooleanField(default=False)
    # Money figures are for analysts and up; viewers see them only when this is on.
    viewers_see_money = models.BooleanField(default=False)

    def __str__(self) -> str:
        return f"outcome settings of {self.organization_id}"


class Account(TenantModel):
    """A business customer: contacts grouped under one annual revenue (B2B)."""

    external_id = models.CharField(max_length=200)
    name = models.CharField(max_length=200, blank=True)
    annual_revenue = models.DecimalField(max_digits=16, decimal_places=2, default=0)
    revenue_as_of = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "external_id"], name="account_external_id_unique"
            )
        ]

    def __str__(self) -> str:
        return self.name or self.external_id


class AccountMember(TenantModel):
    """Which account a contact belongs to (at most one)."""

    contact = models.OneToOneField(
        "contacts.Contact", on_delete=models.CASCADE, related_name="account_membership"
    )
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="members")


class Outcome(TenantModel):
    contact = models.ForeignKey(
        "contacts.Contact", on_delete=models.CASCADE, related_name="outcomes"
    )
    kind = models.CharField(max_length=24, choices=OutcomeKind.choices)
    occurred_at = models.DateTimeField()
    idempotency_key = models.CharField(max_length=200)
    # In the organisation's currency; revenue for orders and subscriptions, cost for
    # service contacts. Refunds are negative orders.
    amount = models.DecimalField(max_digits=15, decimal_places=3, null=True, blank=True)
    sent_amount = models.DecimalField(max_digits=15, decimal_places=3, null=True, blank=True)
    sent_currency = models.CharField(max_length=3, blank=True)
    subscription_id = models.CharField(max_length=200, blank=True)
    plan = models.CharField(max_length=200, blank=True)
    product = models.CharField(max_length=200, blank=True)
    channel = models.CharField(max_length=50, blank=True)
    reason = models.CharField(max_length=200, blank=True)
    handle_minutes = models.DecimalField(max_digits=8, decimal_places=2, null=True, blank=True)
    interaction = models.ForeignKey(
        "contacts.Interaction", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "idempotency_key"], name="outcome_idempotency_unique"
            )
        ]
        indexes = [
            models.Index(fields=["organization", "kind", "occurred_at"]),
            models.Index(fields=["organization", "contact", "occurred_at"]),
        ]


class ReportKind(models.TextChoices):
    VALUE = "value", "Value (organisation)"
    ACTION = "action", "Triple crown of an action"
    STAGE = "stage", "Triple crown of a stage"


class ValueReport(TenantModel):
    """A money analysis computed by the worker; pages and the API read this, never refit."""

    kind = models.CharField(max_length=10, choices=ReportKind.choices)
    # The action's or stage's id; 0 for the organisation's headline report.
    subject_id = models.BigIntegerField(default=0)
    as_of = models.DateTimeField()
    data = models.JSONField(default=dict)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "kind", "subject_id"], name="value_report_unique"
            )
        ]
