"""Thin jobs: the invitation sweeper; safe to run twice."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from beacon.surveys.distribution import send_due


@db_periodic_task(crontab(minute="*"))
def send_due_invitations() -> tuple[int, int]:
    """Delayed invitations whose time has come, and reminders that are due."""
    return send_due()
