""" "You said, we did" settings: the customer-facing wording per language, the sending rate."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_http_methods, require_POST

from beacon.core.errors import ValidationFailed
from beacon.loop.updates import (
    PLACEHOLDERS,
    do_save_template,
    do_set_sending_rate,
    sending_rate,
    templates_of,
)
from beacon.orgs.models import Membership, Role
from beacon.surveys.distribution import LANGUAGES
from beacon.web.access import render_page, require_role, staff_view
from beacon.web.forms.common import reads, values
from beacon.web.forms.improvements import SendingRateForm, UpdateTemplateForm


def _settings_page(
    request: HttpRequest,
    member: Membership,
    *,
    errors: dict[str, str] | None = None,
    shown: dict[str, str] | None = None,
    status: int = 200,
) -> HttpResponse:
    org = member.organization_id
    wording = templates_of(org)
    shown = shown or {}
    context = {
        "languages": [
            (
                language,
                # The form sent back with its error keeps what was typed.
                shown if shown.get("language") == language else wording[language].__dict__,
            )
            for language in LANGUAGES
        ],
        "failed_language": shown.get("language", ""),
        "placeholders": [(f"{{{name}}}", meaning) for name, meaning in PLACEHOLDERS.items()],
        "per_minute": shown.get("per_minute") or sending_rate(org),
        "errors": errors or {},
    }
    return render_page(
        request, member, "web/loop/update_templates.html", context, status=status, nav="actions"
    )


@staff_view
@require_http_methods(["GET", "POST"])
@reads(UpdateTemplateForm)
def update_templates(request: HttpRequest, member: Membership) -> HttpResponse:
    require_role(member, Role.ADMIN)
    if request.method == "GET":
        return _settings_page(request, member)
    form = UpdateTemplateForm(member.organization_id, request.POST)
    try:
        data = form.checked()
        do_save_template(
            member.organization_id,
            data["language"],
            subject=data["subject"],
            body=data["body"],
            actor=member,
        )
    except ValidationFailed as exc:
        return _settings_page(request, member, errors=exc.errors, shown=values(form), status=400)
    messages.success(request, f"Wording saved for {data['language']}.")
    return redirect("web:update_templates")


@staff_view
@require_POST
@reads(SendingRateForm)
def update_rate(request: HttpRequest, member: Membership) -> HttpResponse:
    require_role(member, Role.ADMIN)
    form = SendingRateForm(member.organization_id, request.POST)
    try:
        data = form.checked()
        do_set_sending_rate(member.organization_id, data["per_minute"], actor=member)
    except ValidationFailed as exc:
        return _settings_page(request, member, errors=exc.errors, shown=values(form), status=400)
    messages.success(request, f"Updates now leave at most {data['per_minute']} a minute.")
    return redirect("web:update_templates")
