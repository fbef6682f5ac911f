"""Sharing what customers said: digests, recognition of staff, the public wall."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_GET, require_http_methods

from beacon.core.errors import Conflict, ValidationFailed
from beacon.loop.models import DigestFrequency, SurveyConsent
from beacon.loop.queries import praise_per_person, recognition_feed, wall_queue, wall_settings
from beacon.loop.sharing import (
    digest_frequency,
    do_moderate_wall_post,
    do_record_survey_consent,
    do_set_digest,
    do_set_wall,
    stored_stories_of_the_day,
)
from beacon.orgs.actions import do_update_organization, time_zones
from beacon.orgs.models import Membership, Role, Team
from beacon.surveys.models import Survey
from beacon.web.access import render_page, require_role, staff_view
from beacon.web.forms.common import errors_of, reads
from beacon.web.forms.loop import DigestForm, WallForm

# ------------------------------------------------------------------ digest and recognition


def _save_digest_time(member: Membership, form: DigestForm) -> None:
    """The organisation's time zone and digest hour (admins); raises ValidationFailed."""
    require_role(member, Role.ADMIN)
    if form.is_valid() and form.cleaned_data["digest_hour"] is None:
        form.add_error("digest_hour", "choose an hour")
    form.checked()
    do_update_organization(
        member.organization,
        timezone=form.cleaned_data["timezone"].strip(),
        digest_hour=form.cleaned_data["digest_hour"],
        actor=member,
    )


@staff_view
@require_http_methods(["GET", "POST"])
@reads(DigestForm)
def digest_settings(request: HttpRequest, member: Membership) -> HttpResponse:
    errors: dict[str, str] = {}
    org = member.organization
    form = DigestForm(org, request.POST)
    if request.method == "POST":
        schedule = form.schedule()
        try:
            if schedule:
                _save_digest_time(member, form)
            elif not form.is_valid():
                raise ValidationFailed(errors_of(form))
            else:
                do_set_digest(member, form.cleaned_data["frequency"])
        except ValidationFailed as exc:
            errors = exc.errors
        else:
            messages.success(request, "Digest time saved." if schedule else "Digest setting saved.")
            return redirect("web:digest")
    context = {
        "frequency": digest_frequency(member),
        "choices": DigestFrequency.choices,
        "errors": errors,
        "may_schedule": member.has_role(Role.ADMIN),
        "timezone": form.data.get("timezone", org.timezone) if errors else org.timezone,
        "digest_hour": org.digest_hour,
        "zones": sorted(time_zones()),
        "hours": range(24),
    }
    status = 400 if errors else 200
    return render_page(
        request, member, "web/loop/digest.html", context, status=status, nav="digest"
    )


@staff_view
@require_GET
def recognition(request: HttpRequest, member: Membership) -> HttpResponse:
    org = member.organization_id
    stored = stored_stories_of_the_day(org)
    teams = Team.objects.for_org(org).order_by("name")
    context = {
        "feed": recognition_feed(org),
        "counts": praise_per_person(org),
        "stories": None
        if stored.stories is None
        else [(team, stored.stories.get(team.pk)) for team in teams],
        "computed": stored.computed,
    }
    return render_page(request, member, "web/loop/recognition.html", context, nav="recognition")


# ------------------------------------------------------------------ public wall


def _moderate(member: Membership, form: WallForm) -> None:
    """Carry out what the wall form asks; raises ValidationFailed, Conflict or Http404."""
    form.is_valid()
    op = form.cleaned_data.get("op", "")
    if op in ("approve", "reject") and "post" in form.errors:
        # Someone else's or an unknown post: as if there were no such page.
        raise Http404("no such post")
    data = form.checked()
    if op == "settings":
        do_set_wall(
            member.organization_id,
            enabled=data["enabled"] == "1",
            embeddable=data["embeddable"] == "1",
            headline=data["headline"],
            actor=member,
        )
    elif op == "consent":
        if data["survey"] is None:
            raise ValidationFailed({"survey": "choose a survey of this organisation"})
        do_record_survey_consent(data["survey"], data["wording"], actor=member)
    else:
        if data["post"] is None:
            raise Http404("no such post")
        do_moderate_wall_post(
            data["post"],
            approve=op == "approve",
            actor=member,
            text=data["text"],
            public_reply=data["public_reply"],
        )


@staff_view
@require_http_methods(["GET", "POST"])
@reads(WallForm)
def wall_admin(request: HttpRequest, member: Membership) -> HttpResponse:
    require_role(member, Role.ADMIN)
    org = member.organization_id
    errors: dict[str, str] = {}
    problem = ""
    if request.method == "POST":
        try:
            _moderate(member, WallForm(org, request.POST))
        except ValidationFailed as exc:
            errors = exc.errors
        except Conflict as exc:
            problem = str(exc)
        else:
            messages.success(request, "Saved.")
            return redirect("web:wall_admin")
    context = {
        "wall": wall_settings(org),
        "queue": wall_queue(org),
        "consents": list(SurveyConsent.objects.for_org(org).select_related("survey")),
        "surveys": list(Survey.objects.for_org(org).order_by("name")),
        "public_url": f"{settings.BASE_URL}/s/w/{member.organization.slug}/",
        "errors": errors,
        "problem": problem,
    }
    status = 400 if errors else (409 if problem else 200)
    return render_page(request, member, "web/loop/wall.html", context, status=status, nav="wall")
