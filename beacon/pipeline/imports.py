"""CSV imports as entry points: interactions go through `receive_interaction` like the API.

The CSV reading and checking lives in `contacts.imports`; only the pipeline may trigger
surveys, so the interaction writer is handed in from here.
"""

from __future__ import annotations

from typing import IO

from beacon.contacts.actions import InteractionIn
from beacon.contacts.imports import Progress, run_job
from beacon.contacts.models import ImportJob, ImportKind
from beacon.insights.reasons import queue_unread_reasons
from beacon.outcomes.imports import OutcomeRows
from beacon.pipeline.actions import receive_interaction


def run_import_job(
    job: ImportJob, stream: IO[bytes], *, progress: Progress | None = None
) -> ImportJob:
    """The whole import of a job (page or command line); `progress` also sees each report."""
    if job.kind == ImportKind.CONTACTS:
        return run_job(job, stream, progress=progress)
    if job.kind == ImportKind.OUTCOMES:
        return run_job(job, stream, writer=OutcomeRows(job.organization), progress=progress)

    def write(data: InteractionIn) -> bool:
        return receive_interaction(job.organization, data, read_reason=False).created

    done = run_job(job, stream, write_interaction=write, progress=progress)
    # One job reads the reasons of every imported interaction, many per model call.
    queue_unread_reasons(job.organization_id)
    return done
