"""Thin periodic job: evaluate alert rules (the time comes from beacon.core.clock)."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from beacon.analytics.actions import evaluate_alert_rules


@db_periodic_task(crontab(minute="*/10"))
def evaluate_alerts() -> int:
    return len(evaluate_alert_rules())
