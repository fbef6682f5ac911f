"""The customer's side of a case: the company's messages and a box to answer, no login.

The link in the reply email carries a signed token naming the case; a forged, altered or
expired token shows the "unknown link" page.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from beacon.core.errors import ValidationFailed
from beacon.loop.actions import MAX_NOTE_LENGTH, case_for_reply_token, do_record_customer_reply
from beacon.loop.models import Case
from beacon.loop.queries import public_thread
from beacon.public.views import branding


def _page(
    request: HttpRequest, case: Case, *, error: str = "", body: str = "", status: int = 200
) -> HttpResponse:
    context = {
        **branding(case.organization),
        "thread": public_thread(case),
        "error": error,
        "body": body,
        "sent": request.GET.get("sent") == "1",
        "max_length": MAX_NOTE_LENGTH,
    }
    return render(request, "public/reply.html", context, status=status)


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def reply(request: HttpRequest, token: str) -> HttpResponse:
    case = case_for_reply_token(token)
    if case is None:
        context = {
            **branding(None),
            "heading": "We can't find this conversation",
            "text": "The link may be incomplete or too old. Please reply to the "
            "email you received instead.",
        }
        return render(request, "public/problem.html", context, status=404)
    if request.method != "POST":
        return _page(request, case)
    body = request.POST.get("body", "")
    try:
        do_record_customer_reply(case, body)
    except ValidationFailed as exc:
        message = "; ".join(exc.errors.values())
        return _page(request, case, error=f"Your answer {message}.", body=body, status=400)
    return redirect(f"{request.path}?sent=1")
