"""Actions (improvement work): the board, one action's page, "you said, we did" drafts."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.db import models
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.dateparse import parse_date
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from beacon.analytics.impact import action_impact
from beacon.core.errors import Conflict, ValidationFailed
from beacon.insights.models import Theme
from beacon.loop.improvements import (
    ACTION_MOVES,
    ActionIn,
    do_add_action_update,
    do_approve_customer_update,
    do_create_action,
    do_discard_customer_update,
    do_edit_customer_update,
    do_publish_action,
    do_set_action_status,
)
from beacon.loop.models import (
    Action,
    ActionSource,
    ActionStatus,
    Case,
    CustomerUpdate,
    CustomerUpdateStatus,
    RootCause,
)
from beacon.loop.queries import action_detail, actions_board, root_causes
from beacon.orgs.models import Membership, Role
from beacon.surveys.models import Question, QuestionKind
from beacon.web.access import render_page, require_role, staff_view
from beacon.web.views.value import action_crown

ACTOR = Role.AGENT
PLANNER = Role.ANALYST


def pick(member: Membership, model: type[models.Model], raw: str) -> Any:
    """The row of this organisation with id `raw`, or None (another org's id is unknown)."""
    if not raw.strip().isdigit():
        return None
    return model.objects.for_org(member.organization_id).filter(pk=int(raw)).first()  # type: ignore[attr-defined]


def _form_context(member: Membership) -> dict[str, Any]:
    org = member.organization_id
    return {
        "members": list(Membership.objects.for_org(org).order_by("display_name")),
        "root_causes": root_causes(org),
        "questions": list(
            Question.objects.for_org(org)
            .filter(kind__in=[QuestionKind.NPS, QuestionKind.CSAT, QuestionKind.CES])
            .select_related("survey")
            .order_by("survey__name", "position")
        ),
        "sources": ActionSource.choices,
        "themes": list(Theme.objects.for_org(org).filter(active=True).order_by("name")),
    }


def _board(
    request: HttpRequest,
    member: Membership,
    *,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    status: int = 200,
) -> HttpResponse:
    columns = actions_board(member.organization_id)
    context = {
        "columns": [(s.value, s.label, columns[s.value]) for s in ActionStatus],
        "errors": errors or {},
        "values": values or {},
        "can_plan": member.has_role(PLANNER),
        **_form_context(member),
    }
    return render_page(
        request, member, "web/loop/actions.html", context, status=status, nav="actions"
    )


@staff_view
@require_GET
def action_board(request: HttpRequest, member: Membership) -> HttpResponse:
    return _board(request, member)


def _deadline(raw: str) -> dt.datetime | None:
    day = parse_date(raw.strip()) if raw.strip() else None
    if day is None:
        return None
    return dt.datetime.combine(day, dt.time(17, 0), tzinfo=dt.UTC)


@staff_view
@require_POST
def action_create(request: HttpRequest, member: Membership) -> HttpResponse:
    require_role(member, PLANNER)
    post = request.POST
    values = {k: post.get(k, "") for k in (
        "title", "description", "source", "owner", "deadline", "theme_id", "root_cause",
        "driver", "question", "cases",
    )}  # fmt: skip
    errors: dict[str, str] = {}
    theme_id = None
    if values["theme_id"].strip():
        if values["theme_id"].strip().isdigit():
            theme_id = int(values["theme_id"])
        else:
            errors["theme_id"] = "choose one of this organisation's themes"
    deadline = _deadline(values["deadline"])
    case_ids = [c for c in values["cases"].replace(",", " ").split() if c]
    cases = [pick(member, Case, c) for c in case_ids]
    if any(c is None for c in cases):
        errors["cases"] = "list case numbers of this organisation, separated by spaces"
    data = ActionIn(
        title=values["title"],
        description=values["description"],
        source=values["source"],
        owner=pick(member, Membership, values["owner"]),
        deadline=deadline,
        theme_id=theme_id,
        root_cause=pick(member, RootCause, values["root_cause"]),
        driver=values["driver"],
        question=pick(member, Question, values["question"]),
        cases=[c for c in cases if c is not None],
    )
    try:
        if errors:
            raise ValidationFailed(errors)
        if values["deadline"].strip() and deadline is None:
            raise ValidationFailed({"deadline": "must be a date like 2026-12-31"})
        action = do_create_action(member.organization_id, data, actor=member)
    except ValidationFailed as exc:
        return _board(request, member, errors=exc.errors, values=values, status=400)
    messages.success(request, f"Action created and given to {action.owner.display_name}.")
    return redirect("web:action", action_id=action.pk)


def _action_or_404(member: Membership, action_id: int) -> Action:
    action = action_detail(member.organization_id, action_id)
    if action is None:
        raise Http404("no such action")
    return action


def _page(
    request: HttpRequest,
    member: Membership,
    action: Action,
    *,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    problem: str = "",
    status: int = 200,
) -> HttpResponse:
    drafts = list(
        CustomerUpdate.objects.for_org(member.organization_id)
        .filter(action=action)
        .select_related("contact")
        .order_by("status", "contact__name", "pk")
    )
    moves = ACTION_MOVES[ActionStatus(action.status)]
    context = {
        "action": action,
        "updates": list(action.updates.select_related("author").order_by("created_at", "pk")),
        "linked_cases": list(action.cases.order_by("pk")),
        "next_statuses": [(s.value, s.label) for s in ActionStatus if s in moves],
        "impact": action_impact(action, member.organization.min_sample_size),
        "crown": action_crown(member, action),
        "drafts": drafts,
        "theme": Theme.objects.for_org(member.organization_id).filter(pk=action.theme_id).first()
        if action.theme_id
        else None,
        "may_approve": member.pk == action.owner_id or member.has_role(Role.ADMIN),
        "can_act": member.has_role(ACTOR),
        "errors": errors or {},
        "values": values or {},
        "problem": problem,
        "draft_status": CustomerUpdateStatus,
    }
    return render_page(
        request, member, "web/loop/action.html", context, status=status, nav="actions"
    )


@staff_view
@require_GET
def action_page(request: HttpRequest, member: Membership, action_id: int) -> HttpResponse:
    return _page(request, member, _action_or_404(member, action_id))


@staff_view
@require_POST
def action_progress(request: HttpRequest, member: Membership, action_id: int) -> HttpResponse:
    action = _action_or_404(member, action_id)
    require_role(member, ACTOR)
    body, raw = request.POST.get("body", ""), request.POST.get("progress", "").strip()
    try:
        if raw and not raw.isdigit():
            raise ValidationFailed({"progress": "must be a whole number from 0 to 100"})
        do_add_action_update(action, body, actor=member, progress=int(raw) if raw else None)
    except ValidationFailed as exc:
        values = {"body": body, "progress": raw}
        return _page(request, member, action, errors=exc.errors, values=values, status=400)
    messages.success(request, "Progress recorded.")
    return redirect("web:action", action_id=action.pk)


@staff_view
@require_POST
def action_status(request: HttpRequest, member: Membership, action_id: int) -> HttpResponse:
    action = _action_or_404(member, action_id)
    require_role(member, ACTOR)
    try:
        do_set_action_status(action, request.POST.get("status", ""), actor=member)
    except ValidationFailed as exc:
        return _page(request, member, action, errors=exc.errors, status=400)
    except Conflict as exc:
        return _page(request, member, action, problem=str(exc), status=409)
    messages.success(request, f"Status set to {action.get_status_display()}.")
    return redirect("web:action", action_id=action.pk)


@staff_view
@require_POST
def action_publish(request: HttpRequest, member: Membership, action_id: int) -> HttpResponse:
    action = _action_or_404(member, action_id)
    require_role(member, ACTOR)
    summary = request.POST.get("public_summary", "")
    try:
        do_publish_action(action, summary, on_wall=request.POST.get("on_wall") == "1", actor=member)
    except ValidationFailed as exc:
        values = {"public_summary": summary}
        return _page(request, member, action, errors=exc.errors, values=values, status=400)
    messages.success(request, "Public summary saved.")
    return redirect("web:action", action_id=action.pk)


@staff_view
@require_http_methods(["POST"])
def customer_update(request: HttpRequest, member: Membership, update_id: int) -> HttpResponse:
    update = pick(member, CustomerUpdate, str(update_id))
    if update is None:
        raise Http404("no such update")
    action = _action_or_404(member, update.action_id)
    op = request.POST.get("op", "")
    subject, body = request.POST.get("subject", ""), request.POST.get("body", "")
    try:
        if op in ("save", "approve"):
            do_edit_customer_update(update, subject=subject, body=body, actor=member)
        if op == "approve":
            do_approve_customer_update(update, actor=member)
        elif op == "discard":
            do_discard_customer_update(update, actor=member)
        elif op != "save":
            raise ValidationFailed({"op": "must be save, approve or discard"})
    except ValidationFailed as exc:
        values = {"subject": subject, "body": body, "update": str(update.pk)}
        return _page(request, member, action, errors=exc.errors, values=values, status=400)
    except Conflict as exc:
        return _page(request, member, action, problem=str(exc), status=409)
    done = {"save": "Draft saved.", "approve": "Approved and queued for sending.",
            "discard": "Draft discarded."}  # fmt: skip
    messages.success(request, done[op])
    return redirect("web:action", action_id=action.pk)
