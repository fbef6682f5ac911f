"""Respondent entry points beside email: QR codes at a touchpoint, and the in-app widget."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from beacon.contacts.actions import ContactIn, check_contact
from beacon.core.errors import ValidationFailed
from beacon.core.untrusted import loads_untrusted
from beacon.cxmodel.models import Touchpoint
from beacon.pipeline.actions import submit_response
from beacon.public.queries import survey_by_anonymous_token
from beacon.public.ratelimit import Limit, take
from beacon.public.views import QR_COOKIE, QR_MAX_AGE, QR_SALT, show_problem
from beacon.responses.checks import AnswerIn, ResponseIn
from beacon.surveys.models import Survey, SurveyStatus
from beacon.surveys.queries import questions_of

MAX_WIDGET_BODY = 64 * 1024
# Per survey and client address: a page asks for the questions once per view and posts
# one answer; these leave room for a busy office behind one address, not for a script.
WIDGET_READS = Limit(requests=60, seconds=60)
WIDGET_ANSWERS = Limit(requests=10, seconds=60)
# Per survey from all addresses together: a flood from many machines stays bounded.
WIDGET_ANSWERS_PER_SURVEY = Limit(requests=600, seconds=60)


@never_cache
@require_http_methods(["GET", "HEAD"])
def qr_scan(request: HttpRequest, token: str, touchpoint_id: int) -> HttpResponse:
    """Where a poster's QR code points: remember the touchpoint, then open the survey."""
    survey = survey_by_anonymous_token(token)
    if survey is None:
        return show_problem(request, "unknown")
    touchpoint = Touchpoint.objects.for_org(survey.organization_id).filter(pk=touchpoint_id)
    if not touchpoint.exists():
        return show_problem(request, "unknown")
    page = redirect(reverse("public:anonymous", args=[token]))
    page.set_signed_cookie(
        QR_COOKIE,
        f"{survey.pk}:{touchpoint_id}",
        salt=QR_SALT,
        max_age=QR_MAX_AGE,
        path=reverse("public:anonymous", args=[token]),
        secure=request.is_secure(),
        httponly=True,
        samesite="Lax",
    )
    return page


# ---------------------------------------------------------------- the widget


def allowed_origins(survey: Survey) -> set[str]:
    return {o.strip().rstrip("/") for o in survey.widget_origins.split() if o.strip()}


def _cors(request: HttpRequest, survey: Survey | None, response: HttpResponse) -> HttpResponse:
    origin = request.headers.get("Origin", "")
    if survey is not None and origin in allowed_origins(survey):
        response["Access-Control-Allow-Origin"] = origin
        response["Access-Control-Allow-Methods"] = "GET, POST, OPTIONS"
        response["Access-Control-Allow-Headers"] = "Content-Type"
        response["Access-Control-Max-Age"] = "600"
        response["Vary"] = "Origin"
    return response


def _error(request: HttpRequest, survey: Survey | None, status: int, detail: Any) -> HttpResponse:
    return _cors(request, survey, JsonResponse({"detail": detail}, status=status))


def _open_survey(request: HttpRequest, token: str) -> tuple[Survey | None, HttpResponse | None]:
    survey = survey_by_anonymous_token(token)
    if survey is None:
        return None, _error(request, None, 404, "unknown survey")
    origin = request.headers.get("Origin", "")
    if origin and origin not in allowed_origins(survey):
        # Browsers refuse the answer anyway; saying why saves the integrator an hour.
        return survey, _error(request, None, 403, f"origin {origin} is not allowed")
    if survey.status != SurveyStatus.ACTIVE:
        return survey, _error(request, survey, 410, "this survey is not collecting answers")
    return survey, None


@csrf_exempt  # cross-origin JSON from the customer's own pages; no cookies are used
@never_cache
@require_http_methods(["GET", "POST", "OPTIONS"])
def widget_endpoint(request: HttpRequest, token: str) -> HttpResponse:
    """GET: the questions to show. POST: the answers of an identified user."""
    survey, refused = _open_survey(request, token)
    if refused is not None or survey is None:
        return refused or _error(request, None, 404, "unknown survey")
    refused = _rate_limited(request, survey)
    if refused is not None:
        return refused
    if request.method == "OPTIONS":
        return _cors(request, survey, HttpResponse(status=204))
    if request.method == "GET":
        return _cors(request, survey, JsonResponse(_survey_json(survey)))
    if len(request.body) > MAX_WIDGET_BODY:
        return _error(request, survey, 413, f"body larger than {MAX_WIDGET_BODY} bytes")
    try:
        claim, answers, key = _read_post(survey, loads_untrusted(request.body))
    except (ValueError, TypeError) as exc:
        return _error(request, survey, 400, str(exc))
    if claim is not None and claim.signature and not claim.signed_by(survey):
        return _error(request, survey, 403, [{"field": "user.signature", "message": BAD_SIGNATURE}])
    try:
        result = submit_response(
            ResponseIn(
                survey=survey,
                idempotency_key=key,
                answers=answers,
                complete=True,
                channel="widget",
            ),
            contact=_contact(survey, claim),
            claimed=True,
        )
    except ValidationFailed as exc:
        detail = [{"field": f, "message": m} for f, m in exc.errors.items()]
        return _error(request, survey, 422, detail)
    status = 201 if result.created else 200
    answer = {
        "response_id": result.response.pk,
        "identified": result.response.contact_id is not None,
    }
    return _cors(request, survey, JsonResponse(answer, status=status))


