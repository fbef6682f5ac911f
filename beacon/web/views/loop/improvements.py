"""Actions (improvement work): the board, one action's page, "you said, we did" drafts."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.paginator import Page, Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from beacon.analytics.impact import action_impact, judge
from beacon.core.errors import Conflict, ValidationFailed
from beacon.insights.models import Theme
from beacon.loop.improvements import (
    ACTION_MOVES,
    ActionIn,
    do_add_action_update,
    do_create_action,
    do_publish_action,
    do_set_action_status,
)
from beacon.loop.models import (
    Action,
    ActionSource,
    ActionStatus,
    CustomerUpdate,
    CustomerUpdateStatus,
)
from beacon.loop.queries import (
    action_detail,
    actions_board,
    root_causes,
    update_confirmation,
    update_summary,
)
from beacon.loop.updates import (
    do_approve_customer_update,
    do_approve_customer_updates,
    do_discard_customer_update,
    do_edit_customer_update,
    do_propose_customer_updates,
    may_approve,
    preview,
)
from beacon.orgs.models import Membership, Role
from beacon.surveys.models import Question, QuestionKind
from beacon.web.access import render_page, require_role, staff_view
from beacon.web.forms.common import errors_of, reads, values
from beacon.web.forms.improvements import (
    ActionForm,
    ActionStatusForm,
    BulkApproveForm,
    ConfirmUpdatesForm,
    CustomerUpdateForm,
    NewActionForm,
    ProgressForm,
    PublishForm,
    UpdatesPageForm,
)
from beacon.web.views.value import action_crown

ACTOR = Role.AGENT
PLANNER = Role.ANALYST
# Drafts carry a form each; approved and sent updates are one line each.
DRAFTS_PER_PAGE = 20
DONE_PER_PAGE = 50


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
        "can_admin": member.has_role(Role.ADMIN),
        **_form_context(member),
    }
    return render_page(
        request, member, "web/loop/actions.html", context, status=status, nav="actions"
    )


@staff_view
@require_GET
@reads(NewActionForm)
def action_board(request: HttpRequest, member: Membership) -> HttpResponse:
    start, errors = NewActionForm(member.organization_id, request.GET).initial_values()
    return _board(request, member, errors=errors, values=start, status=400 if errors else 200)


@staff_view
@require_POST
@reads(ActionForm)
def action_create(request: HttpRequest, member: Membership) -> HttpResponse:
    require_role(member, PLANNER)
    form = ActionForm(member.organization_id, request.POST)
    try:
        data = form.checked()
        action = do_create_action(
            member.organization_id,
            ActionIn(
                title=data["title"],
                description=data["description"],
                source=data["source"],
                owner=data["owner"],
                deadline=form.deadline_at(),
                theme_id=data["theme_id"].pk if data["theme_id"] else None,
                root_cause=data["root_cause"],
                driver=data["driver"],
                question=data["question"],
                cases=data["cases"],
            ),
            actor=member,
        )
    except ValidationFailed as exc:
        return _board(request, member, errors=exc.errors, values=values(form), status=400)
    messages.success(request, f"Action created and given to {action.owner.display_name}.")
    return redirect("web:action", action_id=action.pk)


def _action_or_404(member: Membership, action_id: int) -> Action:
    action = action_detail(member.organization_id, action_id)
    if action is None:
        raise Http404("no such action")
    return action


def _pages(member: Membership, action: Action, wanted: dict[str, Any]) -> dict[str, Any]:
    """One page of drafts and one of approved or sent updates, so the page stays small
    however many customers raised the action."""
    updates = (
        CustomerUpdate.objects.for_org(member.organization_id)
        .filter(action=action)
        .select_related("contact")
    )
    drafts = updates.filter(status=CustomerUpdateStatus.DRAFT).order_by("contact__name", "pk")
    done = updates.exclude(status=CustomerUpdateStatus.DRAFT).order_by("-sent_at", "status", "pk")
    draft_page: Page[CustomerUpdate] = Paginator(drafts, DRAFTS_PER_PAGE).get_page(
        wanted.get("drafts") or 1
    )
    done_page: Page[CustomerUpdate] = Paginator(done, DONE_PER_PAGE).get_page(
        wanted.get("done") or 1
    )
    return {
        "drafts": draft_page,
        "done": done_page,
        "drafts_number": draft_page.number,
        "done_number": done_page.number,
        "draft_languages": sorted(set(drafts.values_list("language", flat=True).order_by())),
    }


def _page(
    request: HttpRequest,
    member: Membership,
    action: Action,
    *,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    problem: str = "",
    status: int = 200,
    wanted: dict[str, Any] | None = None,
) -> HttpResponse:
    moves = ACTION_MOVES[ActionStatus(action.status)]
    impact = action_impact(action, member.organization.min_sample_size)
    context = {
        "action": action,
        "updates": list(action.updates.select_related("author").order_by("created_at", "pk")),
        "linked_cases": list(action.cases.order_by("pk")),
        "next_statuses": [(s.value, s.label) for s in ActionStatus if s in moves],
        "impact": impact,
        "evidence": judge(action, impact) if action.status == ActionStatus.DONE else None,
        "summary": update_summary(action),
        "confirmation": update_confirmation(action),
        "preview": preview(action),
        "crown": action_crown(member, action),
        **_pages(member, action, wanted or {}),
        "theme": Theme.objects.for_org(member.organization_id).filter(pk=action.theme_id).first()
        if action.theme_id
        else None,
        "may_approve": may_approve(action, member),
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
@reads(UpdatesPageForm)
def action_page(request: HttpRequest, member: Membership, action_id: int) -> HttpResponse:
    action = _action_or_404(member, action_id)
    form = UpdatesPageForm(member.organization_id, request.GET)
    if not form.is_valid():
        shown = {
            name: f"{message}; showing the first page" for name, message in errors_of(form).items()
        }
        return _page(request, member, action, errors=shown, status=400)
    return _page(request, member, action, wanted=form.cleaned_data)


@staff_view
@require_POST
@reads(ProgressForm)
def action_progress(request: HttpRequest, member: Membership, action_id: int) -> HttpResponse:
    action = _action_or_404(member, action_id)
    require_role(member, ACTOR)
    form = ProgressForm(member.organization_id, request.POST)
    try:
        data = form.checked()
        do_add_action_update(action, data["body"], actor=member, progress=data["progress"])
    except ValidationFailed as exc:
        return _page(request, member, action, errors=exc.errors, values=values(form), status=400)
    messages.success(request, "Progress recorded.")
    return redirect("web:action", action_id=action.pk)


@staff_view
@require_POST
@reads(ActionStatusForm)
def action_status(request: HttpRequest, member: Membership, action_id: int) -> HttpResponse:
    action = _action_or_404(member, action_id)
    require_role(member, ACTOR)
    form = ActionStatusForm(member.organization_id, request.POST)
    form.is_valid()
    try:
        do_set_action_status(action, form.cleaned_data["status"], actor=member)
    except ValidationFailed as exc:
        return _page(request, member, action, errors=exc.errors, status=400)
    except Conflict as exc:
        return _page(request, member, action, problem=str(exc), status=409)
    messages.success(request, f"Status set to {action.get_status_display()}.")
    return redirect("web:action", action_id=action.pk)


@staff_view
@require_POST
@reads(PublishForm)
def action_publish(request: HttpRequest, member: Membership, action_id: int) -> HttpResponse:
    action = _action_or_404(member, action_id)
    require_role(member, ACTOR)
    form = PublishForm(member.organization_id, request.POST)
    try:
        data = form.checked()
        do_publish_action(
            action,
            data["public_summary"],
            on_wall=data["on_wall"] == "1",
            actor=member,
            customer_said=data["customer_said"],
        )
    except ValidationFailed as exc:
        return _page(request, member, action, errors=exc.errors, values=values(form), status=400)
    messages.success(request, "Public summary saved.")
    return redirect("web:action", action_id=action.pk)


@staff_view
@require_http_methods(["POST"])
@reads(CustomerUpdateForm)
def customer_update(request: HttpRequest, member: Membership, update_id: int) -> HttpResponse:
    update = CustomerUpdate.objects.for_org(member.organization_id).filter(pk=update_id).first()
    if update is None:
        raise Http404("no such update")
    action = _action_or_404(member, update.action_id)
    form = CustomerUpdateForm(member.organization_id, request.POST)
    try:
        form.checked()
        op, subject, body = (form.cleaned_data[k] for k in ("op", "subject", "body"))
        if op in ("save", "approve"):
            do_edit_customer_update(update, subject=subject, body=body, actor=member)
        if op == "approve":
            do_approve_customer_update(update, actor=member)
        elif op == "discard":
            do_discard_customer_update(update, actor=member)
    except ValidationFailed as exc:
        shown = {**values(form), "update": str(update.pk)}
        return _page(request, member, action, errors=exc.errors, values=shown, status=400)
    except Conflict as exc:
        return _page(request, member, action, problem=str(exc), status=409)
    done = {"save": "Draft saved.", "approve": "Approved; it leaves with the next batch.",
            "discard": "Draft discarded."}  # fmt: skip
    messages.success(request, done[op])
    return redirect("web:action", action_id=action.pk)


@staff_view
@require_POST
@reads(BulkApproveForm)
def action_updates_approve(
    request: HttpRequest, member: Membership, action_id: int
) -> HttpResponse:
    action = _action_or_404(member, action_id)
    require_role(member, ACTOR)
    form = BulkApproveForm(member.organization_id, request.POST)
    try:
        data = form.checked()
        count = do_approve_customer_updates(
            action, actor=member, language=data["language"], channel=data["channel"]
        )
    except ValidationFailed as exc:
        return _page(request, member, action, errors=exc.errors, values=values(form), status=400)
    if count:
        messages.success(request, f"{count} updates approved; they leave in batches.")
    else:
        messages.info(request, "No drafts left to approve.")
    return redirect("web:action", action_id=action.pk)


@staff_view
@require_POST
@reads(ConfirmUpdatesForm)
def action_updates_propose(
    request: HttpRequest, member: Membership, action_id: int
) -> HttpResponse:
    action = _action_or_404(member, action_id)
    require_role(member, ACTOR)
    form = ConfirmUpdatesForm(member.organization_id, request.POST)
    found = judge(action, action_impact(action, member.organization.min_sample_size))
    try:
        data = form.checked()
        count = do_propose_customer_updates(action, found, actor=member, reason=data["reason"])
    except ValidationFailed as exc:
        return _page(request, member, action, errors=exc.errors, values=values(form), status=400)
    messages.success(request, f"{count} drafts written, one per customer who raised it.")
    return redirect("web:action", action_id=action.pk)
