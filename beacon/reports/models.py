"""Exports run in the worker, board packs and their schedule."""

from __future__ import annotations

from django.db import models

from beacon.core.models import TenantModel


class ExportFormat(models.TextChoices):
    CSV = "csv", "CSV"
    XLSX = "xlsx", "Excel (XLSX)"
    PARQUET = "parquet", "Parquet"


class ExportState(models.TextChoices):
    PENDING = "pending", "Waiting for the worker"
    RUNNING = "running", "Running"
    DONE = "done", "Ready"
    FAILED = "failed", "Failed"


class ExportJob(TenantModel):
    """A large export written by the worker; the file lands under DATA_DIR/exports/."""

    requested_by = models.ForeignKey(
        "orgs.Membership", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    dataset = models.CharField(max_length=20)
    # The list's filters as the page read them (plain JSON), so the worker reads the same rows.
    spec = models.JSONField(default=dict, blank=True)
    fmt = models.CharField(max_length=8, choices=ExportFormat.choices)
    # Whether the requester could see contact details when asking; the file keeps that.
    reveal = models.BooleanField(default=False)
    state = models.CharField(
        max_length=10, choices=ExportState.choices, default=ExportState.PENDING
    )
    rows_done = models.PositiveIntegerField(default=0)
    rows_total = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    @property
    def percent(self) -> int:
        if self.state == ExportState.DONE:
            return 100
        return min(99, self.rows_done * 100 // self.rows_total) if self.rows_total else 0


class BoardPack(TenantModel):
    """One generated PDF for a period; the file lands under DATA_DIR/packs/."""

    start = models.DateField()
    end = models.DateField()  # inclusive
    generated_by = models.ForeignKey(
        "orgs.Membership", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    pages = models.PositiveSmallIntegerField(default=0)


class PackSchedule(TenantModel):
    """The monthly pack: generated for the previous month on `day` and emailed."""

    day = models.PositiveSmallIntegerField(default=1)
    active = models.BooleanField(default=True)
    recipients = models.ManyToManyField("orgs.Membership", related_name="+")
    # The first day of the last month sent; a compare-and-set on it sends each month once.
    last_sent_month = models.DateField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization"], name="pack_schedule_one_per_org")
        ]


class SyncCursor(TenantModel):
    """How far the warehouse sync has written a growing dataset: the last row id."""

    dataset = models.CharField(max_length=20)
    last_id = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "dataset"], name="sync_cursor_unique")
        ]
