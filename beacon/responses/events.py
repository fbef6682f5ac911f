"""The responses app's event verbs, one function per event (the audit trail of its writes)."""

from __future__ import annotations

from beacon.orgs.events import EventVerb, record_event
from beacon.orgs.models import Event, Membership, Organization
from beacon.responses.models import Response
from beacon.surveys.models import Survey


class ResponseEvent(EventVerb):
    RESPONSE_ANSWERED = "response.answered"
    RESPONSE_CREATED = "response.created"
    RESPONSE_DELETED = "response.deleted"
    RESPONSES_RECEIVED = "responses.received"
    ROLLUPS_ATTRIBUTES_SET = "rollups.attributes_set"


def response_answered(org: Organization | int, response: Response, *, complete: bool) -> Event:
    return record_event(org, ResponseEvent.RESPONSE_ANSWERED, response, complete=complete)


def response_created(org: Organization | int, response: Response, *, channel: str) -> Event:
    return record_event(org, ResponseEvent.RESPONSE_CREATED, response, channel=channel)


def responses_received(survey: Survey, *, count: int, channel: str) -> Event:
    """Responses to one survey stored by one batch call (one event, not one per response)."""
    return record_event(
        survey.organization_id, ResponseEvent.RESPONSES_RECEIVED, survey, count=count,
        channel=channel,
    )  # fmt: skip


def response_deleted(
    org: Organization | int, response: Response, *, actor: Membership | None = None
) -> Event:
    return record_event(org, ResponseEvent.RESPONSE_DELETED, response, actor=actor)


def rollups_attributes_set(
    org: Organization, *, actor: Membership | None = None, keys: list[str]
) -> Event:
    return record_event(org, ResponseEvent.ROLLUPS_ATTRIBUTES_SET, org, actor=actor, keys=keys)
