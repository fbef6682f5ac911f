"""A contact's data: everything about them as JSON, and erasure (the `admin` scope)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema

from beacon.api.auth import ApiKeyAuth, actor_of, org_of
from beacon.api.schemas import ErrorOut, QueryId, ValidationErrorOut
from beacon.contacts.models import Contact
from beacon.core.errors import NotFound
from beacon.orgs.models import Organization, Scope
from beacon.privacy.actions import do_erase_contact, do_log_contact_export
from beacon.privacy.export import contact_export_data

router = Router(tags=["privacy"], auth=ApiKeyAuth(Scope.ADMIN))

ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ValidationErrorOut}


class ErasureOut(Schema):
    contact_id: int
    erased_at: dt.datetime


def _contact(org: Organization, contact_id: int) -> Contact:
    found = Contact.objects.for_org(org).filter(pk=contact_id).first()
    if found is None:
        raise NotFound("no such contact")
    return found


@router.get(
    "/contacts/{contact_id}/export",
    response={200: dict[str, Any], **ERRORS},
    operation_id="exportContact",
    summary="Everything held about a contact (JSON)",
    description=(
        "For a subject access request: the contact's details, interactions, responses "
        "(scores with their scale, comments), cases with their timelines, orders, "
        "subscriptions and service contacts, invitations, messages, updates and win-back "
        "calls, unmasked. Needs the `admin` scope; the export is recorded in the audit log."
    ),
)
def export_contact(request: HttpRequest, contact_id: QueryId) -> dict[str, Any]:
    contact = _contact(org_of(request), contact_id)
    # The same values as the page's download (dates as ISO strings).
    data = contact_export_data(org_of(request), contact)
    do_log_contact_export(contact, actor=actor_of(request))
    return data


@router.post(
    "/contacts/{contact_id}/erase",
    response={200: ErasureOut, **ERRORS},
    operation_id="eraseContact",
    summary="Erase a contact (right to erasure)",
    description=(
        "Removes the contact's name, email, external id and attributes and replaces every "
        "free text they or staff wrote about them (answers, interaction descriptions, case "
        "notes, replies and resolutions, messages, wall posts, praise) with `[erased]`; "
        "unsent messages are withheld. Scores, rollups, sentiment and themes stay, so every "
        "metric is unchanged. Safe to repeat: `erased_at` stays the first erasure's time."
    ),
)
def erase_contact(request: HttpRequest, contact_id: QueryId) -> ErasureOut:
    contact = _contact(org_of(request), contact_id)
    erasure = do_erase_contact(contact, actor=actor_of(request))
    return ErasureOut(contact_id=contact.pk, erased_at=erasure.created_at)
