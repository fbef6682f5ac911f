"""The CX model: personas and journeys with stages, owners, touchpoints and needs."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.db.models import prefetch_related_objects
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_GET, require_POST

from beacon.core.errors import ValidationFailed
from beacon.cxmodel.actions import do_add_need, do_add_stage
from beacon.cxmodel.models import Persona
from beacon.cxmodel.queries import journeys_with_stages, personas
from beacon.orgs.models import Membership, Role
from beacon.web.access import render_page, require_role, staff_view
from beacon.web.forms.common import reads, values
from beacon.web.forms.cx import NeedForm, StageForm
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
) -> HttpResponse:
    org = member.organization
    journeys = journeys_with_stages(org)
    context = {
        "journeys": journeys,
        "can_edit": member.has_role(MODELLER),
        "members": Membership.objects.for_org(org).order_by("display_name"),
        "persona_options": Persona.objects.for_org(org).order_by("name"),
        "stage_crowns": _stage_crowns(member, journeys),
        "stage_options": [
            (journey, list(journey.stages.all())) for journey in journeys if journey.stages.all()
        ],
        "errors": errors or {},
        "form": form,
        "values": values or {},
    }
    return render_page(request, member, "web/journey.html", context, status=status, nav="journey")


def _stage_crowns(member: Membership, journeys: Any) -> list[tuple[Any, Any]] | None:
    """(stage, triple-crown panel) in journey order, for members who may see money."""
    crowns = stage_crowns(member)
    if crowns is None:
        return None
    return [(s, crowns.get(s.pk, {})) for j in journeys for s in j.stages.all()]


@staff_view
@require_GET
def journey(request: HttpRequest, member: Membership) -> HttpResponse:
    return _journey_page(request, member)


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
            actor=member,
        )
    except ValidationFailed as exc:
        return _journey_page(
            request, member, errors=exc.errors, form="need", values=values(form), status=400
        )
    messages.success(request, f"Need added to “{stage.name}”, owned by {owner.display_name}.")
    return redirect("web:journey")
