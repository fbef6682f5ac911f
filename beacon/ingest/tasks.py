"""Jobs of the ingest log: the applier, woken after each group commit and every minute."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from beacon.core.jobs import coalesced_start


@db_task()
def apply_log_task(_: int) -> int:
    """Critical queue: apply what the edge logged. Coalesced: posts logged while it runs
    enqueue one more run, never one per group."""
    from beacon.ingest.applier import apply_pending

    coalesced_start(apply_log_task, 0)
    return apply_pending()


@db_periodic_task(crontab(minute="*"))
def poll_ingest_log() -> int:
    """A post logged when its wake-up job was lost (the worker restarted) waits at most
    a minute (Huey's periodic tasks run once a minute at most)."""
    from beacon.ingest.applier import apply_pending

    return apply_pending()
