"""Staff pages of the closed loop beyond actions: case rules, replies to customers,
reports, digests, recognition, the public wall's moderation, channels, lost customers."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_GET, require_http_methods

from beacon.core.errors import Conflict, ValidationFailed
from beacon.cxmodel.models import Stage
from beacon.loop.actions import (
    MAX_NOTE_LENGTH,
    CaseRuleIn,
    do_create_case_rule,
    do_deactivate_case_rule,
    do_reply_to_customer,
)
from beacon.loop.channels import do_create_channel
from beacon.loop.lost import customer_history, do_record_call
from beacon.loop.models import (
    Case,
    CaseRule,
    Channel,
    ChannelEvent,
    ChannelKind,
    DigestFrequency,
    LostReason,
    OwnerRule,
    Priority,
    SurveyConsent,
    WallPost,
    WinBackCall,
)
from beacon.loop.queries import (
    case_detail,
    case_timing,
    lost_report,
    public_thread,
    recognition_feed,
    wall_queue,
    wall_settings,
)
from beacon.loop.sharing import (
    digest_frequency,
    do_moderate_wall_post,
    do_record_survey_consent,
    do_set_digest,
    do_set_wall,
    story_of_the_day,
)
from beacon.orgs.actions import do_update_organization, time_zones
from beacon.orgs.models import Membership, Role, Team
from beacon.surveys.models import SCORED_KINDS, Question, QuestionKind, Survey
from beacon.web.access import render_page, require_role, staff_view
from beacon.web.views.loop_actions import pick

# ------------------------------------------------------------------ case rules


def _int_or_error(raw: str, field: str, errors: dict[str, str]) -> int | None:
    raw = raw.strip()
    if not raw:
        return None
    try:
        return int(raw)
    except ValueError:
        errors[field] = "must be a whole number"
        return None


@staff_view
@require_http_methods(["GET", "POST"])
def case_rules(request: HttpRequest, member: Membership) -> HttpResponse:
    require_role(member, Role.ADMIN)
    org = member.organization_id
    errors: dict[str, str] = {}
    values: dict[str, str] = {}
    status = 200
    if request.method == "POST" and request.POST.get("deactivate"):
        rule = pick(member, CaseRule, request.POST["deactivate"])
        if rule is None:
            raise Http404("no such rule")
        do_deactivate_case_rule(rule, actor=member)
        messages.success(request, "Rule switched off.")
        return redirect("web:case_rules")
    if request.method == "POST":
        p = request.POST
        values = {k: p.get(k, "") for k in (
            "name", "question", "question_kind", "max_score", "keyword", "contact_attribute",
            "contact_value", "stage", "priority", "due_hours", "owner_rule", "owner_member",
            "position",
        )}  # fmt: skip
        max_score = _int_or_error(values["max_score"], "max_score", errors)
        due_hours = _int_or_error(values["due_hours"], "due_hours", errors)
        position = _int_or_error(values["position"], "position", errors) or 0
        data = CaseRuleIn(
            name=values["name"],
            question=pick(member, Question, values["question"]),
            question_kind=values["question_kind"],
            max_score=max_score,
            keyword=values["keyword"],
            contact_attribute=values["contact_attribute"],
            contact_value=values["contact_value"],
            stage=pick(member, Stage, values["stage"]),
            priority=values["priority"] or Priority.NORMAL,
            due_hours=due_hours,
            owner_rule=values["owner_rule"] or OwnerRule.STAGE_OWNER,
            owner_member=pick(member, Membership, values["owner_member"]),
            position=max(position, 0),
        )
        try:
            if errors:
                raise ValidationFailed(errors)
            do_create_case_rule(org, data, actor=member)
        except ValidationFailed as exc:
            errors, status = exc.errors, 400
        else:
            messages.success(request, "Rule added.")
            return redirect("web:case_rules")
    context = {
        "rules": list(
            CaseRule.objects.for_org(org)
            .filter(active=True)
            .select_related("question", "stage", "owner_member")
            .order_by("position", "pk")
        ),
        "questions": list(
            Question.objects.for_org(org).filter(kind__in=list(SCORED_KINDS)).order_by("pk")
        ),
        "kinds": [(k.value, k.label) for k in QuestionKind if k in SCORED_KINDS],
        "stages": list(Stage.objects.for_org(org).order_by("journey_id", "position")),
        "members": list(Membership.objects.for_org(org).order_by("display_name")),
        "priorities": Priority.choices,
        "owner_rules": OwnerRule.choices,
        "errors": errors,
        "values": values,
    }
    return render_page(
        request, member, "web/loop/rules.html", context, status=status, nav="case_rules"
    )


# ------------------------------------------------------------------ reply to the customer


@staff_view
@require_http_methods(["GET", "POST"])
def case_reply(request: HttpRequest, member: Membership, case_id: int) -> HttpResponse:
    case = case_detail(member.organization, case_id)
    if case is None:
        raise Http404("no such case")
    errors: dict[str, str] = {}
    body = ""
    status = 200
    if request.method == "POST":
        require_role(member, Role.AGENT)
        body = request.POST.get("body", "")
        try:
            do_reply_to_customer(case, body, actor=member)
        except ValidationFailed as exc:
            errors, status = exc.errors, 400
        else:
            messages.success(request, "Reply queued; the customer can answer through the link.")
            return redirect("web:case_reply", case_id=case.pk)
    context = {
        "case": case,
        "thread": public_thread(case),
        "errors": errors,
        "body": body,
        "max_note": MAX_NOTE_LENGTH,
    }
    return render_page(request, member, "web/loop/reply.html", context, status=status, nav="cases")


# ------------------------------------------------------------------ reports


@staff_view
@require_GET
def loop_reports(request: HttpRequest, member: Membership) -> HttpResponse:
    org = member.organization
    context = {
        "by_team": case_timing(org, by="team"),
        "by_owner": case_timing(org, by="owner"),
        "lost": lost_report(org),
    }
    return render_page(request, member, "web/loop/reports.html", context, nav="reports")


# ------------------------------------------------------------------ digest and recognition


def _save_digest_time(request: HttpRequest, member: Membership) -> None:
    """The organisation's time zone and digest hour (admins); raises ValidationFailed."""
    require_role(member, Role.ADMIN)
    errors: dict[str, str] = {}
    hour = _int_or_error(request.POST.get("digest_hour", ""), "digest_hour", errors)
    if hour is None and not errors:
        errors["digest_hour"] = "choose an hour"
    if errors:
        raise ValidationFailed(errors)
    do_update_organization(
        member.organization,
        timezone=request.POST.get("timezone", "").strip(),
        digest_hour=hour,
        actor=member,
    )


