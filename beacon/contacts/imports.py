"""CSV imports of contacts and interactions: streamed, checked row by row, written once.

An import runs in two passes over the file. The first reads every row, checks it and
counts progress, writing nothing, so a file that cannot be read (wrong encoding, missing
columns) stops before anything is stored. The second writes the valid rows in one
transaction, and the job is marked done in that same transaction: an import whose worker
dies leaves nothing behind, and the sweeper marks its job failed once its progress has
gone quiet. Progress of both passes goes to a small file beside the upload, not to the
database: during the write pass, a row written in the import's transaction would be seen
by nobody until the end. Bad rows are reported with their line, column and reason; valid rows are
kept. Contacts are keyed by external id and interactions by idempotency key, so running
the same file twice duplicates nothing. Memory stays flat whatever the file size: rows
are streamed, and duplicates are found by an 8-byte hash per id.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import datetime as dt
import hashlib
import io
import json
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Protocol

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils.dateparse import parse_datetime

from beacon.contacts.actions import ContactIn, InteractionIn
from beacon.contacts.events import import_finished, import_stalled, import_started, rows_imported
from beacon.contacts.models import Contact, ImportJob, ImportKind, ImportState
from beacon.core import clock
from beacon.core.errors import ValidationFailed
from beacon.cxmodel.models import Persona, Touchpoint
from beacon.orgs.models import Membership, Organization, Team

SAMPLE_BYTES = 64 * 1024
MAX_REPORTED_ERRORS = 10_000
BATCH = 1000
PROGRESS_EVERY = 2000
# A running import reports progress every PROGRESS_EVERY rows, many times a minute; one
# silent this long has lost its worker. A job never started waits in the queue longer.
STALLED_AFTER = dt.timedelta(minutes=10)
QUEUED_AT_MOST = dt.timedelta(hours=6)
CHECKING, WRITING = "checking", "writing"

CONTACT_COLUMNS = ("external_id", "email", "name", "persona")
INTERACTION_COLUMNS = (
    "contact_id", "email", "name", "touchpoint", "team", "staff", "occurred_at",
    "idempotency_key", "description",
)  # fmt: skip
REQUIRED = {
    ImportKind.CONTACTS: ("external_id",),
    ImportKind.INTERACTIONS: ("contact_id",),
    ImportKind.OUTCOMES: ("kind",),
}


class ImportRefused(Exception):
    """The file as a whole cannot be imported; nothing was written."""


@dataclass
class RowError:
    line: int
    column: str
    message: str


@dataclass
class Outcome:
    rows: int = 0
    imported: int = 0
    errors: list[RowError] = field(default_factory=list)
    failed: int = 0
    encoding: str = "utf-8"
    delimiter: str = ","

    def error_csv(self) -> str:
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(["line", "column", "message"])
        for e in self.errors:
            writer.writerow([e.line, e.column, e.message])
        if self.failed > len(self.errors):
            writer.writerow(["", "", f"... and {self.failed - len(self.errors)} more rows"])
        return out.getvalue()


# ---------------------------------------------------------------- reading


def _encoding_of(sample: bytes) -> str:
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    try:
        # A multi-byte character may be cut at the end of the sample: ignore that tail.
        codecs.getincrementaldecoder("utf-8")().decode(sample, final=False)
    except UnicodeDecodeError:
        # Spreadsheets on Windows save "CSV" as cp1252; every byte decodes in it but 5.
        return "cp1252"
    return "utf-8"


def _delimiter_of(sample: str) -> str:
    first = sample.splitlines()[0] if sample else ""
    counts = {d: first.count(d) for d in (",", ";", "\t", "|")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def read_rows(
    stream: IO[bytes], kind: str
) -> tuple[Iterator[tuple[int, dict[str, str]]], Outcome, list[str]]:
    """Rows as (line, {column: value}) with lower-cased headers; refuses unusable files."""
    sample = stream.read(SAMPLE_BYTES)
    if not sample.strip():
        raise ImportRefused("the file is empty")
    stream.seek(0)
    encoding = _encoding_of(sample)
    text = io.TextIOWrapper(stream, encoding=encoding, errors="strict", newline="")
    delimiter = _delimiter_of(sample.decode(encoding, errors="ignore"))
    reader = csv.reader(text, delimiter=delimiter)
    try:
        header = [h.strip().lower() for h in next(reader)]
    except (UnicodeDecodeError, csv.Error) as exc:
        text.detach()
        raise ImportRefused(f"the first line cannot be read: {exc}") from None
    except StopIteration:
        text.detach()
        raise ImportRefused("the file is empty") from None
    missing = [c for c in REQUIRED[ImportKind(kind)] if c not in header]
    if missing:
        text.detach()
        raise ImportRefused(
            f"missing column {', '.join(missing)}; the first line has "
            f"{', '.join(repr(h) for h in header[:10])} (columns are separated by "
            f"{delimiter!r}; save the file as CSV with a header line)"
        )
    dupes = sorted({h for h in header if header.count(h) > 1})
    if dupes:
        text.detach()
        raise ImportRefused(f"column {', '.join(dupes)} appears more than once")

    def rows() -> Iterator[tuple[int, dict[str, str]]]:
        try:
            for values in reader:
                if not any(v.strip() for v in values):
                    continue
                if len(values) != len(header):
                    yield reader.line_num, {"__width__": str(len(values))}
                    continue
                yield reader.line_num, dict(zip(header, (v.strip() for v in values), strict=True))
        except UnicodeDecodeError as exc:
            raise ImportRefused(
                f"line {reader.line_num + 1} is not valid {encoding} text ({exc.reason}); "
                "save the file as CSV UTF-8"
            ) from None
        except csv.Error as exc:
            raise ImportRefused(f"line {reader.line_num}: {exc}") from None
        finally:
            # The caller owns the file and reads it again: the wrapper must not close it.
            text.detach()

    return rows(), Outcome(encoding=encoding, delimiter=delimiter), header


# ---------------------------------------------------------------- checking rows


class _Refs:
    """Names and ids of the organisation's touchpoints, teams, staff and personas."""

    def __init__(self, org: Organization) -> None:
        self.touchpoints = _index(Touchpoint.objects.for_org(org).values_list("pk", "name"))
        self.teams = _index(Team.objects.for_org(org).values_list("pk", "name"))
        self.personas = _index(Persona.objects.for_org(org).values_list("pk", "name"))
        self.staff = {
            str(email).lower(): pk
            for pk, email in Membership.objects.for_org(org).values_list("pk", "user__email")
        }


