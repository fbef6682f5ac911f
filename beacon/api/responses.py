"""POST /responses (server-to-server answers) and GET /responses (cursor-paginated export)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from ninja import Query, Router, Status

from beacon.api.auth import org_of
from beacon.api.batch import (
    BATCH_ERRORS,
    BATCH_RULES,
    BatchIn,
    ItemResult,
    answer,
    run_batch,
    store_one,
)
from beacon.api.errors import field_errors, fields_renamed, invalid
from beacon.api.interactions import CONTACT_FIELDS, contact_in
from beacon.api.lookups import Refs, in_org, unknown
from beacon.api.schemas import (
    AnswerOut,
    ErrorOut,
    ResponseBatchOut,
    ResponseFilters,
    ResponseIn,
    ResponseOut,
    ResponsePageOut,
    SubmittedResponseOut,
    ValidationErrorOut,
)
from beacon.contacts.actions import ContactIn
from beacon.contacts.models import Interaction
from beacon.core.errors import NotFound, ValidationFailed
from beacon.cxmodel.models import Touchpoint
from beacon.orgs.models import Organization
from beacon.pipeline.actions import CASE_STAGE, enqueue_stage, submit_response
from beacon.responses import bulk, checks
from beacon.responses.models import Answer, Response
from beacon.surveys.models import Question, Survey

router = Router(tags=["responses"])

RESPONSE_FIELDS = {
    **CONTACT_FIELDS,
    "interaction": "interaction_id",
    "touchpoint": "touchpoint_id",
}
_MISSING = re.compile(r"question (\d+)")
_CURSOR = re.compile(r"[0-9]{1,19}")


def _answers(answers: Iterable[Answer]) -> list[AnswerOut]:
    return [
        AnswerOut(question_id=a.question_id, number=a.number, text=a.text, choices=a.choices)
        for a in answers
    ]


def _ordered_answers() -> Prefetch[Any]:
    return Prefetch("answers", queryset=Answer.objects.order_by("question__position", "pk"))


def _required_under_answers(e: ValidationFailed) -> ValidationFailed:
    # ingest names a missing required answer "question <id>"; the client sent `answers`.
    errors: dict[str, str] = {}
    missing: list[str] = []
    for field, message in e.errors.items():
        m = _MISSING.fullmatch(field)
        if m:
            missing.append(m.group(1))
        else:
            errors[field] = message
    if missing:
        errors["answers"] = f"required questions are not answered: {', '.join(missing)}"
    return ValidationFailed(errors)


@router.post(
    "/responses",
    response={
        201: SubmittedResponseOut,
        200: SubmittedResponseOut,
        400: ErrorOut,
        401: ErrorOut,
        404: ErrorOut,
        413: ErrorOut,
        422: ValidationErrorOut,
    },
    operation_id="submitResponse",
    summary="Submit a response",
    description=(
        "Stores a customer's answers to a survey, for systems that collect answers "
        "themselves (an IVR, a kiosk, an in-app widget). Answers are checked against the "
        "survey's questions: the question must belong to the survey and a score must be "
        "within its scale (0-10 for NPS, 1-5 for CSAT, 1-7 for CES), else 422 naming the "
        "answer, e.g. `answers.0.number`. With `complete` (the default) every required "
        "question must be answered.\n\n"
        "Idempotent: the first call with an `idempotency_key` answers 201; a retry answers "
        "200 with the stored response and changes nothing. A completed response is final.\n\n"
        "`contact` is created or updated by `external_id`. After the response is stored it "
        "is processed in the background: a low score opens a follow-up case for the "
        "accountable owner of the stage.\n\n"
        "Unknown survey (or another organisation's) answers 404.\n\n"
        "Read after write: a complete response posted without `contact`, `interaction_id` "
        "or `touchpoint_id` is answered as soon as it is durably logged, and stored by the "
        "worker about a second later, so `GET /responses` right after the 201 may not list "
        "it yet. The `id` in the answer is the id it is stored under, and a retry with the "
        "same key answers 200 at once either way. (A server run with "
        "`BEACON_INGEST_EDGE=0` stores every response before answering.)"
    ),
)
def create_response(request: HttpRequest, payload: ResponseIn) -> Status[SubmittedResponseOut]:
    return Status(*store_response(org_of(request), payload))


def store_response(org: Organization, payload: ResponseIn) -> tuple[int, SubmittedResponseOut]:
    """One response, as the single and the batch endpoint store it: (status, answer)."""
    try:
        survey = Survey.objects.for_org(org).get(pk=payload.survey_id)
    except Survey.DoesNotExist:
        raise NotFound(f"survey {payload.survey_id} not found") from None
    refs = Refs(org)
    # Storing the response copies the interaction's contact and touchpoint dimensions.
    interaction = refs.get(
        Interaction, payload.interaction_id, "interaction_id", related=("contact", "touchpoint")
    )
    touchpoint = refs.get(Touchpoint, payload.touchpoint_id, "touchpoint_id")
    contact_data = contact_in(refs, payload.contact) if payload.contact else None
    refs.check()
    try:
        with fields_renamed(RESPONSE_FIELDS):
            result = submit_response(
                checks.ResponseIn(
                    survey=survey,
                    idempotency_key=payload.idempotency_key,
                    answers=[
                        checks.AnswerIn(a.question_id, a.number, a.text, list(a.choices))
                        for a in payload.answers
                    ],
                    complete=payload.complete,
                    interaction=interaction,
                    touchpoint=touchpoint,
                    channel="api",
                    responded_at=payload.responded_at,
                ),
                contact=contact_data,
            )
    except ValidationFailed as e:
        raise _required_under_answers(e) from e
    response = result.response
    answers = result.answers
    if answers is None:  # not all written by this call: read them back
        answers = list(
            Answer.objects.filter(response=response).order_by("question__position", "pk")
        )
    out = SubmittedResponseOut(
        id=response.pk,
        survey_id=response.survey_id,
        created=result.created,
        completed=response.completed_at is not None,
        answers=_answers(answers),
    )
    return (201 if result.created else 200), out


@router.post(
    "/responses/batch",
    response={200: ResponseBatchOut, **BATCH_ERRORS},
    operation_id="submitResponsesBatch",
    summary="Submit up to 1,000 responses",
    description=(
        "Stores many responses in one call; each item has the shape of `POST /responses` "
        "and its own `idempotency_key`. An unknown survey answers that item 404.\n\n"
        + BATCH_RULES
    ),
)  # fmt: skip
def submit_responses_batch(request: HttpRequest, payload: BatchIn) -> HttpResponse:
    org = org_of(request)
    return answer(run_batch(payload.items, ResponseIn, lambda parsed: store_responses(org, parsed)))


def store_responses(org: Organization, parsed: list[tuple[int, ResponseIn]]) -> list[ItemResult]:
    """Many responses, set-based, each answered as `store_response` answers it.

    A partial response (`complete: false`) or a retry of one goes through `store_response`,
    one at a time: completing a stored response is the single path's work.
    """
    surveys = in_org(org, Survey, {p.survey_id for _, p in parsed}, related=("organization",))
    touchpoints = in_org(org, Touchpoint, {p.touchpoint_id for _, p in parsed if p.touchpoint_id})
    interactions = in_org(org, Interaction,
                          {p.interaction_id for _, p in parsed if p.interaction_id},
                          related=("contact", "touchpoint"))  # fmt: skip
    results: list[ItemResult] = []
    one_by_one: list[tuple[int, ResponseIn]] = []
    batch: list[tuple[int, ResponseIn, checks.ResponseIn, ContactIn | None]] = []
    for i, p in parsed:
        survey = surveys.get(p.survey_id)
        if survey is None:
            results.append(ItemResult(i, 404, detail=f"survey {p.survey_id} not found"))
            continue
        if not p.complete:
            one_by_one.append((i, p))
            continue
        errors: dict[str, str] = {}
        interaction = interactions.get(p.interaction_id) if p.interaction_id else None
        if p.interaction_id and interaction is None:
            errors["interaction_id"] = unknown(Interaction, p.interaction_id)
        touchpoint = touchpoints.get(p.touchpoint_id) if p.touchpoint_id else None
        if p.touchpoint_id and touchpoint is None:
            errors["touchpoint_id"] = unknown(Touchpoint, p.touchpoint_id)
        contact = None
        if p.contact is not None:
            refs = Refs(org)
            contact = contact_in(refs, p.contact)
            errors.update(refs.errors)
        if errors:
            results.append(ItemResult(i, 422, errors=field_errors(errors)))
            continue
        data = checks.ResponseIn(
            survey=survey,
            idempotency_key=p.idempotency_key,
            answers=[checks.AnswerIn(a.question_id, a.number, a.text, list(a.choices))
                     for a in p.answers],
            interaction=interaction,
            touchpoint=touchpoint,
            channel="api",
            responded_at=p.responded_at,
        )  # fmt: skip
        batch.append((i, p, data, contact))
    received = bulk.receive([b[2] for b in batch], [b[3] for b in batch])
    if received.created:
        enqueue_stage(CASE_STAGE)
    positions = _positions({p.survey_id for _, p, _, _ in batch})
    stored = _stored_answers([row.id for row in received.stored.values() if row.completed])
    for j, (i, p, data, _) in enumerate(batch):
        if j in received.refused:
            e = _required_under_answers(ValidationFailed(
                {RESPONSE_FIELDS.get(f, f): m for f, m in received.refused[j].items()}
            ))  # fmt: skip
            results.append(ItemResult(i, 422, errors=field_errors(e.errors)))
        elif j in received.created:
            answers = sorted((a for a in data.answers if not a.is_empty),
                             key=lambda a: positions[a.question_id])  # fmt: skip
            out = {
                "id": received.created[j], "survey_id": p.survey_id, "created": True,
                "completed": True,
                "answers": [{"question_id": a.question_id, "number": a.number, "text": a.text,
                             "choices": a.choices} for a in answers],
            }  # fmt: skip
            results.append(ItemResult(i, 201, result=out))
        elif received.stored[j].completed:
            row = received.stored[j]
            out = {"id": row.id, "survey_id": row.survey_id, "created": False,
                   "completed": True, "answers": stored.get(row.id, [])}  # fmt: skip
            results.append(ItemResult(i, 200, result=out))
        else:  # stored partial: completing it is the single path's work
            one_by_one.append((i, p))
    results.extend(store_one(i, p, lambda item: store_response(org, item)) for i, p in one_by_one)
    return results


def _positions(survey_ids: set[int]) -> dict[int, int]:
    return dict(Question.objects.filter(survey_id__in=survey_ids).values_list("pk", "position"))


def _stored_answers(response_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    """The answers of stored responses, in question order (as `store_response` reads them)."""
    out: dict[int, list[dict[str, Any]]] = {}
    if not response_ids:
        return out
    rows = Answer.objects.filter(response_id__in=response_ids).order_by(
        "response_id", "question__position", "pk"
    )
    for a in rows:
        out.setdefault(a.response_id, []).append(
            {"question_id": a.question_id, "number": a.number, "text": a.text,
             "choices": a.choices}
        )  # fmt: skip
    return out


@router.get(
    "/responses",
    response={200: ResponsePageOut, 401: ErrorOut, 422: ValidationErrorOut},
    operation_id="listResponses",
    summary="List responses",
    description=(
        "Responses of your organisation with their answers, **newest first** (by id). "
        "Pages hold at most `limit` responses (1-500, default 100). When more exist, "
        "`next_cursor` is set: pass it back as `cursor` for the next, older page; it is null "
        "on the last page. The cursor is opaque; responses stored while you page appear on "
        "a new first page, never twice or out of order.\n\n"
        "Filters: `survey_id`; `since` (inclusive) and `until` (exclusive) on the time the "
        "customer answered. Partial (not yet completed) responses are included with "
        "`completed_at` null."
    ),
)
def list_responses(request: HttpRequest, filters: Query[ResponseFilters]) -> ResponsePageOut:
    org = org_of(request)
    qs = Response.objects.for_org(org)
    if filters.survey_id is not None:
        refs = Refs(org)
        refs.get(Survey, filters.survey_id, "survey_id")
        refs.check()
        qs = qs.filter(survey_id=filters.survey_id)
    if filters.since is not None:
        qs = qs.filter(responded_at__gte=filters.since)
    if filters.until is not None:
        qs = qs.filter(responded_at__lt=filters.until)
    if filters.cursor is not None:
        qs = qs.filter(pk__lt=_decode_cursor(filters.cursor))
    rows = list(qs.order_by("-pk").prefetch_related(_ordered_answers())[: filters.limit + 1])
    page, more = rows[: filters.limit], len(rows) > filters.limit
    return ResponsePageOut(
        items=[_response_out(r) for r in page],
        next_cursor=str(page[-1].pk) if more else None,
    )


def _decode_cursor(cursor: str) -> int:
    if not _CURSOR.fullmatch(cursor) or not 0 < int(cursor) <= 2**63 - 1:
        raise invalid("cursor", "is not a cursor this API returned")
    return int(cursor)


def _response_out(r: Response) -> ResponseOut:
    return ResponseOut(
        id=r.pk,
        survey_id=r.survey_id,
        contact_id=r.contact_id,
        interaction_id=r.interaction_id,
        touchpoint_id=r.touchpoint_id,
        stage_id=r.stage_id,
        persona_id=r.persona_id,
        team_id=r.team_id,
        staff_id=r.staff_id,
        channel=r.channel,
        responded_at=r.responded_at,
        completed_at=r.completed_at,
        answers=_answers(r.answers.all()),
    )
