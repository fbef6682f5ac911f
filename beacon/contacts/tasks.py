"""Thin jobs of contacts: the sweeper of imports whose worker died; safe to run twice."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from beacon.contacts.imports import do_fail_stalled_imports


@db_periodic_task(crontab(minute="*/5"))
def fail_stalled_imports() -> int:
    return do_fail_stalled_imports()
