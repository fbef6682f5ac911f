"""Jobs of the ingest log: the applier, woken after each group commit, and its poller.

The wake-up job goes through the critical queue, where it may wait behind the case jobs
of earlier responses (Redis keeps plain FIFO order). So the critical worker also runs
one poller thread that applies whatever the log holds every quarter second: a stored
response shows on dashboards within about a second whatever the queue holds.
"""

from __future__ import annotations

import logging
import threading

from django.conf import settings
from django.db import close_old_connections, connection
from huey import crontab
from huey.contrib.djhuey import HUEY, db_periodic_task, db_task

from beacon.core.jobs import APPLY_PRIORITY, coalesced_start

logger = logging.getLogger(__name__)

POLL_SECONDS = 0.25
_poller_started = threading.Lock()


@db_task(priority=APPLY_PRIORITY)
def apply_log_task(_: int) -> int:
    """Critical queue: apply what the edge logged. Coalesced: posts logged while it runs
    enqueue one more run, never one per group."""
    from beacon.ingest.applier import apply_pending

    coalesced_start(apply_log_task, 0)
    return apply_pending()


@db_periodic_task(crontab(minute="*"))
def poll_ingest_log() -> int:
    """The minute's safety net, should the poller thread have died."""
    from beacon.ingest.applier import apply_pending

    return apply_pending()


@HUEY.on_startup()
def start_poller() -> None:
    """Each consumer thread runs the start-up hooks: the first one starts the poller, when
    the edge is on (the web server and the worker read the same setting); with it off the
    log stays empty and four queries a second would be spent on nothing."""
    if settings.INGEST_EDGE and _poller_started.acquire(blocking=False):
        threading.Thread(
            target=poll, args=(threading.Event(),), name="ingest-poller", daemon=True
        ).start()


def poll(stop: threading.Event) -> None:
    """Apply the log every POLL_SECONDS until `stop` is set (never, in the worker)."""
    from beacon.ingest.applier import apply_pending

    while not stop.is_set():
        try:
            apply_pending()
        except Exception:
            logger.exception("ingest log: applying failed; trying again shortly")
        finally:
            close_old_connections()
        stop.wait(POLL_SECONDS)
    connection.close()  # this thread's own
