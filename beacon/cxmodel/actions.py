"""Every write to personas, journeys, stages, touchpoints and needs."""

from __future__ import annotations

from django.db import transaction
from django.db.models import Max

from beacon.core.errors import ValidationFailed
from beacon.cxmodel.events import (
    journey_created,
    need_added,
    persona_created,
    persona_primary_set,
    stage_added,
    stage_owner_set,
    touchpoint_added,
)
from beacon.cxmodel.models import Journey, Need, Persona, Stage, Touchpoint
from beacon.orgs.models import Membership, Organization


def _require(**fields: str) -> None:
    errors = {name: "must not be empty" for name, value in fields.items() if not value.strip()}
    if errors:
        raise ValidationFailed(errors)


def _same_org(org: Organization, **objs: object) -> None:
    errors = {
        name: "belongs to another organisation"
        for name, obj in objs.items()
        if obj is not None and getattr(obj, "organization_id", None) != org.pk
    }
    if errors:
        raise ValidationFailed(errors)


@transaction.atomic
def do_create_persona(
    org: Organization, name: str, description: str, needs: str, *, actor: Membership | None = None
) -> Persona:
    _require(name=name, description=description, needs=needs)
    persona = Persona.objects.create(
        organization=org, name=name.strip(), description=description, needs=needs
    )
    persona_created(org, persona, actor=actor)
    return persona


@transaction.atomic
def do_set_primary_persona(persona: Persona, *, actor: Membership | None = None) -> None:
    """Make `persona` the registry's primary one; the previous primary stops being it."""
    org_id = persona.organization_id
    # Clear first: the partial unique constraint allows one primary per organisation.
    Persona.objects.for_org(org_id).filter(primary=True).exclude(pk=persona.pk).update(
        primary=False
    )
    Persona.objects.filter(pk=persona.pk).update(primary=True)
    persona.primary = True
    persona_primary_set(org_id, persona, actor=actor)


@transaction.atomic
def do_create_journey(
    org: Organization, name: str, description: str = "", *, actor: Membership | None = None
) -> Journey:
    _require(name=name)
    journey = Journey.objects.create(organization=org, name=name.strip(), description=description)
    journey_created(org, journey, actor=actor)
    return journey


@transaction.atomic
def do_add_stage(
    journey: Journey,
    name: str,
    *,
    owner: Membership,
    inside_company: bool = True,
    description: str = "",
    actor: Membership | None = None,
) -> Stage:
    org = journey.organization
    _require(name=name)
    _same_org(org, owner=owner)
    last = Stage.objects.filter(journey=journey).aggregate(m=Max("position"))["m"]
    stage = Stage.objects.create(
        organization=org,
        journey=journey,
        name=name.strip(),
        position=(last or 0) + 1,
        inside_company=inside_company,
        description=description,
        owner=owner,
    )
    stage_added(org, stage, actor=actor, owner=owner.pk)
    return stage


@transaction.atomic
def do_set_stage_owner(stage: Stage, owner: Membership, *, actor: Membership | None = None) -> None:
    _same_org(stage.organization, owner=owner)
    Stage.objects.filter(pk=stage.pk).update(owner=owner)
    stage.owner = owner
    stage_owner_set(stage.organization_id, stage, actor=actor, owner=owner.pk)


@transaction.atomic
def do_add_touchpoint(
    stage: Stage, name: str, channel: str = "", *, actor: Membership | None = None
) -> Touchpoint:
    _require(name=name)
    tp = Touchpoint.objects.create(
        organization_id=stage.organization_id, stage=stage, name=name.strip(), channel=channel
    )
    touchpoint_added(stage.organization_id, tp, actor=actor)
    return tp


@transaction.atomic
def do_add_need(
    stage: Stage,
    description: str,
    successful_outcome: str,
    *,
    owner: Membership,
    persona: Persona | None = None,
    metric: str = "",
    actor: Membership | None = None,
) -> Need:
    _require(description=description, successful_outcome=successful_outcome)
    _same_org(stage.organization, owner=owner, persona=persona)
    need = Need.objects.create(
        organization_id=stage.organization_id,
        stage=stage,
        persona=persona,
        description=description,
        successful_outcome=successful_outcome,
        metric=metric,
        owner=owner,
    )
    need_added(stage.organization_id, need, actor=actor)
    return need
