"""CSV imports: every row checked, valid rows kept, nothing duplicated, never half-written."""

from __future__ import annotations

import datetime as dt
import io
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection

from beacon.contacts.actions import InteractionIn
from beacon.contacts.imports import (
    QUEUED_AT_MOST,
    STALLED_AFTER,
    STOPPED,
    ImportAbandoned,
    do_fail_stalled_imports,
    do_finish_import,
    do_start_import,
    job_progress,
    run_import,
    run_job,
    upload_path,
)
from beacon.contacts.models import Contact, ImportJob, ImportState, Interaction
from beacon.contacts.tasks import fail_stalled_imports
from beacon.core import clock
from beacon.pipeline.actions import receive_interaction
from beacon.pipeline.imports import run_import_job
from beacon.surveys.models import Invitation
from beacon.testing import World

pytestmark = pytest.mark.django_db


def job_for(world: World, kind: str, data: bytes) -> ImportJob:
    job = do_start_import(world.org, kind, "upload.csv", len(data))
    return run_import_job(job, io.BytesIO(data))


def test_contacts_valid_rows_kept_bad_rows_reported(world: World) -> None:
    data = (
        b"external_id;email;name;persona;plan\n"
        b"c1;ann@example.com;Ann;Busy professional;gold\n"
        b"c2;not-an-email;Bob;;\n"
        b";x@example.com;No id;;\n"
        b"c3;cy@example.com;Cy;Nobody;\n"
        b"c1;ann2@example.com;Ann again;;\n"
        b"c4;dee@example.com\n"
        b"c5;eve@example.com;Eve;;basic\n"
    )
    job = job_for(world, "contacts", data)
    assert job.state == ImportState.DONE
    assert (job.rows_done, job.rows_imported, job.rows_failed) == (7, 2, 5)
    assert job.error_report.splitlines() == [
        "line,column,message",
        "3,email,'not-an-email' is not a valid email address",
        "4,external_id,is empty",
        "5,persona,unknown persona 'Nobody'",
        "6,external_id,repeats line 2; only that row is imported",
        "7,,has 2 values but the header has 5",
    ]
    ann = Contact.objects.get(external_id="c1")
    assert (ann.email, ann.name, ann.attributes) == ("ann@example.com", "Ann", {"plan": "gold"})
    assert ann.persona_id == world.persona.pk
    # The same file again changes nothing and duplicates nothing.
    again = job_for(world, "contacts", data)
    assert again.rows_imported == 2 and Contact.objects.count() == 2


def test_fatal_file_problems_import_nothing(world: World) -> None:
    missing = job_for(world, "contacts", b"id,email\nc1,a@example.com\n")
    assert missing.state == ImportState.FAILED
    assert missing.message.startswith("Nothing was imported: missing column external_id")
    late_bad_bytes = b"external_id,name\n" + b"c1,Ann\n" * 12000 + b"c2,\xff\xfe\n"
    broken = job_for(world, "contacts", late_bad_bytes)
    # Decoded as UTF-8 from the sample, then an invalid byte far down the file.
    assert broken.state == ImportState.FAILED and "not valid utf-8" in broken.message
    assert job_for(world, "contacts", b"").state == ImportState.FAILED
    assert Contact.objects.count() == 0


def test_cp1252_and_tab_separated_files_are_read(world: World) -> None:
    data = "external_id\tname\nc1\tJosé Müller\n".encode("cp1252")
    job = job_for(world, "contacts", data)
    assert job.rows_imported == 1 and "cp1252" in job.message
    assert Contact.objects.get().name == "José Müller"


def test_interactions_trigger_invitations_once(world: World) -> None:
    data = (
        "contact_id,email,touchpoint,team,staff,occurred_at,idempotency_key\n"
        f"c1,a@example.com,Phone support,Support,{world.agent.email},2026-01-05T10:00:00Z,t-1\n"
        "c2,b@example.com,Shop window,,,,t-2\n"
        "c3,c@example.com,phone support,,,yesterday,t-3\n"
        f"c4,d@example.com,{world.touchpoint.pk},,,,t-4\n"
    ).encode()
    job = job_for(world, "interactions", data)
    assert (job.rows_imported, job.rows_failed) == (2, 2)
    assert job.error_report.splitlines()[1:] == [
        "3,touchpoint,unknown touchpoint 'Shop window'",
        "4,occurred_at,'yesterday' is not a date-time like 2026-03-01T10:00:00Z",
    ]
    first = Interaction.objects.get(idempotency_key="csv:t-1")
    assert first.staff_id == world.agent.pk and first.team_id == world.team.pk
    assert Invitation.objects.count() == 2
    job_for(world, "interactions", data)
    assert Interaction.objects.count() == 2 and Invitation.objects.count() == 2


