"""Thin jobs of reports: write a large export, clear old files; safe to run twice."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from beacon.reports.actions import do_send_scheduled_packs
from beacon.reports.exports import delete_old_export_files, do_run_export
from beacon.reports.sync import do_sync_all


@db_task()
def run_export(job_id: int) -> str:
    return do_run_export(job_id)


@db_periodic_task(crontab(minute="17", hour="3"))
def clear_old_exports() -> int:
    return delete_old_export_files()


@db_periodic_task(crontab(minute="5"))
def send_scheduled_packs() -> int:
    return do_send_scheduled_packs()


@db_periodic_task(crontab(minute="35"))
def warehouse_sync() -> int:
    # Hourly, only where a directory is configured.
    if not settings.BEACON_SYNC_DIR:
        return 0
    return do_sync_all(Path(settings.BEACON_SYNC_DIR))
