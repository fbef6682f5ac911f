"""Which language a respondent sees, and survey texts in that language.

Page strings come from the gettext catalogues in beacon/public/locale (en, de, fr, es,
nl); survey texts from the translations stored on the survey and its questions. The
language is the invitation's, else the contact's (attribute "language"), else the best
match of the browser's Accept-Language, else English.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest
from django.utils.translation import get_language_info
from django.utils.translation.trans_real import parse_accept_lang_header

from beacon.surveys.models import Invitation, Question, Survey

UI_LANGUAGES = ("en", "de", "fr", "es", "nl")


def _base(code: str) -> str:
    return code.strip().lower().replace("_", "-").split("-")[0]


def available(survey: Survey | None) -> set[str]:
    langs = set(UI_LANGUAGES)
    if survey is not None:
        langs |= {_base(k) for k in (survey.translations or {})}
    return langs


def choose_language(
    request: HttpRequest, survey: Survey | None, invitation: Invitation | None = None
) -> str:
    langs = available(survey)
    wanted: list[str] = []
    if invitation is not None:
        wanted.append(invitation.language)
        wanted.append(str((invitation.contact.attributes or {}).get("language", "")))
    wanted += [code for code, _q in parse_accept_lang_header(
        request.headers.get("Accept-Language", "")[:500]
    )]  # fmt: skip
    for code in wanted:
        if code and _base(code) in langs:
            return _base(code)
    return "en"


def is_rtl(language: str) -> bool:
    try:
        return bool(get_language_info(language)["bidi"])
    except KeyError:
        return False


def _pick(translations: Any, language: str) -> dict[str, Any]:
    found = (translations or {}).get(language)
    return found if isinstance(found, dict) else {}


@dataclass(frozen=True)
class SurveyText:
    title: str
    intro: str
    thank_you: str


def survey_text(survey: Survey, language: str) -> SurveyText:
    t = _pick(survey.translations, language)
    return SurveyText(
        title=str(t.get("title") or survey.title),
        intro=str(t.get("intro") or survey.intro),
        thank_you=str(t.get("thank_you") or survey.thank_you),
    )


@dataclass(frozen=True)
class QuestionText:
    text: str
    help_text: str
    low_label: str
    high_label: str
    # Shown label per stored choice value.
    choices: dict[str, str]


def question_text(question: Question, language: str) -> QuestionText:
    t = _pick(question.translations, language)
    shown = t.get("choices")
    choices = {c: c for c in question.choices}
    if isinstance(shown, list) and len(shown) == len(question.choices):
        choices = {c: str(s) for c, s in zip(question.choices, shown, strict=True)}
    return QuestionText(
        text=str(t.get("text") or question.text),
        help_text=str(t.get("help_text") or question.help_text),
        low_label=str(t.get("low_label") or ""),
        high_label=str(t.get("high_label") or ""),
        choices=choices,
    )
