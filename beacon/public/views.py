"""Respondent pages: one question per step, each answer saved as it is given.

Plain HTML forms, no JavaScript: every step is a GET that shows the question and a POST
that stores it through `pipeline.submit_response`, then redirects to the next step, so
reloading never resubmits and a respondent who leaves half-way keeps what they said.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext, gettext_noop
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from beacon.core.errors import ValidationFailed
from beacon.core.ids import as_id
from beacon.cxmodel.models import Touchpoint
from beacon.orgs.models import DEFAULT_BRAND, Organization
from beacon.pipeline.actions import submit_response
from beacon.public.answers import (
    NOT_THIS_QUESTION,
    Option,
    Prefill,
    end_labels,
    message_for,
    options,
    prefill_from,
    prefill_posted,
    read_step,
    widget,
)
from beacon.public.flow import Flow, flow_of
from beacon.public.i18n import choose_language, is_rtl, question_text, survey_text
from beacon.public.queries import stored_answers, stored_response, survey_by_anonymous_token
from beacon.responses.checks import MAX_TEXT_LENGTH, AnswerIn, ResponseIn
from beacon.surveys.actions import do_mark_opened
from beacon.surveys.conditions import Given
from beacon.surveys.models import Invitation, Question, Survey, SurveyStatus
from beacon.surveys.queries import invitation_by_token, invitation_problem, questions_of

ANON_COOKIE = "beacon_respondent"
ANON_SALT = "beacon.public.anonymous"
ANON_MAX_AGE = 90 * 24 * 3600
QR_COOKIE = "beacon_qr"
QR_SALT = "beacon.public.qr"
QR_MAX_AGE = 24 * 3600

CONFIRM_SCORE = gettext_noop("Please check your score and press Next to send it.")


# problem -> (status, heading, explanation)
PROBLEMS = {
    "unknown": (
        404,
        gettext_noop("We can't find this survey"),
        gettext_noop(
            "The link may be incomplete. Please check that you opened the whole link "
            "from your message."
        ),
    ),
    "used": (
        410,
        gettext_noop("You have already answered — thank you"),
        gettext_noop("Your answers have reached the team. There is nothing more to do."),
    ),
    "expired": (
        410,
        gettext_noop("This survey link has expired"),
        gettext_noop("Thank you for wanting to share your view; this link can no longer be used."),
    ),
    "closed": (
        410,
        gettext_noop("This survey is closed"),
        gettext_noop("It is no longer collecting answers. Thank you for your interest."),
    ),
    "not_open": (
        404,
        gettext_noop("This survey is not open"),
        gettext_noop("It is not collecting answers at the moment. Please try again later."),
    ),
}


@dataclass(frozen=True)
class Respondent:
    """Who is answering, and where their pages live."""

    survey: Survey
    idempotency_key: str
    route: str  # "invitation" or "anonymous"
    token: str
    invitation: Invitation | None = None
    channel: str = "link"
    # Where the respondent was (a QR code on a poster at this touchpoint).
    touchpoint: Touchpoint | None = None
    # The preview: nothing is stored; the answers so far travel in the address (`query`).
    preview: bool = False
    carried: Mapping[int, AnswerIn] = field(default_factory=dict)
    query: str = ""

    def step_url(self, step: int) -> str:
        if step == 1:
            url = reverse(f"public:{self.route}", args=[self.token])
        else:
            url = reverse(f"public:{self.route}_step", args=[self.token, step])
        return f"{url}?{self.query}" if self.query else url

    @property
    def thanks_url(self) -> str:
        url = reverse(f"public:{self.route}_thanks", args=[self.token])
        return f"{url}?{self.query}" if self.query else url

    def answers_so_far(self) -> Mapping[int, Given]:
        if self.preview:
            return self.carried
        return stored_answers(stored_response(self.survey, self.idempotency_key, self.invitation))

    def response_in(self, answer: AnswerIn, *, complete: bool) -> ResponseIn:
        return ResponseIn(
            survey=self.survey,
            idempotency_key=self.idempotency_key,
            answers=[answer],
            complete=complete,
            invitation=self.invitation,
            channel=self.channel,
            touchpoint=self.touchpoint,
        )


# ---------------------------------------------------------------- invitation links


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def invitation_step(request: HttpRequest, token: str, step: int = 1) -> HttpResponse:
    invitation = invitation_by_token(token)
    problem = invitation_problem(invitation)
    if invitation is None or problem is not None:
        return show_problem(request, problem or "unknown", invitation=invitation)
    if invitation.opened_at is None:
        do_mark_opened(invitation)
    return _step(request, _invited(invitation), step)


def _invited(invitation: Invitation) -> Respondent:
    return Respondent(
        survey=invitation.survey,
        idempotency_key=f"inv:{invitation.pk}",
        route="invitation",
        token=invitation.token,
        invitation=invitation,
        channel=invitation.channel,
    )


@dataclass(frozen=True)
class Landing:
    """How the first question shows after a score link of the email was followed."""

    score: int | None = None
    # Submit the preselected score as the page loads (a browser with JavaScript).
    auto: bool = False
    message: str = ""


def invitation_page(
    request: HttpRequest,
    invitation: Invitation,
    *,
    clicked: int | None = None,
    auto: bool = False,
    bad_score: tuple[str, int, int] | None = None,
) -> HttpResponse:
    """Step 1 as a score link opens it: the score preselected, or why it cannot be."""
    with translation.override(choose_language(request, invitation.survey, invitation)):
        message = ""
        if bad_score is not None:
            text, low, high = bad_score
            message = gettext(text) % {"low": low, "high": high}
        landing = Landing(score=clicked, auto=auto and bad_score is None, message=message)
        return _step_in_language(request, _invited(invitation), 1, landing)


@never_cache
@require_http_methods(["GET", "HEAD"])
def invitation_thanks(request: HttpRequest, token: str) -> HttpResponse:
    invitation = invitation_by_token(token)
    if invitation is None:
        return show_problem(request, "unknown")
    if invitation.completed_at is not None:
        return _thanks(request, invitation.survey)
    problem = invitation_problem(invitation)
    if problem is not None:
        return show_problem(request, problem, invitation=invitation)
    return redirect(reverse("public:invitation", args=[token]))


# ---------------------------------------------------------------- anonymous links


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def anonymous_step(request: HttpRequest, token: str, step: int = 1) -> HttpResponse:
    survey = survey_by_anonymous_token(token)
    if survey is None:
        return show_problem(request, "unknown")
    if survey.status != SurveyStatus.ACTIVE:
        return show_problem(request, _inactive(survey), survey=survey)
    key, fresh = _anonymous_key(request, survey)
    touchpoint = scanned_touchpoint(request, survey)
    respondent = Respondent(
        survey=survey,
        idempotency_key=key,
        route="anonymous",
        token=token,
        channel="qr" if touchpoint is not None else "link",
        touchpoint=touchpoint,
    )
    page = _step(request, respondent, step)
    if fresh:
        page.set_signed_cookie(
            ANON_COOKIE,
            key,
            salt=ANON_SALT,
            max_age=ANON_MAX_AGE,
            path=reverse("public:anonymous", args=[token]),
            secure=request.is_secure(),
            httponly=True,
            samesite="Lax",
        )
    return page


@never_cache
@require_http_methods(["GET", "HEAD"])
def anonymous_thanks(request: HttpRequest, token: str) -> HttpResponse:
    survey = survey_by_anonymous_token(token)
    if survey is None:
        return show_problem(request, "unknown")
    key, fresh = _anonymous_key(request, survey)
    response = None if fresh else stored_response(survey, key)
    if response is not None and response.completed_at is not None:
        return _thanks(request, survey)
    if survey.status != SurveyStatus.ACTIVE:
        return show_problem(request, _inactive(survey), survey=survey)
    return redirect(reverse("public:anonymous", args=[token]))


def scanned_touchpoint(request: HttpRequest, survey: Survey) -> Touchpoint | None:
    """The touchpoint of the QR code this browser scanned for this survey, if any."""
    value = request.get_signed_cookie(QR_COOKIE, default=None, salt=QR_SALT, max_age=QR_MAX_AGE)
    survey_id, _, touchpoint_id = (value or "").partition(":")
    pk = as_id(touchpoint_id)
    if survey_id != str(survey.pk) or pk is None:
        return None
    return Touchpoint.objects.for_org(survey.organization_id).filter(pk=pk).first()


def _inactive(survey: Survey) -> str:
    return "closed" if survey.status == SurveyStatus.CLOSED else "not_open"


def _anonymous_key(request: HttpRequest, survey: Survey) -> tuple[str, bool]:
    """This browser's key for the survey (from its signed cookie), or a fresh one."""
    value = request.get_signed_cookie(
        ANON_COOKIE, default=None, salt=ANON_SALT, max_age=ANON_MAX_AGE
    )
    if value is not None and value.startswith(f"anon:{survey.pk}:"):
        return value, False
    return f"anon:{survey.pk}:{secrets.token_hex(16)}", True


