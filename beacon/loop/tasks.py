"""Periodic jobs of the loop: thin, idempotent; each calls a function that reads the clock."""

from __future__ import annotations

from huey import crontab

from beacon.core.jobs import periodic_job
from beacon.loop.actions import escalate_overdue_cases
from beacon.loop.improvements import send_action_reminders
from beacon.loop.sharing import send_digests
from beacon.loop.updates import send_approved_updates


@periodic_job(crontab(minute="*/5"))
def escalate_overdue() -> int:
    return escalate_overdue_cases()


@periodic_job(crontab(minute="7"))
def remind_action_owners() -> int:
    return send_action_reminders()


# Every quarter of an hour: each organisation's digest hour is local, and zones such as
# Asia/Kolkata (+05:30) or Asia/Kathmandu (+05:45) reach it at a quarter past.
@periodic_job(crontab(minute="*/15"))
def send_staff_digests() -> int:
    return send_digests()


# Every minute, on the critical queue: approved "you said, we did" updates leave at each
# organisation's rate (a batch a minute), so thousands approved at once never flood the
# mail server nor wait behind analysis.
@periodic_job(crontab(minute="*"))
def send_customer_updates() -> int:
    return send_approved_updates()
