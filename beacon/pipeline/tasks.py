"""Jobs of the pipeline: thin, idempotent, ids in.

The web server imports this module to enqueue; the processing (which reads comments with
the text engine) is imported when a job runs, in the worker."""

from __future__ import annotations

import datetime as dt

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task


@db_task()
def process_response_task(response_id: int) -> None:
    from beacon.pipeline.processing import process_response

    process_response(response_id)


@db_periodic_task(crontab(minute="*"))
def sweep_unprocessed_responses() -> int:
    from beacon.pipeline.processing import unprocessed_response_ids

    ids = unprocessed_response_ids(older_than=dt.timedelta(minutes=2))
    for response_id in ids:
        process_response_task(response_id)
    return len(ids)


@db_task()
def run_import_task(job_id: int, path: str) -> None:
    """A CSV import uploaded on the imports page; the file is removed afterwards."""
    from pathlib import Path

    from beacon.contacts.models import ImportJob
    from beacon.pipeline.imports import run_import_job

    job = ImportJob.objects.select_related("organization").filter(pk=job_id).first()
    file = Path(path)
    if job is None or not file.exists():
        return
    try:
        with file.open("rb") as stream:
            run_import_job(job, stream)
    finally:
        file.unlink(missing_ok=True)
