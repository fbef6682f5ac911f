"""Redacting free text, for erasure (one contact's) and retention (older than a cutoff).

Both go through `redact_free_text(scope, marker)`: one list of every domain's free-text
columns (`TARGETS`), so erasure and retention cannot disagree about what is personal.
Text is replaced by a marker, never emptied: a comment stays a comment (counts of
comments, sentiment and themes are kept), only its words are gone. Scores, rollups,
sentiment and theme mentions are not free text and stay as they are, so every metric is
the same before and after.

Each batch is a conditional UPDATE (only rows whose text is not already the marker), so
two runs at once, or a run after a crash, redact each row once and never fight.

Logs of what integrations sent (a webhook's deliveries, an import's refused rows) quote
values from the payload or file without a key to the contact they are about: erasure takes
the entries that quote one of the contact's identifiers (name, email, external id),
retention every entry older than the cutoff. An import's error report keeps its line and
column for each refused row, so it still says which rows failed; only the messages go.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass, field
from functools import reduce
from operator import or_
from typing import Any

from django.db import models
from django.db.models import Q

from beacon.contacts.models import ImportJob, Interaction, WebhookDelivery
from beacon.insights.models import AnswerInsight, Praise
from beacon.loop.models import (
    Case,
    CaseEvent,
    CustomerUpdate,
    Recognition,
    WallPost,
    WallPostStatus,
    WinBackCall,
)
from beacon.notifications.models import OutboxMessage, OutboxState
from beacon.outcomes.models import Outcome
from beacon.responses.models import Answer

BATCH = 500

# Messages not sent yet are withheld, not sent with their words gone.
UNSENT = (OutboxState.PENDING, OutboxState.FAILED)


@dataclass(frozen=True)
class TextScope:
    """Whose text: one contact's (erasure), or everything older than `before` (retention)."""

    org_id: int
    contact_id: int | None = None
    before: dt.datetime | None = None
    # Erasure only: the contact's email, to find messages addressed to them.
    email: str = ""
    # Erasure only: the contact's identifiers (name, email, external id), to find log
    # entries that quote them.
    personal: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if (self.contact_id is None) == (self.before is None):
            raise ValueError("a scope is either one contact or a cutoff time")


@dataclass(frozen=True)
class Target:
    """A model's free-text columns and how its rows reach a contact and a time."""

    model: type[models.Model]
    fields: tuple[str, ...]
    contact_path: str
    time_field: str
    # Set on every redacted row too (e.g. a wall post leaves the public wall).
    also: dict[str, Any] = field(default_factory=dict)
    # A log of what was sent: erasure also takes rows quoting the contact's identifiers.
    quoted: bool = False

    def rows(self, scope: TextScope) -> Any:
        qs = self.model.objects.filter(organization_id=scope.org_id)  # type: ignore[attr-defined]
        if scope.contact_id is not None:
            about = Q(**{self.contact_path: scope.contact_id})
            return qs.filter(about | quoting(self.fields, scope.personal) if self.quoted else about)
        return qs.filter(**{f"{self.time_field}__lt": scope.before})


def quoting(fields: tuple[str, ...], personal: tuple[str, ...]) -> Q:
    """Rows whose text holds one of `personal` (any case); none when there is nothing to
    look for. A short identifier may take a few entries that only look alike: a log entry
    lost is the lesser harm."""
    return reduce(
        or_, (Q(**{f"{f}__icontains": p}) for f in fields for p in personal if p), Q(pk__in=[])
    )


TARGETS: tuple[Target, ...] = (
    Target(Answer, ("text",), "response__contact_id", "response__responded_at"),
    Target(AnswerInsight, ("redacted_text",), "response__contact_id", "response__responded_at"),
    Target(Praise, ("excerpt",), "response__contact_id", "response__responded_at"),
    Target(Recognition, ("text",), "response__contact_id", "response__responded_at"),
    Target(
        WallPost,
        ("text", "public_reply"),
        "response__contact_id",
        "response__responded_at",
        also={"status": WallPostStatus.REJECTED},
    ),
    Target(Interaction, ("description",), "contact_id", "occurred_at"),
    Target(Case, ("resolution",), "response__contact_id", "created_at"),
    Target(CaseEvent, ("body",), "case__response__contact_id", "created_at"),
    Target(CustomerUpdate, ("subject", "body"), "contact_id", "created_at"),
    Target(WinBackCall, ("note", "outcome"), "contact_id", "created_at"),
    # Why a subscription ended, in the customer's or the agent's words.
    Target(Outcome, ("reason",), "contact_id", "occurred_at"),
    # A refused body's detail quotes the field's value ("no member with email '...'").
    Target(WebhookDelivery, ("detail",), "interaction__contact_id", "created_at", quoted=True),
)


