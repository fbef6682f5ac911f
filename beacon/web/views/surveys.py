"""Survey list and editor. Analysts and above edit; everyone else sees it read-only."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.db import transaction
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from beacon.core.errors import ValidationFailed
from beacon.cxmodel.models import Touchpoint
from beacon.orgs.models import Membership, Role
from beacon.responses.models import Answer
from beacon.surveys.actions import (
    SURVEY_TEXT_KEYS,
    QuestionIn,
    do_add_question,
    do_create_survey,
    do_remove_question,
    do_translate_question,
    do_translate_survey,
    do_update_survey,
)
from beacon.surveys.distribution import LANGUAGES
from beacon.surveys.models import Question, QuestionKind, Survey, SurveyStatus
from beacon.surveys.queries import questions_of, survey_editor_warnings, translation_status
from beacon.web.access import render_page, require_role, staff_view
from beacon.web.forms.common import reads, values
from beacon.web.forms.surveys import (
    QUESTION_LIMITS,
    SURVEY_LIMITS,
    LanguageForm,
    QuestionForm,
    QuestionRemoveForm,
    SurveyCreateForm,
    SurveyForm,
    TranslationsForm,
)

EDITOR = Role.ANALYST


def _survey_or_404(member: Membership, survey_id: int) -> Survey:
    survey = Survey.objects.for_org(member.organization_id).filter(pk=survey_id).first()
    if survey is None:
        raise Http404("no such survey")
    return survey


@staff_view
@require_http_methods(["GET"])
def survey_list(request: HttpRequest, member: Membership) -> HttpResponse:
    return _list_page(request, member)


def _list_page(
    request: HttpRequest,
    member: Membership,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    status: int = 200,
) -> HttpResponse:
    surveys = (
        Survey.objects.for_org(member.organization_id)
        .annotate(
            n_responses=Count(
                "responses", filter=Q(responses__completed_at__isnull=False), distinct=True
            ),
            n_questions=Count("questions", distinct=True),
        )
        .order_by("name", "pk")
    )
    context = {
        "surveys": surveys,
        "can_edit": member.has_role(EDITOR),
        "errors": errors or {},
        "values": values or {},
    }
    return render_page(request, member, "web/surveys.html", context, status=status, nav="surveys")


@staff_view
@require_POST
@reads(SurveyCreateForm)
def survey_create(request: HttpRequest, member: Membership) -> HttpResponse:
    require_role(member, EDITOR)
    form = SurveyCreateForm(member.organization_id, request.POST)
    try:
        data = form.checked()
        survey = do_create_survey(member.organization, data["name"], data["title"], actor=member)
    except ValidationFailed as exc:
        return _list_page(request, member, exc.errors, values(form), status=400)
    messages.success(request, f"Survey “{survey.name}” created as a draft.")
    return redirect("web:survey", survey_id=survey.pk)


def _touchpoint_groups(member: Membership) -> list[tuple[str, list[Touchpoint]]]:
    groups: dict[str, list[Touchpoint]] = {}
    for tp in (
        Touchpoint.objects.for_org(member.organization_id)
        .select_related("stage", "stage__journey")
        .order_by("stage__journey_id", "stage__position", "name")
    ):
        groups.setdefault(f"{tp.stage.journey.name} / {tp.stage.name}", []).append(tp)
    return list(groups.items())


def _editor_page(
    request: HttpRequest,
    member: Membership,
    survey: Survey,
    *,
    errors: dict[str, str] | None = None,
    question_errors: dict[str, str] | None = None,
    values: dict[str, Any] | None = None,
    question_values: dict[str, Any] | None = None,
    status: int = 200,
) -> HttpResponse:
    current = {
        "name": survey.name,
        "title": survey.title,
        "intro": survey.intro,
        "thank_you": survey.thank_you,
        "status": survey.status,
        "touchpoints": set(survey.touchpoints.values_list("pk", flat=True)),
    }
    context = {
        "survey": survey,
        "questions": questions_of(survey),
        "warnings": survey_editor_warnings(survey),
        "anonymous_url": f"{settings.BASE_URL}/s/a/{survey.anonymous_token}/",
        "can_edit": member.has_role(EDITOR),
        "statuses": SurveyStatus.choices,
        "kinds": QuestionKind.choices,
        "touchpoint_groups": _touchpoint_groups(member),
        "errors": errors or {},
        "question_errors": question_errors or {},
        "values": values or current,
        "q": question_values or {"kind": QuestionKind.NPS},
    }
    return render_page(request, member, "web/survey.html", context, status=status, nav="surveys")


@staff_view
@require_http_methods(["GET", "POST"])
@reads(SurveyForm)
def survey_editor(request: HttpRequest, member: Membership, survey_id: int) -> HttpResponse:
    survey = _survey_or_404(member, survey_id)
    if request.method != "POST":
        return _editor_page(request, member, survey)
    require_role(member, EDITOR)
    form = SurveyForm(member.organization_id, request.POST)
    try:
        data = form.checked()
        do_update_survey(
            survey,
            name=data["name"],
            title=data["title"],
            intro=data["intro"],
            thank_you=data["thank_you"],
            status=data["status"],
            touchpoints=list(data["touchpoints"]),
            actor=member,
        )
    except ValidationFailed as exc:
        survey.refresh_from_db()
        return _editor_page(
            request, member, survey, errors=exc.errors, values=form.shown(), status=400
        )
    messages.success(request, "Survey saved.")
    return redirect("web:survey", survey_id=survey.pk)


@staff_view
@require_POST
@reads(QuestionForm)
def question_add(request: HttpRequest, member: Membership, survey_id: int) -> HttpResponse:
    survey = _survey_or_404(member, survey_id)
    require_role(member, EDITOR)
    form = QuestionForm(member.organization_id, request.POST)
    try:
        if not form.is_valid():
            raise ValidationFailed(form.problems())
        data = form.cleaned_data
        question = do_add_question(
            survey,
            QuestionIn(
                kind=data["kind"],
                text=data["text"],
                required=data["required"] == "1",
                choices=[line.strip() for line in data["choices"].splitlines() if line.strip()],
                scale_min=data["scale_min"],
                scale_max=data["scale_max"],
                low_label=data["low_label"].strip(),
                high_label=data["high_label"].strip(),
                help_text=data["help_text"].strip(),
            ),
            actor=member,
        )
    except ValidationFailed as exc:
        return _editor_page(
            request,
            member,
            survey,
            question_errors=exc.errors,
            question_values=form.shown(),
            status=400,
        )
    messages.success(request, f"Question {question.position} added.")
    return redirect("web:survey", survey_id=survey.pk)


@staff_view
@require_POST
@reads(QuestionRemoveForm)
def question_remove(
    request: HttpRequest, member: Membership, survey_id: int, question_id: int
) -> HttpResponse:
    survey = _survey_or_404(member, survey_id)
    question = (
        Question.objects.for_org(member.organization_id)
        .filter(survey=survey, pk=question_id)
        .first()
    )
    if question is None:
        raise Http404("no such question")
    require_role(member, EDITOR)
    # Removing a question deletes its answers: ask once more when there are any.
    answered = Answer.objects.for_org(member.organization_id).filter(question=question).count()
    form = QuestionRemoveForm(member.organization_id, request.POST)
    if answered and not (form.is_valid() and form.cleaned_data["confirm"] == "1"):
        context = {"survey": survey, "question": question, "answered": answered}
        status = 200 if form.is_valid() else 400
        return render_page(
            request, member, "web/question_remove.html", context, status=status, nav="surveys"
        )
    do_remove_question(question, actor=member)
    messages.success(request, "Question removed.")
    return redirect("web:survey", survey_id=survey.pk)


# ---------------------------------------------------------------- translations


@dataclass(frozen=True)
class TextField:
    name: str  # the form field
    label: str
    original: str
    value: str
    limit: int
    multiline: bool = False
    error: str = ""


def _languages(survey: Survey, questions: list[Question]) -> list[str]:
    """The respondent page's languages, then any other the survey already has."""
    extra = set(survey.translations or {})
    for q in questions:
        extra |= set(q.translations or {})
    return list(LANGUAGES) + sorted(extra - set(LANGUAGES))


