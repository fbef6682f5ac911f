"""POST /interactions: what happened to a customer; invites them to the matching surveys."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest
from ninja import Router, Status

from beacon.api.auth import org_of
from beacon.api.batch import BATCH_ERRORS, BATCH_RULES, BatchIn, run_batch, store_one
from beacon.api.errors import fields_renamed
from beacon.api.lookups import Refs
from beacon.api.schemas import (
    ContactIn,
    ErrorOut,
    InteractionBatchItemOut,
    InteractionBatchOut,
    InteractionIn,
    InteractionOut,
    InvitationOut,
    ValidationErrorOut,
)
from beacon.contacts import actions as contacts
from beacon.cxmodel.models import Persona, Touchpoint
from beacon.orgs.models import Membership, Organization, Team
from beacon.pipeline.actions import receive_interaction
from beacon.surveys.models import InvitationChannel

router = Router(tags=["interactions"])

# Domain errors name model fields; clients sent these names.
CONTACT_FIELDS = {
    "external_id": "contact.external_id",
    "email": "contact.email",
    "persona": "contact.persona_id",
}
INTERACTION_FIELDS = {
    **CONTACT_FIELDS,
    "touchpoint": "touchpoint_id",
    "team": "team_id",
    "staff": "staff_id",
}


def contact_in(refs: Refs, data: ContactIn) -> contacts.ContactIn:
    return contacts.ContactIn(
        external_id=data.external_id,
        email=data.email,
        name=data.name,
        attributes=data.attributes,
        persona=refs.get(Persona, data.persona_id, "contact.persona_id"),
    )


@router.post(
    "/interactions",
    response={
        201: InteractionOut,
        200: InteractionOut,
        400: ErrorOut,
        401: ErrorOut,
        413: ErrorOut,
        422: ValidationErrorOut,
    },
    operation_id="createInteraction",
    summary="Record an interaction",
    description=(
        "Records one moment a customer dealt with the company (a call, a visit, a delivery) "
        "and invites them to every active survey asked after its touchpoint. The contact is "
        "created or updated by `external_id`.\n\n"
        "Idempotent: send a unique `idempotency_key` per interaction. The first call answers "
        "201; a retry with the same key answers 200 with the same interaction and "
        "invitations, and stores nothing new.\n\n"
        "Each invitation carries the personal survey link (`url`) to send to the customer. "
        "`touchpoint_id`, `team_id` and `staff_id` must belong to your organisation (422 "
        "naming the field otherwise)."
    ),
)
def create_interaction(request: HttpRequest, payload: InteractionIn) -> Status[InteractionOut]:
    return Status(*store_interaction(org_of(request), payload))


def store_interaction(org: Organization, payload: InteractionIn) -> tuple[int, InteractionOut]:
    """One interaction, as the single and the batch endpoint store it: (status, answer)."""
    refs = Refs(org)
    data = contacts.InteractionIn(
        contact=contact_in(refs, payload.contact),
        idempotency_key=payload.idempotency_key,
        occurred_at=payload.occurred_at,
        touchpoint=refs.get(Touchpoint, payload.touchpoint_id, "touchpoint_id"),
        team=refs.get(Team, payload.team_id, "team_id"),
        staff=refs.get(Membership, payload.staff_id, "staff_id"),
        description=payload.description,
        attributes=payload.attributes,
    )
    refs.check()
    with fields_renamed(INTERACTION_FIELDS):
        received = receive_interaction(org, data, channel=InvitationChannel.API)
    interaction = received.interaction
    out = InteractionOut(
        id=interaction.pk,
        contact_id=interaction.contact_id,
        created=received.created,
        invitations=[
            InvitationOut(
                id=inv.pk,
                survey_id=inv.survey_id,
                token=inv.token,
                url=f"{settings.BASE_URL}/s/{inv.token}/",
            )
            for inv in received.invitations
        ],
    )
    return (201 if received.created else 200), out


@router.post(
    "/interactions/batch",
    response={200: InteractionBatchOut, **BATCH_ERRORS},
    operation_id="createInteractionsBatch",
    summary="Record up to 1,000 interactions",
    description=(
        "Records many interactions in one call; each item has the shape of `POST "
        "/interactions` and its own `idempotency_key`.\n\n" + BATCH_RULES
    ),
)  # fmt: skip
def create_interactions_batch(request: HttpRequest, payload: BatchIn) -> InteractionBatchOut:
    org = org_of(request)
    results = run_batch(
        payload.items,
        InteractionIn,
        lambda parsed: [store_one(i, p, lambda item: store_interaction(org, item)) for i, p in parsed],
    )
    return InteractionBatchOut(items=[InteractionBatchItemOut(**r.fields()) for r in results])
