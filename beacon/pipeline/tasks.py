"""Jobs of the pipeline: thin, idempotent, ids in.

The web server imports this module to enqueue; the processing (which reads comments with
the text engine) is imported when a job runs, in the worker."""

from __future__ import annotations

from typing import Any

from huey import crontab
from huey.contrib.djhuey import db_task

from beacon.core.jobs import (
    CASE_PRIORITY,
    bulk_task,
    coalesced_start,
    load_before_serving,
    periodic_job,
)

# A drain job gives its queue back after this long (and enqueues its next run if work is
# left), so case emails and sweeps on the critical queue never wait behind a long backlog.
DRAIN_SECONDS = 2.0

# The case stage's first job after a worker (re)start must not wait for the text engine's
# import: the critical consumer loads it before it serves.
load_before_serving("critical", "beacon.pipeline.processing")


@db_task(priority=CASE_PRIORITY)
def open_cases_task() -> None:
    """Critical queue: the cases stored responses call for, in batches; coalesced, and a
    duplicate finds nothing to claim."""
    from beacon.pipeline.actions import CASE_STAGE

    _drain(open_cases_task, CASE_STAGE)


@bulk_task()
def analyse_responses_task() -> None:
    """Bulk queue: comments, praise, sharing, in batches; coalesced like the case stage."""
    from beacon.pipeline.actions import ANALYSIS_STAGE

    _drain(analyse_responses_task, ANALYSIS_STAGE)


def _drain(task: Any, stage: str) -> None:
    from beacon.pipeline.actions import enqueue_stage, ready
    from beacon.pipeline.processing import drain

    coalesced_start(task)  # responses stored from now on ask for the next run
    drain(stage, seconds=DRAIN_SECONDS)
    if ready(stage).exists():
        enqueue_stage(stage)


@periodic_job(crontab(minute="*"))
def sweep_unprocessed_responses() -> int:
    from beacon.pipeline.actions import requeue_lost_drains, requeue_lost_fanout

    return requeue_lost_fanout() + requeue_lost_drains()


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