def _stored_values(survey: Survey, questions: list[Question], language: str) -> dict[str, str]:
    values = {
        f"survey_{k}": str(v) for k, v in ((survey.translations or {}).get(language) or {}).items()
    }
    for q in questions:
        for key, value in ((q.translations or {}).get(language) or {}).items():
            shown = "\n".join(str(c) for c in value) if isinstance(value, list) else str(value)
            values[f"q{q.pk}_{key}"] = shown
    return values


def _survey_fields(
    survey: Survey, values: dict[str, str], errors: dict[str, str]
) -> list[TextField]:
    labels = {"title": "Title", "intro": "Introduction", "thank_you": "Thank-you message"}
    return [
        TextField(
            f"survey_{key}",
            labels[key],
            getattr(survey, key),
            values.get(f"survey_{key}", ""),
            SURVEY_LIMITS[key],
            key != "title",
            errors.get(f"survey {key.replace('_', ' ')}", ""),
        )
        for key in SURVEY_TEXT_KEYS
        if getattr(survey, key).strip()
    ]


def _question_fields(
    n: int, q: Question, values: dict[str, str], errors: dict[str, str]
) -> list[TextField]:
    labels = {
        "text": "Question",
        "help_text": "Help text",
        "low_label": "Low-end label",
        "high_label": "High-end label",
    }
    fields = [
        TextField(
            f"q{q.pk}_{key}",
            labels[key],
            getattr(q, key),
            values.get(f"q{q.pk}_{key}", ""),
            QUESTION_LIMITS[key],
            error=errors.get(f"question {n} {key.replace('_', ' ')}", ""),
        )
        for key in QUESTION_LIMITS
        if key == "text" or getattr(q, key).strip()
    ]
    if q.choices:
        fields.append(
            TextField(
                f"q{q.pk}_choices",
                f"Choices (one per line, in this order, {len(q.choices)})",
                "\n".join(q.choices),
                values.get(f"q{q.pk}_choices", ""),
                200 * len(q.choices),
                multiline=True,
                error=errors.get(f"question {n} choices", ""),
            )
        )
    return fields


