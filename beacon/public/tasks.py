"""Thin jobs of the public side; safe to run twice."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from beacon.public.ratelimit import purge


@db_periodic_task(crontab(minute="*/15"))
def purge_rate_windows() -> int:
    return purge()