def _index(rows: Any) -> dict[str, int]:
    out: dict[str, int] = {}
    for pk, name in rows:
        out[str(pk)] = pk
        out.setdefault(str(name).strip().lower(), pk)
    return out


def _short(value: str) -> str:
    return value if len(value) <= 40 else value[:37] + "..."


def _digest(value: str) -> bytes:
    return hashlib.blake2b(value.encode(), digest_size=8).digest()


def _email_error(email: str) -> str:
    if not email:
        return ""
    try:
        validate_email(email)
    except ValidationError:
        return f"{_short(email)!r} is not a valid email address"
    return ""


@dataclass
class ContactRow:
    data: ContactIn
    persona_id: int | None


def check_contact_row(row: dict[str, str], refs: _Refs) -> tuple[ContactRow | None, dict[str, str]]:
    errors: dict[str, str] = {}
    ext = row.get("external_id", "")
    if not ext:
        errors["external_id"] = "is empty"
    elif len(ext) > 200:
        errors["external_id"] = "is longer than 200 characters"
    email = row.get("email", "").lower()
    if problem := _email_error(email):
        errors["email"] = problem
    if len(row.get("name", "")) > 200:
        errors["name"] = "is longer than 200 characters"
    persona_id = None
    if row.get("persona"):
        persona_id = refs.personas.get(row["persona"].lower())
        if persona_id is None:
            errors["persona"] = f"unknown persona {_short(row['persona'])!r}"
    if errors:
        return None, errors
    attributes = {k: v for k, v in row.items() if k not in CONTACT_COLUMNS and v}
    data = ContactIn(external_id=ext, email=email, name=row.get("name", ""), attributes=attributes)
    return ContactRow(data, persona_id), {}