@staff_view
@require_http_methods(["GET", "POST"])
def digest_settings(request: HttpRequest, member: Membership) -> HttpResponse:
    errors: dict[str, str] = {}
    if request.method == "POST":
        schedule = request.POST.get("form") == "schedule"
        try:
            if schedule:
                _save_digest_time(request, member)
            else:
                do_set_digest(member, request.POST.get("frequency", ""))
        except ValidationFailed as exc:
            errors = exc.errors
        else:
            messages.success(request, "Digest time saved." if schedule else "Digest setting saved.")
            return redirect("web:digest")
    org = member.organization
    context = {
        "frequency": digest_frequency(member),
        "choices": DigestFrequency.choices,
        "errors": errors,
        "may_schedule": member.has_role(Role.ADMIN),
        "timezone": request.POST.get("timezone", org.timezone) if errors else org.timezone,
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
    feed = recognition_feed(org)
    counts: dict[str, int] = {}
    for praise in recognition_feed(org, limit=10_000):
        counts[praise.staff.display_name] = counts.get(praise.staff.display_name, 0) + 1
    teams = list(Team.objects.for_org(org).order_by("name"))
    context = {
        "feed": feed,
        "counts": sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])),
        "stories": [(team, story_of_the_day(team)) for team in teams],
    }
    return render_page(request, member, "web/loop/recognition.html", context, nav="recognition")


# ------------------------------------------------------------------ public wall


