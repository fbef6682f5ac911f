"""Show-if rules: which questions of a survey are asked, given the answers so far.

A question with a rule is asked only when the earlier question it reads was asked and
answered, and its answer meets the condition (a score at most / at least n, or a choice
picked). The respondent page, the preview, ingest and the bulk path all ask this module,
so the rule means the same everywhere; the browser's script only mirrors it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Protocol

from beacon.surveys.models import Question, QuestionKind, ShowIfOp

CHOICE_KINDS = {QuestionKind.SINGLE, QuestionKind.MULTI}


class Given(Protocol):
    """What a condition reads of an answer (a stored `Answer` or an incoming one)."""

    @property
    def number(self) -> int | None: ...

    @property
    def choices(self) -> list[str]: ...


def condition_met(op: str, value: str, answer: Given | None) -> bool:
    if answer is None:
        return False
    if op == ShowIfOp.PICKED:
        return value in (answer.choices or [])
    if answer.number is None or not value.lstrip("-").isdigit():
        return False
    if op == ShowIfOp.AT_MOST:
        return answer.number <= int(value)
    if op == ShowIfOp.AT_LEAST:
        return answer.number >= int(value)
    return False


def hidden_questions(questions: Iterable[Question], answers: Mapping[int, Given]) -> set[int]:
    """Ids of the questions not asked, given answers by question id.

    Read in position order, so a rule on a question that is itself hidden hides its
    follow-up too (its answer does not count).
    """
    hidden: set[int] = set()
    for q in sorted(questions, key=lambda q: q.position):
        ref = q.show_if_question_id
        if ref is None:
            continue
        answer = None if ref in hidden else answers.get(ref)
        if not condition_met(q.show_if_op, q.show_if_value, answer):
            hidden.add(q.pk)
    return hidden


def describe(question: Question, number_of: Mapping[int, int]) -> str:
    """The rule in words for staff ("shown when question 1 is at most 6")."""
    ref = question.show_if_question_id
    if ref is None:
        return ""
    where = f"question {number_of.get(ref, '?')}"
    if question.show_if_op == ShowIfOp.PICKED:
        return f"shown when “{question.show_if_value}” is picked in {where}"
    word = "at most" if question.show_if_op == ShowIfOp.AT_MOST else "at least"
    return f"shown when {where} is {word} {question.show_if_value}"


def rule_problems(
    controller: Question | None, op: str, value: str, *, own_position: int | None
) -> dict[str, str]:
    """Why a rule cannot stand, by form field; empty when it can.

    `controller` is already known to be of the same survey; `own_position` is where the
    question with the rule is (None: it is being added at the end, after every other).
    """
    if controller is None:
        if op or value.strip():
            return {"show_if_question": "choose the earlier question the condition reads"}
        return {}
    if own_position is not None and controller.position >= own_position:
        return {"show_if_question": "must be an earlier question of this survey"}
    kind = QuestionKind(controller.kind)
    scale = controller.scale
    if scale is not None:
        if op not in (ShowIfOp.AT_MOST, ShowIfOp.AT_LEAST):
            return {"show_if_op": "the condition on a score is “at most” or “at least”"}
        raw = value.strip()
        if not (raw.lstrip("-").isascii() and raw.lstrip("-").isdigit()):
            return {"show_if_value": "must be a whole number"}
        if not scale.low <= int(raw) <= scale.high:
            return {"show_if_value": f"must be between {scale.low} and {scale.high}"}
        return {}
    if kind in CHOICE_KINDS:
        if op != ShowIfOp.PICKED:
            return {"show_if_op": "the condition on a choice is “this choice is picked”"}
        if value not in controller.choices:
            return {"show_if_value": "must be one of the choices of that question"}
        return {}
    return {"show_if_question": "a free-text answer cannot decide whether a question is asked"}
