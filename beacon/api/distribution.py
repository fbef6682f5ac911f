"""Survey budget checks, send log and coverage, and inbound help-desk webhooks."""

from __future__ import annotations

import datetime as dt

from django.db.models import F, Sum
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status

from beacon.api.auth import org_of
from beacon.api.schemas import ErrorOut, QueryId, ValidationErrorOut
from beacon.contacts.models import Contact, DeliveryOutcome, InboundWebhook
from beacon.contacts.signatures import BEACON_HEADER, BadSignature
from beacon.contacts.webhooks import (
    ignored_because,
    interaction_from,
    record_delivery,
    verify,
    webhook_by_token,
)
from beacon.core.errors import NotFound, ValidationFailed
from beacon.outcomes.actions import ItemStatus
from beacon.outcomes.webhooks import receive_outcome
from beacon.pipeline.actions import receive_interaction
from beacon.responses.models import ChannelRollup
from beacon.surveys.distribution import may_survey
from beacon.surveys.models import InvitationChannel, Survey
from beacon.surveys.queries import coverage_by_stage, delivery_by_channel, send_log

router = Router(tags=["distribution"])
hooks = Router(tags=["webhooks"])


class MaySurveyOut(Schema):
    allowed: bool
    reason: str = Field(
        description="Empty when allowed; else unsubscribed, budget (asked recently by any "
        "survey) or survey_budget (asked this survey recently)."
    )
    next_allowed_at: dt.datetime | None


class MaySurveyQuery(Schema):
    survey_id: QueryId | None = None


@router.get(
    "/contacts/{external_id}/may-survey",
    response={200: MaySurveyOut, 401: ErrorOut, 404: ErrorOut, 422: ValidationErrorOut},
    operation_id="maySurveyContact",
    summary="May I survey this contact now?",
    description=(
        "Applies the organisation's survey budget (at most once every N days across all "
        "surveys), the survey's own budget when `survey_id` is given, and the contact's "
        "unsubscribe. Nothing is reserved: a trigger decides again when it invites."
    ),
)
def may_survey_contact(
    request: HttpRequest, external_id: str, query: Query[MaySurveyQuery]
) -> MaySurveyOut:
    org = org_of(request)
    contact = Contact.objects.for_org(org).filter(external_id=external_id).first()
    if contact is None:
        raise NotFound(f"no contact with external_id {external_id!r}")
    survey = None
    if query.survey_id is not None:
        survey = Survey.objects.for_org(org).filter(pk=query.survey_id).first()
        if survey is None:
            raise NotFound(f"no survey {query.survey_id}")
    verdict = may_survey(contact, survey)
    return MaySurveyOut(
        allowed=verdict.allowed, reason=verdict.reason, next_allowed_at=verdict.next_allowed_at
    )


class ChannelOut(Schema):
    channel: str
    invited: int
    sent: int
    delivered: int
    bounced: int
    failed: int
    opened: int
    clicked: int = Field(description="Scores given with the one-click links of the email.")
    answered: int
    completed: int
    response_rate: float | None = Field(
        description="answered / delivered for email, answered / invited otherwise."
    )


class SendLogOut(Schema):
    invitation_id: int
    contact_external_id: str
    channel: str
    created_at: dt.datetime
    sent_at: dt.datetime | None
    delivery: str = Field(description="pending, sending, sent, failed, bounced; '' if no email")
    error: str
    opened_at: dt.datetime | None
    completed_at: dt.datetime | None


class DeliveryOut(Schema):
    survey_id: int
    channels: list[ChannelOut]
    responses_without_invitation: dict[str, int] = Field(
        description="Answers from anonymous links, QR codes and the widget, per channel."
    )
    log: list[SendLogOut] = Field(description="The latest 200 invitations, newest first.")


@router.get(
    "/surveys/{survey_id}/delivery",
    response={200: DeliveryOut, 401: ErrorOut, 404: ErrorOut},
    operation_id="surveyDelivery",
    summary="Response rate and send log of a survey",
)
def survey_delivery(request: HttpRequest, survey_id: int) -> DeliveryOut:
    org = org_of(request)
    survey = Survey.objects.for_org(org).filter(pk=survey_id).first()
    if survey is None:
        raise NotFound(f"no survey {survey_id}")
    # From the channel rollup (a row per day and channel), not by reading each of the
    # survey's responses: hundreds of thousands at scale.
    loose = {
        channel: int(n)
        for channel, n in ChannelRollup.objects.filter(organization_id=org.pk, survey_id=survey.pk)
        .values("channel")
        .annotate(n=Sum(F("responses") - F("invited")))
        .order_by("channel")
        .values_list("channel", "n")
        if n
    }
    return DeliveryOut(
        survey_id=survey.pk,
        channels=[
            ChannelOut(**{**d.__dict__, "response_rate": d.response_rate})
            for d in delivery_by_channel(survey)
        ],
        responses_without_invitation=loose,
        log=[
            SendLogOut(
                invitation_id=e.invitation_id,
                contact_external_id=e.contact,
                channel=e.channel,
                created_at=e.created_at,
                sent_at=e.sent_at,
                delivery=e.delivery,
                error=e.error,
                opened_at=e.opened_at,
                completed_at=e.completed_at,
            )
            for e in send_log(survey)
        ],
    )


