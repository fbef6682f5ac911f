"""Every write to cases: opening, notes, status, reassignment, resolution."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string

from beacon.core import clock
from beacon.core.errors import Conflict, ValidationFailed
from beacon.loop.models import TRANSITIONS, Case, CaseEvent, CaseEventKind, CaseStatus, RootCause
from beacon.loop.rules import Trigger, case_trigger
from beacon.notifications.actions import do_queue_email
from beacon.orgs.events import record_event
from beacon.orgs.models import Membership
from beacon.orgs.queries import org_owner
from beacon.responses.models import Response

MAX_NOTE_LENGTH = 10_000


def _log(case: Case, kind: str, actor: Membership | None, body: str = "", **data: object) -> None:
    CaseEvent.objects.create(
        organization_id=case.organization_id,
        case=case,
        kind=kind,
        actor=actor,
        body=body,
        data=data,
    )
    record_event(case.organization_id, f"case.{kind}", case, actor=actor, **data)


def accountable_owner(response: Response) -> Membership | None:
    """The stage's accountable owner; without a stage, an owner of the organisation."""
    if response.stage_id is not None:
        return response.stage.owner  # type: ignore[union-attr]
    return org_owner(response.organization)


def _title(response: Response, trigger: Trigger) -> str:
    who = str(response.contact) if response.contact_id else "An anonymous customer"
    kind = trigger.answer.question.get_kind_display().split(" ")[0]
    return f"{who} gave {kind} {trigger.answer.number} on {response.survey.name}"[:300]


@transaction.atomic
def do_open_case_for(response: Response) -> Case | None:
    """Open the follow-up case a response calls for, once; None if none is called for."""
    trigger = case_trigger(response)
    if trigger is None:
        return None
    existing = Case.objects.filter(response=response).first()
    if existing is not None:
        return existing
    owner = accountable_owner(response)
    if owner is None:
        raise Conflict(f"organisation {response.organization_id} has no owner to assign cases to")
    try:
        with transaction.atomic():
            case = Case.objects.create(
                organization_id=response.organization_id,
                response=response,
                contact_id=response.contact_id,
                title=_title(response, trigger),
                owner=owner,
                priority=trigger.rule.priority,
                due_at=clock.now() + dt.timedelta(hours=trigger.rule.due_hours),
            )
    except IntegrityError:
        return Case.objects.get(response=response)
    _log(
        case,
        CaseEventKind.OPENED,
        None,
        rule=f"{trigger.rule.question_kind}<={trigger.rule.max_score}",
    )
    _notify_owner(case)
    return case


def _notify_owner(case: Case) -> None:
    context = {"case": case, "url": f"{settings.BASE_URL}/cases/{case.pk}/"}
    do_queue_email(
        case.organization_id,
        to=case.owner.email,
        subject=f"New follow-up case: {case.title}",
        text=render_to_string("loop/email/case_opened.txt", context),
        html=render_to_string("loop/email/case_opened.html", context),
        cause=case,
        key=f"case-opened:{case.pk}:{case.owner_id}",
    )
    _log(case, CaseEventKind.NOTIFIED, None, to=case.owner.email)


@transaction.atomic
def do_add_note(case: Case, body: str, *, actor: Membership) -> None:
    body = body.strip()
    if not body:
        raise ValidationFailed({"body": "must not be empty"})
    if len(body) > MAX_NOTE_LENGTH:
        raise ValidationFailed({"body": f"must be at most {MAX_NOTE_LENGTH} characters"})
    _log(case, CaseEventKind.NOTE, actor, body)


@transaction.atomic
def do_set_status(case: Case, status: str, *, actor: Membership) -> None:
    if status == CaseStatus.RESOLVED:
        raise ValidationFailed({"status": "resolve a case with a root cause"})
    if status not in CaseStatus.values:
        raise ValidationFailed({"status": f"must be one of {', '.join(CaseStatus.values)}"})
    allowed = TRANSITIONS[CaseStatus(case.status)]
    if status not in allowed:
        raise ValidationFailed({"status": f"cannot move from {case.status} to {status}"})
    now = clock.now()
    # Conditional UPDATE: two people moving the same case at once cannot both win.
    moved = Case.objects.filter(pk=case.pk, status=case.status).update(status=status)
    if not moved:
        raise Conflict("the case changed meanwhile; reload it")
    if status == CaseStatus.IN_PROGRESS:
        Case.objects.filter(pk=case.pk, first_contact_at__isnull=True).update(first_contact_at=now)
    _log(case, CaseEventKind.STATUS, actor, frm=case.status, to=status)
    case.status = status


@transaction.atomic
def do_reassign(case: Case, owner: Membership, reason: str, *, actor: Membership) -> None:
    errors: dict[str, str] = {}
    if owner.organization_id != case.organization_id:
        errors["owner"] = "belongs to another organisation"
    if not reason.strip():
        errors["reason"] = "say why the case moves"
    if errors:
        raise ValidationFailed(errors)
    previous = case.owner_id
    Case.objects.filter(pk=case.pk).update(owner=owner)
    case.owner = owner
    _log(case, CaseEventKind.ASSIGNED, actor, reason.strip(), frm=previous, to=owner.pk)
    _notify_owner(case)


@transaction.atomic
def do_resolve_case(
    case: Case, root_cause: RootCause | None, resolution: str, *, actor: Membership
) -> None:
    errors: dict[str, str] = {}
    if root_cause is None:
        errors["root_cause"] = "choose the root cause before resolving"
    elif root_cause.organization_id != case.organization_id:
        errors["root_cause"] = "belongs to another organisation"
    if not resolution.strip():
        errors["resolution"] = "say what was done"
    if errors:
        raise ValidationFailed(errors)
    now = clock.now()
    moved = (
        Case.objects.filter(pk=case.pk)
        .exclude(status=CaseStatus.RESOLVED)
        .update(
            status=CaseStatus.RESOLVED,
            root_cause=root_cause,
            resolution=resolution.strip(),
            resolved_at=now,
        )
    )
    if not moved:
        raise Conflict("the case is already resolved")
    Case.objects.filter(pk=case.pk, first_contact_at__isnull=True).update(first_contact_at=now)
    _log(case, CaseEventKind.RESOLVED, actor, resolution.strip(), root_cause=root_cause.code)  # type: ignore[union-attr]
    case.status = CaseStatus.RESOLVED


@transaction.atomic
def do_create_root_cause(org_id: int, code: str, name: str) -> RootCause:
    if not code.strip() or not name.strip():
        raise ValidationFailed({"code": "code and name must not be empty"})
    rc, _ = RootCause.objects.get_or_create(
        organization_id=org_id, code=code.strip(), defaults={"name": name.strip()}
    )
    record_event(org_id, "root_cause.created", rc)
    return rc
