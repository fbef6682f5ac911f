"""The cxmodel app's event verbs, one function per event (the audit trail of its writes)."""

from __future__ import annotations

from beacon.cxmodel.models import Journey, Need, Persona, Stage, Touchpoint
from beacon.orgs.events import EventVerb, record_event
from beacon.orgs.models import Event, Membership, Organization


class CxModelEvent(EventVerb):
    JOURNEY_CREATED = "journey.created"
    NEED_ADDED = "need.added"
    NEED_MEASURE_SET = "need.measure_set"
    NEED_OWNER_SET = "need.owner_set"
    PERSONA_CREATED = "persona.created"
    PERSONA_PRIMARY_SET = "persona.primary_set"
    STAGE_ADDED = "stage.added"
    STAGE_OWNER_SET = "stage.owner_set"
    TOUCHPOINT_ADDED = "touchpoint.added"


def journey_created(
    org: Organization | int, journey: Journey, *, actor: Membership | None = None
) -> Event:
    return record_event(org, CxModelEvent.JOURNEY_CREATED, journey, actor=actor)


def need_added(org: Organization | int, need: Need, *, actor: Membership | None = None) -> Event:
    return record_event(org, CxModelEvent.NEED_ADDED, need, actor=actor)


def need_owner_set(
    org: Organization | int, need: Need, *, actor: Membership | None = None, owner: int
) -> Event:
    return record_event(org, CxModelEvent.NEED_OWNER_SET, need, actor=actor, owner=owner)


def need_measure_set(
    org: Organization | int,
    need: Need,
    *,
    actor: Membership | None = None,
    measure: str,
    target: float | None,
    question: int | None,
) -> Event:
    return record_event(
        org,
        CxModelEvent.NEED_MEASURE_SET,
        need,
        actor=actor,
        measure=measure,
        target=target,
        question=question,
    )


def persona_created(
    org: Organization | int, persona: Persona, *, actor: Membership | None = None
) -> Event:
    return record_event(org, CxModelEvent.PERSONA_CREATED, persona, actor=actor)


def persona_primary_set(
    org: Organization | int, persona: Persona, *, actor: Membership | None = None
) -> Event:
    return record_event(org, CxModelEvent.PERSONA_PRIMARY_SET, persona, actor=actor)


def stage_added(
    org: Organization | int, stage: Stage, *, actor: Membership | None = None, owner: int
) -> Event:
    return record_event(org, CxModelEvent.STAGE_ADDED, stage, actor=actor, owner=owner)


def stage_owner_set(
    org: Organization | int, stage: Stage, *, actor: Membership | None = None, owner: int
) -> Event:
    return record_event(org, CxModelEvent.STAGE_OWNER_SET, stage, actor=actor, owner=owner)


def touchpoint_added(
    org: Organization | int, tp: Touchpoint, *, actor: Membership | None = None
) -> Event:
    return record_event(org, CxModelEvent.TOUCHPOINT_ADDED, tp, actor=actor)
