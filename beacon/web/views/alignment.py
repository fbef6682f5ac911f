"""The alignment audit: rounds (send, close), their results and printable report, the
registry's primary persona, and the questionnaire a recipient opens from their email."""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from beacon.alignment.actions import (
    AnswerIn,
    StageAnswerIn,
    do_answer,
    do_close_round,
    do_create_round,
    privacy_note,
)
from beacon.alignment.models import Accountable, Recipient, Round
from beacon.alignment.queries import audience, link_state, recipient_by_token, round_of, rounds
from beacon.analytics.alignment import round_results, trend
from beacon.core import clock
from beacon.core.errors import ValidationFailed
from beacon.cxmodel.actions import do_set_primary_persona
from beacon.cxmodel.models import Journey, Persona
from beacon.orgs.models import Department, Membership, Role, Team
from beacon.web.access import render_page, require_role, staff_view
from beacon.web.forms.alignment import AnswerForm, PrimaryPersonaForm, RoundForm
from beacon.web.forms.common import reads, values

# Results are read by analysts and up (answers by department and role, and by person only
# in a round sent saying so); sending a round emails staff, an admin's job.
READER = Role.ANALYST
SENDER = Role.ADMIN
CLOSES_AT_HOUR = 18


def _list_page(
    request: HttpRequest,
    member: Membership,
    *,
    errors: dict[str, str] | None = None,
    sent: dict[str, Any] | None = None,
    status: int = 200,
) -> HttpResponse:
    org = member.organization
    context = {
        "rounds": list(rounds(org)),
        "trend": trend(org),
        "can_send": member.has_role(SENDER),
        "journeys": Journey.objects.for_org(org).order_by("pk"),
        "departments": Department.objects.for_org(org).order_by("name"),
        "teams": Team.objects.for_org(org).order_by("name"),
        "personas": Persona.objects.for_org(org).order_by("name"),
        "primary": Persona.objects.for_org(org).filter(primary=True).first(),
        "default_close": (clock.now().astimezone(org.zone) + dt.timedelta(days=14)).date(),
        "errors": errors or {},
        "values": sent or {},
    }
    return render_page(
        request, member, "web/alignment/list.html", context, status=status, nav="alignment"
    )


@staff_view
@require_GET
def alignment(request: HttpRequest, member: Membership) -> HttpResponse:
    require_role(member, READER)
    return _list_page(request, member)


def _closes_at(member: Membership, day: dt.date) -> dt.datetime:
    """The end of the working day, in the organisation's time zone."""
    return dt.datetime.combine(day, dt.time(CLOSES_AT_HOUR), tzinfo=member.organization.zone)


@staff_view
@require_POST
@reads(RoundForm)
def round_create(request: HttpRequest, member: Membership) -> HttpResponse:
    require_role(member, SENDER)
    form = RoundForm(member.organization_id, request.POST)
    try:
        data = form.checked()
        people = audience(
            member.organization_id,
            data["audience"],
            departments=data["departments"] or (),
            teams=data["teams"] or (),
        )
        issued = do_create_round(
            member.organization,
            data["title"],
            journey=data["journey"],
            closes_at=_closes_at(member, data["closes_on"]),
            recipients=people,
            show_names=data["show_names"],
            actor=member,
        )
    except ValidationFailed as exc:
        sent = values(form) | _ticked(form)
        return _list_page(request, member, errors=exc.errors, sent=sent, status=400)
    count = len(issued.tokens)
    messages.success(
        request, f"“{issued.round.title}” was sent to {count} member{'s' if count != 1 else ''}."
    )
    return redirect("web:alignment_round", round_id=issued.round.pk)


def _ticked(form: RoundForm) -> dict[str, Any]:
    """The boxes ticked, to tick them again on the page shown with the errors."""
    data = cast(QueryDict, form.data)
    return {
        "departments": data.getlist("departments"),
        "teams": data.getlist("teams"),
        "show_names": bool(data.get("show_names")),
    }


@staff_view
@require_POST
@reads(PrimaryPersonaForm)
def primary_persona(request: HttpRequest, member: Membership) -> HttpResponse:
    require_role(member, SENDER)
    form = PrimaryPersonaForm(member.organization_id, request.POST)
    try:
        persona = form.checked()["persona"]
    except ValidationFailed as exc:
        return _list_page(request, member, errors=exc.errors, status=400)
    do_set_primary_persona(persona, actor=member)
    messages.success(request, f"“{persona.name}” is now the registry's primary persona.")
    return redirect("web:alignment")


def _round(member: Membership, round_id: int) -> Round:
    found = round_of(member.organization_id, round_id)
    if found is None:
        raise Http404("no such round")
    return found


@staff_view
@require_GET
def round_results_page(request: HttpRequest, member: Membership, round_id: int) -> HttpResponse:
    require_role(member, READER)
    found = _round(member, round_id)
    context = {
        "round": found,
        "r": round_results(found),
        "can_send": member.has_role(SENDER),
    }
    return render_page(request, member, "web/alignment/results.html", context, nav="alignment")


