"""Lost customers: a churn or cancellation event becomes a leader's call task."""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils.dateparse import parse_datetime

from beacon.contacts.models import Contact
from beacon.core import clock
from beacon.core.errors import Conflict, ValidationFailed
from beacon.loop.events import lost_reason_created, winback_called, winback_created
from beacon.loop.models import LostReason, WinBackCall, WinBackStatus
from beacon.notifications.actions import do_queue_email
from beacon.orgs.models import Membership, Organization
from beacon.orgs.queries import manager_of, org_owner
from beacon.responses.models import Response

EVENT_KINDS = ("churn", "cancellation")
# A leader calls a lost customer within two working days; later the call rarely helps.
CALL_WITHIN = dt.timedelta(hours=48)
MAX_CSV_ROWS = 5000


@dataclass(frozen=True)
class ChurnIn:
    external_id: str
    kind: str
    occurred_at: dt.datetime | None = None
    note: str = ""
    idempotency_key: str = ""


@dataclass(frozen=True)
class Recorded:
    call: WinBackCall
    created: bool


def leader_for(contact: Contact) -> Membership | None:
    """The lead of the team that last served the customer, else their manager, else an owner."""
    last = (
        Response.objects.for_org(contact.organization_id)
        .filter(contact=contact)
        .select_related("team__lead", "staff__team")
        .order_by("-responded_at")
        .first()
    )
    if last is not None:
        if last.team_id is not None and last.team.lead_id is not None:  # type: ignore[union-attr]
            return last.team.lead  # type: ignore[union-attr]
        if last.staff_id is not None:
            manager = manager_of(last.staff)  # type: ignore[arg-type]
            if manager is not None:
                return manager
    return org_owner(contact.organization)


def _check(
    org: Organization, data: ChurnIn, prefix: str = ""
) -> tuple[Contact | None, dict[str, str]]:
    errors: dict[str, str] = {}
    contact = None
    if not data.external_id.strip():
        errors[f"{prefix}external_id"] = "must not be empty"
    else:
        contact = Contact.objects.for_org(org).filter(external_id=data.external_id.strip()).first()
        if contact is None:
            errors[f"{prefix}external_id"] = f"no contact with external_id {data.external_id!r}"
    if data.kind not in EVENT_KINDS:
        errors[f"{prefix}kind"] = f"must be one of {', '.join(EVENT_KINDS)}"
    if data.occurred_at is not None and data.occurred_at > clock.now() + dt.timedelta(hours=1):
        errors[f"{prefix}occurred_at"] = "must not be in the future"
    if len(data.note) > 5000:
        errors[f"{prefix}note"] = "must be at most 5000 characters"
    return contact, errors


def _create(org: Organization, contact: Contact, data: ChurnIn) -> Recorded:
    occurred = data.occurred_at or clock.now()
    key = data.idempotency_key.strip() or (
        f"{data.kind}:{contact.external_id}:{occurred.date().isoformat()}"
    )
    existing = WinBackCall.objects.for_org(org).filter(idempotency_key=key).first()
    if existing is not None:
        return Recorded(existing, False)
    leader = leader_for(contact)
    if leader is None:
        raise Conflict("the organisation has no owner to give the call to")
    try:
        with transaction.atomic():
            call = WinBackCall.objects.create(
                organization=org,
                contact=contact,
                event_kind=data.kind,
                occurred_at=occurred,
                idempotency_key=key[:200],
                note=data.note.strip(),
                assignee=leader,
                due_at=clock.now() + CALL_WITHIN,
            )
    except IntegrityError:
        return Recorded(WinBackCall.objects.for_org(org).get(idempotency_key=key[:200]), False)
    winback_created(org, call, kind=data.kind)
    context = {
        "call": call,
        "contact": contact,
        "history": customer_history(contact),
        "url": f"{settings.BASE_URL}/loop/lost/{call.pk}/",
    }
    do_queue_email(
        org.pk,
        to=leader.email,
        subject=f"Call a lost customer: {contact}",
        text=render_to_string("loop/email/winback.txt", context),
        cause=call,
        key=f"winback:{call.pk}",
    )
    return Recorded(call, True)


@transaction.atomic
def do_record_churn(org: Organization, data: ChurnIn) -> Recorded:
    contact, errors = _check(org, data)
    if errors:
        raise ValidationFailed(errors)
    assert contact is not None
    return _create(org, contact, data)