def _translations_page(
    request: HttpRequest,
    member: Membership,
    survey: Survey,
    questions: list[Question],
    language: str,
    values: dict[str, str],
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> HttpResponse:
    context = {
        "survey": survey,
        "language": language,
        "statuses": [
            translation_status(survey, questions, code) for code in _languages(survey, questions)
        ],
        "survey_fields": _survey_fields(survey, values, errors or {}),
        "question_fields": [
            (n, q, _question_fields(n, q, values, errors or {}))
            for n, q in enumerate(questions, start=1)
        ],
        "can_edit": member.has_role(EDITOR),
        "errors": errors or {},
    }
    return render_page(
        request, member, "web/survey_translations.html", context, status=status, nav="surveys"
    )


@staff_view
@require_http_methods(["GET", "POST"])
@reads(LanguageForm, TranslationsForm)
def survey_translations(request: HttpRequest, member: Membership, survey_id: int) -> HttpResponse:
    """Every text of a survey in one language, with how complete each language is."""
    survey = _survey_or_404(member, survey_id)
    questions = questions_of(survey)
    language = LanguageForm(member.organization_id, request.GET).code()
    if request.method != "POST":
        values = _stored_values(survey, questions, language)
        return _translations_page(request, member, survey, questions, language, values)
    require_role(member, EDITOR)
    form = TranslationsForm(member.organization_id, request.POST, questions=questions)
    form.is_valid()
    language, values = form.code(default=language), form.texts()
    try:
        _save_translations(member, survey, questions, language, values)
    except ValidationFailed as exc:
        survey.refresh_from_db()
        questions = questions_of(survey)
        return _translations_page(
            request, member, survey, questions, language, values, exc.errors, status=400
        )
    messages.success(request, f"Translations ({language}) saved.")
    query = urlencode({"language": language})
    return redirect(f"{reverse('web:survey_translations', args=[survey.pk])}?{query}")


@transaction.atomic
def _save_translations(
    member: Membership,
    survey: Survey,
    questions: list[Question],
    language: str,
    values: dict[str, str],
) -> None:
    """All or nothing: one bad field leaves every language as it was."""
    texts = {k: values.get(f"survey_{k}", "") for k in SURVEY_TEXT_KEYS}
    errors = {
        f"survey {k.replace('_', ' ')}": f"must be at most {n} characters"
        for k, n in SURVEY_LIMITS.items()
        if len(texts[k]) > n
    }
    do_translate_survey(survey, language, texts, actor=member)
    for n, q in enumerate(questions, start=1):
        shown: dict[str, str | list[str]] = {
            k: values.get(f"q{q.pk}_{k}", "") for k in QUESTION_LIMITS
        }
        errors.update(
            {
                f"question {n} {k.replace('_', ' ')}": f"must be at most {limit} characters"
                for k, limit in QUESTION_LIMITS.items()
                if len(str(shown[k])) > limit
            }
        )
        lines = [c.strip() for c in values.get(f"q{q.pk}_choices", "").splitlines() if c.strip()]
        if q.choices and lines:
            shown["choices"] = lines
        try:
            do_translate_question(q, language, shown, actor=member)
        except ValidationFailed as exc:
            errors.update(
                {f"question {n} {k.removeprefix('texts.')}": m for k, m in exc.errors.items()}
            )
    if errors:
        raise ValidationFailed(errors)
