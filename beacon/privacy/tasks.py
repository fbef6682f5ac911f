"""Thin jobs of privacy: the nightly retention run, on the bulk queue (it may take minutes
for an organisation's first run and must not hold up cases and emails)."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import close_db

from beacon.core.jobs import bulk
from beacon.privacy.actions import do_apply_retention
from beacon.privacy.queries import organisations_with_retention


@bulk.periodic_task(crontab(minute="41", hour="2"))
@close_db
def apply_retention() -> int:
    """Every organisation with a retention period: free text older than it is redacted."""
    return sum(do_apply_retention(org_id) for org_id in organisations_with_retention())
