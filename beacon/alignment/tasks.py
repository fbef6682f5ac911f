"""Thin jobs: the alignment reminder and closing sweeper; safe to run twice."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from beacon.alignment.actions import send_due


@db_periodic_task(crontab(minute="*/10"))
def send_due_alignment_reminders() -> tuple[int, int]:
    """Reminders two days before a round closes, then rounds whose date has passed."""
    return send_due()