# ---------------------------------------------------------------- the steps


def _step(request: HttpRequest, r: Respondent, step: int) -> HttpResponse:
    with translation.override(choose_language(request, r.survey, r.invitation)):
        return _step_in_language(request, r, step)


def _step_in_language(
    request: HttpRequest, r: Respondent, step: int, landing: Landing | None = None
) -> HttpResponse:
    questions = questions_of(r.survey)
    if not questions:
        return show_problem(request, "not_open", survey=r.survey)
    if not 1 <= step <= len(questions):
        return redirect(r.step_url(1))
    response = stored_response(r.survey, r.idempotency_key, r.invitation)
    if response is not None and response.completed_at is not None:
        return redirect(r.thanks_url)
    question = questions[step - 1]
    stored = stored_answers(response)
    if request.method == "POST":
        return _save(request, r, questions, step, stored)
    flow = flow_of(questions, stored)
    if not flow.asked(step):
        # A step the answers so far skip (an old link, or a score changed since).
        return redirect(r.step_url(flow.after(step) or flow.before(step) or 1))
    if landing is not None:
        prefill = Prefill(selected=[] if landing.score is None else [str(landing.score)])
        status = 400 if landing.message else 200
        return render_step(request, r, questions, step, prefill, landing.message, status, landing)
    saved = stored.get(question.pk)
    message = ""
    if request.GET.get("missing") and question.required and saved is None:
        message = gettext("Please answer this question to finish.")
    prefill = prefill_from(saved)
    return render_step(request, r, questions, step, prefill, message)


