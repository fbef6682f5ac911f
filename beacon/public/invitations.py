"""What the invitation email links to: one-click scores and the unsubscribe page."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext_noop
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from beacon.contacts.actions import do_unsubscribe
from beacon.public.i18n import choose_language
from beacon.public.views import branding, invitation_page, show_problem
from beacon.surveys.actions import do_mark_opened
from beacon.surveys.distribution import do_mark_clicked
from beacon.surveys.models import QuestionKind
from beacon.surveys.queries import invitation_by_token, invitation_problem, questions_of


@never_cache
@require_http_methods(["GET", "HEAD"])
def one_click_score(request: HttpRequest, token: str, value: int) -> HttpResponse:
    """A score clicked in the email: the first question, with that score preselected.

    The GET writes no answer, because mail scanners fetch every link of an email (ADR
    0005): it notes the click, and the page submits the score itself as it loads in a
    browser, or with the Next button when JavaScript is off. The submission is the
    ordinary step-1 POST, so clicking twice or answering on the page keeps one response.
    """
    invitation = invitation_by_token(token)
    problem = invitation_problem(invitation)
    if invitation is None or problem is not None:
        return show_problem(request, problem or "unknown", invitation=invitation)
    questions = questions_of(invitation.survey)
    first = questions[0] if questions else None
    scale = first.scale if first is not None else None
    if first is None or first.kind not in (QuestionKind.NPS, QuestionKind.CSAT) or not scale:
        return redirect(reverse("public:invitation", args=[token]))
    if request.method == "HEAD":
        # Link checkers probe with HEAD; they are told where the link goes, nothing more.
        return redirect(reverse("public:invitation", args=[token]))
    if not scale.low <= value <= scale.high:
        # A tampered link: the question, unanswered, with the reason.
        message = gettext_noop("Your score must be between %(low)s and %(high)s.")
        return invitation_page(request, invitation, bad_score=(message, scale.low, scale.high))
    do_mark_opened(invitation)
    person = do_mark_clicked(invitation, value)
    return invitation_page(request, invitation, clicked=value, auto=person)


@csrf_exempt  # mail clients' one-click POST (RFC 8058) carries no CSRF token
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """GET asks for confirmation (link scanners must not unsubscribe anyone); POST does it."""
    invitation = invitation_by_token(token)
    if invitation is None:
        return show_problem(request, "unknown")
    if request.method == "POST":
        do_unsubscribe(invitation.contact, how="one-click" if request.POST else "page")
    with translation.override(choose_language(request, invitation.survey, invitation)):
        context = {
            **branding(invitation.survey.organization),
            "done": request.method == "POST" or invitation.contact.unsubscribed_at is not None,
        }
        return render(request, "public/unsubscribe.html", context)
