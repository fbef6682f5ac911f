"""Every write to personas, journeys, stages, touchpoints and needs."""

from __future__ import annotations

from django.db import transaction
from django.db.models import Max

from beacon.core.errors import ValidationFailed
from beacon.cxmodel.events import (
    journey_created,
    need_added,
    need_measure_set,
    need_owner_set,
    persona_created,
    persona_primary_set,
    stage_added,
    stage_owner_set,
    touchpoint_added,
)
from beacon.cxmodel.models import (
    Journey,
    Measure,
    Need,
    OwnerChange,
    Persona,
    ScoredQuestion,
    Stage,
    Touchpoint,
)
from beacon.orgs.models import Event, Membership, Organization

# The range a target may take per measure (a question's target is checked as a number).
TARGET_RANGES = {
    Measure.NPS: (-100.0, 100.0),
    Measure.CSAT: (0.0, 100.0),
    Measure.CES: (1.0, 7.0),
}


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


def _active_owner(owner: Membership) -> None:
    if owner.deactivated_at is not None:
        raise ValidationFailed({"owner": f"{owner.display_name} is deactivated"})


def _owner_changed(
    subject: Stage | Need,
    owner: Membership,
    previous_id: int | None,
    event: Event,
    actor: Membership | None,
) -> OwnerChange:
    """The ownership history row of one change (the event says who did it and when)."""
    return OwnerChange.objects.create(
        organization_id=subject.organization_id,
        stage=subject if isinstance(subject, Stage) else None,
        need=subject if isinstance(subject, Need) else None,
        owner=owner,
        previous_owner_id=previous_id,
        actor=actor,
        event=event,
    )


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
    _active_owner(owner)
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
    event = stage_added(org, stage, actor=actor, owner=owner.pk)
    _owner_changed(stage, owner, None, event, actor)
    return stage


@transaction.atomic
def do_set_stage_owner(stage: Stage, owner: Membership, *, actor: Membership | None = None) -> None:
    """Give the stage a new accountable owner; the same owner again changes nothing."""
    _same_org(stage.organization, owner=owner)
    _active_owner(owner)
    # The row is locked while read, so two changes at once each record the owner they
    # replaced rather than both recording the same one.
    previous = Stage.objects.select_for_update().filter(pk=stage.pk).values_list("owner_id")
    previous_id = previous.get()[0]
    stage.owner = owner
    if previous_id == owner.pk:
        return
    Stage.objects.filter(pk=stage.pk).update(owner=owner)
    event = stage_owner_set(stage.organization_id, stage, actor=actor, owner=owner.pk)
    _owner_changed(stage, owner, previous_id, event, actor)


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
    measure: str = "",
    target: float | None = None,
    question: ScoredQuestion | None = None,
    actor: Membership | None = None,
) -> Need:
    _require(description=description, successful_outcome=successful_outcome)
    _same_org(stage.organization, owner=owner, persona=persona, question=question)
    _active_owner(owner)
    _check_measure(measure, target, question)
    need = Need.objects.create(
        organization_id=stage.organization_id,
        stage=stage,
        persona=persona,
        description=description,
        successful_outcome=successful_outcome,
        metric=metric,
        measure=measure,
        measure_question_id=question.pk if question is not None else None,
        target=target if measure else None,
        owner=owner,
    )
    event = need_added(stage.organization_id, need, actor=actor)
    _owner_changed(need, owner, None, event, actor)
    return need


@transaction.atomic
def do_set_need_owner(need: Need, owner: Membership, *, actor: Membership | None = None) -> None:
    """Give the need a new accountable owner; the same owner again changes nothing."""
    _same_org(need.organization, owner=owner)
    _active_owner(owner)
    previous_id = (
        Need.objects.select_for_update().filter(pk=need.pk).values_list("owner_id").get()[0]
    )
    need.owner = owner
    if previous_id == owner.pk:
        return
    Need.objects.filter(pk=need.pk).update(owner=owner)
    event = need_owner_set(need.organization_id, need, actor=actor, owner=owner.pk)
    _owner_changed(need, owner, previous_id, event, actor)


def _check_measure(measure: str, target: float | None, question: ScoredQuestion | None) -> None:
    errors: dict[str, str] = {}
    if measure and measure not in Measure.values:
        errors["measure"] = f"must be one of {', '.join(Measure.values)}"
    elif measure and target is None:
        errors["target"] = "a measured need needs its target"
    elif measure in TARGET_RANGES and target is not None:
        low, high = TARGET_RANGES[Measure(measure)]
        if not low <= target <= high:
            errors["target"] = f"must be from {low:g} to {high:g} for {measure.upper()}"
    if measure == Measure.QUESTION and question is None:
        errors["question"] = "choose the question that measures this need"
    elif question is not None and measure != Measure.QUESTION:
        errors["question"] = "a question is named only with the measure 'question'"
    elif question is not None and not question.is_scored:
        errors["question"] = "choose a question answered with a score"
    if errors:
        raise ValidationFailed(errors)


@transaction.atomic
def do_set_need_measure(
    need: Need,
    measure: str,
    target: float | None,
    *,
    question: ScoredQuestion | None = None,
    actor: Membership | None = None,
) -> None:
    """Name (or clear, with measure "") what shows the need is met and the target."""
    _same_org(need.organization, question=question)
    _check_measure(measure, target, question)
    need.measure = measure
    need.target = target if measure else None
    need.measure_question_id = question.pk if question is not None else None
    Need.objects.filter(pk=need.pk).update(
        measure=need.measure, target=need.target, measure_question_id=need.measure_question_id
    )
    need_measure_set(
        need.organization_id,
        need,
        actor=actor,
        measure=measure,
        target=need.target,
        question=need.measure_question_id,
    )