def _save(
    request: HttpRequest,
    r: Respondent,
    questions: list[Question],
    step: int,
    stored: Mapping[int, Given],
) -> HttpResponse:
    question = questions[step - 1]

    def again(message: str) -> HttpResponse:
        prefill = prefill_posted(question, request.POST)
        return render_step(request, r, questions, step, prefill, message, status=400)

    # The survey may have changed since the page was shown, or the id was tampered with.
    if request.POST.get("question", "") != str(question.pk):
        return render_step(request, r, questions, step, Prefill(), NOT_THIS_QUESTION, 400)
    if _scanned(r, request.POST.get("oneclick", "")):
        # The page submitted itself, but every score link was followed: a mail scanner's
        # browser, or a person whose scanner went first. A person confirms with Next.
        prefill = prefill_posted(question, request.POST)
        return render_step(request, r, questions, step, prefill, CONFIRM_SCORE, 200, Landing())
    answer = read_step(question, request.POST)
    if isinstance(answer, str):
        return again(answer)
    following = flow_of(questions, with_answer(stored, answer)).after(step)
    last = following is None
    try:
        submit_response(r.response_in(answer, complete=last))
    except ValidationFailed as exc:
        missing = _missing_steps(exc, questions)
        if not missing:
            return again(message_for(exc.errors))
        # Finishing failed only because an earlier required question was skipped:
        # keep this step's answer and send the respondent back to the gap.
        submit_response(r.response_in(answer, complete=False))
        return redirect(f"{r.step_url(missing[0])}?missing=1")
    return redirect(r.thanks_url if following is None else r.step_url(following))