def _not_marked(fields: tuple[str, ...], marker: str) -> Q:
    """Rows with at least one column still holding text (not empty, not the marker)."""
    return reduce(or_, (~Q(**{f: ""}) & ~Q(**{f: marker}) for f in fields))


def _redact_rows(qs: Any, fields: tuple[str, ...], marker: str, also: dict[str, Any]) -> int:
    pending = qs.filter(_not_marked(fields, marker))
    done = 0
    while ids := list(pending.values_list("pk", flat=True)[:BATCH]):
        for f in fields:
            # Conditional per column: an empty column stays empty, a marked one is skipped.
            qs.model.objects.filter(pk__in=ids).exclude(**{f: ""}).exclude(**{f: marker}).update(
                **{f: marker}
            )
        if also:
            qs.model.objects.filter(pk__in=ids).update(**also)
        done += len(ids)
    return done


def _outbox_rows(scope: TextScope) -> Any:
    """Messages about the scope: addressed to the contact, or caused by their cases and
    the updates sent to them (the owner's email quotes the comment); by age for retention."""
    qs = OutboxMessage.objects.filter(organization_id=scope.org_id)
    if scope.contact_id is None:
        return qs.filter(created_at__lt=scope.before).exclude(state__in=UNSENT)
    causes = Q(
        cause_type="loop.case",
        cause_id__in=Case.objects.filter(response__contact_id=scope.contact_id).values("pk"),
    )
    causes |= Q(
        cause_type="loop.caseevent",
        cause_id__in=CaseEvent.objects.filter(case__response__contact_id=scope.contact_id).values(
            "pk"
        ),
    )
    causes |= Q(
        cause_type="loop.customerupdate",
        cause_id__in=CustomerUpdate.objects.filter(contact_id=scope.contact_id).values("pk"),
    )
    if scope.email:
        causes |= Q(recipient__iexact=scope.email)
    return qs.filter(causes)


def _redact_outbox(scope: TextScope, marker: str) -> int:
    rows = _outbox_rows(scope)
    # Not sent yet: withheld first (a conditional UPDATE, so a sender that claimed the row
    # meanwhile keeps it and the next run redacts it once sent).
    rows.filter(state__in=UNSENT).update(
        state=OutboxState.WITHHELD, last_error=f"withheld: {marker}"
    )
    done = _redact_rows(
        rows.exclude(state=OutboxState.SENDING), ("subject", "body_text", "body_html"), marker, {}
    )
    if scope.contact_id is not None:
        rows.exclude(state=OutboxState.SENDING).exclude(recipient="").filter(
            recipient__iexact=scope.email
        ).update(recipient=marker)
    return done


def redacted_report(report: str, marker: str, personal: tuple[str, ...]) -> str:
    """An import's error report (CSV: line, column, message) with the messages of the
    lines quoting one of `personal` made `marker`; every line's when `personal` is empty
    (retention). The closing "... and N more rows" (no line number) is Beacon's own."""
    rows = list(csv.reader(io.StringIO(report)))
    if not rows:
        return report
    lines = {
        r[0]
        for r in rows[1:]
        if r and r[0] and (not personal or any(p.lower() in ",".join(r).lower() for p in personal))
    }
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(rows[0])
    for r in rows[1:]:
        writer.writerow([*r[:2], marker, *r[3:]] if r and r[0] in lines else r)
    return out.getvalue()


def _redact_import_reports(scope: TextScope, marker: str) -> int:
    jobs = ImportJob.objects.filter(organization_id=scope.org_id).exclude(error_report="")
    personal = tuple(p for p in scope.personal if p) if scope.contact_id is not None else ()
    if scope.contact_id is not None:
        if not personal:
            return 0
        jobs = jobs.filter(quoting(("error_report",), personal))
    else:
        jobs = jobs.filter(created_at__lt=scope.before)
    done = 0
    # Few imports per organisation, each report at most MAX_REPORTED_ERRORS lines.
    for pk, report in jobs.values_list("pk", "error_report").iterator():
        new = redacted_report(report, marker, personal)
        # Conditional on the report read, so a second run at once changes it once.
        if new != report:
            done += ImportJob.objects.filter(pk=pk, error_report=report).update(error_report=new)
    return done


def redact_free_text(scope: TextScope, marker: str) -> dict[str, int]:
    """Replace every free-text column in scope by `marker`; rows changed per model."""
    counts = {
        t.model._meta.label_lower: _redact_rows(t.rows(scope), t.fields, marker, t.also)
        for t in TARGETS
    }
    counts["notifications.outboxmessage"] = _redact_outbox(scope, marker)
    counts["contacts.importjob"] = _redact_import_reports(scope, marker)
    return counts
