"""POST /interactions: what happened to a customer; invites them to the matching surveys."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Model
from django.http import HttpRequest, HttpResponse
from ninja import Router, Status

from beacon.api.auth import org_of
from beacon.api.batch import BATCH_ERRORS, BATCH_RULES, BatchIn, ItemResult, answer, run_batch
from beacon.api.errors import field_errors, fields_renamed
from beacon.api.lookups import Refs, in_org, unknown
from beacon.api.schemas import (
    ContactIn,
    ErrorOut,
    InteractionBatchOut,
    InteractionIn,
    InteractionOut,
    ValidationErrorOut,
)
from beacon.contacts import actions as contacts
from beacon.contacts.models import Interaction
from beacon.cxmodel.models import Persona, Touchpoint
from beacon.insights.reasons import queue_reasons_reading
from beacon.orgs.models import Membership, Organization, Team
from beacon.pipeline.actions import receive_interaction
from beacon.surveys.distribution import do_trigger_many
from beacon.surveys.models import Invitation, InvitationChannel

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
    out = _interaction_out(received.interaction, received.created, received.invitations)
    return (201 if received.created else 200), out


def _interaction_data(
    interaction: Interaction, created: bool, invitations: list[Invitation]
) -> dict[str, Any]:
    """`InteractionOut` as JSON-ready data (the batch answer is written directly)."""
    return {
        "id": interaction.pk,
        "contact_id": interaction.contact_id,
        "created": created,
        "invitations": [
            {"id": inv.pk, "survey_id": inv.survey_id, "token": inv.token,
             "url": f"{settings.BASE_URL}/s/{inv.token}/"}
            for inv in invitations
        ],
    }  # fmt: skip


def _interaction_out(
    interaction: Interaction, created: bool, invitations: list[Invitation]
) -> InteractionOut:
    return InteractionOut.model_validate(_interaction_data(interaction, created, invitations))


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
def create_interactions_batch(request: HttpRequest, payload: BatchIn) -> HttpResponse:
    org = org_of(request)
    return answer(run_batch(payload.items, InteractionIn, lambda p: store_interactions(org, p)))


def store_interactions(
    org: Organization, parsed: list[tuple[int, InteractionIn]]
) -> list[ItemResult]:
    """Many interactions, set-based, each answered as `store_interaction` answers it:
    recorded, their contacts upserted and their triggers evaluated in one transaction
    (as `receive_interaction` does for one)."""
    touchpoints = in_org(org, Touchpoint, {p.touchpoint_id for _, p in parsed if p.touchpoint_id})
    teams = in_org(org, Team, {p.team_id for _, p in parsed if p.team_id})
    staff = in_org(org, Membership, {p.staff_id for _, p in parsed if p.staff_id})
    results: list[ItemResult] = []
    batch: list[tuple[int, contacts.InteractionIn]] = []
    for i, p in parsed:
        refs = Refs(org)
        contact = contact_in(refs, p.contact)
        for name, found, pk in (
            ("touchpoint_id", touchpoints, p.touchpoint_id),
            ("team_id", teams, p.team_id),
            ("staff_id", staff, p.staff_id),
        ):
            if pk and pk not in found:
                refs.errors[name] = unknown(_MODELS[name], pk)
        if refs.errors:
            results.append(ItemResult(i, 422, errors=field_errors(refs.errors)))
            continue
        batch.append((i, contacts.InteractionIn(
            contact=contact,
            idempotency_key=p.idempotency_key,
            occurred_at=p.occurred_at,
            touchpoint=touchpoints.get(p.touchpoint_id) if p.touchpoint_id else None,
            team=teams.get(p.team_id) if p.team_id else None,
            staff=staff.get(p.staff_id) if p.staff_id else None,
            description=p.description,
            attributes=p.attributes,
        )))  # fmt: skip
    recorded, triggered = _receive_interactions(org, [d for _, d in batch])
    earlier = _invitations_of([x.pk for x in recorded.stored.values()])
    for j, (i, _) in enumerate(batch):
        if j in recorded.refused:
            errors = {INTERACTION_FIELDS.get(f, f): m for f, m in recorded.refused[j].items()}
            results.append(ItemResult(i, 422, errors=field_errors(errors)))
        elif j in recorded.created:
            out = _interaction_data(recorded.created[j], True, triggered[j])
            results.append(ItemResult(i, 201, result=out))
        else:
            first = recorded.stored[j]
            out = _interaction_data(first, False, earlier.get(first.pk, []))
            results.append(ItemResult(i, 200, result=out))
    return results


_MODELS: dict[str, type[Model]] = {"touchpoint_id": Touchpoint, "team_id": Team,
                                   "staff_id": Membership}  # fmt: skip


def _receive_interactions(
    org: Organization, items: list[contacts.InteractionIn]
) -> tuple[contacts.RecordedInteractions, dict[int, list[Invitation]]]:
    """Record and trigger in one transaction; again if a concurrent request stored one of
    the keys first (the unique key refused the whole INSERT)."""
    for attempt in range(3):
        try:
            with transaction.atomic():
                recorded = contacts.do_record_interactions(org, items)
                fresh = list(recorded.created.items())
                results = do_trigger_many(
                    [x for _, x in fresh],
                    default_channel=InvitationChannel.API,
                    fresh=True,
                    new_contacts=recorded.new_contacts,
                )
                queue_reasons_reading([x for _, x in fresh])
            triggered = {j: r.invitations for (j, _), r in zip(fresh, results, strict=True)}
            return recorded, triggered
        except IntegrityError:
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def _invitations_of(interaction_ids: list[int]) -> dict[int, list[Invitation]]:
    out: dict[int, list[Invitation]] = {}
    rows = Invitation.objects.filter(interaction_id__among=interaction_ids).order_by("pk")
    for inv in rows if interaction_ids else []:
        out.setdefault(inv.interaction_id, []).append(inv)  # type: ignore[arg-type]
    return out