def check_interaction_row(
    row: dict[str, str], refs: _Refs, org: Organization
) -> tuple[InteractionIn | None, dict[str, str]]:
    errors: dict[str, str] = {}
    ext = row.get("contact_id", "")
    if not ext:
        errors["contact_id"] = "is empty"
    elif len(ext) > 200:
        errors["contact_id"] = "is longer than 200 characters"
    email = row.get("email", "").lower()
    if problem := _email_error(email):
        errors["email"] = problem
    found: dict[str, int | None] = {}
    for column, index in (("touchpoint", refs.touchpoints), ("team", refs.teams),
                          ("staff", refs.staff)):  # fmt: skip
        value = row.get(column, "")
        found[column] = index.get(value.lower()) if value else None
        if value and found[column] is None:
            errors[column] = f"unknown {column} {_short(value)!r}"
    occurred_at: dt.datetime | None = None
    if row.get("occurred_at"):
        occurred_at = parse_datetime(row["occurred_at"])
        if occurred_at is None:
            errors["occurred_at"] = (
                f"{_short(row['occurred_at'])!r} is not a date-time like 2026-03-01T10:00:00Z"
            )
        elif occurred_at.tzinfo is None:
            occurred_at = occurred_at.replace(tzinfo=dt.UTC)
    key = row.get("idempotency_key", "")
    if len(key) > 190:
        errors["idempotency_key"] = "is longer than 190 characters"
    if errors:
        return None, errors
    if not key:
        # Without a key, the same row imported twice is the same interaction.
        key = hashlib.sha256(repr(sorted(row.items())).encode()).hexdigest()[:40]
    data = InteractionIn(
        contact=ContactIn(external_id=ext, email=email, name=row.get("name", "")),
        idempotency_key=f"csv:{key}",
        occurred_at=occurred_at,
        touchpoint=Touchpoint(pk=found["touchpoint"], organization=org)
        if found["touchpoint"]
        else None,
        team=Team(pk=found["team"], organization=org) if found["team"] else None,
        staff=Membership(pk=found["staff"], organization=org) if found["staff"] else None,
        description=row.get("description", ""),
        attributes={k: v for k, v in row.items() if k not in INTERACTION_COLUMNS and v},
    )
    return data, {}


class RowWriter(Protocol):
    """Rows of a kind a higher app owns (outcomes): it checks and writes, this reads.

    `check` returns the checked item and the column errors of one row; `write` stores
    checked items (numbered by line) inside the import's transaction and returns how
    many rows it stored.
    """

    id_column: str

    def restart(self) -> None:
        """Called before each pass: what the writer learnt from earlier rows starts again."""

    def check(self, row: dict[str, str]) -> tuple[Any, dict[str, str]]: ...

    def key(self, item: Any) -> str: ...

    def write(self, items: list[tuple[int, Any]]) -> int: ...


# ---------------------------------------------------------------- running


Progress = Callable[[str, int, int], None]  # (phase, bytes read, total bytes)


class ImportAbandoned(Exception):
    """The job was given up (marked failed) while it ran; its writes are rolled back."""


def _position(stream: IO[bytes]) -> int:
    try:
        return stream.tell()
    except (OSError, ValueError):
        return 0


def run_import(
    org: Organization,
    kind: str,
    stream: IO[bytes],
    *,
    write_interaction: Callable[[InteractionIn], bool] | None = None,
    writer: RowWriter | None = None,
    progress: Progress | None = None,
    total_bytes: int = 0,
    actor: Membership | None = None,
    before_commit: Callable[[Outcome], object] | None = None,
) -> Outcome:
    """Check every row, then write the valid ones in one transaction.

    Interactions are written by `write_interaction` (the pipeline's
    `receive_interaction`, so imported interactions trigger surveys like any other);
    this app sits below the pipeline and cannot call it itself. `before_commit` runs
    last inside the transaction: raising there undoes the whole import.
    """
    if kind == ImportKind.INTERACTIONS and write_interaction is None:
        raise ValueError("an interaction import needs write_interaction")
    if kind == ImportKind.OUTCOMES and writer is None:
        raise ValueError("an outcome import needs its writer")
    refs = _Refs(org)
    outcome = _check_pass(org, kind, stream, refs, progress, total_bytes, writer)
    stream.seek(0)
    rows, _, _ = read_rows(stream, kind)
    seen: set[bytes] = set()
    written = 0
    if writer is not None:
        writer.restart()
    with transaction.atomic():
        batch: list[ContactRow] = []
        items: list[tuple[int, Any]] = []
        for line, row in rows:
            written += 1
            if progress is not None and written % PROGRESS_EVERY == 0:
                progress(WRITING, _position(stream), total_bytes)
            if writer is not None:
                item, _ = writer.check(row)
                if item is None or _digest(writer.key(item)) in seen:
                    continue
                seen.add(_digest(writer.key(item)))
                items.append((line, item))
                if len(items) >= BATCH:
                    outcome.imported += writer.write(items)
                    items = []
            elif kind == ImportKind.CONTACTS:
                contact, _ = check_contact_row(row, refs)
                if contact is None or _digest(contact.data.external_id) in seen:
                    continue
                seen.add(_digest(contact.data.external_id))
                batch.append(contact)
                if len(batch) >= BATCH:
                    outcome.imported += _write_contacts(org, batch)
                    batch = []
            else:
                interaction, _ = check_interaction_row(row, refs, org)
                if interaction is None or _digest(interaction.idempotency_key) in seen:
                    continue
                seen.add(_digest(interaction.idempotency_key))
                assert write_interaction is not None
                try:
                    with transaction.atomic():
                        outcome.imported += write_interaction(interaction)
                except ValidationFailed as exc:
                    outcome.failed += 1
                    for column, message in exc.errors.items():
                        outcome.errors.append(RowError(line, column, message))
        if batch:
            outcome.imported += _write_contacts(org, batch)
        if items and writer is not None:
            outcome.imported += writer.write(items)
        rows_imported(org, ImportKind(kind), actor=actor, rows=outcome.imported)
        if progress is not None:
            progress(WRITING, total_bytes, total_bytes)
        if before_commit is not None:
            before_commit(outcome)
    return outcome


