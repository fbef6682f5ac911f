"""An export's Python memory does not grow with its rows (issue 16: 1M rows in constant
memory). Measured with tracemalloc over the responses list, the widest dataset: the memory
held between streamed parts while exporting 20,000 rows must stay within a margin of that
for 4,000 (two chunks against ten).

Each part is sampled after a full garbage collection. Every chunk frees thousands of
tuples (rows of 13 values, answers of 7, pairs and triples), and CPython keeps up to 2,000
freed tuples per size in free lists, which tracemalloc counts as held. Only a full
collection empties them, and one runs every few chunks. Without the collection, the sample
caught the lists full (about 600 KB) or emptied, and the largest of ten samples caught them
full more often than the largest of two. That read as 460-660 KB of "growth" between these
sizes when nothing was kept (docs/performance.md, Exports). After the collection, what is
sampled is what the export still references. The margin (128 KB, 8 bytes a row over the
16,000 more rows) fails on anything kept per row: one float kept per row (32 bytes with its
list slot) failed it by 598 KB against 128 KB.
SQLite's and the allocator's memory outside Python is not seen here: docs/performance.md
measures the whole process's resident memory up to a million rows."""

from __future__ import annotations

import datetime as dt
import gc
import tracemalloc

import pytest

from beacon.contacts.models import Contact
from beacon.reports.datasets import CHUNK, DATASETS
from beacon.reports.exports import download
from beacon.responses.models import Answer, Response
from beacon.testing import World

pytestmark = pytest.mark.django_db

MARGIN = 128 * 1024


def _add_rows(world: World, start: int, count: int) -> None:
    """Responses with a score and a comment each, from one contact each (bulk: the rows
    are not what is measured)."""
    org = world.org
    at = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    contacts = Contact.objects.bulk_create(
        Contact(organization=org, external_id=f"m{k}", email=f"m{k}@example.com", name=f"M {k}")
        for k in range(start, start + count)
    )
    responses = Response.objects.bulk_create(
        Response(
            organization=org,
            survey=world.survey,
            contact=contact,
            idempotency_key=f"m{start + i}",
            responded_at=at + dt.timedelta(minutes=start + i),
            completed_at=at + dt.timedelta(minutes=start + i),
        )
        for i, contact in enumerate(contacts)
    )
    Answer.objects.bulk_create(
        answer
        for i, r in enumerate(responses)
        for answer in (
            Answer(organization=org, response=r, question=world.nps, number=(start + i) % 11),
            Answer(organization=org, response=r, question=world.comment, text=f"words {i}"),
        )
    )


def _held_while_exporting(world: World) -> tuple[int, int]:
    """(rows, the most Python memory held, above what was held before, between the parts
    the export streams). Sampled between parts rather than at the peak: the peak falls at
    a different moment inside a chunk from run to run and moves by hundreds of KB with
    nothing kept, while anything kept per row is still held between parts and grows.
    Collected first, so garbage the cyclic collector has not reached yet is not counted."""
    gc.collect()
    held_before = tracemalloc.get_traced_memory()[0]
    rows = held = 0
    for part in download(DATASETS["responses"], world.org, {}, True, "csv").streaming_content:  # type: ignore[attr-defined]
        rows += part.count(b"\n")
        gc.collect()
        held = max(held, tracemalloc.get_traced_memory()[0] - held_before)
    return rows - 1, held


def test_streaming_more_rows_takes_no_more_python_memory(world: World) -> None:
    _add_rows(world, 0, 2 * CHUNK)
    tracemalloc.start()
    try:
        _held_while_exporting(world)  # once first: Django's and the writers' one-time caches
        rows, small = _held_while_exporting(world)
        _add_rows(world, 2 * CHUNK, 8 * CHUNK)
        more_rows, large = _held_while_exporting(world)
    finally:
        tracemalloc.stop()
    assert (rows, more_rows) == (2 * CHUNK, 10 * CHUNK)
    assert large - small < MARGIN, f"{small:,} bytes for {rows:,} rows, {large:,} for {more_rows:,}"
