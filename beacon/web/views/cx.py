"""The CX model: personas and journeys with stages, owners, touchpoints and needs."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.db.models import prefetch_related_objects
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_GET, require_POST

from beacon.analytics.journey import SCORE_KEYS, StageFigures, journey_map
from beacon.core import clock
from beacon.core.errors import ValidationFailed
from beacon.cxmodel.actions import (
    do_add_need,
    do_add_stage,
    do_set_need_measure,
    do_set_stage_owner,
)
from beacon.cxmodel.models import Measure, Persona
from beacon.cxmodel.queries import personas
from beacon.orgs.models import Membership, Role
from beacon.surveys.models import SCORED_KINDS, Question
from beacon.web.access import render_page, require_role, staff_view
from beacon.web.forms.common import reads, values
from beacon.web.forms.cx import (
    SCALES,
    NeedForm,
    NeedMeasureForm,
    ScaleForm,
    StageForm,
    StageOwnerForm,
)
from beacon.web.present import shown
from beacon.web.views.value import stage_crowns

# Changing the shared CX model is an admin's job: it is the vocabulary everyone uses.
MODELLER = Role.ADMIN


@staff_view
@require_GET
def persona_list(request: HttpRequest, member: Membership) -> HttpResponse:
    found = personas(member.organization)
    prefetch_related_objects(found, "stage_needs__stage", "stage_needs__owner")
    return render_page(request, member, "web/personas.html", {"personas": found}, nav="personas")


def _journey_page(
    request: HttpRequest,
    member: Membership,
    *,
    errors: dict[str, str] | None = None,
    form: str = "",
    values: dict[str, Any] | None = None,
    status: int = 200,
    perfect: bool = False,
) -> HttpResponse:
    org = member.organization
    figures = journey_map(org, clock.now(), perfect=perfect)
    journeys = [journey for journey, _ in figures.journeys]
    context = {
        "map": figures,
        "journeys": journeys,
        "stages": [
            (journey, [_stage_row(fig) for fig in figs]) for journey, figs in figures.journeys
        ],
        "scales": SCALES,
        "scale": "perfect" if perfect else "native",
        "can_edit": member.has_role(MODELLER),
        "stage_crowns": _stage_crowns(member, journeys),
        "errors": errors or {},
        "form": form,
        "form_is_need": form == "need",
        "form_is_measure": form == "measure",
        "values": values or {},
    }
    if context["can_edit"]:
        context.update(_editing(member, journeys))
    return render_page(request, member, "web/journey.html", context, status=status, nav="journey")


def _stage_row(fig: StageFigures) -> dict[str, Any]:
    """One stage as the page shows it: each score beside its trend, each need's figure."""
    return {
        "fig": fig,
        "scores": [(shown(fig.scores[k]), fig.trends[k]) for k in SCORE_KEYS],
        "needs": [(n, shown(n.value) if n.value else None) for n in fig.needs],
    }


def _editing(member: Membership, journeys: list[Any]) -> dict[str, Any]:
    """The choices of the editing forms (admins only: other members never load them)."""
    org = member.organization
    return {
        "members": Membership.objects.for_org(org)
        .filter(deactivated_at__isnull=True)
        .order_by("display_name"),
        "persona_options": Persona.objects.for_org(org).order_by("name"),
        "stage_options": [
            (journey, list(journey.stages.all())) for journey in journeys if journey.stages.all()
        ],
        "need_options": [n for j in journeys for s in j.stages.all() for n in s.needs.all()],
        "measures": Measure.choices,
        "questions": Question.objects.for_org(org)
        .filter(kind__in=sorted(SCORED_KINDS))
        .select_related("survey")
        .order_by("survey__name", "position"),
    }


def _stage_crowns(member: Membership, journeys: Any) -> list[tuple[Any, Any]] | None:
    """(stage, triple-crown panel) in journey order, for members who may see money."""
    crowns = stage_crowns(member)
    if crowns is None:
        return None
    return [(s, crowns.get(s.pk, {})) for j in journeys for s in j.stages.all()]


@staff_view
@require_GET
@reads(ScaleForm)
def journey(request: HttpRequest, member: Membership) -> HttpResponse:
    form = ScaleForm(member.organization_id, request.GET)
    problems = form.problems()
    return _journey_page(
        request,
        member,
        perfect=form.perfect(),
        errors=problems,
        form="scale" if problems else "",
        status=400 if problems else 200,
    )


@staff_view
@require_POST
@reads(StageForm)
def stage_add(request: HttpRequest, member: Membership) -> HttpResponse:
    require_role(member, MODELLER)
    form = StageForm(member.organization_id, request.POST)
    try:
        data = form.checked()
        stage = do_add_stage(
            data["journey"],
            data["name"],
            owner=data["owner"],
            inside_company=data["inside_company"] == "1",
            description=data["description"],
            actor=member,
        )
    except ValidationFailed as exc:
        return _journey_page(
            request, member, errors=exc.errors, form="stage", values=values(form), status=400
        )
    messages.success(request, f"Stage “{stage.name}” added, owned by {stage.owner.display_name}.")
    return redirect("web:journey")


@staff_view
@require_POST
@reads(NeedForm)
def need_add(request: HttpRequest, member: Membership) -> HttpResponse:
    require_role(member, MODELLER)
    form = NeedForm(member.organization_id, request.POST)
    try:
        data = form.checked()
        stage, owner = data["stage"], data["owner"]
        do_add_need(
            stage,
            data["description"],
            data["successful_outcome"],
            owner=owner,
            persona=data["persona"],
            metric=data["metric"].strip(),
            measure=data["measure"],
            target=data["target"],
            question=data["question"],
            actor=member,
        )
    except ValidationFailed as exc:
        return _journey_page(
            request, member, errors=exc.errors, form="need", values=values(form), status=400
        )
    messages.success(request, f"Need added to “{stage.name}”, owned by {owner.display_name}.")
    return redirect("web:journey")


@staff_view
@require_POST
@reads(StageOwnerForm)
def stage_owner(request: HttpRequest, member: Membership) -> HttpResponse:
    require_role(member, MODELLER)
    form = StageOwnerForm(member.organization_id, request.POST)
    try:
        data = form.checked()
        stage, owner = data["stage"], data["owner"]
        do_set_stage_owner(stage, owner, actor=member)
    except ValidationFailed as exc:
        return _journey_page(
            request, member, errors=exc.errors, form="owner", values=values(form), status=400
        )
    messages.success(request, f"“{stage.name}” is now owned by {owner.display_name}.")
    return redirect("web:journey")


@staff_view
@require_POST
@reads(NeedMeasureForm)
def need_measure(request: HttpRequest, member: Membership) -> HttpResponse:
    require_role(member, MODELLER)
    form = NeedMeasureForm(member.organization_id, request.POST)
    try:
        data = form.checked()
        need = data["need"]
        do_set_need_measure(
            need, data["measure"], data["target"], question=data["question"], actor=member
        )
    except ValidationFailed as exc:
        return _journey_page(
            request, member, errors=exc.errors, form="measure", values=values(form), status=400
        )
    messages.success(request, f"Measure of “{need.description[:60]}” saved.")
    return redirect("web:journey")
