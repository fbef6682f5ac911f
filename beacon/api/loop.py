"""Lost customers: churn and cancellation events, one by one (JSON) or as a CSV file."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status
from pydantic import AwareDatetime

from beacon.api.auth import org_of
from beacon.api.schemas import ErrorOut, Key, Text, ValidationErrorOut
from beacon.core.errors import ValidationFailed
from beacon.loop.lost import ChurnIn, Recorded, do_import_churn_csv, do_record_churn

router = Router(tags=["lost customers"])

MAX_CSV_BYTES = 2_000_000


class ChurnEventIn(Schema):
    external_id: Annotated[Text, Field(min_length=1, max_length=200)]
    kind: Literal["churn", "cancellation"]
    occurred_at: AwareDatetime | None = None
    note: Annotated[Text, Field(max_length=5000)] = ""
    idempotency_key: Key | None = None


class CallTaskOut(Schema):
    id: int
    contact_id: int
    kind: str
    occurred_at: dt.datetime
    assignee_id: int
    due_at: dt.datetime
    status: str
    created: bool


class CsvImportOut(Schema):
    created: int
    existing: int
    calls: list[CallTaskOut]


def _out(recorded: Recorded) -> CallTaskOut:
    call = recorded.call
    return CallTaskOut(
        id=call.pk,
        contact_id=call.contact_id,
        kind=call.event_kind,
        occurred_at=call.occurred_at,
        assignee_id=call.assignee_id,
        due_at=call.due_at,
        status=call.status,
        created=recorded.created,
    )


ERRORS = {400: ErrorOut, 401: ErrorOut, 409: ErrorOut, 413: ErrorOut, 422: ValidationErrorOut}


@router.post(
    "/churn-events",
    response={201: CallTaskOut, 200: CallTaskOut, **ERRORS},
    operation_id="createChurnEvent",
    summary="Report a lost customer",
    description=(
        "Reports that a customer churned or cancelled. Beacon gives a leader (the lead of the "
        "team that last served the customer, else the organisation's owner) a call task "
        "with the customer's history, due within 48 hours.\n\n"
        "`external_id` names an existing contact (422 otherwise). Idempotent: the same "
        "`idempotency_key` (default: kind, contact and day) answers 200 with the same task."
    ),
)
def create_churn_event(request: HttpRequest, payload: ChurnEventIn) -> Status[CallTaskOut]:
    recorded = do_record_churn(
        org_of(request),
        ChurnIn(
            external_id=payload.external_id,
            kind=payload.kind,
            occurred_at=payload.occurred_at,
            note=payload.note,
            idempotency_key=payload.idempotency_key or "",
        ),
    )
    return Status(201 if recorded.created else 200, _out(recorded))


@router.post(
    "/churn-events/csv",
    response={200: CsvImportOut, **ERRORS},
    operation_id="importChurnEvents",
    summary="Report lost customers from a CSV file",
    description=(
        "Body: a UTF-8 CSV file (`Content-Type: text/csv`) with a header row and columns "
        "`external_id`, `kind` (churn or cancellation), optional `occurred_at` (ISO 8601) and "
        "`note`. All rows or none: any bad row answers 422 naming the row and column "
        "(`row 3.external_id`). Rows already reported are counted as `existing`."
    ),
    openapi_extra={
        "requestBody": {"content": {"text/csv": {"schema": {"type": "string"}}}, "required": True}
    },
)
def import_churn_events(request: HttpRequest) -> CsvImportOut:
    if len(request.body) > MAX_CSV_BYTES:
        raise ValidationFailed({"file": f"must be at most {MAX_CSV_BYTES} bytes"})
    try:
        text = request.body.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationFailed({"file": "must be UTF-8 text"}) from None
    recorded = do_import_churn_csv(org_of(request), text)
    return CsvImportOut(
        created=sum(1 for r in recorded if r.created),
        existing=sum(1 for r in recorded if not r.created),
        calls=[_out(r) for r in recorded],
    )
