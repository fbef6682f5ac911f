"""Turning one posted step into an `AnswerIn`, and a stored answer back into a form.

Only the shape of the input is checked here (a number is a number, one radio sent
once); whether the value fits the question is ingest's job, so the rules live in one
place and its field errors are what the respondent sees.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.http import QueryDict
from django.utils.translation import gettext_noop

from beacon.responses.checks import AnswerIn
from beacon.responses.models import Answer
from beacon.surveys.models import Question, QuestionKind

# Wider scales (a rating may go to 100) would be a wall of boxes; a number field is
# easier to use there.
MAX_BOXES = 11

# Marked for the catalogues; the page translates them when it shows them.
DEFAULT_LABELS = {
    QuestionKind.NPS: (gettext_noop("Not at all likely"), gettext_noop("Extremely likely")),
    QuestionKind.CSAT: (gettext_noop("Very dissatisfied"), gettext_noop("Very satisfied")),
    QuestionKind.CES: (gettext_noop("Very difficult"), gettext_noop("Very easy")),
}

NEEDS_ANSWER = gettext_noop("This question needs an answer.")
NOT_THIS_QUESTION = gettext_noop(
    "This answer was meant for a different question. Please answer the question below."
)


class BadAnswer(Exception):
    """The posted step cannot even be read as an answer; the message is for the respondent."""


@dataclass
class Prefill:
    """What the form shows as already chosen or typed."""

    selected: list[str] = field(default_factory=list)
    text: str = ""


@dataclass(frozen=True)
class Option:
    value: str
    label: str
    checked: bool
    # Read out with the end boxes of a scale, so the meaning of 0 and 10 is heard too.
    hint: str = ""
    # Where later questions depend on this one: "1" if picking it ends the survey here.
    ends: str = ""


def widget(question: Question) -> str:
    kind = QuestionKind(question.kind)
    scale = question.scale
    if scale is not None:
        return "boxes" if scale.high - scale.low < MAX_BOXES else "number"
    if kind == QuestionKind.SINGLE:
        return "radio"
    if kind == QuestionKind.MULTI:
        return "checkbox"
    return "text"


def end_labels(question: Question) -> tuple[str, str]:
    low, high = DEFAULT_LABELS.get(QuestionKind(question.kind), ("", ""))
    return question.low_label or low, question.high_label or high


def options(question: Question, prefill: Prefill) -> list[Option]:
    scale = question.scale
    if scale is None:
        return [Option(c, c, c in prefill.selected) for c in question.choices]
    low, high = end_labels(question)
    values = range(scale.low, scale.high + 1)
    hints = {scale.low: low, scale.high: high}
    return [Option(str(n), str(n), str(n) in prefill.selected, hints.get(n, "")) for n in values]


def prefill_from(answer: Answer | AnswerIn | None) -> Prefill:
    if answer is None:
        return Prefill()
    selected = [str(answer.number)] if answer.number is not None else list(answer.choices)
    return Prefill(selected=selected, text=answer.text)


def prefill_posted(question: Question, post: QueryDict) -> Prefill:
    """Show back what was sent, so a long text is not lost to an error message."""
    if widget(question) == "text":
        return Prefill(text=_text(post))
    return Prefill(selected=post.getlist("answer"))


def _text(post: QueryDict) -> str:
    # Browsers send line breaks as CRLF; store them as the respondent typed them.
    return post.get("answer", "").replace("\r\n", "\n")


def parse_answer(question: Question, post: QueryDict) -> AnswerIn:
    values = [v for v in post.getlist("answer") if v.strip()]
    kind = QuestionKind(question.kind)
    scale = question.scale
    if scale is not None:
        if len(values) > 1:
            raise BadAnswer("Please choose only one answer.")
        if not values:
            return AnswerIn(question.pk)
        try:
            number = int(values[0].strip())
        except ValueError:
            raise BadAnswer(
                f"Your answer must be a number between {scale.low} and {scale.high}."
            ) from None
        return AnswerIn(question.pk, number=number)
    if kind == QuestionKind.SINGLE:
        if len(values) > 1:
            raise BadAnswer("Please choose only one option.")
        return AnswerIn(question.pk, choices=values)
    if kind == QuestionKind.MULTI:
        return AnswerIn(question.pk, choices=values)
    return AnswerIn(question.pk, text=_text(post))


def read_step(question: Question, data: QueryDict) -> AnswerIn | str:
    """The step's answer, or the message to show the step again with."""
    try:
        answer = parse_answer(question, data)
    except BadAnswer as exc:
        return str(exc)
    if answer.is_empty and question.required:
        return NEEDS_ANSWER
    return answer


def message_for(errors: dict[str, str]) -> str:
    """Ingest's field errors in the respondent's words (they never see question ids)."""
    key, msg = next(iter(errors.items()))
    if key.endswith(".question_id"):
        return NOT_THIS_QUESTION
    if key.endswith(".choices"):
        if msg.startswith("not a choice"):
            return "Please choose from the options listed."
        if "exactly one" in msg:
            return "Please choose exactly one option."
        return "Please choose each option only once."
    if key.endswith((".number", ".text")):
        return f"Your answer {msg}."
    if key.startswith("question "):
        return NEEDS_ANSWER
    return f"We could not save your answer ({key}: {msg}). Please try again."