class StageCoverageOut(Schema):
    stage_id: int | None
    stage: str | None = Field(description="the stage's name; null: no stage's touchpoint")
    interactions: int = Field(description="interactions recorded at the stage's touchpoints")
    surveyed: int
    sampled_out: int
    suppressed: dict[str, int] = Field(description="reason -> count")


class CoverageOut(Schema):
    stages: list[StageCoverageOut]


class CoverageQuery(Schema):
    since: dt.datetime | None = None


@router.get(
    "/coverage",
    response={200: CoverageOut, 401: ErrorOut, 422: ValidationErrorOut},
    operation_id="surveyCoverage",
    summary="Survey coverage per journey stage",
    description="Interactions recorded per stage, and those surveyed, sampled out, or "
    "suppressed (budget, survey_budget, unsubscribed, no_email).",
)
def coverage(request: HttpRequest, query: Query[CoverageQuery]) -> CoverageOut:
    org = org_of(request)
    return CoverageOut(
        stages=[
            StageCoverageOut(**c.__dict__) for c in coverage_by_stage(org.pk, since=query.since)
        ]
    )


class WebhookAcceptedOut(Schema):
    interaction_id: int | None = Field(
        None, description="The interaction recorded (webhooks that record interactions)."
    )
    outcome_id: int | None = Field(
        None, description="The outcome recorded (webhooks that record outcomes)."
    )
    kind: str = Field(description="interaction, or the outcome's kind (order, ...).")
    created: bool
    invitations: int


class WebhookIgnoredOut(Schema):
    detail: str = Field(description="Why no interaction was recorded (a condition not met).")


@hooks.post(
    "/webhooks/{token}",
    auth=None,
    response={
        200: WebhookAcceptedOut,
        201: WebhookAcceptedOut,
        202: WebhookIgnoredOut,
        401: ErrorOut,
        404: ErrorOut,
        422: ValidationErrorOut,
    },
    operation_id="receiveWebhook",
    summary="Inbound help-desk webhook",
    description=(
        "A help desk posts any JSON here; the webhook's mapping (set up in Beacon) says "
        "where the contact, touchpoint, team, staff and time are; a webhook set up to "
        "record outcomes (orders, subscription events, service contacts) reads the outcome "
        "item's fields instead and checks them as `POST /outcomes` does. The raw body must be "
        f"signed as the webhook's scheme says: by default `{BEACON_HEADER}: sha256=<hex "
        "HMAC-SHA256 of the body with the webhook's secret>`; Zendesk's and Intercom's own "
        "signatures with the secret they show, or the webhook's secret in an "
        "`X-Beacon-Token` header for help desks that cannot sign. Posting the same "
        "interaction again answers 200 and invites "
        "nobody twice. A body that does not meet the webhook's condition (e.g. a ticket "
        "not solved yet) answers 202 and records nothing. Every body is logged on the "
        "webhook, with the field that was wrong when refused."
    ),
)
def receive_webhook(request: HttpRequest, token: str) -> Status[WebhookAcceptedOut]:
    webhook = webhook_by_token(token)
    if webhook is None:
        raise NotFound("unknown webhook")
    try:
        verify(webhook, request.body, request.headers)
    except BadSignature as exc:
        # Logged, so an admin setting up a help desk sees why its posts are refused.
        record_delivery(webhook, DeliveryOutcome.REFUSED, str(exc))
        return Status(401, ErrorOut(detail=str(exc)))  # type: ignore[arg-type]
    try:
        reason = ignored_because(webhook, request.body)
        if reason:
            record_delivery(webhook, DeliveryOutcome.IGNORED, reason)
            return Status(202, WebhookIgnoredOut(detail=reason))  # type: ignore[arg-type]
        if webhook.records:
            out = _receive_outcome(webhook, request.body)
        else:
            data = interaction_from(webhook, request.body)
            received = receive_interaction(
                webhook.organization, data, channel=InvitationChannel.LINK
            )
            out = WebhookAcceptedOut(
                interaction_id=received.interaction.pk,
                outcome_id=None,
                kind="interaction",
                created=received.created,
                invitations=len(received.invitations),
            )
            outcome = DeliveryOutcome.CREATED if received.created else DeliveryOutcome.REPEATED
            record_delivery(webhook, outcome, interaction=received.interaction)
    except ValidationFailed as exc:
        detail = "; ".join(f"{field}: {message}" for field, message in exc.errors.items())
        record_delivery(webhook, DeliveryOutcome.REFUSED, detail)
        raise
    return Status(201 if out.created else 200, out)


def _receive_outcome(webhook: InboundWebhook, body: bytes) -> WebhookAcceptedOut:
    result, kind = receive_outcome(webhook, body)
    created = result.status != ItemStatus.EXISTS
    outcome = DeliveryOutcome.CREATED if created else DeliveryOutcome.REPEATED
    record_delivery(webhook, outcome, f"{kind.replace('_', ' ')} {result.id}")
    return WebhookAcceptedOut(
        interaction_id=None, outcome_id=result.id, kind=kind, created=created, invitations=0
    )
