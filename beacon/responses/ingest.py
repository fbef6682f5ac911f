"""The one write path for responses and answers.

The respondent page, the API, imports and demo seeding all store answers through
`ingest()` (one response, answer by answer) or `ingest_bulk()` (many complete responses).
Both validate against the survey's questions, honour the idempotency key, and update the
score rollups in the same transaction as the answers.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction

from beacon.contacts.models import Contact, Interaction
from beacon.core import clock
from beacon.core.errors import ValidationFailed
from beacon.cxmodel.models import Touchpoint
from beacon.responses import rollups
from beacon.responses.events import response_answered, response_created
from beacon.responses.models import Answer, Response
from beacon.surveys.actions import do_mark_completed
from beacon.surveys.models import Invitation, Question, QuestionKind, Survey

MAX_TEXT_LENGTH = 20_000


@dataclass
class AnswerIn:
    question_id: int
    number: int | None = None
    text: str = ""
    choices: list[str] = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        return self.number is None and not self.text.strip() and not self.choices


@dataclass
class ResponseIn:
    survey: Survey
    idempotency_key: str
    answers: list[AnswerIn]
    complete: bool = True
    invitation: Invitation | None = None
    contact: Contact | None = None
    interaction: Interaction | None = None
    touchpoint: Touchpoint | None = None
    channel: str = "link"
    responded_at: dt.datetime | None = None


@dataclass(frozen=True)
class IngestResult:
    response: Response
    created: bool
    # True when this call wrote anything: a new or changed answer, or completion.
    changed: bool
    # The stored answers in question order when this call wrote all of them (a new
    # response), so a caller can answer without reading them back; else None.
    answers: list[Answer] | None = None


def _check_answer(q: Question, a: AnswerIn, where: str) -> dict[str, str]:
    kind = QuestionKind(q.kind)
    scale = q.scale
    if a.is_empty:
        return {}
    if scale is not None:
        if a.number is None:
            return {f"{where}.number": f"question {q.pk} needs a score"}
        if not scale.low <= a.number <= scale.high:
            return {f"{where}.number": f"must be between {scale.low} and {scale.high}"}
        return {}
    if a.number is not None:
        return {f"{where}.number": f"question {q.pk} takes no score"}
    if kind == QuestionKind.TEXT:
        if len(a.text) > MAX_TEXT_LENGTH:
            return {f"{where}.text": f"must be at most {MAX_TEXT_LENGTH} characters"}
        return {}
    unknown = [c for c in a.choices if c not in q.choices]
    if unknown:
        return {f"{where}.choices": f"not a choice of question {q.pk}: {unknown[0]!r}"}
    if kind == QuestionKind.SINGLE and len(a.choices) != 1:
        return {f"{where}.choices": "pick exactly one choice"}
    if len(set(a.choices)) != len(a.choices):
        return {f"{where}.choices": "a choice is repeated"}
    return {}


def check_answers(questions: dict[int, Question], answers: Sequence[AnswerIn]) -> None:
    errors: dict[str, str] = {}
    seen: set[int] = set()
    for i, a in enumerate(answers):
        where = f"answers[{i}]"
        q = questions.get(a.question_id)
        if q is None:
            errors[f"{where}.question_id"] = f"no question {a.question_id} in this survey"
        elif a.question_id in seen:
            errors[f"{where}.question_id"] = f"question {a.question_id} is answered twice"
        else:
            errors.update(_check_answer(q, a, where))
        seen.add(a.question_id)
    if errors:
        raise ValidationFailed(errors)


def _missing_required(questions: dict[int, Question], answered: set[int]) -> list[Question]:
    return [q for q in questions.values() if q.required and q.pk not in answered]


def _check_required(questions: dict[int, Question], answered: set[int]) -> None:
    missing = _missing_required(questions, answered)
    if missing:
        raise ValidationFailed(
            {f"question {q.pk}": "this question needs an answer" for q in missing}
        )


def _dimensions(data: ResponseIn, attribute_keys: list[str] | None = None) -> dict[str, object]:
    """Who and where, copied onto the response for analytics."""
    interaction = data.interaction or (data.invitation.interaction if data.invitation else None)
    contact = data.contact or (data.invitation.contact if data.invitation else None)
    if contact is None and interaction is not None:
        contact = interaction.contact
    touchpoint = data.touchpoint or (interaction.touchpoint if interaction else None)
    return {
        "invitation": data.invitation,
        "interaction": interaction,
        "contact": contact,
        "touchpoint": touchpoint,
        "stage_id": touchpoint.stage_id if touchpoint else None,
        "persona_id": contact.persona_id if contact else None,
        "team_id": interaction.team_id if interaction else None,
        "staff_id": interaction.staff_id if interaction else None,
        "rollup_attributes": rollups.snapshot(
            rollups.attribute_keys(data.survey.organization_id)
            if attribute_keys is None
            else attribute_keys,
            contact.attributes if contact else None,
        ),
    }


def _check_envelope(data: ResponseIn) -> None:
    org_id = data.survey.organization_id
    errors: dict[str, str] = {}
    if not data.idempotency_key.strip() or len(data.idempotency_key) > 200:
        errors["idempotency_key"] = "must be 1-200 characters"
    for name in ("invitation", "contact", "interaction", "touchpoint"):
        obj = getattr(data, name)
        if obj is not None and obj.organization_id != org_id:
            errors[name] = "belongs to another organisation"
    if data.invitation is not None and data.invitation.survey_id != data.survey.pk:
        errors["invitation"] = "is for another survey"
    if errors:
        raise ValidationFailed(errors)


def _get_or_create_response(data: ResponseIn, *, complete: bool) -> tuple[Response, bool]:
    """The response of the key, locked for this transaction, or a new one.

    `complete` stores a new response as completed in the same INSERT (the caller has
    checked that every required question is answered). The row lock makes a concurrent
    partial update of the same response wait, so its answers and rollup deltas are read
    after ours are written (SQLite's BEGIN IMMEDIATE serializes writers anyway).
    """
    org_id = data.survey.organization_id
    by_key = Response.objects.for_org(org_id).filter(idempotency_key=data.idempotency_key)
    existing = next(iter(by_key.select_for_update()[:1]), None)  # unique: no ORDER BY needed
    if existing is not None:
        return existing, False
    now = clock.now()
    try:
        with transaction.atomic():
            response = Response.objects.create(
                organization_id=org_id,
                survey=data.survey,
                channel=data.channel,
                idempotency_key=data.idempotency_key,
                responded_at=data.responded_at or now,
                completed_at=now if complete else None,
                **_dimensions(data),
            )
            rollups.count_responses([response], +1)
    except IntegrityError:
        # The same key, or the same invitation under another key, arrived concurrently:
        # the other request's row is the response.
        found = by_key
        if not found.exists() and data.invitation is not None:
            found = Response.objects.filter(invitation=data.invitation)
        return found.select_for_update().get(), False
    response_created(org_id, response, channel=data.channel)
    return response, True


def _write_new_answers(
    response: Response, questions: dict[int, Question], answers: Sequence[AnswerIn]
) -> list[Answer]:
    """A response created in this transaction has no answers yet: one INSERT for all.

    Returns the stored answers in question order.
    """
    rows = sorted((a for a in answers if not a.is_empty),
                  key=lambda a: questions[a.question_id].position)  # fmt: skip
    stored = Answer.objects.bulk_create(
        Answer(
            organization_id=response.organization_id,
            response=response,
            question_id=a.question_id,
            number=a.number,
            text=a.text,
            choices=a.choices,
        )
        for a in rows
    )
    deltas: Counter[rollups.Cell] = Counter()
    for a in rows:
        if a.number is not None and questions[a.question_id].is_scored:
            deltas[rollups.cell_for(response, a.question_id, a.number)] += 1
    rollups.apply(deltas)
    return stored


def _write_answers(
    response: Response, questions: dict[int, Question], answers: Sequence[AnswerIn]
) -> tuple[bool, set[int]]:
    """Apply answers to a stored response; returns (changed, questions now answered)."""
    current = {a.question_id: a for a in Answer.objects.filter(response=response)}
    answered = set(current)
    deltas: Counter[rollups.Cell] = Counter()
    changed = False
    for a in answers:
        old = current.get(a.question_id)
        if old is not None and (old.number, old.text, old.choices) == (a.number, a.text, a.choices):
            continue
        if old is None and a.is_empty:
            continue
        changed = True
        if old is not None and old.number is not None:
            deltas[rollups.cell_for(response, a.question_id, old.number)] -= 1
        if a.number is not None and questions[a.question_id].is_scored:
            deltas[rollups.cell_for(response, a.question_id, a.number)] += 1
        fields = {"number": a.number, "text": a.text, "choices": a.choices}
        # The response row is locked (see _get_or_create_response): no one else writes
        # its answers until we commit, so plain statements suffice.
        if old is None:
            Answer.objects.create(
                organization_id=response.organization_id,
                response=response,
                question_id=a.question_id,
                **fields,
            )
            answered.add(a.question_id)
        elif a.is_empty:
            Answer.objects.filter(pk=old.pk).delete()
            answered.discard(a.question_id)
        else:
            Answer.objects.filter(pk=old.pk).update(**fields)
    rollups.apply(deltas)
    return changed, answered


def ingest(data: ResponseIn) -> IngestResult:
    """Store answers of one response; retries with the same key change nothing.

    A partial response (complete=False) keeps what was given; a completed response is
    final, so a retried submission is a no-op that returns the stored response.
    """
    _check_envelope(data)
    questions = {q.pk: q for q in Question.objects.filter(survey=data.survey)}
    check_answers(questions, data.answers)
    given = {a.question_id for a in data.answers if not a.is_empty}
    # A new response that answers every required question is stored completed at once.
    complete_now = data.complete and not _missing_required(questions, given)
    with transaction.atomic():
        response, created = _get_or_create_response(data, complete=complete_now)
        if response.survey_id != data.survey.pk:
            raise ValidationFailed({"idempotency_key": "already used for another survey"})
        stored: list[Answer] | None = None
        if created:
            stored = _write_new_answers(response, questions, data.answers)
            changed, answered = bool(stored), given
        elif response.completed_at is not None:
            return IngestResult(response, created=False, changed=False)
        else:
            changed, answered = _write_answers(response, questions, data.answers)
        if data.complete:
            _check_required(questions, answered)
            changed |= _complete(response)
        if changed:
            response_answered(
                response.organization_id, response, complete=response.completed_at is not None
            )
    return IngestResult(response, created=created, changed=changed, answers=stored)


def _complete(response: Response) -> bool:
    """Mark the response (unless stored completed already) and its invitation completed."""
    if response.completed_at is None:
        now = clock.now()
        done = Response.objects.filter(pk=response.pk, completed_at__isnull=True).update(
            completed_at=now
        )
        if not done:
            return False
        response.completed_at = now
    if response.invitation_id is not None:
        do_mark_completed(response.invitation)  # type: ignore[arg-type]
    return True


def ingest_bulk(
    items: Sequence[ResponseIn], *, historical: bool = False, batch_size: int = 5000
) -> list[Response]:
    """Store many complete responses (imports, demo data) with few statements.

    Same validation and idempotency as `ingest()`; keys already stored (or repeated in
    `items`) are skipped. Returns the responses created, read back in item order. Each
    batch is one transaction. `historical` marks them as already processed: old answers
    imported today must not open cases or notify anyone. The work is in `bulk.py`.
    """
    # Imported here because bulk.py builds on this module's checks.
    from beacon.responses import bulk

    ids = [pk for pk, _ in bulk.store(items, historical=historical, batch_size=batch_size)]
    found: dict[int, Response] = {}
    for start in range(0, len(ids), 5000):
        found.update(Response.objects.in_bulk(ids[start : start + 5000]))
    return [found[pk] for pk in ids]
