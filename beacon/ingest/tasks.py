"""The ingest log's applier loop (its own process: `beacon ingest_applier`) and the jobs
that back it up: a minute's poll should that process be down, and the daily prune of rows
that failed to apply.

The applier used to run as a job and a poller thread in the critical worker, where it
shared one interpreter lock with the case job of every response and fell seconds behind
under load; in its own process it waits for nothing but the database.
"""

from __future__ import annotations

import logging
import threading

from django.conf import settings
from django.db import close_old_connections, connection
from huey import crontab
from huey.contrib.djhuey import close_db

from beacon.core.jobs import bulk, periodic_job

logger = logging.getLogger(__name__)

# An idle applier looks at the log this often; a busy one goes on at once while the
# batches come full, and otherwise waits this long so each batch carries more rows.
POLL_SECONDS = 0.2


@periodic_job(crontab(minute="*"))
def poll_ingest_log() -> int:
    """The minute's safety net, should the applier process be down (edge on only: off,
    the log stays empty)."""
    from beacon.ingest.applier import apply_pending

    return apply_pending() if settings.INGEST_EDGE else 0


@bulk.periodic_task(crontab(minute="23", hour="3"))
@close_db
def prune_ingest_log() -> int:
    """Rows that failed to apply, once an admin has had FAILED_KEEP to see them."""
    from beacon.ingest.applier import prune_failed

    return prune_failed()


def run_applier(stop: threading.Event, pause: float = POLL_SECONDS) -> None:
    """Apply the log until `stop` is set: a batch at once while batches come full,
    else after `pause`."""
    from beacon.ingest.applier import BATCH, apply_batch

    while not stop.is_set():
        applied = 0
        try:
            applied = apply_batch()
        except Exception:
            logger.exception("ingest log: applying failed; trying again shortly")
        finally:
            close_old_connections()
        if applied < BATCH:
            stop.wait(pause)
    connection.close()  # this thread's own
