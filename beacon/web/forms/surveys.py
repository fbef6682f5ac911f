"""Surveys: creating one, editing it and its questions, and its translations."""

from __future__ import annotations

from typing import Any

from django import forms

from beacon.cxmodel.models import Touchpoint
from beacon.surveys.actions import SURVEY_TEXT_KEYS, QuestionIn
from beacon.surveys.distribution import LANGUAGES
from beacon.surveys.models import Question
from beacon.surveys.survey_templates import TEMPLATES
from beacon.web.forms.common import (
    OrgChoiceField,
    OrgMultipleChoiceField,
    PostForm,
    QueryForm,
    WholeNumberField,
    flag,
    text,
)

# Longest text per field, as the original's columns (translations are stored in JSON and
# shown in the same places, so they get the same room).
SURVEY_LIMITS = {"title": 300, "intro": 5000, "thank_you": 2000}
QUESTION_LIMITS = {"text": 500, "help_text": 300, "low_label": 60, "high_label": 60}
MAX_LANGUAGE = 20


def limited(limit: int) -> forms.CharField:
    return text(limit, error_messages={"max_length": f"must be at most {limit} characters"})


class SurveyCreateForm(PostForm):
    name = limited(200)
    title = limited(300)


class SurveyForm(PostForm):
    name = limited(200)
    title = limited(300)
    intro = text()
    thank_you = text()
    status = text()
    touchpoints = OrgMultipleChoiceField(Touchpoint, "a touchpoint is not one of this organisation")

    def shown(self) -> dict[str, Any]:
        """What was sent, to show again; the touchpoints as the ids that could be read."""
        out: dict[str, Any] = {k: str(self.data.get(k, "")) for k in self.fields}
        chosen = self.cleaned_data.get("touchpoints") if hasattr(self, "cleaned_data") else None
        out["touchpoints"] = {t.pk for t in chosen or []}
        return out


class QuestionForm(PostForm):
    kind = text()
    choices = text()
    text = limited(QUESTION_LIMITS["text"])
    scale_min = WholeNumberField()
    scale_max = WholeNumberField()
    low_label = limited(QUESTION_LIMITS["low_label"])
    high_label = limited(QUESTION_LIMITS["high_label"])
    help_text = limited(QUESTION_LIMITS["help_text"])
    required = flag()
    show_if_question = OrgChoiceField(Question, "must be an earlier question of this survey")
    show_if_op = limited(10)
    show_if_value = limited(200)

    def question_in(self) -> QuestionIn:
        """The typed question (after `is_valid()`); the action checks what it means."""
        data = self.cleaned_data
        return QuestionIn(
            kind=data["kind"],
            text=data["text"],
            required=data["required"] == "1",
            choices=[line.strip() for line in data["choices"].splitlines() if line.strip()],
            scale_min=data["scale_min"],
            scale_max=data["scale_max"],
            low_label=data["low_label"].strip(),
            high_label=data["high_label"].strip(),
            help_text=data["help_text"].strip(),
            show_if_question=data["show_if_question"],
            show_if_op=data["show_if_op"].strip(),
            show_if_value=data["show_if_value"],
        )

    def problems(self) -> dict[str, str]:
        """Field messages; both ends of the scale are reported as "scale", as the page shows."""
        out: dict[str, str] = {}
        for name, errors in self.errors.items():
            out["scale" if name.startswith("scale_") else name] = str(errors[0])
        return out

    def shown(self) -> dict[str, Any]:
        out: dict[str, Any] = {k: str(self.data.get(k, "")) for k in self.fields}
        out["required"] = "required" in self.data
        return out


class QuestionRemoveForm(PostForm):
    confirm = flag()


class QuestionMoveForm(PostForm):
    direction = forms.ChoiceField(
        choices=[("up", "up"), ("down", "down")],
        error_messages={"invalid_choice": "must be up or down", "required": "must be up or down"},
    )


class SurveyTemplateForm(PostForm):
    template = forms.ChoiceField(
        choices=[(key, t.name) for key, t in TEMPLATES.items()],
        error_messages={
            "invalid_choice": f"must be one of {', '.join(TEMPLATES)}",
            "required": "choose a template",
        },
    )


class LanguageForm(QueryForm):
    language = text()

    def code(self) -> str:
        self.is_valid()
        raw = self.cleaned_data.get("language") or LANGUAGES[1]
        return str(raw).strip().lower()[:MAX_LANGUAGE]


class TranslationsForm(PostForm):
    """Every text of a survey in one language; the fields follow the survey's questions."""

    language = text()

    def __init__(self, org: Any, *args: Any, questions: list[Question], **kwargs: Any) -> None:
        super().__init__(org, *args, **kwargs)
        for key in SURVEY_TEXT_KEYS:
            self.fields[f"survey_{key}"] = text()
        for q in questions:
            for key in (*QUESTION_LIMITS, "choices"):
                self.fields[f"q{q.pk}_{key}"] = text()

    def code(self, default: str) -> str:
        raw = self.cleaned_data.get("language") or default
        return str(raw).strip().lower()[:MAX_LANGUAGE]

    def texts(self) -> dict[str, str]:
        return {
            name: str(value).replace("\r\n", "\n")
            for name, value in self.cleaned_data.items()
            if name != "language"
        }
