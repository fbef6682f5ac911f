"""Warehouse sync: each run writes only new responses, current cases in full, per org."""

from __future__ import annotations

import csv
from pathlib import Path

import pyarrow.parquet as pq
from django.core.management import call_command

from beacon.reports.models import SyncCursor
from beacon.testing import World
from beacon.web.tests.helpers import answer, open_case


def _ids(path: Path, column: str) -> list[int]:
    return [int(v) for v in pq.read_table(path).column(column).to_pylist()]


def test_runs_write_only_new_rows_and_move_the_cursor(
    world: World, other_world: World, tmp_path: Path
) -> None:
    first = [answer(world, nps=n, text=f"First {n}") for n in range(3)]
    theirs = answer(other_world, nps=5, text="Theirs")
    call_command("sync", dir=str(tmp_path))
    ours = tmp_path / world.org.slug / "responses"
    [file1] = sorted(ours.glob("*.parquet"))
    assert _ids(file1, "response_id") == [r.pk for r in first]
    # The other organisation's rows are in its own folder only.
    [their_file] = (tmp_path / other_world.org.slug / "responses").glob("*.parquet")
    assert _ids(their_file, "response_id") == [theirs.pk]
    # Masked as for the API.
    assert set(pq.read_table(file1).column("contact_email").to_pylist()) == {""}

    call_command("sync", dir=str(tmp_path))  # nothing new: no new file
    assert sorted(ours.glob("*.parquet")) == [file1]

    later = [answer(world, nps=9, text="Later")]
    case = open_case(world, text="Broken")
    call_command("sync", dir=str(tmp_path), org=world.org.slug)
    files = sorted(ours.glob("*.parquet"))
    assert len(files) == 2
    assert _ids(files[1], "response_id") == [later[0].pk, case.response_id]
    cursor = SyncCursor.objects.get(organization=world.org, dataset="responses")
    assert cursor.last_id == case.response_id
    # Cases are small and change: written whole, replacing the last file.
    cases = tmp_path / world.org.slug / "cases" / "cases.parquet"
    assert _ids(cases, "case_id") == [case.pk]
    assert not list((tmp_path / world.org.slug).rglob(".*partial*"))


def test_csv_format_has_the_same_columns(world: World, tmp_path: Path) -> None:
    answer(world, nps=7, text="=1+1")
    call_command("sync", dir=str(tmp_path), format="csv")
    [file] = (tmp_path / world.org.slug / "verbatims").glob("*.csv")
    with file.open(encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle))
    assert [r["comment"] for r in rows] == ["'=1+1"]
