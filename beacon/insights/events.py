"""The insights app's event verbs, one function per event (the audit trail of its writes)."""

from __future__ import annotations

from beacon.insights.models import (
    ContactReason,
    Correction,
    InteractionReason,
    Praise,
    Theme,
    TrainedModel,
)
from beacon.orgs.events import EventVerb, record_event, record_events
from beacon.orgs.models import Event, Membership, Organization
from beacon.responses.models import Response


class InsightsEvent(EventVerb):
    CONTACT_REASON_CREATED = "contact_reason.created"
    CONTACT_REASON_UPDATED = "contact_reason.updated"
    INSIGHTS_ANALYSED = "insights.analysed"
    INSIGHTS_BACKFILLED = "insights.backfilled"
    INSIGHTS_CORRECTED = "insights.corrected"
    INSIGHTS_MODEL_TRAINED = "insights.model_trained"
    INSIGHTS_PRAISE_RECORDED = "insights.praise_recorded"
    INSIGHTS_REASON_SET = "insights.reason_set"
    INSIGHTS_REASONS_READ = "insights.reasons_read"
    THEME_CREATED = "theme.created"
    THEME_UPDATED = "theme.updated"


def contact_reason_created(
    org: Organization | int, reason: ContactReason, *, actor: Membership | None = None, name: str
) -> Event:
    return record_event(org, InsightsEvent.CONTACT_REASON_CREATED, reason, actor=actor, name=name)


def contact_reason_updated(
    org: Organization | int, reason: ContactReason, *, actor: Membership | None = None, name: str
) -> Event:
    return record_event(org, InsightsEvent.CONTACT_REASON_UPDATED, reason, actor=actor, name=name)


def insights_analysed(
    org: Organization | int, response: Response, *, answers: int, model: str
) -> Event:
    return record_event(
        org, InsightsEvent.INSIGHTS_ANALYSED, response, answers=answers, model=model
    )


def insights_analysed_many(
    org: Organization | int, responses: list[tuple[Response, int]], *, model: str
) -> None:
    """`insights_analysed` for a batch's responses (with how many answers each), one INSERT."""
    record_events(
        org,
        InsightsEvent.INSIGHTS_ANALYSED,
        [(response, {"answers": answers, "model": model}) for response, answers in responses],
    )


def insights_backfilled(org: Organization, *, answers: int, model: str) -> Event:
    return record_event(org, InsightsEvent.INSIGHTS_BACKFILLED, org, answers=answers, model=model)


def insights_corrected(
    org: Organization | int, correction: Correction, *, actor: Membership | None = None, kind: str
) -> Event:
    return record_event(org, InsightsEvent.INSIGHTS_CORRECTED, correction, actor=actor, kind=kind)


def insights_model_trained(
    org: Organization | int,
    record: TrainedModel,
    *,
    actor: Membership | None = None,
    version: int,
    quality: float | None,
) -> Event:
    return record_event(
        org,
        InsightsEvent.INSIGHTS_MODEL_TRAINED,
        record,
        actor=actor,
        version=version,
        quality=quality,
    )


def insights_praise_recorded(org: Organization | int, praise: Praise, *, member: int) -> Event:
    return record_event(org, InsightsEvent.INSIGHTS_PRAISE_RECORDED, praise, member=member)


def insights_reason_set(
    org: Organization | int, row: InteractionReason, *, actor: Membership | None = None, reason: int
) -> Event:
    return record_event(org, InsightsEvent.INSIGHTS_REASON_SET, row, actor=actor, reason=reason)


def insights_reasons_read(
    org: Organization | int, record: TrainedModel, *, interactions: int, model: str
) -> Event:
    return record_event(
        org, InsightsEvent.INSIGHTS_REASONS_READ, record, interactions=interactions, model=model
    )


def theme_created(
    org: Organization | int, theme: Theme, *, actor: Membership | None = None, name: str
) -> Event:
    return record_event(org, InsightsEvent.THEME_CREATED, theme, actor=actor, name=name)


def theme_updated(
    org: Organization | int, theme: Theme, *, actor: Membership | None = None, name: str
) -> Event:
    return record_event(org, InsightsEvent.THEME_UPDATED, theme, actor=actor, name=name)
