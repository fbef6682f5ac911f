"""Every write to actions (improvement work) and to "you said, we did" updates."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.conf import settings
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string

from beacon.core import clock
from beacon.core.errors import Conflict, ValidationFailed
from beacon.cxmodel.models import Stage
from beacon.insights.models import Theme
from beacon.loop.events import (
    action_created,
    action_published,
    action_reassigned,
    action_reminded,
    action_status,
    action_updated,
)
from beacon.loop.models import (
    Action,
    ActionReminder,
    ActionSource,
    ActionStatus,
    ActionUpdate,
    Case,
    RootCause,
)
from beacon.loop.updates import UNMEASURED, do_propose_customer_updates
from beacon.notifications.actions import do_queue_email
from beacon.orgs.models import Membership
from beacon.surveys.models import Question

MAX_TITLE = 300
MAX_TEXT = 10_000
# Reminders: one a while before the deadline, one once it has passed.
REMIND_BEFORE = dt.timedelta(days=2)

ACTION_MOVES = {
    ActionStatus.OPEN: {ActionStatus.IN_PROGRESS, ActionStatus.DONE, ActionStatus.CANCELLED},
    ActionStatus.IN_PROGRESS: {ActionStatus.OPEN, ActionStatus.DONE, ActionStatus.CANCELLED},
    ActionStatus.DONE: {ActionStatus.IN_PROGRESS},
    ActionStatus.CANCELLED: {ActionStatus.OPEN},
}


@dataclass
class ActionIn:
    title: str
    source: str
    owner: Membership | None
    deadline: dt.datetime | None
    description: str = ""
    theme_id: int | None = None
    root_cause: RootCause | None = None
    driver: str = ""
    question: Question | None = None
    stage: Stage | None = None
    cases: list[Case] = field(default_factory=list)
    public_summary: str = ""


def check_action(org_id: int, data: ActionIn) -> dict[str, str]:
    errors: dict[str, str] = {}
    if not data.title.strip():
        errors["title"] = "must not be empty"
    elif len(data.title) > MAX_TITLE:
        errors["title"] = f"must be at most {MAX_TITLE} characters"
    if data.owner is None:
        errors["owner"] = "every action needs exactly one owner"
    if data.deadline is None:
        errors["deadline"] = "every action needs a deadline"
    if data.source not in ActionSource.values:
        errors["source"] = f"must be one of {', '.join(ActionSource.values)}"
    elif data.source == ActionSource.THEME and data.theme_id is None:
        errors["theme_id"] = "name the theme this action comes from"
    elif data.source == ActionSource.ROOT_CAUSE and data.root_cause is None:
        errors["root_cause"] = "name the root cause this action comes from"
    elif data.source == ActionSource.DRIVER and not data.driver.strip():
        errors["driver"] = "name the driver this action comes from"
    elif data.source == ActionSource.CASES and not data.cases:
        errors["cases"] = "link at least one case"
    if (
        data.theme_id is not None
        and not Theme.objects.for_org(org_id).filter(pk=data.theme_id).exists()
    ):
        errors["theme_id"] = "no such theme in this organisation"
    for name in ("owner", "root_cause", "question", "stage"):
        ref = getattr(data, name)
        if ref is not None and ref.organization_id != org_id:
            errors[name] = "belongs to another organisation"
    if any(c.organization_id != org_id for c in data.cases):
        errors["cases"] = "a case belongs to another organisation"
    if len(data.description) > MAX_TEXT or len(data.public_summary) > MAX_TEXT:
        errors["description"] = f"must be at most {MAX_TEXT} characters"
    return errors


@transaction.atomic
def do_create_action(org_id: int, data: ActionIn, *, actor: Membership | None = None) -> Action:
    errors = check_action(org_id, data)
    if errors:
        raise ValidationFailed(errors)
    assert data.owner is not None and data.deadline is not None
    action = Action.objects.create(
        organization_id=org_id,
        title=data.title.strip(),
        description=data.description.strip(),
        source=data.source,
        owner=data.owner,
        deadline=data.deadline,
        theme_id=data.theme_id,
        root_cause=data.root_cause,
        driver=data.driver.strip()[:200],
        question=data.question,
        stage=data.stage,
        public_summary=data.public_summary.strip(),
    )
    if data.cases:
        action.cases.set(data.cases)
    action_created(org_id, action, actor=actor, source=data.source)
    _notify(action, "assigned", f"New action for you: {action.title}")
    return action


def _notify(action: Action, what: str, subject: str) -> None:
    context = {
        "action": action,
        "what": what,
        "url": f"{settings.BASE_URL}/actions/{action.pk}/",
    }
    do_queue_email(
        action.organization_id,
        to=action.owner.email,
        subject=subject,
        text=render_to_string("loop/email/action_notice.txt", context),
        cause=action,
        key=f"action-{what}:{action.pk}:{action.owner_id}",
    )


@transaction.atomic
def do_add_action_update(
    action: Action,
    body: str,
    *,
    actor: Membership,
    progress: int | None = None,
) -> ActionUpdate:
    body = body.strip()
    errors: dict[str, str] = {}
    if not body:
        errors["body"] = "say what moved"
    elif len(body) > MAX_TEXT:
        errors["body"] = f"must be at most {MAX_TEXT} characters"
    if progress is not None and not 0 <= progress <= 100:
        errors["progress"] = "must be between 0 and 100"
    if errors:
        raise ValidationFailed(errors)
    update = ActionUpdate.objects.create(
        organization_id=action.organization_id,
        action=action,
        author=actor,
        body=body,
        progress=progress,
    )
    if progress is not None:
        Action.objects.filter(pk=action.pk).update(progress=progress)
        action.progress = progress
    action_updated(action.organization_id, action, actor=actor, progress=progress)
    return update


@transaction.atomic
def do_set_action_status(action: Action, status: str, *, actor: Membership) -> Action:
    if status not in ActionStatus.values:
        raise ValidationFailed({"status": f"must be one of {', '.join(ActionStatus.values)}"})
    if status not in ACTION_MOVES[ActionStatus(action.status)]:
        raise ValidationFailed({"status": f"cannot move from {action.status} to {status}"})
    now = clock.now()
    changes: dict[str, object] = {"status": status}
    if status == ActionStatus.DONE:
        changes.update(completed_at=now, progress=100)
    elif action.status == ActionStatus.DONE:
        changes["completed_at"] = None
    moved = Action.objects.filter(pk=action.pk, status=action.status).update(**changes)
    if not moved:
        raise Conflict("the action changed meanwhile; reload it")
    ActionUpdate.objects.create(
        organization_id=action.organization_id,
        action=action,
        author=actor,
        body=f"Status: {ActionStatus(status).label}",
        status=status,
    )
    action_status(action.organization_id, action, actor=actor, to=status)
    action.refresh_from_db()
    if status == ActionStatus.DONE and action.question_id is None and action.public_summary:
        # No metric to contradict the owner; an action with one waits for its evidence
        # (analytics.actions.propose_updates_when_improved) or the owner's confirmation.
        do_propose_customer_updates(action, UNMEASURED)
    return action


@transaction.atomic
def do_reassign_action(
    action: Action, owner: Membership, reason: str, *, actor: Membership
) -> Action:
    errors: dict[str, str] = {}
    if owner.organization_id != action.organization_id:
        errors["owner"] = "belongs to another organisation"
    if not reason.strip():
        errors["reason"] = "say why the action moves"
    if errors:
        raise ValidationFailed(errors)
    Action.objects.filter(pk=action.pk).update(owner=owner)
    action.owner = owner
    ActionUpdate.objects.create(
        organization_id=action.organization_id,
        action=action,
        author=actor,
        body=f"Reassigned to {owner.display_name}: {reason.strip()}",
    )
    action_reassigned(action.organization_id, action, actor=actor, to=owner.pk)
    _notify(action, "assigned", f"Action handed to you: {action.title}")
    return action


# ------------------------------------------------------------------ reminders


@transaction.atomic
def do_remind(action: Action, kind: str) -> ActionReminder | None:
    try:
        with transaction.atomic():
            reminder = ActionReminder.objects.create(
                organization_id=action.organization_id, action=action, kind=kind
            )
    except IntegrityError:
        return None
    subject = (
        f"Due soon: {action.title}" if kind == "before" else f"Past its deadline: {action.title}"
    )
    _notify(action, f"remind-{kind}", subject)
    action_reminded(action.organization_id, action, kind=kind)
    return reminder


def send_action_reminders() -> int:
    """The periodic job's work: one reminder before the deadline, one after, never twice."""
    now = clock.now()
    live = Action.objects.filter(
        status__in=[ActionStatus.OPEN, ActionStatus.IN_PROGRESS]
    ).select_related("owner__user")
    # Actions already reminded drop out of the query, so the job's work stays small.
    due_soon = live.filter(deadline__gt=now, deadline__lte=now + REMIND_BEFORE).exclude(
        reminders__kind="before"
    )
    overdue = live.filter(deadline__lte=now).exclude(reminders__kind="after")
    sent = 0
    for kind, actions in (("before", due_soon), ("after", overdue)):
        for action in actions.order_by("deadline", "pk").iterator(chunk_size=500):
            if do_remind(action, kind) is not None:
                sent += 1
    return sent


@transaction.atomic
def do_publish_action(
    action: Action,
    summary: str,
    *,
    on_wall: bool,
    actor: Membership,
    customer_said: str | None = None,
) -> None:
    """What customers are told about a completed action: on the public wall, and in the
    "you said, we did" messages (what they told us, what we changed)."""
    if on_wall and action.status != ActionStatus.DONE:
        raise ValidationFailed({"on_wall": "only completed actions go on the wall"})
    if on_wall and not summary.strip():
        raise ValidationFailed({"public_summary": "say what changed, in customers' words"})
    if len(summary) > MAX_TEXT:
        raise ValidationFailed({"public_summary": f"must be at most {MAX_TEXT} characters"})
    said = action.customer_said if customer_said is None else customer_said.strip()
    if len(said) > MAX_TEXT:
        raise ValidationFailed({"customer_said": f"must be at most {MAX_TEXT} characters"})
    Action.objects.filter(pk=action.pk).update(
        public_summary=summary.strip(), on_wall=on_wall, customer_said=said
    )
    action.public_summary, action.on_wall, action.customer_said = summary.strip(), on_wall, said
    action_published(action.organization_id, action, actor=actor, on=on_wall)
