"""Periodic jobs of the loop: thin, idempotent; each calls a function that reads the clock."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from beacon.loop.actions import escalate_overdue_cases
from beacon.loop.improvements import send_action_reminders
from beacon.loop.sharing import send_digests


@db_periodic_task(crontab(minute="*/5"))
def escalate_overdue() -> int:
    return escalate_overdue_cases()


@db_periodic_task(crontab(minute="7"))
def remind_action_owners() -> int:
    return send_action_reminders()


@db_periodic_task(crontab(hour="6", minute="30"))
def send_staff_digests() -> int:
    return send_digests()
