"""The outbox: every message Beacon must send is first a row, written with its cause."""

from __future__ import annotations

from django.db import models

from beacon.core.models import TenantModel


class OutboxState(models.TextChoices):
    PENDING = "pending", "Pending"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"
    # The receiving server refused the recipient: retrying would not help.
    BOUNCED = "bounced", "Bounced"
    # Deliberately never sent, with the reason in last_error (e.g. seeded demo history).
    WITHHELD = "withheld", "Withheld"


class OutboxMessage(TenantModel):
    transport = models.CharField(max_length=20, default="email")
    # One row per cause: a retried cause (same key) never queues a second message.
    idempotency_key = models.CharField(max_length=200)
    recipient = models.CharField(max_length=500)
    subject = models.CharField(max_length=300)
    body_text = models.TextField()
    body_html = models.TextField(blank=True)
    headers = models.JSONField(default=dict, blank=True)
    cause_type = models.CharField(max_length=40)
    cause_id = models.BigIntegerField()
    state = models.CharField(
        max_length=10, choices=OutboxState.choices, default=OutboxState.PENDING
    )
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    # A sender claims a row until this moment; a crashed sender's claim simply expires.
    claimed_until = models.DateTimeField(null=True, blank=True)
    # A send job for the row waits in the queue until at most this moment; the sweeper
    # enqueues another only after it (the job was lost), never while it may still run.
    queued_until = models.DateTimeField(null=True, blank=True)
    # Sent again after a sender died in `sending`: the first attempt may have reached the
    # server. Both carry the same Message-ID, so receiving servers can drop the second.
    possible_duplicate = models.BooleanField(default=False)
    last_error = models.TextField(blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "idempotency_key"], name="outbox_idempotency_unique"
            )
        ]
        indexes = [models.Index(fields=["state", "next_attempt_at"])]
