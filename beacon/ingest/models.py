"""The ingest log: single API posts accepted by the edge, waiting to be applied.

The edge (`edge.py`) appends one row per accepted post in group commits; the worker's
applier (`applier.py`) turns rows into responses in id order. `target_id` is the id the
stored object gets (reserved from its table's sequence when the row is appended), so the
id a client receives with 201 is the response's id forever (docs/adr/0010).
"""

from __future__ import annotations

from django.db import models

from beacon.core.models import TenantModel


class IngestKind(models.TextChoices):
    RESPONSE = "response", "response"


class IngestLog(TenantModel):
    kind = models.CharField(max_length=20, choices=IngestKind.choices)
    idempotency_key = models.CharField(max_length=200)
    # What the edge checked, in the shape the applier reads (ingest.log.Accepted).
    payload = models.JSONField()
    target_id = models.BigIntegerField()
    applied_at = models.DateTimeField(null=True, blank=True)
    # Why the row could not be applied; kept for an admin, never retried blindly.
    error = models.TextField(blank=True, default="")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "kind", "idempotency_key"], name="ingest_log_one_per_key"
            )
        ]
        indexes = [
            # The applier's scan: rows not applied yet, in id order.
            models.Index(
                fields=["id"],
                name="ingest_log_pending",
                condition=models.Q(applied_at__isnull=True),
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.idempotency_key} -> {self.target_id}"
