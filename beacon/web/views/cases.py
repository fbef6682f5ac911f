"""Follow-up cases: the list, and the case page where agents act on them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_GET, require_POST

from beacon.analytics.customer import case_title, customer_history, score_on_scale
from beacon.contacts.models import Interaction
from beacon.core import clock
from beacon.core.errors import Conflict, ValidationFailed
from beacon.cxmodel.queries import stages
from beacon.insights import queries as insight_queries
from beacon.insights.reasons import do_set_interaction_reason
from beacon.insights.text import redact
from beacon.loop.actions import (
    FIRST_CONTACT_CHANNELS,
    MAX_NOTE_LENGTH,
    do_add_note,
    do_reassign,
    do_record_first_contact,
    do_resolve_case,
    do_set_status,
)
from beacon.loop.models import TRANSITIONS, Case, CaseEvent, CaseEventKind, CaseStatus
from beacon.loop.queries import (
    CASE_SORTS,
    CASE_STATUS_FILTERS,
    case_detail,
    case_lookups,
    cases,
    root_causes,
    timeline,
)
from beacon.orgs.models import Membership, Organization, Role
from beacon.outcomes.queries import may_see_money
from beacon.web.access import render_page, require_role, staff_view
from beacon.web.forms.cases import (
    CaseListForm,
    FirstContactForm,
    NoteForm,
    ReasonForm,
    ReassignForm,
    ResolveForm,
    StatusForm,
)
from beacon.web.forms.common import reads, values
from beacon.web.forms.contacts import HistoryPageForm
from beacon.web.rows import may_see_contact_details

ACTOR = Role.AGENT
PAGE_SIZE = 25


def is_overdue(case: Case) -> bool:
    return case.status != CaseStatus.RESOLVED and case.due_at < clock.now()


@dataclass(frozen=True)
class CaseRow:
    case: Case
    overdue: bool
    title: str  # as the member may see it: masked names for analysts and viewers


@staff_view
@require_GET
@reads(CaseListForm)
def case_list(request: HttpRequest, member: Membership) -> HttpResponse:
    org = member.organization
    form = CaseListForm(org, request.GET)
    problems = form.problems()
    status, mine, overdue = form.chosen_status(), form.only_mine(), form.only_overdue()
    stage_id = form.stage_id()
    lookups = case_lookups(
        status, owner_id=member.pk if mine else None, overdue=overdue, stage_id=stage_id
    )
    found = cases(org, sort=form.chosen_sort(), **lookups)
    page = Paginator(found, PAGE_SIZE).get_page(form.value("page") or 1)
    query = form.query()
    reveal = may_see_contact_details(member)
    context = {
        "stages": stages(org),
        "stage_id": stage_id,
        "status": status,
        "statuses": list(CASE_STATUS_FILTERS),
        "sort": query["sort"],
        "sorts": list(CASE_SORTS),
        "mine": mine,
        "overdue": overdue,
        "problems": problems,
        "page": page,
        "rows": [
            CaseRow(c, is_overdue(c), case_title(c.title, c.contact, reveal))
            for c in page.object_list
        ],
        "query": urlencode(query),
        # The export reads the same filters and order (all rows: no page number).
        "export_query": urlencode(query),
    }
    return render_page(
        request, member, "web/cases.html", context, status=400 if problems else 200, nav="cases"
    )


def _case_or_404(member: Membership, case_id: int) -> Case:
    case = case_detail(member.organization, case_id)
    if case is None:
        raise Http404("no such case")
    return case


def _describe(event: CaseEvent, names: dict[int, str]) -> str:
    """One line saying what happened; bodies (notes, reasons) are shown separately."""
    data = event.data or {}
    kind = event.kind
    if kind == CaseEventKind.OPENED:
        return f"Case opened by rule {data.get('rule', '')}".strip()
    if kind == CaseEventKind.NOTIFIED:
        return f"Owner notified at {data.get('to', '')}"
    if kind == CaseEventKind.STATUS:
        labels = dict(CaseStatus.choices)
        frm, to = data.get("frm", ""), data.get("to", "")
        return f"Status changed from {labels.get(frm, frm)} to {labels.get(to, to)}"
    if kind == CaseEventKind.ASSIGNED:
        frm = names.get(data.get("frm") or 0, "someone")
        to = names.get(data.get("to") or 0, "someone")
        return f"Reassigned from {frm} to {to}"
    if kind == CaseEventKind.ESCALATED:
        who, step = data.get("name", "the manager"), data.get("step", "")
        return f"Overdue: escalated to {who} (step {step})"
    if kind == CaseEventKind.REPLIED:
        return f"Reply emailed to the customer ({data.get('to', '')})"
    if kind == CaseEventKind.CUSTOMER:
        return "The customer answered"
    if kind == CaseEventKind.RESOLVED:
        return f"Resolved (root cause: {data.get('root_cause', '')})"
    if kind == CaseEventKind.FIRST_CONTACT:
        channel = str(data.get("channel", ""))
        return f"Contacted the customer ({dict(FIRST_CONTACT_CHANNELS).get(channel, channel)})"
    return str(dict(CaseEventKind.choices).get(kind, kind))


def _case_page(
    request: HttpRequest,
    member: Membership,
    case: Case,
    *,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    problem: str = "",
    status: int = 200,
) -> HttpResponse:
    org = member.organization
    members = list(Membership.objects.for_org(org).order_by("display_name"))
    names = {m.pk: m.display_name for m in members}
    answers = sorted(case.response.answers.all(), key=lambda a: a.question.position)
    reveal = may_see_contact_details(member)
    history_form = HistoryPageForm(org.pk, request.GET)
    history_problems = history_form.problems()
    if history_problems and status == 200:
        status = 400
    context = {
        "case": case,
        # Analysts and viewers see the customer's words masked and no contact details.
        "reveal": reveal,
        "title": case_title(case.title, case.contact, reveal),
        "shown_answers": [
            (
                a,
                a.text if reveal else redact(a.text),
                score_on_scale(a.question, a.number) if a.number is not None else None,
            )
            for a in answers
        ],
        # Everything else the customer told us and bought, this case's response included,
        # a page of responses at a time.
        "history": (
            customer_history(
                org,
                case.contact,
                reveal=reveal,
                money=may_see_money(member),
                page=history_form.page(),
            )
            if case.contact is not None
            else None
        ),
        "history_problems": history_problems,
        "first_contact_channels": FIRST_CONTACT_CHANNELS,
        "overdue": is_overdue(case),
        "answers": answers,
        "events": [(e, _describe(e, names)) for e in timeline(case)],
        "can_act": member.has_role(ACTOR),
        # Resolving has its own form (it needs a root cause); these are the plain moves.
        "next_statuses": [(s.value, s.label) for s in sorted(TRANSITIONS[CaseStatus(case.status)])],
        "resolved": case.status == CaseStatus.RESOLVED,
        "members": members,
        "root_causes": root_causes(org),
        "errors": errors or {},
        "values": values or {},
        "problem": problem,
        "max_note": MAX_NOTE_LENGTH,
        **_reason_context(org, case),
    }
    return render_page(request, member, "web/case.html", context, status=status, nav="cases")


def _reason_context(org: Organization, case: Case) -> dict[str, Any]:
    """Why the customer got in touch, when the response came from a described interaction."""
    interaction_id = case.response.interaction_id
    if interaction_id is None:
        return {"interaction": None}
    interaction = Interaction.objects.for_org(org).filter(pk=interaction_id).first()
    return {
        "interaction": interaction,
        "contact_reason": insight_queries.interaction_reason(org, interaction_id),
        "reasons": insight_queries.reasons(org),
    }


@staff_view
@require_GET
@reads(HistoryPageForm)
def case_page(request: HttpRequest, member: Membership, case_id: int) -> HttpResponse:
    return _case_page(request, member, _case_or_404(member, case_id))


def _acting(member: Membership, case_id: int) -> Case:
    case = _case_or_404(member, case_id)
    require_role(member, ACTOR)
    return case


def _refused(
    request: HttpRequest,
    member: Membership,
    case_id: int,
    exc: ValidationFailed | Conflict,
    values: dict[str, str],
) -> HttpResponse:
    """The case page again, as it is now, with what was wrong and what was typed."""
    case = _case_or_404(member, case_id)
    if isinstance(exc, ValidationFailed):
        return _case_page(request, member, case, errors=exc.errors, values=values, status=400)
    return _case_page(request, member, case, problem=str(exc), values=values, status=409)


@staff_view
@require_POST
@reads(ReasonForm)
def case_reason(request: HttpRequest, member: Membership, case_id: int) -> HttpResponse:
    """Staff say why the customer got in touch; the reason model learns from it."""
    case = _acting(member, case_id)
    form = ReasonForm(member.organization_id, request.POST)
    interaction_id = case.response.interaction_id
    interaction = (
        Interaction.objects.for_org(member.organization_id).filter(pk=interaction_id).first()
        if interaction_id
        else None
    )
    if interaction is None:
        errors = {"reason": "this case has no interaction"}
        return _refused(request, member, case_id, ValidationFailed(errors), {})
    try:
        reason = form.checked()["reason"]
    except ValidationFailed as exc:
        return _refused(request, member, case_id, exc, {})
    do_set_interaction_reason(interaction, reason, actor=member)
    messages.success(request, f"Reason for contact set to {reason.name}.")
    return redirect("web:case", case_id=case.pk)


@staff_view
@require_POST
@reads(FirstContactForm)
def case_first_contact(request: HttpRequest, member: Membership, case_id: int) -> HttpResponse:
    """ "Contacted the customer": how, and what was said; the first-contact time, once."""
    case = _acting(member, case_id)
    form = FirstContactForm(member.organization_id, request.POST)
    try:
        data = form.checked()
        do_record_first_contact(case, data["channel"], data["note"], actor=member)
    except (ValidationFailed, Conflict) as exc:
        return _refused(request, member, case_id, exc, values(form))
    messages.success(request, "First contact with the customer recorded.")
    return redirect("web:case", case_id=case.pk)


@staff_view
@require_POST
@reads(NoteForm)
def case_note(request: HttpRequest, member: Membership, case_id: int) -> HttpResponse:
    case = _acting(member, case_id)
    form = NoteForm(member.organization_id, request.POST)
    try:
        form.checked()
        do_add_note(case, form.cleaned_data["body"], actor=member)
    except ValidationFailed as exc:
        return _refused(request, member, case_id, exc, values(form))
    messages.success(request, "Note added.")
    return redirect("web:case", case_id=case.pk)


@staff_view
@require_POST
@reads(StatusForm)
def case_status(request: HttpRequest, member: Membership, case_id: int) -> HttpResponse:
    case = _acting(member, case_id)
    form = StatusForm(member.organization_id, request.POST)
    try:
        form.checked()
        status = form.cleaned_data["status"]
        do_set_status(case, status, actor=member)
    except (ValidationFailed, Conflict) as exc:
        return _refused(request, member, case_id, exc, {})
    messages.success(request, f"Status set to {CaseStatus(status).label}.")
    return redirect("web:case", case_id=case.pk)


@staff_view
@require_POST
@reads(ReassignForm)
def case_reassign(request: HttpRequest, member: Membership, case_id: int) -> HttpResponse:
    case = _acting(member, case_id)
    form = ReassignForm(member.organization_id, request.POST)
    try:
        form.checked()
        owner = form.cleaned_data["owner"]
        do_reassign(case, owner, form.cleaned_data["reason"], actor=member)
    except ValidationFailed as exc:
        return _refused(request, member, case_id, exc, values(form))
    messages.success(request, f"Case reassigned to {owner.display_name}.")
    return redirect("web:case", case_id=case.pk)


@staff_view
@require_POST
@reads(ResolveForm)
def case_resolve(request: HttpRequest, member: Membership, case_id: int) -> HttpResponse:
    case = _acting(member, case_id)
    form = ResolveForm(member.organization_id, request.POST)
    try:
        data = form.checked()
        do_resolve_case(case, data["root_cause"], data["resolution"], actor=member)
    except (ValidationFailed, Conflict) as exc:
        return _refused(request, member, case_id, exc, values(form))
    messages.success(request, "Case resolved.")
    return redirect("web:case", case_id=case.pk)
