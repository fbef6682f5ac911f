"""Request and response shapes of API v1: what clients send and get back.

Field constraints live here so bad input is refused at the edge with the field named,
before anything reaches the database (an id beyond 64 bits or a NUL character in a
string would otherwise fail inside the database driver).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from ninja import Field, Schema, Status
from ninja.schema import DjangoGetter
from pydantic import (
    AfterValidator,
    AwareDatetime,
    ConfigDict,
    ModelWrapValidatorHandler,
    StrictBool,
    StrictInt,
    ValidationInfo,
    model_validator,
)

MAX_ID = 2**63 - 1
MAX_ANSWERS = 200
MAX_CHOICES = 100


def _no_nul(value: str) -> str:
    # PostgreSQL cannot store NUL in text or JSON; refuse it here, naming the field.
    if "\x00" in value:
        raise ValueError("must not contain a NUL character")
    return value


def _no_nul_inside(value: Any) -> Any:
    if isinstance(value, str):
        _no_nul(value)
    elif isinstance(value, dict):
        for k, v in value.items():
            _no_nul(k)
            _no_nul_inside(v)
    elif isinstance(value, list):
        for v in value:
            _no_nul_inside(v)
    return value


Id = Annotated[StrictInt, Field(ge=1, le=MAX_ID)]
QueryId = Annotated[int, Field(ge=1, le=MAX_ID)]
Text = Annotated[str, AfterValidator(_no_nul)]
Key = Annotated[str, Field(min_length=1, max_length=200), AfterValidator(_no_nul)]
Attributes = Annotated[dict[str, Any], AfterValidator(_no_nul_inside)]


class In(Schema):
    # A misspelt field is an error, not silently ignored data.
    model_config = ConfigDict(extra="forbid")

    # Replaces ninja's validator of the same name, which validates a body twice (once
    # as given, to apply extra="forbid", then again through a getter meant for ORM
    # objects): a request body is parsed JSON, a dict, and is validated once. A batch of
    # 1,000 items spent most of its time there.
    @model_validator(mode="wrap")
    @classmethod
    def _run_root_validator(
        cls, values: Any, handler: ModelWrapValidatorHandler[Any], info: ValidationInfo
    ) -> Any:
        if isinstance(values, dict):
            return handler(values)
        handler(values)  # as ninja does for anything else
        return handler(DjangoGetter(values, cls, info.context))


# --- errors ---------------------------------------------------------------------------


class ErrorOut(Schema):
    detail: str = Field(description="What went wrong, in words.")


class ComputingOut(Schema):
    """202: a stored analysis the worker has not computed yet (`beacon.core.computed`)."""

    detail: str = Field(description="That the result is being computed; ask again shortly.")
    retry_after: int = Field(description="Seconds after which asking again is worthwhile.")


def computing() -> Status[Any]:
    """The 202 of a stored analysis whose first result the worker has not written yet."""
    return Status(202, ComputingOut(detail="Being computed by the worker.", retry_after=10))


class FieldErrorOut(Schema):
    field: str = Field(
        description="Dotted path of the offending input, e.g. `answers.0.number`; "
        "`body` when the body as a whole is wrong."
    )
    message: str


class ValidationErrorOut(Schema):
    detail: list[FieldErrorOut]


# --- contacts and interactions --------------------------------------------------------


class ContactIn(In):
    external_id: Key = Field(description="Your id for the customer; contacts are upserted by it.")
    email: Annotated[str, Field(max_length=254), AfterValidator(_no_nul)] = ""
    name: Annotated[str, Field(max_length=200), AfterValidator(_no_nul)] = ""
    attributes: Attributes = Field(
        default_factory=dict, description="Free-form attributes stored on the contact."
    )
    persona_id: Id | None = Field(None, description="The needs-based persona of the customer.")


class InteractionIn(In):
    contact: ContactIn
    idempotency_key: Key = Field(
        description="Unique per interaction; a retry with the same key returns the first one."
    )
    occurred_at: AwareDatetime | None = Field(
        None, description="When it happened, with a timezone; defaults to now."
    )
    touchpoint_id: Id | None = Field(
        None, description="Where it happened; active surveys on this touchpoint are invited."
    )
    team_id: Id | None = None
    staff_id: Id | None = Field(None, description="Membership id of the staff member involved.")
    description: Annotated[str, Field(max_length=20_000), AfterValidator(_no_nul)] = ""
    attributes: Attributes = Field(default_factory=dict)


class InvitationOut(Schema):
    id: int
    survey_id: int
    token: str
    url: str = Field(description="The personal survey link to send to the customer.")


class InteractionOut(Schema):
    id: int
    contact_id: int
    created: bool = Field(description="False when the idempotency key was seen before.")
    invitations: list[InvitationOut]


class BatchItemOut(Schema):
    index: int = Field(description="Position of the item in the request, from 0.")
    status: int = Field(description="201 stored, 200 stored before, 404 unknown, 422 invalid.")
    errors: list[FieldErrorOut] = Field(
        default_factory=list, description="With 422: the item's fields that are wrong."
    )
    detail: str = Field("", description="With 404: what was not found.")


class InteractionBatchItemOut(BatchItemOut):
    result: InteractionOut | None = Field(None, description="With 200 and 201.")


class InteractionBatchOut(Schema):
    items: list[InteractionBatchItemOut]


# --- surveys --------------------------------------------------------------------------


class ScaleOut(Schema):
    low: int
    high: int


class ShowIfOut(Schema):
    question_id: int = Field(description="The earlier question whose answer decides.")
    op: str = Field(
        description="le (score at most value), ge (score at least value) or picked "
        "(the choice `value` is among the answer's choices)."
    )
    value: str = Field(description="A score (le, ge) or a choice as stored (picked).")


class QuestionOut(Schema):
    id: int
    kind: str = Field(description="nps, csat, ces, rating, single, multi or text.")
    text: str
    required: bool
    choices: list[str]
    scale: ScaleOut | None = Field(description="Score range of scored questions, else null.")
    show_if: ShowIfOut | None = Field(
        default=None,
        description=(
            "Show-if rule: the question is asked only when the earlier question's answer "
            "meets it (null: always asked). `POST /responses` refuses, naming the answer, "
            "an answer to a question whose rule is not met by the response's answers; a "
            "question not asked is never required."
        ),
    )


class SurveyOut(Schema):
    id: int
    name: str
    title: str
    status: str = Field(description="draft, active or closed.")
    touchpoint_ids: list[int]
    questions: list[QuestionOut]


class SurveyListOut(Schema):
    items: list[SurveyOut]


# --- responses ------------------------------------------------------------------------


class AnswerIn(In):
    question_id: Id
    number: Annotated[StrictInt, Field(ge=-(2**31), le=2**31 - 1)] | None = Field(
        None, description="The score, for nps/csat/ces/rating questions."
    )
    text: Text = Field("", description="The text, for free-text questions.")
    choices: Annotated[list[Text], Field(max_length=MAX_CHOICES)] = Field(
        default_factory=list, description="The chosen options, for choice questions."
    )


class ResponseIn(In):
    survey_id: Id
    idempotency_key: Key = Field(
        description="Unique per response; a retry with the same key changes nothing."
    )
    answers: Annotated[list[AnswerIn], Field(max_length=MAX_ANSWERS)]
    complete: StrictBool = Field(
        True, description="False stores a partial response that later calls may complete."
    )
    contact: ContactIn | None = Field(None, description="Who answered; upserted by external_id.")
    interaction_id: Id | None = Field(None, description="The interaction this response is about.")
    touchpoint_id: Id | None = None
    responded_at: AwareDatetime | None = Field(
        None, description="When the customer answered, with a timezone; defaults to now."
    )


class AnswerOut(Schema):
    question_id: int
    number: int | None
    text: str
    choices: list[str]


class SubmittedResponseOut(Schema):
    id: int
    survey_id: int
    created: bool = Field(description="False when the idempotency key was seen before.")
    completed: bool
    answers: list[AnswerOut]


class ResponseBatchItemOut(BatchItemOut):
    result: SubmittedResponseOut | None = Field(None, description="With 200 and 201.")


class ResponseBatchOut(Schema):
    items: list[ResponseBatchItemOut]


class ResponseOut(Schema):
    id: int
    survey_id: int
    contact_id: int | None
    interaction_id: int | None
    touchpoint_id: int | None
    stage_id: int | None
    persona_id: int | None
    team_id: int | None
    staff_id: int | None
    channel: str
    responded_at: dt.datetime
    completed_at: dt.datetime | None
    answers: list[AnswerOut]


class ResponsePageOut(Schema):
    items: list[ResponseOut]
    next_cursor: str | None = Field(
        description="Pass as `cursor` to get the next (older) page; null on the last page."
    )


class ResponseFilters(Schema):
    survey_id: QueryId | None = Field(None, description="Only responses to this survey.")
    since: AwareDatetime | None = Field(
        None, description="Only responses answered at or after this time (with a timezone)."
    )
    until: AwareDatetime | None = Field(
        None, description="Only responses answered before this time (with a timezone)."
    )
    cursor: Annotated[str, Field(max_length=40)] | None = Field(
        None, description="Opaque cursor from the previous page's `next_cursor`."
    )
    limit: Annotated[int, Field(ge=1, le=500)] = Field(100, description="Page size, 1-500.")


# --- metrics --------------------------------------------------------------------------


class MetricFilters(Schema):
    start: dt.date | None = Field(None, description="First day included (UTC).")
    end: dt.date | None = Field(None, description="Last day included (UTC).")
    survey_id: QueryId | None = None
    stage_id: QueryId | None = None
    persona_id: QueryId | None = None
    team_id: QueryId | None = None
    touchpoint_id: QueryId | None = None


class MetricOut(Schema):
    label: str
    unit: str = Field(description='"%" for shares, "" for scores.')
    value: float | None = Field(description="Null when there are not enough answers.")
    low: float | None = Field(description="Lower end of the 95% interval; null when not enough.")
    high: float | None = Field(description="Upper end of the 95% interval; null when not enough.")
    n: int = Field(description="Number of answers the value is computed from.")
    min_n: int = Field(description="The organisation's minimum sample size.")
    enough: bool = Field(description="False when n is below min_n: show 'not enough answers'.")


class SummaryOut(Schema):
    nps: MetricOut
    csat: MetricOut
    ces: MetricOut
