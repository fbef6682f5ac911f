"""What the invitation email links to: one-click scores and the unsubscribe page."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from beacon.contacts.actions import do_unsubscribe
from beacon.core.errors import ValidationFailed
from beacon.pipeline.actions import submit_response
from beacon.public.answers import message_for
from beacon.public.i18n import choose_language
from beacon.public.views import _branding, _problem
from beacon.responses.ingest import AnswerIn, ResponseIn
from beacon.surveys.actions import do_mark_opened
from beacon.surveys.distribution import do_mark_clicked
from beacon.surveys.models import QuestionKind
from beacon.surveys.queries import invitation_by_token, invitation_problem, questions_of


@never_cache
@require_http_methods(["GET", "HEAD"])
def one_click_score(request: HttpRequest, token: str, value: int) -> HttpResponse:
    """A score clicked in the email: stored as the first answer, then the rest opens.

    Stored through the same respondent path as the page (same idempotency key), so
    clicking twice, or clicking and then answering on the page, keeps one response.
    """
    invitation = invitation_by_token(token)
    problem = invitation_problem(invitation)
    if invitation is None or problem is not None:
        return _problem(request, problem or "unknown", invitation=invitation)
    questions = questions_of(invitation.survey)
    first = questions[0] if questions else None
    if first is None or first.kind not in (QuestionKind.NPS, QuestionKind.CSAT):
        return redirect(reverse("public:invitation", args=[token]))
    last = len(questions) == 1
    if request.method == "HEAD":
        # Link checkers probe with HEAD; only a real visit records a score.
        return redirect(reverse("public:invitation_step", args=[token, 2]))
    do_mark_opened(invitation)
    do_mark_clicked(invitation)
    try:
        submit_response(
            ResponseIn(
                survey=invitation.survey,
                idempotency_key=f"inv:{invitation.pk}",
                answers=[AnswerIn(first.pk, number=value)],
                complete=last,
                invitation=invitation,
                channel=invitation.channel,
            )
        )
    except ValidationFailed as exc:
        # A tampered score: show the first question with the reason instead.
        url = reverse("public:invitation", args=[token])
        with translation.override(choose_language(request, invitation.survey, invitation)):
            context = {
                **_branding(invitation.survey.organization),
                "heading": gettext("This score cannot be saved"),
                "text": message_for(exc.errors),
                "retry": url,
            }
            return render(request, "public/problem.html", context, status=400)
    if last:
        return redirect(reverse("public:invitation_thanks", args=[token]))
    return redirect(reverse("public:invitation_step", args=[token, 2]))


@csrf_exempt  # mail clients' one-click POST (RFC 8058) carries no CSRF token
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """GET asks for confirmation (link scanners must not unsubscribe anyone); POST does it."""
    invitation = invitation_by_token(token)
    if invitation is None:
        return _problem(request, "unknown")
    if request.method == "POST":
        do_unsubscribe(invitation.contact, how="one-click" if request.POST else "page")
    with translation.override(choose_language(request, invitation.survey, invitation)):
        context = {
            **_branding(invitation.survey.organization),
            "done": request.method == "POST" or invitation.contact.unsubscribed_at is not None,
        }
        return render(request, "public/unsubscribe.html", context)
