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


class ImportKind(models.TextChoices):
    CONTACTS = "contacts", "Contacts"
    INTERACTIONS = "interactions", "Interactions"
    # Checked and written by the outcomes app, handed in as a `RowWriter`.
    OUTCOMES = "outcomes", "Outcomes (orders, subscriptions, service contacts, accounts)"


class ImportState(models.TextChoices):
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


class ImportJob(TenantModel):
    """One CSV import: progress for the page that polls it, and the rows it refused."""

    kind = models.CharField(max_length=20, choices=ImportKind.choices)
    filename = models.CharField(max_length=300, blank=True)
    state = models.CharField(
        max_length=10, choices=ImportState.choices, default=ImportState.RUNNING
    )
    bytes_total = models.BigIntegerField(default=0)
    bytes_done = models.BigIntegerField(default=0)
    rows_done = models.PositiveIntegerField(default=0)
    rows_imported = models.PositiveIntegerField(default=0)
    rows_failed = models.PositiveIntegerField(default=0)
    # CSV text: line, column, message; downloadable from the import page.
    error_report = models.TextField(blank=True)
    message = models.TextField(blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)


class InboundWebhook(TenantModel):
    """A help desk posting interactions as JSON; `mapping` says where each field is."""

    name = models.CharField(max_length=200)
    # Part of the URL the help desk posts to; unguessable.
    token = models.CharField(max_length=64, unique=True)
    # Beacon's key: the HMAC-SHA256 key of the `beacon` scheme, the header value of `token`.
    secret = models.CharField(max_length=128)
    # How bodies are verified (contacts.signatures.Scheme): Beacon's signature, the help
    # desk's own (Zendesk, Intercom: keyed by `help_desk_secret`) or a secret header.
    signature = models.CharField(max_length=10, default="beacon", db_default="beacon")
    help_desk_secret = models.CharField(max_length=200, blank=True, default="", db_default="")
    # Field -> dotted JSON path, e.g. {"contact_id": "ticket.requester.id"}.
    mapping = models.JSONField(default=dict)
    active = models.BooleanField(default=True)
    # The ready-made mapping it started from (contacts.connectors), "" when built by hand.
    connector = models.CharField(max_length=20, blank=True)
    # Only bodies whose value at this path is one of `only_when_values` (compared without
    # case) become interactions, e.g. a ticket's status solved or closed; "" takes all.
    only_when_path = models.CharField(max_length=200, blank=True)
    only_when_values = models.JSONField(default=list, blank=True)
    # What each body records: "" an interaction; else an outcome kind of the outcomes app
    # (order, subscription, service_contact), whose fields the mapping then names.
    records = models.CharField(max_length=24, blank=True)
    # Outcome webhooks: the amounts posted are in the currency's minor unit (cents), as
    # Stripe and Chargebee send them.
    minor_units = models.BooleanField(default=False, db_default=False)

    def __str__(self) -> str:
        return self.name


class DeliveryOutcome(models.TextChoices):
    CREATED = "created", "Recorded"
    REPEATED = "repeated", "Already recorded"
    IGNORED = "ignored", "Ignored (condition not met)"
    REFUSED = "refused", "Refused"


class WebhookDelivery(TenantModel):
    """The webhook's log: what each body posted to it became, or which field was wrong."""

    webhook = models.ForeignKey(InboundWebhook, on_delete=models.CASCADE, related_name="deliveries")
    outcome = models.CharField(max_length=10, choices=DeliveryOutcome.choices)
    detail = models.TextField(blank=True)
    interaction = models.ForeignKey(
        Interaction, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        indexes = [models.Index(fields=["webhook", "-id"])]
