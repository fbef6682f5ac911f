"""Thin jobs of the public side; safe to run twice."""

from __future__ import annotations

from huey import crontab

from beacon.core.jobs import periodic_job
from beacon.public.ratelimit import purge


@periodic_job(crontab(minute="*/15"))
def purge_rate_windows() -> int:
    return purge()
