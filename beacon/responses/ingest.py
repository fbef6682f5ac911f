"""The one write path for responses and answers.

The respondent page, the API, imports and demo seeding all store answers through
`ingest()` (one response, answer by answer) or `ingest_bulk()` (many complete responses).
Both validate against the survey's questions, honour the idempotency key, and update the
score rollups in the same transaction as the answers.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from django.db import IntegrityError, transaction

from beacon.core import clock
from beacon.core.errors import ValidationFailed
from beacon.responses import bulk, rollups
from beacon.responses.checks import (
    AnswerIn,
    ResponseIn,
    check_answers,
    check_envelope,
    check_required,
    check_shown,
    dimensions,
    given_answers,
    hidden_of,
    missing_required,
)
from beacon.responses.events import response_answered, response_created
from beacon.responses.models import Answer, Response
from beacon.surveys.actions import do_mark_completed
from beacon.surveys.conditions import Given
from beacon.surveys.models import Question


@dataclass(frozen=True)
class IngestResult:
    response: Response
    created: bool
    # True when this call wrote anything: a new or changed answer, or completion.
    changed: bool
    # The stored answers in question order when this call wrote all of them (a new
    # response), so a caller can answer without reading them back; else None.
    answers: list[Answer] | None = None


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
                **dimensions(data),
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
) -> tuple[bool, set[int], set[int]]:
    """Apply answers to a stored response.

    Returns (changed, questions now answered, questions not asked). An earlier answer to
    a question that a changed answer now hides (the respondent went back and changed
    their score) is withdrawn with its rollup count.
    """
    current = {a.question_id: a for a in Answer.objects.filter(response=response)}
    after: dict[int, Given] = {**current, **given_answers(answers)}
    for a in answers:
        if a.is_empty:
            after.pop(a.question_id, None)
    hidden = check_shown(questions, after, answers)
    answered = set(current)
    deltas: Counter[rollups.Cell] = Counter()
    changed = False
    for qid in sorted(hidden & set(current)):
        withdrawn = current.pop(qid)
        if withdrawn.number is not None and questions[qid].is_scored:
            deltas[rollups.cell_for(response, qid, withdrawn.number)] -= 1
        Answer.objects.filter(pk=withdrawn.pk).delete()
        answered.discard(qid)
        changed = True
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
    return changed, answered, hidden


def ingest(data: ResponseIn) -> IngestResult:
    """Store answers of one response; retries with the same key change nothing.

    A partial response (complete=False) keeps what was given; a completed response is
    final, so a retried submission is a no-op that returns the stored response.
    """
    check_envelope(data)
    questions = {q.pk: q for q in Question.objects.filter(survey=data.survey)}
    check_answers(questions, data.answers)
    given = {a.question_id for a in data.answers if not a.is_empty}
    # The questions these answers alone leave unasked; a stored response is checked
    # below, with its earlier answers.
    hidden = hidden_of(questions, given_answers(data.answers))
    # A new response that answers every required question is stored completed at once.
    complete_now = data.complete and not missing_required(questions, given, hidden)
    with transaction.atomic():
        response, created = _get_or_create_response(data, complete=complete_now)
        if response.survey_id != data.survey.pk:
            raise ValidationFailed({"idempotency_key": "already used for another survey"})
        stored: list[Answer] | None = None
        if created:
            check_shown(questions, given_answers(data.answers), data.answers)
            stored = _write_new_answers(response, questions, data.answers)
            changed, answered = bool(stored), given
        elif response.completed_at is not None:
            return IngestResult(response, created=False, changed=False)
        else:
            changed, answered, hidden = _write_answers(response, questions, data.answers)
        if data.complete:
            check_required(questions, answered, hidden)
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
        rollups.count_completed(response)
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
    ids = [pk for pk, _ in bulk.store(items, historical=historical, batch_size=batch_size)]
    found: dict[int, Response] = {}
    for start in range(0, len(ids), 5000):
        found.update(Response.objects.in_bulk(ids[start : start + 5000]))
    return [found[pk] for pk in ids]
