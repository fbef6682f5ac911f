"""Outcomes in (orders, subscriptions, service contacts, accounts), settings, money figures out."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any, Literal

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status
from pydantic import AwareDatetime, StrictBool, ValidationError

from beacon.analytics.money.stored import stored_report
from beacon.api.auth import org_of
from beacon.api.errors import field_path
from beacon.api.schemas import ErrorOut, In, Key, QueryId, Text, ValidationErrorOut
from beacon.core.errors import NotFound
from beacon.outcomes.actions import (
    MAX_BATCH,
    ItemResult,
    ItemStatus,
    SettingsIn,
    do_record_outcome,
    do_record_outcomes,
    do_save_settings,
)
from beacon.outcomes.checks import KINDS
from beacon.outcomes.models import ReportKind
from beacon.outcomes.queries import settings_of

router = Router(tags=["outcomes"])

Kind = Literal[
    "order",
    "subscription_started",
    "subscription_renewed",
    "subscription_changed",
    "subscription_ended",
    "service_contact",
    "account",
]
assert set(Kind.__args__) == set(KINDS)  # type: ignore[attr-defined]
Short = Annotated[str, Field(max_length=200)]
Money = Annotated[Decimal, Field(allow_inf_nan=False)]
# An amount in the currency's minor unit (cents; JPY has none, KWD has 1,000 fils).
Minor = Annotated[int, Field(description="In the currency's minor unit, e.g. cents.")]


class OutcomeIn(In):
    kind: Kind = Field(description="What happened; `subscription_ended` is churn.")
    contact_id: Short = Field(
        "", description="Your id (external id) of the customer; required except for `account`."
    )
    idempotency_key: Key = Field(description="Unique per outcome; a retry stores nothing new.")
    occurred_at: AwareDatetime = Field(description="When it happened; never in the future.")
    amount: Money | None = Field(
        None,
        description="What the customer paid (orders, subscriptions: the price of one period). "
        "Negative only for an order, as a refund.",
    )
    amount_minor: Minor | None = Field(
        None,
        description="The amount in the currency's minor unit as a whole number (1999 for "
        "19.99 USD, 1500 for 1,500 JPY, 12345 for 12.345 KWD), as Stripe sends it; "
        "instead of `amount`, never both.",
    )
    currency: Annotated[str, Field(max_length=3)] = Field(
        "", description="ISO 4217; defaults to the organisation's. Another currency needs a rate."
    )
    cost: Money | None = Field(
        None, description="Cost of a service contact; else the channel's cost from the settings."
    )
    cost_minor: Minor | None = Field(None, description="`cost` in the minor unit; not both.")
    handle_minutes: Money | None = None
    channel: Annotated[Text, Field(max_length=50)] = ""
    subscription_id: Short = ""
    plan: Short = ""
    product: Short = ""
    reason: Short = Field("", description="Why the subscription ended (churn reason).")
    interaction_key: Short = Field(
        "", description="Idempotency key of the interaction a service contact belongs to."
    )
    account_id: Short = Field("", description="`account`: your id of the business account.")
    account_name: Short = ""
    annual_revenue: Money | None = Field(None, description="`account`: its annual revenue.")
    annual_revenue_minor: Minor | None = Field(
        None, description="`annual_revenue` in the minor unit; not both."
    )


class ItemErrorOut(Schema):
    field: str
    message: str


class OutcomeOut(Schema):
    id: int | None = Field(description="The stored outcome's (or account's) id.")
    status: str = Field(description="created, exists (key seen before), updated or invalid.")


class BatchIn(In):
    items: list[dict[str, Any]] = Field(
        max_length=MAX_BATCH,
        description=f"Up to {MAX_BATCH} items, each shaped like the body of POST /outcomes.",
    )


class BatchItemOut(Schema):
    index: int
    status: str = Field(description="created, exists, updated or invalid.")
    id: int | None = None
    errors: list[ItemErrorOut] = Field(default_factory=list)


class BatchOut(Schema):
    created: int
    exists: int
    invalid: int
    items: list[BatchItemOut]


class SettingsBody(In):
    currency: Annotated[str, Field(min_length=3, max_length=3)]
    exchange_rates: dict[Annotated[str, Field(max_length=3)], Money] = Field(
        default_factory=dict,
        description="Units of the organisation's currency one unit of another is worth.",
    )
    cost_per_contact: dict[Annotated[str, Field(max_length=50)], Money] = Field(
        default_factory=dict, description="Cost of one service contact per channel."
    )
    observation_days: Annotated[int, Field(ge=30, le=1095)] = 365
    create_unknown_contacts: StrictBool = False
    viewers_see_money: StrictBool = False


class SettingsOut(Schema):
    currency: str
    exchange_rates: dict[str, str]
    cost_per_contact: dict[str, str]
    observation_days: int
    create_unknown_contacts: bool
    viewers_see_money: bool


class ReportOut(Schema):
    as_of: dt.datetime | None = Field(description="When the worker computed it; null: not yet.")
    data: dict[str, Any] = Field(
        description="Every figure with n, 95% interval, window and method; "
        "`enough: false` below the minimum sample."
    )


@router.post(
    "/outcomes",
    response={201: OutcomeOut, 200: OutcomeOut, 401: ErrorOut, 422: ValidationErrorOut},
    operation_id="recordOutcome",
    summary="Record one outcome",
    description=(
        "An order, a subscription event, a service contact or an account's revenue, on the "
        "customer it concerns (`contact_id`, your external id). 201 when stored; a retry "
        "with the same `idempotency_key` answers 200 and stores nothing new; bad input "
        "answers 422 naming the field."
    ),
)
def record_outcome(request: HttpRequest, payload: OutcomeIn) -> Status[OutcomeOut]:
    result = do_record_outcome(org_of(request), payload.model_dump(exclude_defaults=True))
    return Status(
        200 if result.status in (ItemStatus.EXISTS, ItemStatus.UPDATED) else 201,
        OutcomeOut(id=result.id, status=result.status),
    )


def _item_errors(result: ItemResult) -> list[ItemErrorOut]:
    return [ItemErrorOut(field=f, message=m) for f, m in result.errors.items()]


@router.post(
    "/outcomes/batch",
    response={200: BatchOut, 401: ErrorOut, 413: ErrorOut, 422: ValidationErrorOut},
    operation_id="recordOutcomes",
    summary="Record up to 1,000 outcomes",
    description=(
        "Each item is checked on its own and answered in `items` (same order, with its "
        "`index`): valid items are stored even when others are refused. Retrying the whole "
        "batch stores nothing twice."
    ),
)
def record_outcomes(request: HttpRequest, payload: BatchIn) -> BatchOut:
    org = org_of(request)
    parsed: list[dict[str, Any]] = []
    refused: dict[int, dict[str, str]] = {}
    for index, raw in enumerate(payload.items):
        try:
            parsed.append(OutcomeIn.model_validate(raw).model_dump(exclude_defaults=True))
        except ValidationError as exc:
            refused[index] = {
                field_path(("body", "item", *e["loc"])): e["msg"] for e in exc.errors()
            }
            parsed.append({})
    checked = do_record_outcomes(org, [p for i, p in enumerate(parsed) if i not in refused])
    kept = [i for i in range(len(parsed)) if i not in refused]
    results = [ItemResult(kept[r.index], r.status, r.id, r.errors) for r in checked]
    results += [ItemResult(i, ItemStatus.INVALID, errors=e) for i, e in refused.items()]
    results.sort(key=lambda r: r.index)
    return BatchOut(
        created=sum(r.status == ItemStatus.CREATED for r in results),
        exists=sum(r.status == ItemStatus.EXISTS for r in results),
        invalid=sum(r.status == ItemStatus.INVALID for r in results),
        items=[
            BatchItemOut(index=r.index, status=r.status, id=r.id, errors=_item_errors(r))
            for r in results
        ],
    )


def _settings_out(org_id: int) -> SettingsOut:
    s = settings_of(org_id)
    return SettingsOut(
        currency=s.currency,
        exchange_rates=dict(s.exchange_rates),
        cost_per_contact=dict(s.cost_per_contact),
        observation_days=s.observation_days,
        create_unknown_contacts=s.create_unknown_contacts,
        viewers_see_money=s.viewers_see_money,
    )


@router.get("/outcomes/settings", response=SettingsOut, operation_id="getOutcomeSettings")
def get_settings(request: HttpRequest) -> SettingsOut:
    return _settings_out(org_of(request).pk)


@router.put(
    "/outcomes/settings",
    response={200: SettingsOut, 401: ErrorOut, 422: ValidationErrorOut},
    operation_id="setOutcomeSettings",
    summary="Currency, exchange rates, cost per contact, observation window",
)
def put_settings(request: HttpRequest, payload: SettingsBody) -> SettingsOut:
    org = org_of(request)
    do_save_settings(
        org,
        SettingsIn(
            currency=payload.currency.upper(),
            exchange_rates=payload.exchange_rates,
            cost_per_contact=payload.cost_per_contact,
            observation_days=payload.observation_days,
            create_unknown_contacts=payload.create_unknown_contacts,
            viewers_see_money=payload.viewers_see_money,
        ),
    )
    return _settings_out(org.pk)


SECTIONS = Literal[
    "retention",
    "revenue",
    "point_value",
    "backtest",
    "at_risk",
    "cost_to_serve",
    "failure_demand",
    "stages",
    "actions",
]


@router.get(
    "/value",
    response=ReportOut,
    operation_id="getValue",
    summary="The organisation's money figures (as stored by the worker)",
)
def value(request: HttpRequest) -> ReportOut:
    report = stored_report(org_of(request).pk, ReportKind.VALUE)
    return ReportOut(as_of=report.as_of, data=report.data)


@router.get(
    "/value/{section}",
    response={200: ReportOut, 401: ErrorOut},
    operation_id="getValueSection",
    summary="One analysis of the Value page: retention, revenue, point value, back-test, ...",
)
def value_section(request: HttpRequest, section: SECTIONS) -> ReportOut:
    report = stored_report(org_of(request).pk, ReportKind.VALUE)
    return ReportOut(as_of=report.as_of, data={section: report.data.get(section)})


def _crown(request: HttpRequest, kind: str, subject_id: int) -> ReportOut:
    report = stored_report(org_of(request).pk, kind, subject_id)
    if report.missing_subject:
        raise NotFound(f"no {kind} {subject_id}")
    return ReportOut(as_of=report.as_of, data=report.data)


@router.get(
    "/value/actions/{action_id}/triple-crown",
    response={200: ReportOut, 401: ErrorOut, 404: ErrorOut},
    operation_id="getActionTripleCrown",
    summary="Experience, cost and revenue before vs after a completed improvement action",
)
def action_crown(request: HttpRequest, action_id: QueryId) -> ReportOut:
    return _crown(request, ReportKind.ACTION, action_id)


@router.get(
    "/value/stages/{stage_id}/triple-crown",
    response={200: ReportOut, 401: ErrorOut, 404: ErrorOut},
    operation_id="getStageTripleCrown",
    summary="Experience, cost and revenue of a journey stage, this period vs the one before",
)
def stage_crown(request: HttpRequest, stage_id: QueryId) -> ReportOut:
    return _crown(request, ReportKind.STAGE, stage_id)
