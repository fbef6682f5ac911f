"""Exports: a list's rows as a download now, or written by the worker when large.

The web pages and the API call the same functions; both hand in a dataset name, the
list's filters as a spec, whether the viewer may see contact details, and a format.
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.http import HttpResponseBase

from beacon.core import clock
from beacon.core.errors import ValidationFailed
from beacon.core.jobs import enqueue_on_commit
from beacon.core.streaming import ChunkedFileResponse, ChunkedStreamingResponse
from beacon.notifications.actions import do_queue_email
from beacon.orgs.events import record_event
from beacon.orgs.models import Membership, Organization
from beacon.reports.datasets import CHUNK, DATASETS, Dataset, chunked
from beacon.reports.events import ReportEvent
from beacon.reports.models import ExportFormat, ExportJob, ExportState
from beacon.reports.writers import CONTENT_TYPES, csv_chunks, write_file

FORMATS = tuple(ExportFormat.values)


def dataset_of(name: str) -> Dataset:
    if name not in DATASETS:
        raise ValidationFailed({"dataset": f"unknown list {name!r}; one of {', '.join(DATASETS)}"})
    return DATASETS[name]


def check_format(fmt: str) -> str:
    if fmt not in FORMATS:
        raise ValidationFailed({"format": f"must be one of {', '.join(FORMATS)} (got {fmt!r})"})
    return fmt


def filename(dataset: Dataset, fmt: str) -> str:
    return f"beacon-{dataset.name}-{clock.now().date().isoformat()}.{fmt}"


@dataclass(frozen=True)
class Page:
    """A slice of a dataset for cursor paging (keyset on id): rows with after < id <= last.
    Neither counts nor sorts the whole list: the page's ids are the first `limit` after
    the cursor in id order."""

    after: int
    last: int | None  # None: to the end
    next_cursor: int | None


def page_of(
    dataset: Dataset, org: Organization, spec: dict[str, Any], reveal: bool, after: int, limit: int
) -> Page:
    ids = list(dataset.queryset(org, spec, reveal, after).values_list("pk", flat=True)[: limit + 1])
    if len(ids) <= limit:
        return Page(after, None, None)
    return Page(after, ids[limit - 1], ids[limit - 1])


def page_rows(
    dataset: Dataset, org: Organization, spec: dict[str, Any], reveal: bool, page: Page | None
) -> Any:
    """The page's rows: a query bounded by both ends of the page, so neither database
    plans (or on PostgreSQL, opens a cursor over) the rest of the list."""
    if page is None:
        return dataset.rows(org, spec, reveal)
    return dataset.rows(org, spec, reveal, after=page.after, until=page.last)


def download(
    dataset: Dataset,
    org: Organization,
    spec: dict[str, Any],
    reveal: bool,
    fmt: str,
    *,
    page: Page | None = None,
) -> HttpResponseBase:
    """The file as a streamed response: CSV straight from the rows, the others from a
    temporary file that is unlinked at once (the open handle keeps it until sent)."""
    rows = page_rows(dataset, org, spec, reveal, page)
    name = filename(dataset, fmt)
    response: HttpResponseBase
    if fmt == ExportFormat.CSV:
        response = ChunkedStreamingResponse(
            csv_chunks(dataset, rows), content_type=CONTENT_TYPES["csv"]
        )
        response["Content-Disposition"] = f'attachment; filename="{name}"'
    else:
        handle, raw = tempfile.mkstemp(suffix=f".{fmt}")
        os.close(handle)
        path = Path(raw)
        try:
            write_file(dataset, rows, fmt, path)
            stream = path.open("rb")
        finally:
            path.unlink()
        response = ChunkedFileResponse(
            stream, as_attachment=True, filename=name, content_type=CONTENT_TYPES[fmt]
        )
    if page is not None and page.next_cursor is not None:
        response["X-Next-Cursor"] = str(page.next_cursor)
    return response


def row_count(dataset: Dataset, org: Organization, spec: dict[str, Any], reveal: bool) -> int:
    return int(dataset.queryset(org, spec, reveal).count())


def runs_in_worker(count: int) -> bool:
    return count > settings.BEACON_EXPORT_INLINE_ROWS


# --- large exports in the worker -------------------------------------------------------------


def export_dir() -> Path:
    return Path(settings.DATA_DIR) / "exports"


def export_path(job: ExportJob) -> Path:
    return export_dir() / str(job.organization_id) / f"{job.pk}.{job.fmt}"


@transaction.atomic
def do_request_export(
    member: Membership,
    dataset: Dataset,
    spec: dict[str, Any],
    fmt: str,
    *,
    reveal: bool,
    total: int = 0,
) -> ExportJob:
    job = ExportJob.objects.create(
        organization_id=member.organization_id,
        requested_by=member,
        dataset=dataset.name,
        spec=spec,
        fmt=check_format(fmt),
        reveal=reveal,
        rows_total=total,
    )
    record_event(
        member.organization_id,
        ReportEvent.EXPORT_REQUESTED,
        job,
        actor=member,
        dataset=dataset.name,
        fmt=fmt,
    )
    from beacon.reports.tasks import run_export

    enqueue_on_commit(run_export, job.pk)
    return job


def _claim(job_id: int) -> bool:
    # Compare-and-set: a job woken twice runs once.
    return bool(
        ExportJob.objects.filter(pk=job_id, state=ExportState.PENDING).update(
            state=ExportState.RUNNING
        )
    )


def _progress(job: ExportJob, rows: Any) -> Any:
    done = 0
    for chunk in chunked(rows, CHUNK):
        yield from chunk
        done += len(chunk)
        ExportJob.objects.filter(pk=job.pk).update(rows_done=done)


def do_run_export(job_id: int) -> str:
    """Write the file, mark the job done and email the requester a link; idempotent."""
    if not _claim(job_id):
        return "skipped"
    job = ExportJob.objects.select_related("organization", "requested_by__user").get(pk=job_id)
    dataset = DATASETS[job.dataset]
    path = export_path(job)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        total = row_count(dataset, job.organization, job.spec, job.reveal)
        ExportJob.objects.filter(pk=job.pk).update(rows_total=total)
        rows = dataset.rows(job.organization, job.spec, job.reveal)
        write_file(dataset, _progress(job, rows), job.fmt, path)
    except Exception as exc:
        path.unlink(missing_ok=True)
        ExportJob.objects.filter(pk=job.pk).update(
            state=ExportState.FAILED, error=str(exc)[:500], finished_at=clock.now()
        )
        record_event(job.organization_id, ReportEvent.EXPORT_FAILED, job, error=str(exc)[:200])
        raise
    with transaction.atomic():
        ExportJob.objects.filter(pk=job.pk).update(
            state=ExportState.DONE, rows_done=total, finished_at=clock.now()
        )
        record_event(job.organization_id, ReportEvent.EXPORT_FINISHED, job, rows=total)
        _email_ready(job, total)
    return "done"


def _email_ready(job: ExportJob, total: int) -> None:
    member = job.requested_by
    if member is None or not member.user.email:
        return
    url = f"{settings.BASE_URL}/exports/{job.pk}/"
    label = DATASETS[job.dataset].label
    do_queue_email(
        job.organization_id,
        to=member.user.email,
        subject=f"Your export is ready: {label} ({total:,} rows)",
        text=(
            f"The {label.lower()} export you asked for is ready ({total:,} rows, "
            f"{job.get_fmt_display()}).\n\nDownload it here (sign-in needed): {url}\n\n"
            f"The file is kept for {settings.BEACON_REPORT_KEEP_DAYS} days."
        ),
        cause=job,
        key=f"export-ready:{job.pk}",
    )


def export_job(org: Organization, job_id: int) -> ExportJob | None:
    return ExportJob.objects.for_org(org).filter(pk=job_id).first()


def delete_old_export_files(now: dt.datetime | None = None) -> int:
    """Files past the keeping period are removed; the job row stays as a record."""
    cutoff = (now or clock.now()) - dt.timedelta(days=settings.BEACON_REPORT_KEEP_DAYS)
    removed = 0
    for job in ExportJob.objects.filter(state=ExportState.DONE, finished_at__lt=cutoff):
        path = export_path(job)
        if path.exists():
            path.unlink()
            removed += 1
    return removed
