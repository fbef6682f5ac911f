"""Thin jobs: they take ids and call actions; safe to run twice."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from beacon.notifications.actions import do_deliver, due_message_ids


@db_task()
def send_outbox_message(message_id: int) -> str:
    return do_deliver(message_id)


@db_periodic_task(crontab(minute="*"))
def sweep_outbox() -> int:
    """Retry what is due: failed attempts after backoff, and rows a dead worker held."""
    ids = due_message_ids()
    for message_id in ids:
        do_deliver(message_id)
    return len(ids)