def _check_pass(
    org: Organization,
    kind: str,
    stream: IO[bytes],
    refs: _Refs,
    progress: Progress | None,
    total_bytes: int,
    writer: RowWriter | None = None,
) -> Outcome:
    rows, outcome, header = read_rows(stream, kind)
    seen: dict[bytes, int] = {}
    id_column = "external_id" if kind == ImportKind.CONTACTS else "idempotency_key"
    if writer is not None:
        id_column = writer.id_column
        writer.restart()
    for line, row in rows:
        outcome.rows += 1
        if "__width__" in row:
            errors = {"": f"has {row['__width__']} values but the header has {len(header)}"}
        elif writer is not None:
            errors = writer.check(row)[1]
        elif kind == ImportKind.CONTACTS:
            errors = check_contact_row(row, refs)[1]
        else:
            errors = check_interaction_row(row, refs, org)[1]
        if not errors and row.get(id_column):
            digest = _digest(row[id_column])
            if digest in seen:
                errors = {id_column: f"repeats line {seen[digest]}; only that row is imported"}
            else:
                seen[digest] = line
        if errors:
            outcome.failed += 1
            for column, message in errors.items():
                if len(outcome.errors) < MAX_REPORTED_ERRORS:
                    outcome.errors.append(RowError(line, column, message))
        if progress is not None and outcome.rows % PROGRESS_EVERY == 0:
            progress(CHECKING, _position(stream), total_bytes)
    if progress is not None:
        progress(CHECKING, total_bytes, total_bytes)
    return outcome


def _write_contacts(org: Organization, batch: list[ContactRow]) -> int:
    """Upsert: a new contact is created; an existing one changes only the given fields."""
    ids = [c.data.external_id for c in batch]
    existing = {c.external_id: c for c in Contact.objects.for_org(org).filter(external_id__in=ids)}
    fresh: list[Contact] = []
    changed: list[Contact] = []
    for row in batch:
        d = row.data
        contact = existing.get(d.external_id)
        if contact is None:
            fresh.append(
                Contact(
                    organization=org,
                    external_id=d.external_id,
                    email=d.email,
                    name=d.name,
                    attributes=d.attributes,
                    persona_id=row.persona_id,
                )
            )
            continue
        contact.email = d.email or contact.email
        contact.name = d.name or contact.name
        contact.attributes = {**(contact.attributes or {}), **d.attributes}
        contact.persona_id = row.persona_id or contact.persona_id
        changed.append(contact)
    Contact.objects.bulk_create(fresh, batch_size=BATCH)
    Contact.objects.bulk_update(
        changed, ["email", "name", "attributes", "persona"], batch_size=BATCH
    )
    return len(fresh) + len(changed)


# ---------------------------------------------------------------- jobs


@transaction.atomic
def do_start_import(
    org: Organization, kind: str, filename: str, size: int, *, actor: Membership | None = None
) -> ImportJob:
    if kind not in ImportKind.values:
        raise ValidationFailed({"kind": f"must be one of {', '.join(ImportKind.values)}"})
    job = ImportJob.objects.create(
        organization=org, kind=kind, filename=filename[:300], bytes_total=size
    )
    import_started(org, job, actor=actor, kind=kind)
    return job


def upload_path(job: ImportJob) -> Path:
    """Where the uploaded file waits for the worker; removed when the job ends."""
    return Path(settings.DATA_DIR) / "imports" / f"{job.pk}.csv"


def _progress_path(job: ImportJob) -> Path:
    return Path(settings.DATA_DIR) / "imports" / f"{job.pk}.progress.json"


@dataclass(frozen=True)
class JobProgress:
    phase: str  # "checking" or "writing"
    done: int
    total: int
    at: dt.datetime

    @property
    def percent(self) -> int:
        return min(100, int(100 * self.done / self.total)) if self.total else 0


