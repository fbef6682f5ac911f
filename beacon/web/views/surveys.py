"""Survey list and editor. Analysts and above edit; everyone else sees it read-only."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_http_methods, require_POST

from beacon.core.errors import ValidationFailed
from beacon.cxmodel.models import Touchpoint
from beacon.orgs.models import Membership, Role
from beacon.responses.models import Answer
from beacon.surveys.actions import (
    QuestionIn,
    do_add_question,
    do_create_survey,
    do_remove_question,
    do_update_survey,
)
from beacon.surveys.models import Question, QuestionKind, Survey, SurveyStatus
from beacon.surveys.queries import questions_of, survey_editor_warnings
from beacon.web.access import render_page, require_role, staff_view

EDITOR = Role.ANALYST


def _survey_or_404(member: Membership, survey_id: int) -> Survey:
    survey = Survey.objects.for_org(member.organization_id).filter(pk=survey_id).first()
    if survey is None:
        raise Http404("no such survey")
    return survey


def _ids(raw: list[str]) -> list[int] | None:
    return [int(x) for x in raw] if all(x.isdigit() for x in raw) else None


def _too_long(values: dict[str, Any], limits: dict[str, int]) -> dict[str, str]:
    """Column limits, checked before the write so a long value is a message, not a 500."""
    return {
        field: f"must be at most {limit} characters"
        for field, limit in limits.items()
        if len(str(values.get(field, ""))) > limit
    }


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
def survey_create(request: HttpRequest, member: Membership) -> HttpResponse:
    require_role(member, EDITOR)
    values = {"name": request.POST.get("name", ""), "title": request.POST.get("title", "")}
    try:
        errors = _too_long(values, {"name": 200, "title": 300})
        if errors:
            raise ValidationFailed(errors)
        survey = do_create_survey(
            member.organization, values["name"], values["title"], actor=member
        )
    except ValidationFailed as exc:
        return _list_page(request, member, exc.errors, values, status=400)
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
def survey_editor(request: HttpRequest, member: Membership, survey_id: int) -> HttpResponse:
    survey = _survey_or_404(member, survey_id)
    if request.method != "POST":
        return _editor_page(request, member, survey)
    require_role(member, EDITOR)
    post = request.POST
    raw_tps = post.getlist("touchpoints")
    values: dict[str, Any] = {
        "name": post.get("name", ""),
        "title": post.get("title", ""),
        "intro": post.get("intro", ""),
        "thank_you": post.get("thank_you", ""),
        "status": post.get("status", ""),
        "touchpoints": {int(x) for x in raw_tps if x.isdigit()},
    }
    ids = _ids(raw_tps)
    touchpoints = (
        list(Touchpoint.objects.for_org(member.organization_id).filter(pk__in=ids))
        if ids is not None
        else []
    )
    try:
        errors = _too_long(values, {"name": 200, "title": 300})
        if ids is None or len(touchpoints) != len(set(ids)):
            errors["touchpoints"] = "a touchpoint is not one of this organisation"
        if errors:
            raise ValidationFailed(errors)
        do_update_survey(
            survey,
            name=values["name"],
            title=values["title"],
            intro=values["intro"],
            thank_you=values["thank_you"],
            status=values["status"],
            touchpoints=touchpoints,
            actor=member,
        )
    except ValidationFailed as exc:
        survey.refresh_from_db()
        return _editor_page(request, member, survey, errors=exc.errors, values=values, status=400)
    messages.success(request, "Survey saved.")
    return redirect("web:survey", survey_id=survey.pk)


def _optional_int(raw: str, errors: dict[str, str], field: str) -> int | None:
    raw = raw.strip()
    if not raw:
        return None
    try:
        return int(raw)
    except ValueError:
        errors[field] = "must be a whole number"
        return None


@staff_view
@require_POST
def question_add(request: HttpRequest, member: Membership, survey_id: int) -> HttpResponse:
    survey = _survey_or_404(member, survey_id)
    require_role(member, EDITOR)
    post = request.POST
    values: dict[str, Any] = {
        key: post.get(key, "")
        for key in ("kind", "text", "choices", "scale_min", "scale_max", "low_label",
                    "high_label", "help_text")
    }  # fmt: skip
    values["required"] = "required" in post
    errors: dict[str, str] = {}
    scale_min = _optional_int(values["scale_min"], errors, "scale")
    scale_max = _optional_int(values["scale_max"], errors, "scale")
    data = QuestionIn(
        kind=values["kind"],
        text=values["text"],
        required=values["required"],
        choices=[line.strip() for line in values["choices"].splitlines() if line.strip()],
        scale_min=scale_min,
        scale_max=scale_max,
        low_label=values["low_label"].strip(),
        high_label=values["high_label"].strip(),
        help_text=values["help_text"].strip(),
    )
    errors.update(
        _too_long(values, {"text": 500, "low_label": 60, "high_label": 60, "help_text": 300})
    )
    try:
        if errors:
            raise ValidationFailed(errors)
        question = do_add_question(survey, data, actor=member)
    except ValidationFailed as exc:
        return _editor_page(
            request, member, survey, question_errors=exc.errors, question_values=values, status=400
        )
    messages.success(request, f"Question {question.position} added.")
    return redirect("web:survey", survey_id=survey.pk)


@staff_view
@require_POST
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
    if answered and request.POST.get("confirm") != "1":
        context = {"survey": survey, "question": question, "answered": answered}
        return render_page(request, member, "web/question_remove.html", context, nav="surveys")
    do_remove_question(question, actor=member)
    messages.success(request, "Question removed.")
    return redirect("web:survey", survey_id=survey.pk)