def _is_last(flow: Flow, step: int, choices: list[Option]) -> bool:
    """Whether the button reads Finish: where the answer decides, as the chosen option does
    (none chosen yet: Next, since a follow-up may come)."""
    if len({o.ends for o in choices} - {""}) > 1:
        return any(o.checked and o.ends == "1" for o in choices)
    return flow.after(step) is None


def carried_fields(carried: Mapping[int, AnswerIn], *, exclude: int) -> list[tuple[str, str]]:
    """The preview's answers so far as hidden fields (name, value), for the next request."""
    out: list[tuple[str, str]] = []
    for qid, a in carried.items():
        if qid == exclude:
            continue
        values = [str(a.number)] if a.number is not None else (a.choices or [a.text])
        out += [(f"a{qid}", v) for v in values]
    return out


def with_answer(answers: Mapping[int, Given], answer: AnswerIn) -> dict[int, Given]:
    """The answers so far with this one given (or, when empty, taken back)."""
    out = dict(answers)
    if answer.is_empty:
        out.pop(answer.question_id, None)
    else:
        out[answer.question_id] = answer
    return out


def _branch_ends(
    questions: list[Question], step: int, answers: Mapping[int, Given], values: list[str]
) -> dict[str, str]:
    """Per option of a question other questions depend on: "1" if picking it ends the
    survey here, else "0" (the browser's script sets the button's label from it)."""
    question = questions[step - 1]
    if not any(q.show_if_question_id == question.pk for q in questions):
        return {}
    scored = question.scale is not None
    out = {}
    for v in values:
        answer = (
            AnswerIn(question.pk, number=int(v)) if scored else AnswerIn(question.pk, choices=[v])
        )
        following = flow_of(questions, with_answer(answers, answer)).after(step)
        out[v] = "1" if following is None else "0"
    return out


def _scanned(r: Respondent, oneclick: str) -> bool:
    """A self-submitted score of an invitation whose links a scanner followed (ADR 0005)."""
    # The invitation was read at the start of this request, after the clicks it counts.
    return (
        oneclick == "auto"
        and r.invitation is not None
        and r.invitation.scanner_suspected_at is not None
    )


def _missing_steps(exc: ValidationFailed, questions: list[Question]) -> list[int]:
    keys = set(exc.errors)
    if not all(k.startswith("question ") for k in keys):
        return []
    return [i for i, q in enumerate(questions, start=1) if f"question {q.pk}" in keys]


