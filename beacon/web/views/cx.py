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
from beacon.cxmodel.models import Journey, Persona, Stage
from beacon.cxmodel.queries import journeys_with_stages, personas
from beacon.orgs.models import Membership, Role
from beacon.web.access import render_page, require_role, staff_view
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


def _pick(
    model: Any, member: Membership, raw: str, field: str, errors: dict[str, str], what: str
) -> Any:
    """The row of this organisation with id `raw`, or None and a message naming the field."""
    if not raw:
        return None
    found = (
        model.objects.for_org(member.organization_id).filter(pk=int(raw)).first()
        if raw.isdigit()
        else None
    )
    if found is None:
        errors[field] = f"choose a {what} of this organisation"
    return found


def _limits(values: dict[str, Any], limits: dict[str, int], errors: dict[str, str]) -> None:
    for field, limit in limits.items():
        if len(str(values.get(field, ""))) > limit:
            errors[field] = f"must be at most {limit} characters"


@staff_view
@require_POST
def stage_add(request: HttpRequest, member: Membership) -> HttpResponse:
    require_role(member, MODELLER)
    post = request.POST
    values: dict[str, Any] = {
        "journey": post.get("journey", ""),
        "name": post.get("name", ""),
        "owner": post.get("owner", ""),
        "description": post.get("description", ""),
        "inside_company": post.get("inside_company") == "1",
    }
    errors: dict[str, str] = {}
    target = _pick(Journey, member, values["journey"], "journey", errors, "journey")
    owner = _pick(Membership, member, values["owner"], "owner", errors, "member")
    if not values["journey"]:
        errors["journey"] = "choose the journey"
    if not values["owner"]:
        errors["owner"] = "every stage needs one accountable owner"
    _limits(values, {"name": 120}, errors)
    try:
        if errors:
            raise ValidationFailed(errors)
        stage = do_add_stage(
            target,
            values["name"],
            owner=owner,
            inside_company=values["inside_company"],
            description=values["description"],
            actor=member,
        )
    except ValidationFailed as exc:
        return _journey_page(
            request, member, errors=exc.errors, form="stage", values=values, status=400
        )
    messages.success(request, f"Stage “{stage.name}” added, owned by {owner.display_name}.")
    return redirect("web:journey")


@staff_view
@require_POST
def need_add(request: HttpRequest, member: Membership) -> HttpResponse:
    require_role(member, MODELLER)
    post = request.POST
    values: dict[str, Any] = {
        key: post.get(key, "")
        for key in ("stage", "persona", "owner", "description", "successful_outcome", "metric")
    }
    errors: dict[str, str] = {}
    stage = _pick(Stage, member, values["stage"], "stage", errors, "stage")
    owner = _pick(Membership, member, values["owner"], "owner", errors, "member")
    persona = _pick(Persona, member, values["persona"], "persona", errors, "persona")
    if not values["stage"]:
        errors["stage"] = "choose the stage"
    if not values["owner"]:
        errors["owner"] = "every need needs one accountable owner"
    _limits(values, {"metric": 200}, errors)
    try:
        if errors:
            raise ValidationFailed(errors)
        do_add_need(
            stage,
            values["description"],
            values["successful_outcome"],
            owner=owner,
            persona=persona,
            metric=values["metric"].strip(),
            actor=member,
        )
    except ValidationFailed as exc:
        return _journey_page(
            request, member, errors=exc.errors, form="need", values=values, status=400
        )
    messages.success(request, f"Need added to “{stage.name}”, owned by {owner.display_name}.")
    return redirect("web:journey")
