"""Warehouse sync: the exports' datasets written to a directory, a run at a time.

Growing datasets (responses, verbatims) are written incrementally: each run writes one
file with the rows whose id is above the organisation's cursor, then moves the cursor
(compare-and-set, after the file is in place). Small datasets whose rows change (cases,
actions, contacts) are written whole each run, replacing the previous file. The files
have the export columns and types (docs/warehouse-sync.md); personal data is masked as
for the API. The API feed is GET /api/v1/exports/{dataset} with the same columns and a
cursor.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from beacon.orgs.events import record_event
from beacon.orgs.models import Organization
from beacon.reports.datasets import DATASETS, Row
from beacon.reports.events import ReportEvent
from beacon.reports.models import SyncCursor
from beacon.reports.writers import write_file

INCREMENTAL = ("responses", "verbatims")
SNAPSHOT = ("cases", "actions", "contacts")
SPECS: dict[str, dict[str, Any]] = {"cases": {"status": "all"}}


class _Tracked:
    """Rows passed through, remembering the last id (the first column)."""

    def __init__(self, rows: Iterator[Row]) -> None:
        self.rows = rows
        self.last = 0
        self.count = 0

    def __iter__(self) -> Iterator[Row]:
        for row in self.rows:
            self.last = row[0]
            self.count += 1
            yield row


def _place(tmp: Path, final: Path) -> None:
    # A warehouse loader never sees half a file: it appears under its name complete.
    os.replace(tmp, final)


def do_sync_org(org: Organization, directory: Path, fmt: str = "parquet") -> list[Path]:
    """One run for one organisation; returns the files written."""
    base = directory / org.slug
    written: list[Path] = []
    for name in INCREMENTAL:
        cursor, _ = SyncCursor.objects.get_or_create(organization=org, dataset=name)
        dataset = DATASETS[name]
        folder = base / name
        folder.mkdir(parents=True, exist_ok=True)
        tmp = folder / f".{name}.partial.{fmt}"
        rows = _Tracked(dataset.rows(org, SPECS.get(name, {}), False, after=cursor.last_id))
        write_file(dataset, rows, fmt, tmp)
        if not rows.count:
            tmp.unlink()
            continue
        final = folder / f"{name}-{cursor.last_id + 1:012d}-{rows.last:012d}.{fmt}"
        _place(tmp, final)
        moved = SyncCursor.objects.filter(pk=cursor.pk, last_id=cursor.last_id).update(
            last_id=rows.last
        )
        if not moved:  # another run got here first: its file covers these rows
            final.unlink()
            continue
        record_event(org, ReportEvent.SYNC_WRITTEN, cursor, file=final.name, rows=rows.count)
        written.append(final)
    for name in SNAPSHOT:
        folder = base / name
        folder.mkdir(parents=True, exist_ok=True)
        tmp = folder / f".{name}.partial.{fmt}"
        dataset = DATASETS[name]
        write_file(dataset, dataset.rows(org, SPECS.get(name, {}), False), fmt, tmp)
        final = folder / f"{name}.{fmt}"
        _place(tmp, final)
        written.append(final)
    return written


def do_sync_all(directory: Path, fmt: str = "parquet") -> int:
    files = 0
    for org in Organization.objects.order_by("pk"):
        files += len(do_sync_org(org, directory, fmt))
    return files
