"""Thin jobs: they take ids and call actions; safe to run twice."""

from __future__ import annotations

from typing import Any

from huey import crontab
from huey.contrib.djhuey import db_task

from beacon.core.jobs import CASE_PRIORITY, EMAIL_PRIORITY, coalesced_start, periodic_job
from beacon.notifications.actions import (
    do_deliver,
    do_resend_due,
    enqueue_resends,
    requeue_lost_messages,
)


# A message's first send; its later attempts are the resend job's.
@db_task(priority=EMAIL_PRIORITY)
def send_outbox_message(message_id: int) -> None:
    do_deliver(message_id)


@db_task(priority=CASE_PRIORITY, context=True)
def resend_due_messages(task: Any = None) -> None:
    """The messages due again, a slice a turn (beacon.core.jobs, above the priorities):
    at most one waits in the queue (coalesced), and each turn that leaves some due
    enqueues the next, behind the case drain waiting."""
    # A turn enqueued after this one over its stale mark may be waiting: this one still
    # sends (it is nearer the front) and leaves that one's mark, so only one next turn
    # is queued between them.
    coalesced_start(resend_due_messages, job=task)
    if do_resend_due():
        enqueue_resends()


@db_task(priority=EMAIL_PRIORITY)
def wake_resender(due: int | None = None) -> None:
    """Scheduled for when failed attempts' backoff ends (`due`, a second; one wake-up per
    second however many failed): enqueues the resend job unless one waits. Only marks and
    an enqueue, so it takes a first send's priority and runs on time."""
    if due is not None:
        coalesced_start(wake_resender, due)
    enqueue_resends()


@periodic_job(crontab(minute="*"))
def sweep_outbox() -> int:
    """Due messages with no job (failed attempts after backoff, rows a dead worker held,
    messages whose job was lost) go to the resend job: this sweep is what enqueues it
    again when a killed worker lost it."""
    return requeue_lost_messages()