def parse_churn_csv(text: str) -> list[ChurnIn]:
    """Columns: external_id, kind, occurred_at (ISO 8601, optional), note (optional)."""
    reader = csv.DictReader(io.StringIO(text))
    if reader.fieldnames is None or not {"external_id", "kind"} <= set(reader.fieldnames):
        raise ValidationFailed({"file": "needs a header row with external_id and kind columns"})
    rows = []
    errors: dict[str, str] = {}
    for i, row in enumerate(reader, start=2):
        if i - 1 > MAX_CSV_ROWS:
            raise ValidationFailed({"file": f"at most {MAX_CSV_ROWS} rows per file"})
        when_text = (row.get("occurred_at") or "").strip()
        when = parse_datetime(when_text) if when_text else None
        if when_text and when is None:
            errors[f"row {i}.occurred_at"] = "must be an ISO 8601 date and time"
            continue
        if when is not None and when.tzinfo is None:
            when = when.replace(tzinfo=dt.UTC)
        rows.append(
            ChurnIn(
                external_id=(row.get("external_id") or "").strip(),
                kind=(row.get("kind") or "").strip().lower(),
                occurred_at=when,
                note=(row.get("note") or "").strip(),
            )
        )
    if errors:
        raise ValidationFailed(errors)
    if not rows:
        raise ValidationFailed({"file": "has no rows"})
    return rows


@transaction.atomic
def do_import_churn_csv(org: Organization, text: str) -> list[Recorded]:
    """All rows or none: any bad row refuses the file with every row's problem."""
    items = parse_churn_csv(text)
    errors: dict[str, str] = {}
    checked = []
    for i, item in enumerate(items, start=2):
        contact, row_errors = _check(org, item, prefix=f"row {i}.")
        errors.update(row_errors)
        checked.append((contact, item))
    if errors:
        raise ValidationFailed(errors)
    return [_create(org, c, item) for c, item in checked if c is not None]


@transaction.atomic
def do_record_call(
    call: WinBackCall,
    *,
    outcome: str,
    reason: LostReason | None,
    won_back: bool | None,
    actor: Membership,
) -> WinBackCall:
    errors: dict[str, str] = {}
    if not outcome.strip():
        errors["outcome"] = "say how the call went"
    if reason is None:
        errors["reason"] = "choose why the customer left"
    elif reason.organization_id != call.organization_id:
        errors["reason"] = "belongs to another organisation"
    if won_back is None:
        errors["won_back"] = "say whether the customer was won back"
    if errors:
        raise ValidationFailed(errors)
    moved = WinBackCall.objects.filter(pk=call.pk, status=WinBackStatus.OPEN).update(
        status=WinBackStatus.DONE,
        called_at=clock.now(),
        outcome=outcome.strip(),
        reason=reason,
        won_back=won_back,
    )
    if not moved:
        raise Conflict("this call is already recorded")
    call.refresh_from_db()
    winback_called(call.organization_id, call, actor=actor, won_back=won_back)
    return call


@transaction.atomic
def do_create_lost_reason(org_id: int, code: str, name: str) -> LostReason:
    if not code.strip() or not name.strip():
        raise ValidationFailed({"code": "code and name must not be empty"})
    reason, _ = LostReason.objects.get_or_create(
        organization_id=org_id, code=code.strip(), defaults={"name": name.strip()}
    )
    lost_reason_created(org_id, reason)
    return reason


@dataclass(frozen=True)
class History:
    value: str
    responses: list[tuple[dt.datetime, str, list[str], str]]
    cases: list[tuple[dt.datetime, str, str]]


def customer_history(contact: Contact) -> History:
    """What the leader should know before calling: value, what they told us, their cases."""
    from beacon.loop.models import Case

    responses = []
    for r in (
        Response.objects.for_org(contact.organization_id)
        .filter(contact=contact)
        .select_related("survey")
        .prefetch_related("answers__question")
        .order_by("-responded_at")[:20]
    ):
        scores = [
            f"{a.question.kind.upper()} {a.number}" for a in r.answers.all() if a.number is not None
        ]
        comment = " ".join(a.text for a in r.answers.all() if a.text)
        responses.append((r.responded_at, r.survey.name, scores, comment))
    cases = [
        (c.created_at, c.title, c.get_status_display())
        for c in Case.objects.for_org(contact.organization_id)
        .filter(contact=contact)
        .order_by("-created_at")[:20]
    ]
    attrs = contact.attributes or {}
    value = str(attrs.get("value", attrs.get("customer_value", "")))
    return History(value=value, responses=responses, cases=cases)