BAD_SIGNATURE = (
    "does not match user.id; sign the id with this survey's widget secret (HMAC-SHA256, hex)"
)


@dataclass(frozen=True)
class Claim:
    """Who the page says its user is; true only if the customer's server signed the id."""

    contact: ContactIn
    signature: str

    def signed_by(self, survey: Survey) -> bool:
        expected = hmac.new(
            survey.widget_secret.encode(), self.contact.external_id.encode(), hashlib.sha256
        ).hexdigest()
        return hmac.compare_digest(expected, self.signature.lower())


def _contact(survey: Survey, claim: Claim | None) -> ContactIn | None:
    """The signed user's contact; an unsigned claim leaves the answer anonymous.

    Anyone can post any id from a browser, and ids are often sequential. Creating a contact
    for an unsigned claim would let a stranger plant an email address that Beacon then
    writes to, so an unsigned answer counts in the scores and belongs to nobody.
    """
    if claim is None or not claim.signature:
        return None
    try:
        check_contact(survey.organization, claim.contact)
    except ValidationFailed as exc:
        raise ValidationFailed({f"user.{f}": m for f, m in exc.errors.items()}) from exc
    return claim.contact


def _rate_limited(request: HttpRequest, survey: Survey) -> HttpResponse | None:
    address = request.META.get("REMOTE_ADDR") or "unknown"
    if request.method == "POST":
        checks = [
            (f"widget:{survey.pk}:answer:{address}", WIDGET_ANSWERS, "from your address"),
            (f"widget:{survey.pk}:answer", WIDGET_ANSWERS_PER_SURVEY, "to this survey"),
        ]
    else:
        checks = [(f"widget:{survey.pk}:read:{address}", WIDGET_READS, "from your address")]
    for key, limit, whose in checks:
        refused = take(survey.organization_id, key, limit)
        if refused is not None:
            kind = "answers" if request.method == "POST" else "requests"
            detail = (
                f"Too many {kind} {whose}: at most {limit.requests} a minute. "
                f"Please try again in {refused.retry_after} seconds."
            )
            response = _error(request, survey, 429, detail)
            response["Retry-After"] = str(refused.retry_after)
            return response
    return None


def _survey_json(survey: Survey) -> dict[str, Any]:
    questions = []
    for q in questions_of(survey):
        scale = q.scale
        questions.append(
            {
                "id": q.pk,
                "kind": q.kind,
                "text": q.text,
                "required": q.required,
                "choices": list(q.choices),
                "low": scale.low if scale else None,
                "high": scale.high if scale else None,
                "low_label": q.low_label,
                "high_label": q.high_label,
                # Show-if: the widget hides the question while the rule is not met.
                "show_if": {
                    "question_id": q.show_if_question_id,
                    "op": q.show_if_op,
                    "value": q.show_if_value,
                }
                if q.show_if_question_id is not None
                else None,
            }
        )
    return {
        "title": survey.title,
        "thank_you": survey.thank_you,
        "brand": survey.organization.safe_brand_color,
        "questions": questions,
        "key": secrets.token_hex(12),
    }


def _read_post(survey: Survey, body: Any) -> tuple[Claim | None, list[AnswerIn], str]:
    if not isinstance(body, dict):
        raise ValueError("the body must be a JSON object")
    raw_user = body.get("user") or {}
    if not isinstance(raw_user, dict):
        raise ValueError("user must be an object with id, email, name and signature")
    user = None
    if raw_user.get("id"):
        user = Claim(
            ContactIn(
                external_id=str(raw_user["id"])[:200],
                email=str(raw_user.get("email") or "")[:254],
                name=str(raw_user.get("name") or "")[:200],
            ),
            signature=str(raw_user.get("signature") or "")[:128],
        )
    raw_answers = body.get("answers")
    if not isinstance(raw_answers, list) or not raw_answers:
        raise ValueError("answers must be a non-empty list")
    answers = []
    for i, a in enumerate(raw_answers[:50]):
        if not isinstance(a, dict) or not isinstance(a.get("question_id"), int):
            raise ValueError(f"answers.{i} needs an integer question_id")
        number = a.get("number")
        if number is not None and not isinstance(number, int):
            raise ValueError(f"answers.{i}.number must be an integer")
        choices = a.get("choices") or []
        if not isinstance(choices, list) or not all(isinstance(c, str) for c in choices):
            raise ValueError(f"answers.{i}.choices must be a list of strings")
        answers.append(
            AnswerIn(a["question_id"], number=number, text=str(a.get("text") or ""),
                     choices=choices)
        )  # fmt: skip
    nonce = str(body.get("key") or "")
    if not nonce or len(nonce) > 64:
        raise ValueError("key (from the GET of this endpoint) is required")
    return user, answers, f"widget:{survey.pk}:{nonce}"
