"""Entry points hand interactions and responses here; fan-out runs after commit.

There are no signals: after a response is stored, the job queue is woken once the
transaction has committed, and the worker runs `processing.process_response`.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

from beacon.contacts.actions import InteractionIn, do_record_interaction
from beacon.contacts.models import Interaction
from beacon.core.jobs import enqueue_on_commit
from beacon.insights.reasons import queue_reason_reading
from beacon.orgs.models import Membership, Organization
from beacon.responses.checks import ResponseIn
from beacon.responses.ingest import IngestResult, ingest, ingest_bulk
from beacon.responses.models import Response
from beacon.surveys.distribution import do_trigger
from beacon.surveys.models import Invitation, InvitationChannel


def submit_response(data: ResponseIn) -> IngestResult:
    """Store answers (one transaction), then process the response after commit."""
    with transaction.atomic():
        result = ingest(data)
        if result.changed:
            if not result.created:  # a new row was never processed
                Response.objects.filter(pk=result.response.pk).update(processed_at=None)
            _enqueue_processing(result.response.pk)
    return result


def submit_bulk(items: list[ResponseIn]) -> list[Response]:
    with transaction.atomic():
        created = ingest_bulk(items)
        for response in created:
            _enqueue_processing(response.pk)
    return created


def _enqueue_processing(response_id: int) -> None:
    from beacon.pipeline.tasks import process_response_task

    enqueue_on_commit(process_response_task, response_id)


@dataclass(frozen=True)
class ReceivedInteraction:
    interaction: Interaction
    created: bool
    invitations: list[Invitation]


@transaction.atomic
def receive_interaction(
    org: Organization,
    data: InteractionIn,
    *,
    channel: str = InvitationChannel.LINK,
    actor: Membership | None = None,
    read_reason: bool = True,
) -> ReceivedInteraction:
    """Record the interaction once and invite the contact to every matching survey.

    Rules, sampling and the survey budget decide (`surveys.distribution`); a repeated
    interaction (same idempotency key) decides nothing again and returns what the first
    one created.
    """
    recorded = do_record_interaction(org, data, actor=actor)
    interaction = recorded.interaction
    if not recorded.created:
        invitations = list(
            Invitation.objects.for_org(org).filter(interaction=interaction).order_by("pk")
        )
        return ReceivedInteraction(interaction, False, invitations)
    result = do_trigger(interaction, default_channel=channel)
    if read_reason:  # imports read their reasons once, after the whole file
        queue_reason_reading(interaction)
    return ReceivedInteraction(interaction, True, result.invitations)
