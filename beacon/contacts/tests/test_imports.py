"""CSV imports: every row checked, valid rows kept, nothing duplicated, never half-written."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from beacon.contacts.imports import do_start_import, run_import
from beacon.contacts.models import Contact, ImportJob, ImportState, Interaction
from beacon.pipeline.imports import run_import_job
from beacon.surveys.models import Invitation
from conftest import World

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
    seen: list[tuple[int, int]] = []
    outcome = run_import(
        world.org,
        "contacts",
        io.BytesIO(body.encode()),
        progress=lambda done, total: seen.append((done, total)),
        total_bytes=len(body),
    )
    assert outcome.imported == rows and outcome.failed == 0
    assert len(seen) == rows // 2000 + 1 and seen[-1] == (len(body), len(body))
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
    assert "checking [" in err.getvalue() and "100%" in err.getvalue()
    assert errors.read_text().splitlines()[1] == "3,email,'broken' is not a valid email address"
    with pytest.raises(CommandError, match="missing column external_id"):
        bad = tmp_path / "bad.csv"
        bad.write_text("a;b\n1;2\n")
        call_command("import", "contacts", str(bad), "--org", world.org.slug, stdout=out)