@staff_view
@require_http_methods(["GET", "POST"])
def wall_admin(request: HttpRequest, member: Membership) -> HttpResponse:
    require_role(member, Role.ADMIN)
    org = member.organization_id
    errors: dict[str, str] = {}
    problem = ""
    if request.method == "POST":
        op = request.POST.get("op", "")
        try:
            if op == "settings":
                do_set_wall(
                    org,
                    enabled=request.POST.get("enabled") == "1",
                    embeddable=request.POST.get("embeddable") == "1",
                    headline=request.POST.get("headline", ""),
                    actor=member,
                )
            elif op == "consent":
                survey = pick(member, Survey, request.POST.get("survey", ""))
                if survey is None:
                    raise ValidationFailed({"survey": "choose a survey of this organisation"})
                do_record_survey_consent(survey, request.POST.get("wording", ""), actor=member)
            elif op in ("approve", "reject"):
                post = pick(member, WallPost, request.POST.get("post", ""))
                if post is None:
                    raise Http404("no such post")
                do_moderate_wall_post(
                    post,
                    approve=op == "approve",
                    actor=member,
                    text=request.POST.get("text"),
                    public_reply=request.POST.get("public_reply", ""),
                )
            else:
                raise ValidationFailed({"op": "unknown operation"})
        except ValidationFailed as exc:
            errors = exc.errors
        except Conflict as exc:
            problem = str(exc)
        else:
            messages.success(request, "Saved.")
            return redirect("web:wall_admin")
    wall = wall_settings(org)
    context = {
        "wall": wall,
        "queue": wall_queue(org),
        "consents": list(SurveyConsent.objects.for_org(org).select_related("survey")),
        "surveys": list(Survey.objects.for_org(org).order_by("name")),
        "public_url": f"{settings.BASE_URL}/s/w/{member.organization.slug}/",
        "errors": errors,
        "problem": problem,
    }
    status = 400 if errors else (409 if problem else 200)
    return render_page(request, member, "web/loop/wall.html", context, status=status, nav="wall")


# ------------------------------------------------------------------ channels


@staff_view
@require_http_methods(["GET", "POST"])
def channels(request: HttpRequest, member: Membership) -> HttpResponse:
    require_role(member, Role.ADMIN)
    org = member.organization_id
    errors: dict[str, str] = {}
    values: dict[str, str] = {}
    created: Channel | None = None
    if request.method == "POST":
        values = {k: request.POST.get(k, "") for k in (
            "name", "kind", "url", "event", "max_score", "keyword")}  # fmt: skip
        max_score = _int_or_error(values["max_score"], "max_score", errors)
        try:
            if errors:
                raise ValidationFailed(errors)
            created = do_create_channel(
                org, name=values["name"], kind=values["kind"], url=values["url"],
                event=values["event"], max_score=max_score, keyword=values["keyword"],
                actor=member,
            )  # fmt: skip
        except ValidationFailed as exc:
            errors = exc.errors
        else:
            values = {}
    context = {
        "channels": list(Channel.objects.for_org(org).order_by("name")),
        "kinds": ChannelKind.choices,
        "events": ChannelEvent.choices,
        "created": created,
        "errors": errors,
        "values": values,
    }
    status = 400 if errors else 200
    return render_page(
        request, member, "web/loop/channels.html", context, status=status, nav="channels"
    )


# ------------------------------------------------------------------ lost customers


@staff_view
@require_GET
def lost_calls(request: HttpRequest, member: Membership) -> HttpResponse:
    org = member.organization_id
    calls = (
        WinBackCall.objects.for_org(org)
        .select_related("contact", "assignee", "reason")
        .order_by("status", "due_at")
    )
    context = {"calls": list(calls[:200]), "report": lost_report(org)}
    return render_page(request, member, "web/loop/lost.html", context, nav="lost")


@staff_view
@require_http_methods(["GET", "POST"])
def lost_call(request: HttpRequest, member: Membership, call_id: int) -> HttpResponse:
    call: WinBackCall | None = pick(member, WinBackCall, str(call_id))
    if call is None:
        raise Http404("no such call")
    errors: dict[str, str] = {}
    problem = ""
    values: dict[str, Any] = {}
    if request.method == "POST":
        require_role(member, Role.AGENT)
        values = {k: request.POST.get(k, "") for k in ("outcome", "reason", "won_back")}
        won = {"yes": True, "no": False}.get(values["won_back"])
        try:
            do_record_call(
                call,
                outcome=values["outcome"],
                reason=pick(member, LostReason, values["reason"]),
                won_back=won,
                actor=member,
            )
        except ValidationFailed as exc:
            errors = exc.errors
        except Conflict as exc:
            problem = str(exc)
        else:
            messages.success(request, "Call recorded.")
            return redirect("web:lost_call", call_id=call.pk)
    context = {
        "call": call,
        "history": customer_history(call.contact),
        "reasons": list(LostReason.objects.for_org(member.organization_id).order_by("name")),
        "errors": errors,
        "problem": problem,
        "values": values,
        "cases": list(
            Case.objects.for_org(member.organization_id).filter(contact=call.contact)[:20]
        ),
    }
    status = 400 if errors else (409 if problem else 200)
    return render_page(
        request, member, "web/loop/lost_call.html", context, status=status, nav="lost"
    )
