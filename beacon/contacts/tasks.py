"""Thin jobs of contacts: the sweeper of imports whose worker died; safe to run twice."""

from __future__ import annotations

from huey import crontab

from beacon.contacts.imports import do_fail_stalled_imports
from beacon.core.jobs import periodic_job


@periodic_job(crontab(minute="*/5"))
def fail_stalled_imports() -> int:
    return do_fail_stalled_imports()
