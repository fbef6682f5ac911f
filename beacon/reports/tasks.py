"""Thin jobs of reports: write a large export, clear old files; safe to run twice."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from huey import crontab

from beacon.core.jobs import bulk_task, periodic_job
from beacon.reports.actions import do_send_scheduled_packs
from beacon.reports.exports import delete_old_export_files, do_run_export
from beacon.reports.sync import do_sync_all


@bulk_task()  # minutes for a large export: it must not hold up cases and emails
def run_export(job_id: int) -> None:
    do_run_export(job_id)


@periodic_job(crontab(minute="17", hour="3"))
def clear_old_exports() -> int:
    return delete_old_export_files()


@periodic_job(crontab(minute="5"))
def send_scheduled_packs() -> int:
    return do_send_scheduled_packs()


@periodic_job(crontab(minute="35"))
def warehouse_sync() -> int:
    # Hourly, only where a directory is configured.
    if not settings.BEACON_SYNC_DIR:
        return 0
    return do_sync_all(Path(settings.BEACON_SYNC_DIR))
