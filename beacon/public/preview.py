"""The preview: the respondent's pages, in any of the survey's languages, storing nothing.

Staff open it from the survey editor through a signed link (`surveys.queries.preview_token`).
Each step is a GET whose address carries the answers so far (`a<question id>=value`), so
show-if rules play out exactly as on the real page while no response, answer or invitation
is ever written. Every page says "Preview".
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.utils import translation
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from beacon.public.answers import (
    NOT_THIS_QUESTION,
    BadAnswer,
    Prefill,
    message_for,
    parse_answer,
    prefill_from,
    prefill_posted,
    read_step,
)
from beacon.public.flow import flow_of
from beacon.public.i18n import available, survey_text
from beacon.public.views import (
    Respondent,
    branding,
    carried_fields,
    render_step,
    show_problem,
    with_answer,
)
from beacon.responses.checks import AnswerIn, check_answer
from beacon.surveys.models import Question, Survey
from beacon.surveys.queries import questions_of, survey_of_preview_token


def _language(request: HttpRequest, survey: Survey) -> str:
    wanted = request.GET.get("language", "").strip().lower()
    return wanted if wanted in available(survey) else "en"


def _carried(questions: list[Question], query: QueryDict) -> dict[int, AnswerIn]:
    """The answers so far, as sent back in the address; one that does not fit is dropped."""
    out: dict[int, AnswerIn] = {}
    for q in questions:
        values = query.getlist(f"a{q.pk}")
        if not values:
            continue
        one = QueryDict(mutable=True)
        one.setlist("answer", values)
        try:
            answer = parse_answer(q, one)
        except BadAnswer:
            continue
        if not answer.is_empty and not check_answer(q, answer, "answer"):
            out[q.pk] = answer
    return out


def _respondent(
    survey: Survey, token: str, language: str, carried: dict[int, AnswerIn]
) -> Respondent:
    pairs = [("language", language), *carried_fields(carried, exclude=0)]
    return Respondent(
        survey=survey,
        idempotency_key="preview",
        route="preview",
        token=token,
        preview=True,
        carried=carried,
        query=urlencode(pairs),
    )


@never_cache
@require_http_methods(["GET", "HEAD"])
def preview_step(request: HttpRequest, token: str, step: int = 1) -> HttpResponse:
    survey = survey_of_preview_token(token)
    if survey is None:
        return show_problem(request, "unknown")
    language = _language(request, survey)
    questions = questions_of(survey)
    with translation.override(language):
        if not questions:
            return show_problem(request, "not_open", survey=survey)
        if not 1 <= step <= len(questions):
            return redirect(_respondent(survey, token, language, {}).step_url(1))
        carried = _carried(questions, request.GET)
        r = _respondent(survey, token, language, carried)
        if "question" in request.GET:
            return _answer(request, r, questions, step)
        flow = flow_of(questions, carried)
        if not flow.asked(step):
            return redirect(r.step_url(flow.after(step) or flow.before(step) or 1))
        prefill = prefill_from(carried.get(questions[step - 1].pk))
        return render_step(request, r, questions, step, prefill)


def _answer(
    request: HttpRequest, r: Respondent, questions: list[Question], step: int
) -> HttpResponse:
    """The step's answer checked as the real page checks it, then carried, never stored."""
    question = questions[step - 1]

    def again(message: str) -> HttpResponse:
        prefill = prefill_posted(question, request.GET)
        return render_step(request, r, questions, step, prefill, message, status=400)

    if request.GET.get("question", "") != str(question.pk):
        return render_step(request, r, questions, step, Prefill(), NOT_THIS_QUESTION, 400)
    answer = read_step(question, request.GET)
    if isinstance(answer, str):
        return again(answer)
    errors = check_answer(question, answer, "answer")
    if errors:
        return again(message_for(errors))
    carried = {
        qid: a for qid, a in with_answer(r.carried, answer).items() if isinstance(a, AnswerIn)
    }
    following = flow_of(questions, carried).after(step)
    moved = _respondent(r.survey, r.token, _language(request, r.survey), carried)
    return redirect(moved.thanks_url if following is None else moved.step_url(following))


@never_cache
@require_http_methods(["GET", "HEAD"])
def preview_thanks(request: HttpRequest, token: str) -> HttpResponse:
    survey = survey_of_preview_token(token)
    if survey is None:
        return show_problem(request, "unknown")
    language = _language(request, survey)
    with translation.override(language):
        context = {
            **branding(survey.organization),
            "survey": survey,
            "texts": survey_text(survey, language),
            "preview": True,
            "again": _respondent(survey, token, language, {}).step_url(1),
        }
        return render(request, "public/thanks.html", context)
