"""Survey list and editor. Analysts and above edit; everyone else sees it read-only."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.db import transaction
from django.db.models import Count, OuterRef, Subquery, Sum
from django.db.models.functions import Coalesce
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from beacon.core.errors import ValidationFailed
from beacon.cxmodel.models import Touchpoint
from beacon.orgs.models import Membership, Role
from beacon.responses.models import Answer, ChannelRollup
from beacon.surveys.actions import (
    SURVEY_TEXT_KEYS,
    do_add_question,
    do_create_survey,
    do_create_survey_from_template,
    do_duplicate_survey,
    do_move_question,
    do_remove_question,
    do_translate_question,
    do_translate_survey,
    do_update_question,
    do_update_survey,
)
from beacon.surveys.conditions import describe
from beacon.surveys.distribution import LANGUAGES
from beacon.surveys.models import Question, QuestionKind, ShowIfOp, Survey, SurveyStatus
from beacon.surveys.queries import (
    preview_token,
    questions_of,
    survey_editor_warnings,
    translation_status,
)
from beacon.surveys.survey_templates import TEMPLATES
from beacon.web.access import render_page, require_role, staff_view
from beacon.web.forms.common import reads, values
from beacon.web.forms.surveys import (
    QUESTION_LIMITS,
    SURVEY_LIMITS,
    LanguageForm,
    QuestionForm,
    QuestionMoveForm,
    QuestionRemoveForm,
    SurveyCreateForm,
    SurveyForm,
    SurveyTemplateForm,
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
    template_errors: dict[str, str] | None = None,
) -> HttpResponse:
    # Completed responses from their rollup (a row per survey, day and channel), not
    # counted over the survey's responses: a million rows. Each count in its own subquery.
    completed = (
        ChannelRollup.objects.filter(
            organization_id=member.organization_id, survey_id=OuterRef("pk")
        )
        .order_by()
        .values("survey_id")
        .annotate(n=Sum("completed"))
        .values("n")
    )
    questions = (
        Question.objects.filter(survey=OuterRef("pk"))
        .order_by()
        .values("survey")
        .annotate(n=Count("pk"))
        .values("n")
    )
    surveys = (
        Survey.objects.for_org(member.organization_id)
        .annotate(
            n_responses=Coalesce(Subquery(completed), 0),
            n_questions=Coalesce(Subquery(questions), 0),
        )
        .order_by("name", "pk")
    )
    context = {
        "surveys": surveys,
        "templates": list(TEMPLATES.values()),
        "template_errors": template_errors or {},
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


@staff_view
@require_POST
@reads(SurveyTemplateForm)
def survey_from_template(request: HttpRequest, member: Membership) -> HttpResponse:
    require_role(member, EDITOR)
    form = SurveyTemplateForm(member.organization_id, request.POST)
    try:
        data = form.checked()
        survey = do_create_survey_from_template(member.organization, data["template"], actor=member)
    except ValidationFailed as exc:
        return _list_page(request, member, status=400, template_errors=exc.errors)
    messages.success(request, f"Survey “{survey.name}” created from its template as a draft.")
    return redirect("web:survey", survey_id=survey.pk)


@staff_view
@require_POST
def survey_duplicate(request: HttpRequest, member: Membership, survey_id: int) -> HttpResponse:
    survey = _survey_or_404(member, survey_id)
    require_role(member, EDITOR)
    copy = do_duplicate_survey(survey, actor=member)
    messages.success(request, f"Survey copied as “{copy.name}”, a draft with no responses.")
    return redirect("web:survey", survey_id=copy.pk)


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
    list_errors: dict[str, str] | None = None,
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
    questions = questions_of(survey)
    numbers = {q.pk: n for n, q in enumerate(questions, start=1)}
    token = preview_token(survey)
    context = {
        "survey": survey,
        "questions": [(q, describe(q, numbers)) for q in questions],
        "last_number": len(questions),
        "earlier": questions,
        "ops": ShowIfOp.choices,
        "previews": [
            (code, f"{reverse('public:preview', args=[token])}?{urlencode({'language': code})}")
            for code in _languages(survey, questions)
        ],
        "warnings": survey_editor_warnings(survey),
        "anonymous_url": f"{settings.BASE_URL}/s/a/{survey.anonymous_token}/",
        "can_edit": member.has_role(EDITOR),
        "statuses": SurveyStatus.choices,
        "kinds": QuestionKind.choices,
        "touchpoint_groups": _touchpoint_groups(member),
        "errors": errors or {},
        "question_errors": question_errors or {},
        "list_errors": list_errors or {},
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
        question = do_add_question(survey, form.question_in(), actor=member)
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


def _question_or_404(member: Membership, survey: Survey, question_id: int) -> Question:
    question = (
        Question.objects.for_org(member.organization_id)
        .filter(survey=survey, pk=question_id)
        .first()
    )
    if question is None:
        raise Http404("no such question")
    return question


def _values_of(question: Question) -> dict[str, Any]:
    """A stored question as the form shows it."""
    return {
        "kind": question.kind,
        "text": question.text,
        "help_text": question.help_text,
        "choices": "\n".join(question.choices),
        "scale_min": "" if question.scale_min is None else str(question.scale_min),
        "scale_max": "" if question.scale_max is None else str(question.scale_max),
        "low_label": question.low_label,
        "high_label": question.high_label,
        "required": question.required,
        "show_if_question": str(question.show_if_question_id or ""),
        "show_if_op": question.show_if_op,
        "show_if_value": question.show_if_value,
    }


@staff_view
@require_http_methods(["GET", "POST"])
@reads(QuestionForm)
def question_edit(
    request: HttpRequest, member: Membership, survey_id: int, question_id: int
) -> HttpResponse:
    survey = _survey_or_404(member, survey_id)
    question = _question_or_404(member, survey, question_id)
    answered = _answers_given(member, question)
    if request.method != "POST":
        return _question_page(request, member, survey, question, answered, _values_of(question))
    require_role(member, EDITOR)
    form = QuestionForm(member.organization_id, request.POST)
    try:
        if not form.is_valid():
            raise ValidationFailed(form.problems())
        do_update_question(question, form.question_in(), answered=answered, actor=member)
    except ValidationFailed as exc:
        question.refresh_from_db()
        return _question_page(
            request, member, survey, question, answered, form.shown(), exc.errors, status=400
        )
    messages.success(request, "Question saved.")
    return redirect("web:survey", survey_id=survey.pk)


# The question pages say how many answers a question has up to this many, then "more
# than": an exact count is a walk through every answer (a million at scale), and what the
# editor needs to know is that there are answers and roughly how many.
ANSWERS_COUNTED = 1000


def _answers_given(member: Membership, question: Question) -> int:
    """How many answers the question has, counted up to ANSWERS_COUNTED + 1."""
    answers = Answer.objects.for_org(member.organization_id).filter(question=question)
    return answers[: ANSWERS_COUNTED + 1].count()


def _question_page(
    request: HttpRequest,
    member: Membership,
    survey: Survey,
    question: Question,
    answered: int,
    shown: dict[str, Any],
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> HttpResponse:
    questions = questions_of(survey)
    context = {
        "survey": survey,
        "question": question,
        "number": next(n for n, q in enumerate(questions, start=1) if q.pk == question.pk),
        "answered": answered,
        "answers_counted": ANSWERS_COUNTED,
        "earlier": [q for q in questions if q.position < question.position],
        "ops": ShowIfOp.choices,
        "kinds": QuestionKind.choices,
        "can_edit": member.has_role(EDITOR),
        "question_errors": errors or {},
        "q": shown,
    }
    return render_page(
        request, member, "web/question_edit.html", context, status=status, nav="surveys"
    )


@staff_view
@require_POST
@reads(QuestionMoveForm)
def question_move(
    request: HttpRequest, member: Membership, survey_id: int, question_id: int
) -> HttpResponse:
    survey = _survey_or_404(member, survey_id)
    question = _question_or_404(member, survey, question_id)
    require_role(member, EDITOR)
    form = QuestionMoveForm(member.organization_id, request.POST)
    try:
        do_move_question(question, form.checked()["direction"], actor=member)
    except ValidationFailed as exc:
        return _editor_page(request, member, survey, list_errors=exc.errors, status=400)
    return redirect(f"{reverse('web:survey', args=[survey.pk])}#question-{question.pk}")


@staff_view
@require_POST
@reads(QuestionRemoveForm)
def question_remove(
    request: HttpRequest, member: Membership, survey_id: int, question_id: int
) -> HttpResponse:
    survey = _survey_or_404(member, survey_id)
    question = _question_or_404(member, survey, question_id)
    require_role(member, EDITOR)
    # Removing a question deletes its answers: ask once more when there are any.
    answered = _answers_given(member, question)
    form = QuestionRemoveForm(member.organization_id, request.POST)
    if answered and not (form.is_valid() and form.cleaned_data["confirm"] == "1"):
        context = {
            "survey": survey,
            "question": question,
            "answered": answered,
            "answers_counted": ANSWERS_COUNTED,
        }
        status = 200 if form.is_valid() else 400
        return render_page(
            request, member, "web/question_remove.html", context, status=status, nav="surveys"
        )
    try:
        do_remove_question(question, actor=member)
    except ValidationFailed as exc:
        return _editor_page(request, member, survey, list_errors=exc.errors, status=400)
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