def test_large_file_is_streamed(world: World) -> None:
    rows = 20_000
    body = "external_id,email\n" + "".join(f"c{i},c{i}@example.com\n" for i in range(rows))
    seen: list[tuple[str, int, int]] = []
    outcome = run_import(
        world.org,
        "contacts",
        io.BytesIO(body.encode()),
        progress=lambda phase, done, total: seen.append((phase, done, total)),
        total_bytes=len(body),
    )
    assert outcome.imported == rows and outcome.failed == 0
    checking = [s for s in seen if s[0] == "checking"]
    writing = [s for s in seen if s[0] == "writing"]
    assert seen == checking + writing  # every check before any write
    assert len(checking) == len(writing) == rows // 2000 + 1
    assert checking[-1] == ("checking", len(body), len(body))
    assert writing[-1] == ("writing", len(body), len(body))
    assert [d for _, d, _ in writing] == sorted(d for _, d, _ in writing)
    assert Contact.objects.count() == rows


def test_cli_imports_with_progress_and_error_file(world: World, tmp_path: Path) -> None:
    source = tmp_path / "contacts.csv"
    source.write_text("external_id,email\nc1,a@example.com\nc2,broken\n", encoding="utf-8")
    errors = tmp_path / "errors.csv"
    out, err = io.StringIO(), io.StringIO()
    call_command(
        "import", "contacts", str(source), "--org", world.org.slug, "--errors", str(errors),
        stdout=out, stderr=err,
    )  # fmt: skip
    assert "1 rows imported, 1 refused" in out.getvalue()
    assert "checking [" in err.getvalue() and "writing  [" in err.getvalue()
    assert "100%" in err.getvalue()
    assert errors.read_text().splitlines()[1] == "3,email,'broken' is not a valid email address"
    with pytest.raises(CommandError, match="missing column external_id"):
        bad = tmp_path / "bad.csv"
        bad.write_text("a;b\n1;2\n")
        call_command("import", "contacts", str(bad), "--org", world.org.slug, stdout=out)


def _interactions(n: int) -> bytes:
    rows = "".join(f"c{i},c{i}@example.com,Phone support,t-{i}\n" for i in range(n))
    return f"contact_id,email,touchpoint,idempotency_key\n{rows}".encode()


def test_progress_of_the_write_pass_is_seen_outside_its_transaction(world: World) -> None:
    rows = "".join(f"c{i},c{i}@example.com\n" for i in range(4500))
    data = f"external_id,email\n{rows}".encode()
    job = do_start_import(world.org, "contacts", "people.csv", len(data))
    assert job_progress(job) is None  # queued: no worker has reported yet
    seen: list[tuple[str, int, str, int]] = []

    def watch(phase: str, done: int, total: int) -> None:
        # What the polling page reads while the rows are still being written.
        shown = job_progress(job)
        assert shown is not None
        state = ImportJob.objects.get(pk=job.pk).state
        seen.append((phase, shown.percent, state, Contact.objects.count()))

    job = run_import_job(job, io.BytesIO(data), progress=watch)
    assert job.state == ImportState.DONE and job.rows_imported == 4500
    writing = [s for s in seen if s[0] == "writing"]
    assert [s[0] for s in seen] == ["checking"] * 3 + ["writing"] * 3
    assert [p for _, p, _, _ in writing][-1] == 100 and 0 < writing[0][1] < 100
    assert {state for _, _, state, _ in seen} == {ImportState.RUNNING}
    # Written so far, in batches of 1000, as the import's own connection counts them.
    assert [n for _, _, _, n in writing] == [1000, 3000, 4500]
    assert job_progress(job) is None  # finished jobs keep no progress file


class _WorkerKilled(BaseException):
    """What a SIGKILL looks like from inside: the run stops mid-write, no handler runs."""


