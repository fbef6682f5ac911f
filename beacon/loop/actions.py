"""Every write to cases: opening, notes, status, reassignment, resolution."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.db import IntegrityError, transaction
from django.db.models import Count
from django.template.loader import render_to_string

from beacon.core import clock
from beacon.core.errors import Conflict, ValidationFailed
from beacon.cxmodel.models import Stage
from beacon.loop.channels import case_channels, channel_posts, post_to_channels
from beacon.loop.events import (
    case_event,
    case_events,
    case_rule_created,
    case_rule_deactivated,
    root_cause_created,
)
from beacon.loop.models import (
    TRANSITIONS,
    Case,
    CaseEscalation,
    CaseEvent,
    CaseEventKind,
    CaseRule,
    CaseStatus,
    Channel,
    ChannelEvent,
    OwnerRule,
    Priority,
    RootCause,
)
from beacon.loop.rules import RuleSpec, Trigger, case_trigger, rules_for
from beacon.notifications.actions import MessageIn, do_queue_email, do_queue_messages
from beacon.orgs.models import Membership, Organization
from beacon.orgs.queries import manager_of, org_owner
from beacon.responses.models import Answer, Response
from beacon.surveys.models import SCORED_KINDS, Question

MAX_NOTE_LENGTH = 10_000


def _log(
    case: Case, kind: str, actor: Membership | None, body: str = "", **data: object
) -> CaseEvent:
    event = CaseEvent.objects.create(
        organization_id=case.organization_id,
        case=case,
        kind=kind,
        actor=actor,
        body=body,
        data=data,
    )
    case_event(case, kind, actor=actor, **data)
    return event


def accountable_owner(
    response: Response, rule: RuleSpec | None = None, *, fallback: Membership | None = None
) -> Membership | None:
    """Who owns the case: what the rule names, else the stage's owner, else an org owner.

    A rule's choice that cannot be met (no team on the response, a team without a lead)
    falls back along the same chain, so a case always has exactly one owner. A deactivated
    member cannot sign in to act on a case, so they are passed over the same way: the
    case goes to the next person in the chain, never to someone who has left. `fallback`:
    the organisation's owner, when a batch has looked it up once for many responses.
    """
    if rule is not None and rule.owner_rule == OwnerRule.MEMBER and rule.owner_member_id:
        named = Membership.objects.for_org(response.organization_id).filter(
            pk=rule.owner_member_id, deactivated_at__isnull=True
        )
        if (member := named.first()) is not None:
            return member
    if rule is not None and rule.owner_rule == OwnerRule.TEAM_LEAD:
        team = response.team if response.team_id else None
        if team is None and response.staff_id is not None:
            team = response.staff.team  # type: ignore[union-attr]
        if team is not None and team.lead is not None and team.lead.is_active:
            return team.lead
    if response.stage_id is not None and response.stage.owner.is_active:  # type: ignore[union-attr]
        return response.stage.owner  # type: ignore[union-attr]
    return fallback if fallback is not None else org_owner(response.organization)


def _title(response: Response, trigger: Trigger) -> str:
    who = str(response.contact) if response.contact_id else "An anonymous customer"
    if trigger.answer is None:
        return f"{who} on {response.survey.name}: {trigger.rule.describe()}"[:300]
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
    return _open_case(response, trigger, _BatchContext())


@transaction.atomic
def do_open_cases_for(responses: list[Response]) -> list[Case]:
    """The cases a batch of responses calls for, each opened once (the case stage's work).

    Set-based: the answers of every response, each organisation's rules, its owner and
    its case channels are read once for the batch, the cases already open in one query;
    most responses call for no case and cost no write. The new cases, their events, their
    owners' emails and their channel posts are then written a few INSERTs per batch
    (`_open_cases`), leaving exactly what `do_open_case_for` leaves one response at a time.
    """
    by_response: dict[int, list[Answer]] = {r.pk: [] for r in responses}
    answers = list(Answer.objects.filter(response__in=responses).order_by("pk"))
    # The batch's few questions, read once and shared (not joined to every answer).
    questions = Question.objects.in_bulk({a.question_id for a in answers})
    for answer in answers:
        answer.question = questions[answer.question_id]
        by_response[answer.response_id].append(answer)
    context = _BatchContext()
    triggered = []
    for response in responses:
        rules = context.rules(response.organization_id)
        trigger = case_trigger(response, by_response[response.pk], rules)
        if trigger is not None:
            triggered.append((response, trigger))
    existing = set(
        Case.objects.filter(response__in=[r for r, _ in triggered]).values_list(
            "response_id", flat=True
        )
    )
    wanted = [(r, t) for r, t in triggered if r.pk not in existing]
    return _open_cases(wanted, context, by_response)


class _BatchContext:
    """What every case of a batch needs from its organisation, read once per organisation."""

    def __init__(self) -> None:
        self._rules: dict[int, list[RuleSpec]] = {}
        self._owners: dict[int, Membership | None] = {}
        self._channels: dict[int, list[Channel]] = {}

    def rules(self, org_id: int) -> list[RuleSpec]:
        if org_id not in self._rules:
            self._rules[org_id] = rules_for(org_id)
        return self._rules[org_id]

    def owner(self, response: Response) -> Membership | None:
        if response.organization_id not in self._owners:
            self._owners[response.organization_id] = org_owner(response.organization)
        return self._owners[response.organization_id]

    def channels(self, org_id: int) -> list[Channel]:
        if org_id not in self._channels:
            self._channels[org_id] = case_channels(org_id)
        return self._channels[org_id]


def _new_case(response: Response, trigger: Trigger, context: _BatchContext) -> Case:
    owner = accountable_owner(response, trigger.rule, fallback=context.owner(response))
    if owner is None:
        raise Conflict(f"organisation {response.organization_id} has no owner to assign cases to")
    return Case(
        organization_id=response.organization_id,
        response=response,
        contact_id=response.contact_id,
        title=_title(response, trigger),
        owner=owner,
        priority=trigger.rule.priority,
        due_at=clock.now() + dt.timedelta(hours=trigger.rule.hours),
    )


def _open_case(response: Response, trigger: Trigger, context: _BatchContext) -> Case:
    case = _new_case(response, trigger, context)
    try:
        with transaction.atomic():
            case.save(force_insert=True)
    except IntegrityError:
        return Case.objects.get(response=response)
    _log(case, CaseEventKind.OPENED, None, rule=trigger.rule.describe())
    _notify_owner(case)
    post_to_channels(
        case.organization_id,
        ChannelEvent.CASE,
        response,
        case.title,
        cause=case,
        channels=context.channels(case.organization_id),
    )
    return case


def _open_cases(
    wanted: list[tuple[Response, Trigger]],
    context: _BatchContext,
    answers: dict[int, list[Answer]],
) -> list[Case]:
    """Open a batch's cases with one INSERT per table (per organisation for events): the
    cases, their "opened" steps, their owners' emails, their "notified" steps and their
    channel posts. A case another job opened meanwhile fails the INSERT as a whole (the
    unique response); the batch then goes one case at a time, each finding its own."""
    if not wanted:
        return []
    new = [_new_case(response, trigger, context) for response, trigger in wanted]
    try:
        with transaction.atomic():
            cases = Case.objects.bulk_create(new)
    except IntegrityError:
        return [_open_case(response, trigger, context) for response, trigger in wanted]
    opened: list[tuple[Case, dict[str, object]]] = [
        (case, {"rule": trigger.rule.describe()})
        for case, (_, trigger) in zip(cases, wanted, strict=True)
    ]
    _log_many(CaseEventKind.OPENED, opened)
    do_queue_messages([_owner_email(case) for case in cases])
    _log_many(CaseEventKind.NOTIFIED, [(case, {"to": case.owner.email}) for case in cases])
    posts = [
        post
        for case, (response, _) in zip(cases, wanted, strict=True)
        for post in channel_posts(
            case.organization_id,
            ChannelEvent.CASE,
            response,
            case.title,
            case,
            context.channels(case.organization_id),
            answers[response.pk],
        )
    ]
    do_queue_messages(posts)
    return cases


def _log_many(kind: str, cases: list[tuple[Case, dict[str, object]]]) -> None:
    """`_log` of one step on many cases, without actor or body (the case stage's steps)."""
    CaseEvent.objects.bulk_create(
        CaseEvent(organization_id=case.organization_id, case=case, kind=kind, data=data)
        for case, data in cases
    )
    case_events(kind, cases)


def _owner_email(case: Case) -> MessageIn:
    context = {"case": case, "url": f"{settings.BASE_URL}/cases/{case.pk}/"}
    return MessageIn(
        org_id=case.organization_id,
        to=case.owner.email,
        subject=f"New follow-up case: {case.title}",
        text=render_to_string("loop/email/case_opened.txt", context),
        html=render_to_string("loop/email/case_opened.html", context),
        cause=case,
        key=f"case-opened:{case.pk}:{case.owner_id}",
    )


def _notify_owner(case: Case) -> None:
    do_queue_messages([_owner_email(case)])
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


# How staff reached the customer the first time (the case's "Contacted the customer" step).
FIRST_CONTACT_CHANNELS = [
    ("phone", "Phone call"),
    ("email", "Email"),
    ("message", "Text or chat message"),
    ("in_person", "In person"),
    ("other", "Other"),
]


@transaction.atomic
def do_record_first_contact(case: Case, channel: str, note: str, *, actor: Membership) -> None:
    """Staff reached the customer: the case's first-contact time, once.

    The same field as a reply or the move to "in progress" sets, and the one the loop's
    time-to-first-contact report reads. A conditional UPDATE makes it once even when two
    people press the button at the same moment; the second is told it was recorded.
    """
    channels = dict(FIRST_CONTACT_CHANNELS)
    errors: dict[str, str] = {}
    if channel not in channels:
        errors["channel"] = f"must be one of {', '.join(channels)}"
    if len(note.strip()) > MAX_NOTE_LENGTH:
        errors["note"] = f"must be at most {MAX_NOTE_LENGTH} characters"
    if errors:
        raise ValidationFailed(errors)
    now = clock.now()
    if not Case.objects.filter(pk=case.pk, first_contact_at__isnull=True).update(
        first_contact_at=now
    ):
        raise Conflict("first contact with the customer is already recorded on this case")
    case.first_contact_at = now
    _log(case, CaseEventKind.FIRST_CONTACT, actor, note.strip(), channel=channel)
    # Reaching the customer is work under way: a new case moves on (only if still new).
    if Case.objects.filter(pk=case.pk, status=CaseStatus.NEW).update(status=CaseStatus.IN_PROGRESS):
        _log(case, CaseEventKind.STATUS, actor, frm=CaseStatus.NEW, to=CaseStatus.IN_PROGRESS)
        case.status = CaseStatus.IN_PROGRESS


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
    root_cause_created(org_id, rc)
    return rc


# ------------------------------------------------------------------ rules


@dataclass(frozen=True)
class CaseRuleIn:
    name: str = ""
    question_kind: str = ""
    question: Question | None = None
    max_score: int | None = None
    keyword: str = ""
    contact_attribute: str = ""
    contact_value: str = ""
    stage: Stage | None = None
    priority: str = Priority.NORMAL
    due_hours: int | None = None
    owner_rule: str = OwnerRule.STAGE_OWNER
    owner_member: Membership | None = None
    position: int = 0


def check_case_rule(org_id: int, data: CaseRuleIn) -> dict[str, str]:
    errors: dict[str, str] = {}
    for field in ("question", "stage", "owner_member"):
        ref = getattr(data, field)
        if ref is not None and ref.organization_id != org_id:
            errors[field] = "belongs to another organisation"
    if data.max_score is None and not data.keyword.strip():
        errors["max_score"] = "set a score threshold or a keyword, or the rule opens every case"
    needs_kind = data.max_score is not None and data.question is None
    if needs_kind and data.question_kind not in SCORED_KINDS:
        errors["question_kind"] = "choose a scored question kind (nps, csat, ces, rating)"
    if data.priority not in Priority.values:
        errors["priority"] = f"must be one of {', '.join(Priority.values)}"
    if data.due_hours is not None and not 1 <= data.due_hours <= 24 * 60:
        errors["due_hours"] = "must be between 1 and 1440 hours"
    if data.owner_rule not in OwnerRule.values:
        errors["owner_rule"] = f"must be one of {', '.join(OwnerRule.values)}"
    elif data.owner_rule == OwnerRule.MEMBER and data.owner_member is None:
        errors["owner_member"] = "name the member who owns these cases"
    if bool(data.contact_attribute.strip()) != bool(data.contact_value.strip()):
        errors["contact_value"] = "give both the attribute and its value"
    if len(data.keyword) > 100:
        errors["keyword"] = "must be at most 100 characters"
    return errors


@transaction.atomic
def do_create_case_rule(
    org_id: int, data: CaseRuleIn, *, actor: Membership | None = None
) -> CaseRule:
    errors = check_case_rule(org_id, data)
    if errors:
        raise ValidationFailed(errors)
    rule = CaseRule.objects.create(
        organization_id=org_id,
        name=data.name.strip()[:200],
        position=data.position,
        question=data.question,
        question_kind=data.question.kind if data.question else data.question_kind,
        max_score=data.max_score,
        keyword=data.keyword.strip(),
        contact_attribute=data.contact_attribute.strip(),
        contact_value=data.contact_value.strip(),
        stage=data.stage,
        priority=data.priority,
        due_hours=data.due_hours,
        owner_rule=data.owner_rule,
        owner_member=data.owner_member if data.owner_rule == OwnerRule.MEMBER else None,
    )
    case_rule_created(org_id, rule, actor=actor)
    return rule


@transaction.atomic
def do_deactivate_case_rule(rule: CaseRule, *, actor: Membership | None = None) -> None:
    CaseRule.objects.filter(pk=rule.pk).update(active=False)
    case_rule_deactivated(rule.organization_id, rule, actor=actor)


# ------------------------------------------------------------------ escalation

# An overdue case goes one step up the hierarchy at its due time, and one more step
# every ESCALATION_INTERVAL it stays open.
ESCALATION_INTERVAL = dt.timedelta(hours=24)


def _next_escalation_target(case: Case, step: int) -> Membership | None:
    if step == 1:
        current = case.owner
    else:
        previous = CaseEscalation.objects.filter(case=case, step=step - 1).first()
        if previous is None:
            return None
        current = previous.escalated_to
    manager = manager_of(current)
    if manager is None:
        # Without a team hierarchy above them, the organisation's owner is the last step.
        top = org_owner(case.organization)
        if top is not None and top.pk != current.pk and top.pk != case.owner_id:
            return top
        return None
    return manager


@transaction.atomic
def do_escalate(case: Case, step: int) -> CaseEscalation | None:
    """Raise the case to step `step`; a second call for the same step does nothing."""
    if CaseEscalation.objects.filter(case=case, step=step).exists():
        return None
    target = _next_escalation_target(case, step)
    if target is None:
        return None
    try:
        with transaction.atomic():
            escalation = CaseEscalation.objects.create(
                organization_id=case.organization_id, case=case, step=step, escalated_to=target
            )
    except IntegrityError:
        return None
    _log(case, CaseEventKind.ESCALATED, None, step=step, to=target.pk, name=target.display_name)
    context = {
        "case": case,
        "step": step,
        "manager": target,
        "url": f"{settings.BASE_URL}/cases/{case.pk}/",
    }
    do_queue_email(
        case.organization_id,
        to=target.email,
        subject=f"Overdue case escalated to you: {case.title}",
        text=render_to_string("loop/email/case_escalated.txt", context),
        cause=escalation,
        key=f"case-escalated:{case.pk}:{step}",
    )
    return escalation


def escalate_overdue_cases(org: Organization | None = None) -> int:
    """The periodic job's work: every open case past its due time gets its next step.

    No batch limit: cases whose chain has ended stay overdue and would otherwise fill a
    fixed-size batch forever; open overdue cases are few enough to walk each run.
    """
    now = clock.now()
    done = 0
    overdue = (
        Case.objects.filter(status__in=[CaseStatus.NEW, CaseStatus.IN_PROGRESS], due_at__lt=now)
        .select_related("owner__team", "organization")
        .annotate(steps=Count("escalations"))
        .order_by("due_at", "pk")
    )
    if org is not None:
        overdue = overdue.filter(organization=org)
    for case in overdue.iterator(chunk_size=500):
        step = case.steps + 1
        if now >= case.due_at + (step - 1) * ESCALATION_INTERVAL and do_escalate(case, step):
            done += 1
    return done


# ------------------------------------------------------------------ replies to the customer

REPLY_SALT = "beacon.loop.case-reply"
REPLY_MAX_AGE = dt.timedelta(days=60)


def reply_token(case: Case) -> str:
    return signing.dumps({"case": case.pk, "org": case.organization_id}, salt=REPLY_SALT)


def case_for_reply_token(token: str) -> Case | None:
    """The case a customer's reply link points to; None for a forged or expired link."""
    try:
        data = signing.loads(token, salt=REPLY_SALT, max_age=REPLY_MAX_AGE)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict):
        return None
    return (
        Case.objects.for_org(int(data.get("org", 0)))
        .select_related("organization", "contact", "owner")
        .filter(pk=int(data.get("case", 0)))
        .first()
    )


def reply_url(case: Case) -> str:
    return f"{settings.BASE_URL}/s/r/{reply_token(case)}/"


def _check_body(body: str) -> str:
    body = body.strip()
    if not body:
        raise ValidationFailed({"body": "must not be empty"})
    if len(body) > MAX_NOTE_LENGTH:
        raise ValidationFailed({"body": f"must be at most {MAX_NOTE_LENGTH} characters"})
    return body


@transaction.atomic
def do_reply_to_customer(case: Case, body: str, *, actor: Membership) -> CaseEvent:
    """Email the customer from the case; their answer comes back through the reply page."""
    body = _check_body(body)
    contact = case.contact
    if contact is None or not contact.email:
        raise ValidationFailed({"body": "this customer left no email address to reply to"})
    event = _log(case, CaseEventKind.REPLIED, actor, body, to=contact.email)
    context = {
        "case": case,
        "body": body,
        "org": case.organization,
        "sender": actor,
        "url": reply_url(case),
    }
    do_queue_email(
        case.organization_id,
        to=contact.email,
        subject=f"About your feedback to {case.organization.name}",
        text=render_to_string("loop/email/case_reply.txt", context),
        html=render_to_string("loop/email/case_reply.html", context),
        cause=event,
        key=f"case-reply:{event.pk}",
    )
    Case.objects.filter(pk=case.pk, first_contact_at__isnull=True).update(
        first_contact_at=clock.now()
    )
    return event


@transaction.atomic
def do_record_customer_reply(case: Case, body: str) -> CaseEvent:
    """The customer's answer from the reply page: on the timeline, and the owner is told."""
    body = _check_body(body)
    event = _log(case, CaseEventKind.CUSTOMER, None, body)
    context = {"case": case, "body": body, "url": f"{settings.BASE_URL}/cases/{case.pk}/"}
    do_queue_email(
        case.organization_id,
        to=case.owner.email,
        subject=f"The customer answered: {case.title}",
        text=render_to_string("loop/email/customer_answered.txt", context),
        cause=event,
        key=f"case-customer:{event.pk}",
    )
    return event