def do_record_progress(job: ImportJob, phase: str, done: int, total: int) -> None:
    """Progress, and a sign of life for the sweeper; replaced whole, never half-written."""
    path = _progress_path(job)
    path.parent.mkdir(parents=True, exist_ok=True)
    data = {"phase": phase, "done": min(done, total), "total": total,
            "at": clock.now().isoformat()}  # fmt: skip
    partial = path.with_suffix(".tmp")
    partial.write_text(json.dumps(data), encoding="utf-8")
    os.replace(partial, path)


def job_progress(job: ImportJob) -> JobProgress | None:
    """The running job's last report, or None before its worker has started."""
    try:
        data = json.loads(_progress_path(job).read_text(encoding="utf-8"))
        return JobProgress(
            phase=str(data["phase"]),
            done=int(data["done"]),
            total=int(data["total"]),
            at=dt.datetime.fromisoformat(data["at"]),
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _clean_up(job: ImportJob) -> None:
    for path in (_progress_path(job), upload_path(job)):
        path.unlink(missing_ok=True)


def _finished(job: ImportJob, outcome: Outcome | None, refused: str) -> dict[str, Any]:
    if outcome is None:
        return {"state": ImportState.FAILED, "message": f"Nothing was imported: {refused}"}
    return {
        "state": ImportState.DONE,
        "rows_done": outcome.rows,
        "rows_imported": outcome.imported,
        "rows_failed": outcome.failed,
        "error_report": outcome.error_csv(),
        "message": f"{outcome.imported} rows imported, {outcome.failed} refused "
        f"(read as {outcome.encoding}, separated by {outcome.delimiter!r}).",
    }


def do_finish_import(job: ImportJob, outcome: Outcome | None, refused: str = "") -> ImportJob:
    """Done or failed, once: a job the sweeper gave up on stays failed (`ImportAbandoned`)."""
    fields = {**_finished(job, outcome, refused), "finished_at": clock.now(),
              "bytes_done": job.bytes_total}  # fmt: skip
    ended = ImportJob.objects.filter(pk=job.pk, state=ImportState.RUNNING).update(**fields)
    if not ended:
        raise ImportAbandoned(f"import {job.pk} was already marked as stopped")
    job.refresh_from_db()
    import_finished(job.organization_id, job, state=job.state)
    return job


def run_job(
    job: ImportJob,
    stream: IO[bytes],
    *,
    write_interaction: Callable[[InteractionIn], bool] | None = None,
    writer: RowWriter | None = None,
    progress: Progress | None = None,
) -> ImportJob:
    """Run an import for a job row, keeping its progress up to date for the page.

    The job is marked done inside the import's transaction: if the sweeper has given it
    up meanwhile, the rows are rolled back rather than imported under a failed job.
    """

    def report(phase: str, done: int, total: int) -> None:
        do_record_progress(job, phase, done, total)
        if progress is not None:
            progress(phase, done, total)

    if job.state != ImportState.RUNNING:
        return job
    try:
        run_import(
            job.organization,
            job.kind,
            stream,
            write_interaction=write_interaction,
            writer=writer,
            progress=report,
            total_bytes=job.bytes_total,
            before_commit=lambda outcome: do_finish_import(job, outcome),
        )
    except ImportRefused as exc:
        # Given up while it read the file, the job stays failed.
        with contextlib.suppress(ImportAbandoned):
            do_finish_import(job, None, str(exc))
    except ImportAbandoned:
        pass  # the transaction was rolled back: nothing of it was written
    # Ended either way; a run that raised keeps its file, so the sweeper sees it stall.
    _progress_path(job).unlink(missing_ok=True)
    job.refresh_from_db()
    return job


STOPPED = (
    "The import stopped before it finished (its worker was stopped or crashed); "
    "nothing was imported. Please upload the file again."
)


def do_fail_stalled_imports() -> int:
    """The sweeper: running jobs whose progress went quiet are marked failed.

    Their writes were never committed, so there is nothing to undo. A job that never
    started waits in the queue for up to QUEUED_AT_MOST before it is given up.
    """
    now = clock.now()
    failed = 0
    for job in ImportJob.objects.filter(state=ImportState.RUNNING).order_by("pk"):
        seen = job_progress(job)
        quiet_since, limit = (seen.at, STALLED_AFTER) if seen else (job.created_at, QUEUED_AT_MOST)
        if quiet_since > now - limit:
            continue
        with transaction.atomic():
            if ImportJob.objects.filter(pk=job.pk, state=ImportState.RUNNING).update(
                state=ImportState.FAILED, message=STOPPED, finished_at=now
            ):
                import_stalled(job.organization_id, job)
                failed += 1
        _clean_up(job)
    return failed