def test_worker_killed_mid_write_leaves_nothing_and_the_sweeper_fails_the_job(
    world: World,
) -> None:
    data = _interactions(50)
    job = do_start_import(world.org, "interactions", "calls.csv", len(data))
    upload = upload_path(job)
    upload.parent.mkdir(parents=True, exist_ok=True)
    upload.write_bytes(data)
    written = 0

    def write_then_die(item: InteractionIn) -> bool:
        nonlocal written
        if written == 30:
            raise _WorkerKilled
        written += 1
        return receive_interaction(world.org, item).created

    start = clock.now()
    with clock.frozen_at(start), pytest.raises(_WorkerKilled):
        run_job(job, io.BytesIO(data), write_interaction=write_then_die)
    # The 30 interactions and their invitations were never committed.
    assert written == 30
    assert Interaction.objects.count() == 0 and Invitation.objects.count() == 0
    job.refresh_from_db()
    assert job.state == ImportState.RUNNING
    last = job_progress(job)
    assert last is not None and last.phase == "checking" and last.at == start
    with clock.frozen_at(start + STALLED_AFTER - dt.timedelta(seconds=1)):
        assert fail_stalled_imports.call_local() == 0
    with clock.frozen_at(start + STALLED_AFTER + dt.timedelta(seconds=1)):
        assert fail_stalled_imports.call_local() == 1
        assert fail_stalled_imports.call_local() == 0  # once
    job.refresh_from_db()
    assert (job.state, job.message) == (ImportState.FAILED, STOPPED)
    assert job_progress(job) is None and not upload.exists()
    # A worker that was only slow cannot import under the failed job any more.
    assert run_job(job, io.BytesIO(data)).state == ImportState.FAILED
    with pytest.raises(ImportAbandoned):
        do_finish_import(job, None, "late")
    assert Interaction.objects.count() == 0


def test_a_job_never_started_waits_in_the_queue_before_it_is_given_up(world: World) -> None:
    start = clock.now()
    with clock.frozen_at(start):
        job = do_start_import(world.org, "contacts", "people.csv", 10)
    with clock.frozen_at(start + QUEUED_AT_MOST - dt.timedelta(minutes=1)):
        assert do_fail_stalled_imports() == 0
    with clock.frozen_at(start + QUEUED_AT_MOST + dt.timedelta(minutes=1)):
        assert do_fail_stalled_imports() == 1
    job.refresh_from_db()
    assert job.state == ImportState.FAILED


@pytest.mark.django_db(transaction=True)
def test_import_process_killed_mid_write_commits_nothing(world: World, tmp_path: Path) -> None:
    """A real `beacon import` process, killed with SIGKILL while it writes rows."""
    db = connection.settings_dict
    if connection.vendor != "postgresql":
        pytest.skip("SQLite's test database lives in this process's memory only")
    source = tmp_path / "people.csv"
    rows = "".join(f"k{i},k{i}@example.com,Name {i}\n" for i in range(300_000))
    source.write_text(f"external_id,email,name\n{rows}", encoding="utf-8")
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "beacon.settings.test",
        "BEACON_DATA_DIR": str(settings.DATA_DIR),
        "BEACON_TEST_DATABASE_URL": f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@"
        f"{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
    }
    beacon = Path(sys.executable).with_name("beacon")
    command = [str(beacon), "import", "contacts", str(source), "--org", world.org.slug]
    worker = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 120
        seen = None
        while time.monotonic() < deadline and worker.poll() is None:
            job = ImportJob.objects.order_by("-pk").first()
            seen = job_progress(job) if job is not None else None
            if seen is not None and seen.phase == "writing" and seen.done < seen.total:
                break
            time.sleep(0.02)
        assert seen is not None and seen.phase == "writing", worker.stderr
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=30)
    finally:
        if worker.poll() is None:
            worker.kill()
    assert worker.returncode == -signal.SIGKILL
    assert job is not None
    # Rows were written (progress says so) but never committed.
    assert seen.done > 0 and Contact.objects.count() == 0
    job.refresh_from_db()
    assert job.state == ImportState.RUNNING
    with clock.frozen_at(seen.at + STALLED_AFTER + dt.timedelta(seconds=1)):
        assert do_fail_stalled_imports() == 1
    job.refresh_from_db()
    assert (job.state, job.message) == (ImportState.FAILED, STOPPED)
    assert job_progress(job) is None
