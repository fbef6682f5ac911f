"""What a response must be, shared by the one-at-a-time path (ingest.py) and the bulk
path (bulk.py): the input shapes, their checks, and the dimensions copied onto a response."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from beacon.contacts.models import Contact, Interaction
from beacon.core.errors import ValidationFailed
from beacon.cxmodel.models import Touchpoint
from beacon.responses import rollups
from beacon.surveys.conditions import Given, hidden_questions
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


def check_answer(q: Question, a: AnswerIn, where: str) -> dict[str, str]:
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
            errors.update(check_answer(q, a, where))
        seen.add(a.question_id)
    if errors:
        raise ValidationFailed(errors)


def check_shown(
    questions: dict[int, Question], answers: Mapping[int, Given], given: Sequence[AnswerIn]
) -> set[int]:
    """The questions not asked (show-if), given the response's answers after this call.

    An answer sent to a question that is not asked is refused, naming it: a client that
    answers it has not applied the survey's rules, and storing the answer would count a
    score the survey never asked for. Returns the hidden question ids.
    """
    hidden = hidden_of(questions, answers)
    errors = {
        f"answers[{i}].question_id": (
            f"question {a.question_id} is not asked: its show-if condition is not met"
        )
        for i, a in enumerate(given)
        if a.question_id in hidden and not a.is_empty
    }
    if errors:
        raise ValidationFailed(errors)
    return hidden


def hidden_of(questions: dict[int, Question], answers: Mapping[int, Given]) -> set[int]:
    """The questions not asked given these answers (none when the survey has no rules)."""
    if not any(q.show_if_question_id is not None for q in questions.values()):
        return set()
    return hidden_questions(questions.values(), answers)


def given_answers(answers: Sequence[AnswerIn]) -> dict[int, AnswerIn]:
    return {a.question_id: a for a in answers if not a.is_empty}


def missing_required(
    questions: dict[int, Question], answered: set[int], hidden: set[int] | None = None
) -> list[Question]:
    """Required questions left unanswered; a question not asked (show-if) is not required."""
    skip = hidden or set()
    return [q for q in questions.values() if q.required and q.pk not in answered | skip]


def check_required(
    questions: dict[int, Question], answered: set[int], hidden: set[int] | None = None
) -> None:
    missing = missing_required(questions, answered, hidden)
    if missing:
        raise ValidationFailed(
            {f"question {q.pk}": "this question needs an answer" for q in missing}
        )


def dimensions(data: ResponseIn, attribute_keys: list[str] | None = None) -> dict[str, object]:
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


def check_envelope(data: ResponseIn) -> None:
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
