"""Thin jobs: the invitation sweeper; safe to run twice."""

from __future__ import annotations

from huey import crontab

from beacon.core.jobs import periodic_job
from beacon.surveys.distribution import send_due


@periodic_job(crontab(minute="*"))
def send_due_invitations() -> tuple[int, int]:
    """Delayed invitations whose time has come, and reminders that are due."""
    return send_due()
