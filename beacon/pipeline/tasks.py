"""Jobs of the pipeline: thin, idempotent, ids in.

The web server imports this module to enqueue; the processing (which reads comments with
the text engine) is imported when a job runs, in the worker."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from beacon.core.jobs import bulk_task


@db_task()
def open_case_task(response_id: int) -> None:
    """Critical queue: the case a response calls for; a duplicate does nothing."""
    from beacon.pipeline.processing import run_case_stage

    run_case_stage(response_id)


@db_task()
def open_cases_task(response_ids: list[int]) -> None:
    """Critical queue: `open_case_task` for each response of an API batch (one job per
    batch, not one per response). A response it does not reach (the job died) is
    enqueued again by the sweeper once its lease runs out."""
    from beacon.pipeline.processing import run_case_stage

    for response_id in response_ids:
        run_case_stage(response_id)


@bulk_task()
def analyse_response_task(response_id: int) -> None:
    """Bulk queue: comments, praise, sharing; a duplicate does nothing."""
    from beacon.pipeline.processing import run_analysis_stage

    run_analysis_stage(response_id)


@db_periodic_task(crontab(minute="*"))
def sweep_unprocessed_responses() -> int:
    from beacon.pipeline.actions import requeue_lost_fanout

    return requeue_lost_fanout()


@bulk_task()
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
