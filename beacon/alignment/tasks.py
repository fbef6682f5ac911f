"""Thin jobs: the alignment reminder and closing sweeper; safe to run twice."""

from __future__ import annotations

from huey import crontab

from beacon.alignment.actions import send_due
from beacon.core.jobs import periodic_job


@periodic_job(crontab(minute="*/10"))
def send_due_alignment_reminders() -> tuple[int, int]:
    """Reminders two days before a round closes, then rounds whose date has passed."""
    return send_due()
