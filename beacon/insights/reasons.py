"""Reasons for contact: the list staff keep, labels they set, and queueing the worker's reading.

Web-safe: the reading itself is in reason_reading.py (worker-only).
"""

from __future__ import annotations

from django.db import transaction

from beacon.contacts.models import Interaction
from beacon.core.errors import ValidationFailed
from beacon.core.jobs import enqueue_on_commit, enqueue_once_on_commit
from beacon.insights.events import (
    contact_reason_created,
    contact_reason_updated,
    insights_reason_set,
)
from beacon.insights.models import (
    ContactReason,
    InteractionReason,
)
from beacon.insights.tasks import (
    classify_interaction_task,
    read_unread_reasons_task,
    train_reasons_task,
)
from beacon.insights.taxonomy import create_named, update_named
from beacon.orgs.models import Membership, Organization

# Staff labels are the truth the model learns from; the model never overwrites them.
STAFF = "staff"
MODEL = "model"
A_REASON = "a reason"


@transaction.atomic
def do_create_reason(
    org: Organization,
    name: str,
    description: str = "",
    phrases: list[str] | None = None,
    *,
    actor: Membership | None = None,
) -> ContactReason:
    reason = create_named(ContactReason, org, name, description, phrases, what=A_REASON)
    contact_reason_created(org, reason, actor=actor, name=reason.name)
    queue_reason_training(org.pk)
    return reason


@transaction.atomic
def do_update_reason(
    reason: ContactReason,
    *,
    name: str,
    description: str,
    phrases: list[str] | None,
    active: bool = True,
    actor: Membership | None = None,
) -> ContactReason:
    update_named(reason, name, description, phrases, active, what=A_REASON)
    contact_reason_updated(reason.organization_id, reason, actor=actor, name=reason.name)
    queue_reason_training(reason.organization_id)
    return reason


def queue_reason_training(org_id: int) -> None:
    """Reasons or staff labels changed: the worker retrains and rereads what the model read."""

    enqueue_once_on_commit(train_reasons_task, org_id)


def queue_reason_reading(interaction: Interaction) -> None:
    """A new interaction with a description: the worker reads why the customer got in touch
    (the web server that recorded it does not load the text models)."""
    queue_reasons_reading([interaction])


def queue_reasons_reading(interactions: list[Interaction]) -> None:
    """`queue_reason_reading` for new interactions of one organisation: one query."""
    described = [i for i in interactions if i.description.strip()]
    if not described:
        return
    org_id = described[0].organization_id
    if ContactReason.objects.for_org(org_id).filter(active=True).exists():
        for interaction in described:
            enqueue_on_commit(classify_interaction_task, interaction.pk)


@transaction.atomic
def do_set_interaction_reason(
    interaction: Interaction, reason: ContactReason, *, actor: Membership | None
) -> InteractionReason:
    """A person says why the customer got in touch: kept, and learned from."""
    if reason.organization_id != interaction.organization_id:
        raise ValidationFailed({"reason_id": "is not a reason of this organisation"})
    (row,) = InteractionReason.objects.bulk_create(
        [
            InteractionReason(
                organization_id=interaction.organization_id,
                interaction=interaction,
                reason=reason,
                confidence=1.0,
                source=STAFF,
                model_version="",
            )
        ],
        update_conflicts=True,
        unique_fields=["interaction"],
        update_fields=["reason", "confidence", "source", "model_version"],
    )
    row = InteractionReason.objects.get(interaction=interaction)
    insights_reason_set(interaction.organization_id, row, actor=actor, reason=reason.pk)
    queue_reason_training(interaction.organization_id)
    return row


def queue_unread_reasons(org_id: int) -> None:
    """After an import: the worker reads every described interaction that has no reason."""
    if ContactReason.objects.for_org(org_id).filter(active=True).exists():
        enqueue_once_on_commit(read_unread_reasons_task, org_id)
