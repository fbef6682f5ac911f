"""Jobs of the pipeline: thin, idempotent, ids in."""

from __future__ import annotations

import datetime as dt

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from beacon.pipeline.actions import process_response, unprocessed_response_ids


@db_task()
def process_response_task(response_id: int) -> None:
    process_response(response_id)


@db_periodic_task(crontab(minute="*"))
def sweep_unprocessed_responses() -> int:
    ids = unprocessed_response_ids(older_than=dt.timedelta(minutes=2))
    for response_id in ids:
        process_response_task(response_id)
    return len(ids)