@staff_view
@require_GET
def round_report(request: HttpRequest, member: Membership, round_id: int) -> HttpResponse:
    require_role(member, READER)
    found = _round(member, round_id)
    context = {
        "round": found,
        "r": round_results(found),
        "trend": trend(member.organization_id),
    }
    return render_page(request, member, "web/alignment/report.html", context, nav="alignment")


@staff_view
@require_POST
def round_close(request: HttpRequest, member: Membership, round_id: int) -> HttpResponse:
    require_role(member, SENDER)
    found = _round(member, round_id)
    if do_close_round(found, actor=member):
        messages.success(request, f"“{found.title}” is closed; its answers are final.")
    else:
        messages.info(request, f"“{found.title}” was already closed.")
    return redirect("web:alignment_round", round_id=found.pk)


# ------------------------------------------------------------------ the questionnaire


def _answer_in(form: AnswerForm, data: dict[str, Any]) -> AnswerIn:
    def member_or_none(value: Any) -> Membership | None:
        return value if isinstance(value, Membership) else None

    stages = []
    for stage, who, need, need_text in form.stage_rows:
        chosen = data[who]
        kind = Accountable.MEMBER if isinstance(chosen, Membership) else (chosen or "")
        stages.append(
            StageAnswerIn(
                stage=stage,
                accountable=kind,
                member=member_or_none(chosen),
                need=data[need],
                need_text=data[need_text],
            )
        )
    return AnswerIn(
        personas=[p for p in (data["persona_1"], data["persona_2"], data["persona_3"]) if p],
        persona_text=data["persona_text"],
        overall=member_or_none(data["overall"]),
        stages=stages,
    )


def _initial(recipient: Recipient) -> dict[str, Any]:
    """The recipient's saved answers, shown again: answering anew replaces them."""
    reply = getattr(recipient, "reply", None)
    if reply is None:
        return {}
    initial: dict[str, Any] = {
        "persona_1": reply.persona_1_id,
        "persona_2": reply.persona_2_id,
        "persona_3": reply.persona_3_id,
        "persona_text": reply.persona_text,
        "overall": reply.overall_id or Accountable.DONT_KNOW,
    }
    for answer in reply.stages.all():
        prefix = f"stage_{answer.stage_id}"
        initial[f"{prefix}_accountable"] = answer.member_id or answer.accountable
        initial[f"{prefix}_need"] = answer.need_id
        initial[f"{prefix}_need_text"] = answer.need_text
    return initial


def _value(form: AnswerForm, name: str) -> str:
    """What the field holds, as the page's <select> compares it: sent, else saved."""
    raw = form.data.get(name, "") if form.is_bound else form.initial.get(name, "")
    return "" if raw is None else str(raw)


def _member_label(m: Membership) -> str:
    return f"{m.display_name} ({m.department.name})" if m.department else m.display_name


def _questionnaire(
    request: HttpRequest,
    recipient: Recipient,
    form: AnswerForm,
    *,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> HttpResponse:
    org = recipient.round.organization
    people = (
        Membership.objects.for_org(org)
        .filter(deactivated_at__isnull=True)
        .select_related("department")
        .order_by("display_name", "pk")
    )
    context = {
        "round": recipient.round,
        "org": org,
        "privacy_note": privacy_note(recipient.round),
        "errors": errors or {},
        "answered": recipient.answered_at is not None,
        "personas": [(str(p.pk), p.name) for p in Persona.objects.for_org(org).order_by("name")],
        "persona_fields": [
            (name, form.fields[name].label, _value(form, name))
            for name in ("persona_1", "persona_2", "persona_3")
        ],
        "persona_text": _value(form, "persona_text"),
        "overall": _value(form, "overall"),
        "members": [
            (
                str(m.pk),
                f"{m.display_name} ({m.department.name})" if m.department else m.display_name,
            )
            for m in people
        ],
        "stage_rows": [
            {
                "stage": stage,
                "needs": list(stage.needs.all()),
                "who": who,
                "who_value": _value(form, who),
                "need": need,
                "need_value": _value(form, need),
                "need_text": need_text,
                "need_text_value": _value(form, need_text),
            }
            for stage, who, need, need_text in form.stage_rows
        ],
    }
    return render(request, "web/alignment/answer.html", context, status=status)


@require_http_methods(["GET", "POST"])
@reads(AnswerForm)
def answer(request: HttpRequest, token: str) -> HttpResponse:
    """The recipient's own page, reached from the link in their email (no sign-in)."""
    recipient = recipient_by_token(token)
    if recipient is None:
        raise Http404("this link is not known")
    state = link_state(recipient)
    if state != "open":
        context = {"round": recipient.round, "org": recipient.round.organization, "state": state}
        return render(request, "web/alignment/closed.html", context, status=410)
    if request.method == "GET":
        return _questionnaire(
            request, recipient, AnswerForm(recipient.round, initial=_initial(recipient))
        )
    form = AnswerForm(recipient.round, request.POST)
    try:
        do_answer(recipient, _answer_in(form, form.checked()))
    except ValidationFailed as exc:
        return _questionnaire(request, recipient, form, errors=exc.errors, status=400)
    messages.success(
        request,
        "Thank you: your answers are saved. You may change them here until the round closes.",
    )
    return redirect("web:alignment_answer", token=token)