def render_step(
    request: HttpRequest,
    r: Respondent,
    questions: list[Question],
    step: int,
    prefill: Prefill,
    message: str = "",
    status: int = 200,
    landing: Landing | None = None,
) -> HttpResponse:
    question = questions[step - 1]
    language = translation.get_language() or "en"
    answers = r.answers_so_far()
    flow: Flow = flow_of(questions, answers)
    notice = ""
    if landing is not None and status == 200:
        notice, message = message, ""  # asked to confirm: a request, not an error
    shown = question_text(question, language)
    low, high = end_labels(question)
    low, high = shown.low_label or gettext(low), shown.high_label or gettext(high)
    message = gettext(message) if message else ""
    notice = gettext(notice) if notice else ""
    described = [
        i for i, on in (("help", shown.help_text), ("notice", notice), ("error", message)) if on
    ]
    choices = options(question, prefill)
    scale = question.scale
    if scale is None:
        choices = [replace(o, label=shown.choices.get(o.value, o.label)) for o in choices]
    else:
        hints = {str(scale.low): low, str(scale.high): high}
        choices = [replace(o, hint=hints.get(o.value, "")) for o in choices]
    if widget(question) in ("boxes", "radio"):
        ends = _branch_ends(questions, step, answers, [o.value for o in choices])
        choices = [replace(o, ends=ends.get(o.value, "")) for o in choices]
    context = {
        **branding(r.survey.organization),
        "survey": r.survey,
        "texts": survey_text(r.survey, language),
        "shown": shown,
        "question": question,
        "step": flow.number(step),
        "count": flow.count(step),
        "widget": widget(question),
        "options": choices,
        "scale": question.scale,
        "number": prefill.selected[0] if prefill.selected else "",
        "text": prefill.text,
        "low_label": low,
        "high_label": high,
        "max_text": MAX_TEXT_LENGTH,
        "message": message,
        "notice": notice,
        "described_by": " ".join(described),
        "action": r.step_url(step),
        "back": r.step_url(back) if (back := flow.before(step)) else "",
        "last": _is_last(flow, step, choices),
        # The button's label depends on the pick only if some picks end here and some not.
        "branches": len({o.ends for o in choices} - {""}) > 1,
        "preview": r.preview,
        "carried": carried_fields(r.carried, exclude=question.pk) if r.preview else [],
        # Came from a score link: the form says so, and submits itself if it may.
        "oneclick": landing is not None,
        "auto_submit": landing is not None and landing.auto,
    }
    return render(request, "public/step.html", context, status=status)


# ---------------------------------------------------------------- end pages


def _thanks(request: HttpRequest, survey: Survey) -> HttpResponse:
    language = choose_language(request, survey)
    with translation.override(language):
        context = {
            **branding(survey.organization),
            "survey": survey,
            "texts": survey_text(survey, language),
        }
        return render(request, "public/thanks.html", context)


def show_problem(
    request: HttpRequest,
    problem: str,
    *,
    invitation: Invitation | None = None,
    survey: Survey | None = None,
) -> HttpResponse:
    status, heading, text = PROBLEMS.get(problem, PROBLEMS["unknown"])
    survey = survey or (invitation.survey if invitation is not None else None)
    with translation.override(choose_language(request, survey, invitation)):
        return _problem_page(request, problem, status, str(heading), str(text), survey, invitation)


def _problem_page(
    request: HttpRequest,
    problem: str,
    status: int,
    heading: str,
    text: str,
    survey: Survey | None,
    invitation: Invitation | None,
) -> HttpResponse:
    context = {
        **branding(survey.organization if survey is not None else None),
        "problem": problem,
        "heading": gettext(heading),
        "text": gettext(text),
        "survey": survey,
        "invitation": invitation,
    }
    return render(request, "public/problem.html", context, status=status)


def branding(org: Organization | None) -> dict[str, str]:
    color = org.safe_brand_color if org is not None else DEFAULT_BRAND
    language = translation.get_language() or "en"
    return {
        "org_name": org.name if org is not None else "",
        "brand": color,
        "brand_text": _readable_on(color),
        "lang": language,
        "dir": "rtl" if is_rtl(language) else "ltr",
    }


def _readable_on(color: str) -> str:
    """Black or white, whichever contrasts more with `color` (WCAG relative luminance)."""

    def channel(hex_pair: str) -> float:
        c = int(hex_pair, 16) / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(color[i : i + 2]) for i in (1, 3, 5))
    luminance = 0.2126 * r + 0.7152 * g + 0.0722 * b
    return "#000000" if (luminance + 0.05) / 0.05 > 1.05 / (luminance + 0.05) else "#ffffff"
