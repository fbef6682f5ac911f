"""Thin jobs: they take ids and call actions; safe to run twice."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from beacon.core.jobs import EMAIL_PRIORITY
from beacon.notifications.actions import do_deliver, requeue_lost_messages


# A message's first send; its later attempts are enqueued with RESEND_PRIORITY.
@db_task(priority=EMAIL_PRIORITY)
def send_outbox_message(message_id: int) -> None:
    do_deliver(message_id)


@db_periodic_task(crontab(minute="*"))
def sweep_outbox() -> int:
    """Retry what is due and has no job: failed attempts after backoff, rows a dead worker
    held, and messages whose job was lost."""
    return requeue_lost_messages()
