"""How a survey reaches customers: rules, budget, reminders, QR posters, widget, send log;
and CSV imports with a progress bar."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import segno
from django.conf import settings
from django.contrib import messages
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from beacon.contacts.connectors import CONNECTORS
from beacon.contacts.imports import do_start_import, job_progress, upload_path
from beacon.contacts.models import ImportJob, ImportKind, ImportState, InboundWebhook
from beacon.contacts.signatures import HELP_DESK_KEYED, Scheme
from beacon.contacts.webhooks import do_create_webhook, do_set_webhook_signing, recent_deliveries
from beacon.core import clock
from beacon.core.errors import ValidationFailed
from beacon.core.jobs import enqueue_on_commit
from beacon.cxmodel.models import Stage, Touchpoint
from beacon.orgs.models import Membership, Role, Team
from beacon.outcomes.webhooks import FIELDS as OUTCOME_FIELDS
from beacon.outcomes.webhooks import RECORDS, do_create_outcome_webhook
from beacon.surveys.distribution import (
    do_add_rule,
    do_remove_rule,
    do_rotate_widget_secret,
    do_set_reminders,
    do_set_rule_active,
    do_set_survey_budget,
    do_update_rule,
    org_budget_days,
)
from beacon.surveys.models import DistributionRule, InvitationChannel, Survey
from beacon.surveys.queries import coverage_by_stage, delivery_by_channel, send_log
from beacon.web.access import render_page, require_role, staff_view
from beacon.web.forms.common import errors_of, reads
from beacon.web.forms.distribution import (
    HOOK_FIELDS,
    BudgetForm,
    ConnectorForm,
    ImportForm,
    RuleForm,
    RuleStateForm,
    WebhookConditionForm,
    WebhookForm,
    WebhookSigningForm,
)

EDITOR = Role.ADMIN
# Coverage is read over a recent window: it is about how the rules work now.
COVERAGE_WINDOW = dt.timedelta(days=90)


def _survey_or_404(member: Membership, survey_id: int) -> Survey:
    survey = Survey.objects.for_org(member.organization_id).filter(pk=survey_id).first()
    if survey is None:
        raise Http404("no such survey")
    return survey


def _touchpoint_or_404(member: Membership, touchpoint_id: int) -> Touchpoint:
    tp = Touchpoint.objects.for_org(member.organization_id).filter(pk=touchpoint_id).first()
    if tp is None:
        raise Http404("no such touchpoint")
    return tp


def qr_target(survey: Survey, touchpoint: Touchpoint) -> str:
    return f"{settings.BASE_URL.rstrip('/')}/s/q/{survey.anonymous_token}/{touchpoint.pk}/"


@staff_view
@require_http_methods(["GET"])
def distribution(request: HttpRequest, member: Membership, survey_id: int) -> HttpResponse:
    return _page(request, member, _survey_or_404(member, survey_id))


def _choices(member: Membership) -> dict[str, Any]:
    org_id = member.organization_id
    return {
        "touchpoints": Touchpoint.objects.for_org(org_id).select_related("stage").order_by("name"),
        "stages": Stage.objects.for_org(org_id).order_by("journey_id", "position"),
        "teams": Team.objects.for_org(org_id).order_by("name"),
        "channel_choices": InvitationChannel.choices,
    }


def _page(
    request: HttpRequest,
    member: Membership,
    survey: Survey,
    errors: dict[str, str] | None = None,
    status: int = 200,
    rule_values: dict[str, str] | None = None,
) -> HttpResponse:
    org_id = member.organization_id
    context = {
        **_choices(member),
        "survey": survey,
        "can_edit": member.has_role(EDITOR),
        "channels": delivery_by_channel(survey),
        "log": send_log(survey, limit=50),
        "coverage": coverage_by_stage(org_id, since=clock.now() - COVERAGE_WINDOW),
        "coverage_days": COVERAGE_WINDOW.days,
        "rules": [
            (r, conditions_text(r.conditions).replace("\n", "; "))
            for r in DistributionRule.objects.for_org(org_id)
            .filter(survey=survey)
            .select_related("touchpoint", "stage", "team")
        ],
        "values": rule_values or _rule_values(None),
        "budget_days": org_budget_days(org_id),
        "anonymous_url": f"{settings.BASE_URL.rstrip('/')}/s/a/{survey.anonymous_token}/",
        "widget_src": f"{settings.BASE_URL.rstrip('/')}/static/beacon/widget.js",
        "errors": errors or {},
    }
    return render_page(
        request, member, "web/distribution/survey.html", context, status=status, nav="surveys"
    )


def _rule_or_404(member: Membership, survey: Survey, rule_id: int) -> DistributionRule:
    rule = (
        DistributionRule.objects.for_org(member.organization_id)
        .filter(survey=survey, pk=rule_id)
        .select_related("touchpoint", "stage", "team")
        .first()
    )
    if rule is None:
        raise Http404("no such rule")
    return rule


def conditions_text(conditions: dict[str, Any]) -> str:
    """One `attribute = value` line per condition; accepted alternatives joined by " | "."""
    lines = []
    for name, wanted in (conditions or {}).items():
        values = wanted if isinstance(wanted, list) else [wanted]
        lines.append(f"{name} = {' | '.join(str(v) for v in values)}")
    return "\n".join(lines)


def _rule_values(rule: DistributionRule | None) -> dict[str, str]:
    """The form's fields as strings: a rule's own, or the defaults of a new one."""
    if rule is None:
        return {"channel": InvitationChannel.EMAIL, "delay_minutes": "0",
                "sample_percent": "100", "active": "1"}  # fmt: skip
    return {
        "touchpoint": str(rule.touchpoint_id or ""),
        "stage": str(rule.stage_id or ""),
        "team": str(rule.team_id or ""),
        "conditions": conditions_text(rule.conditions),
        "channel": rule.channel,
        "delay_minutes": str(rule.delay_minutes),
        "sample_percent": str(rule.sample_percent),
        "active": "1" if rule.active else "",
    }


@staff_view
@require_POST
@reads(RuleForm)
def rule_add(request: HttpRequest, member: Membership, survey_id: int) -> HttpResponse:
    require_role(member, EDITOR)
    survey = _survey_or_404(member, survey_id)
    form = RuleForm(member.organization_id, request.POST, editing=False)
    try:
        form.checked()
        do_add_rule(survey, form.rule_in(), actor=member)
    except ValidationFailed as exc:
        return _page(request, member, survey, exc.errors, status=400, rule_values=form.shown())
    messages.success(request, "Rule added.")
    return redirect(reverse("web:survey_distribution", args=[survey.pk]))


@staff_view
@require_http_methods(["GET", "POST"])
@reads(RuleForm)
def rule_edit(
    request: HttpRequest, member: Membership, survey_id: int, rule_id: int
) -> HttpResponse:
    survey = _survey_or_404(member, survey_id)
    rule = _rule_or_404(member, survey, rule_id)
    require_role(member, EDITOR)
    if request.method != "POST":
        return _rule_page(request, member, survey, rule, _rule_values(rule))
    form = RuleForm(member.organization_id, request.POST, editing=True)
    try:
        form.checked()
        do_update_rule(rule, form.rule_in(), actor=member)
    except ValidationFailed as exc:
        return _rule_page(request, member, survey, rule, form.shown(), exc.errors, status=400)
    messages.success(request, "Rule saved.")
    return redirect(reverse("web:survey_distribution", args=[survey.pk]))


def _rule_page(
    request: HttpRequest,
    member: Membership,
    survey: Survey,
    rule: DistributionRule,
    values: dict[str, str],
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> HttpResponse:
    context = {
        **_choices(member),
        "survey": survey,
        "rule": rule,
        "values": values,
        "errors": errors or {},
        "invited": rule.invitations.count(),
    }
    return render_page(
        request, member, "web/distribution/rule.html", context, status=status, nav="surveys"
    )


@staff_view
@require_POST
@reads(RuleStateForm)
def rule_state(
    request: HttpRequest, member: Membership, survey_id: int, rule_id: int
) -> HttpResponse:
    """Pause, resume or remove a rule (the button says which)."""
    survey = _survey_or_404(member, survey_id)
    rule = _rule_or_404(member, survey, rule_id)
    require_role(member, EDITOR)
    form = RuleStateForm(member.organization_id, request.POST)
    if not form.is_valid():
        return _page(request, member, survey, errors_of(form), status=400)
    action = form.cleaned_data["action"]
    if action == "remove":
        do_remove_rule(rule, actor=member)
        messages.success(request, "Rule removed; the invitations it made are kept.")
    else:
        do_set_rule_active(rule, action == "resume", actor=member)
        messages.success(request, "Rule paused." if action == "pause" else "Rule resumed.")
    return redirect(reverse("web:survey_distribution", args=[survey.pk]))


@staff_view
@require_POST
@reads(BudgetForm)
def budget_set(request: HttpRequest, member: Membership, survey_id: int) -> HttpResponse:
    require_role(member, EDITOR)
    survey = _survey_or_404(member, survey_id)
    form = BudgetForm(member.organization_id, request.POST)
    if not form.is_valid():
        return _page(request, member, survey, errors_of(form), status=400)
    data = form.cleaned_data
    try:
        with transaction.atomic():
            do_set_survey_budget(
                member.organization, min_days_between=data["org_days"] or 0, actor=member
            )
            do_set_reminders(
                survey,
                reminder_after_days=data["reminder_after_days"],
                resurvey_after_days=data["survey_days"] or 0,
                actor=member,
            )
    except ValidationFailed as exc:
        return _page(request, member, survey, exc.errors, status=400)
    return redirect(reverse("web:survey_distribution", args=[survey.pk]))


@staff_view
@require_POST
def widget_secret_rotate(request: HttpRequest, member: Membership, survey_id: int) -> HttpResponse:
    require_role(member, EDITOR)
    survey = _survey_or_404(member, survey_id)
    do_rotate_widget_secret(survey, actor=member)
    messages.success(request, "New widget secret: sign user ids with it from now on.")
    return redirect(reverse("web:survey_distribution", args=[survey.pk]) + "#widget")


# ---------------------------------------------------------------- QR codes


@staff_view
@require_http_methods(["GET"])
def qr_poster(
    request: HttpRequest, member: Membership, survey_id: int, touchpoint_id: int
) -> HttpResponse:
    survey = _survey_or_404(member, survey_id)
    touchpoint = _touchpoint_or_404(member, touchpoint_id)
    target = qr_target(survey, touchpoint)
    svg = segno.make(target, error="m").svg_inline(scale=10, dark="#000000", light="#ffffff")
    context = {"survey": survey, "touchpoint": touchpoint, "svg": svg, "target": target,
               "org": member.organization}  # fmt: skip
    return render(request, "web/distribution/poster.html", context)


@staff_view
@require_http_methods(["GET"])
def qr_image(
    request: HttpRequest, member: Membership, survey_id: int, touchpoint_id: int, fmt: str
) -> HttpResponse:
    if fmt not in ("svg", "png"):
        raise Http404("QR codes come as .svg or .png")
    survey = _survey_or_404(member, survey_id)
    touchpoint = _touchpoint_or_404(member, touchpoint_id)
    buffer = io.BytesIO()
    code = segno.make(qr_target(survey, touchpoint), error="m")
    if fmt == "svg":
        code.save(buffer, kind="svg", scale=10, xmldecl=True)
        content_type = "image/svg+xml"
    else:
        code.save(buffer, kind="png", scale=12, border=4)
        content_type = "image/png"
    response = HttpResponse(buffer.getvalue(), content_type=content_type)
    name = f"qr-survey{survey.pk}-touchpoint{touchpoint.pk}.{fmt}"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


# ---------------------------------------------------------------- imports


@staff_view
@require_http_methods(["GET", "POST"])
@reads(ImportForm, ConnectorForm)
def imports(request: HttpRequest, member: Membership) -> HttpResponse:
    require_role(member, EDITOR)
    if request.method != "POST":
        return _imports_page(request, member)
    form = ImportForm(member.organization_id, request.POST, request.FILES)
    if not form.is_valid():
        return _imports_page(request, member, errors_of(form))
    kind, upload = form.cleaned_data["kind"], form.cleaned_data["file"]
    with transaction.atomic():
        job = do_start_import(
            member.organization, kind, upload.name or "", upload.size or 0, actor=member
        )
        path = upload_path(job)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as out:
            for chunk in upload.chunks():
                out.write(chunk)
        from beacon.pipeline.tasks import run_import_task

        enqueue_on_commit(run_import_task, job.pk, str(path))
    return redirect(reverse("web:import", args=[job.pk]))


def _preset(connector: str) -> dict[str, str]:
    """The form's starting values for a connector: its paths and its condition."""
    chosen = CONNECTORS[connector]
    return {
        **chosen.mapping,
        "name": chosen.name,
        "connector": chosen.key,
        "only_when_path": chosen.only_when_path,
        "only_when_values": ", ".join(chosen.only_when_values),
        "records": chosen.records,
        "minor_units": "on" if chosen.minor_units else "",
    }


def _imports_page(
    request: HttpRequest,
    member: Membership,
    errors: dict[str, str] | None = None,
    *,
    created: InboundWebhook | None = None,
    hook_values: dict[str, str] | None = None,
) -> HttpResponse:
    org_id = member.organization_id
    hook_values = hook_values or {}
    if not hook_values and request.method == "GET":
        chosen = ConnectorForm(org_id, request.GET)
        if not chosen.is_valid():
            errors = {**errors_of(chosen), **(errors or {})}
        elif chosen.cleaned_data["connector"]:
            hook_values = _preset(chosen.cleaned_data["connector"])
    webhooks = list(InboundWebhook.objects.for_org(org_id).order_by("name"))
    context = {
        "hook_rows": [(f, hook_values.get(f, "")) for f in HOOK_FIELDS],
        "records": RECORDS,
        "outcome_fields": [(RECORDS[k], ", ".join(v)) for k, v in OUTCOME_FIELDS.items()],
        "connectors": list(CONNECTORS.values()),
        "connector": CONNECTORS.get(hook_values.get("connector", "")),
        "webhook_logs": [(h, recent_deliveries(h)) for h in webhooks],
        "jobs": ImportJob.objects.for_org(org_id).order_by("-pk")[:20],
        "errors": errors or {},
        "kinds": ImportKind.choices,
        "webhooks": webhooks,
        "hook_fields": HOOK_FIELDS,
        "hook_values": hook_values or {},
        "created": created,
        "base_url": settings.BASE_URL.rstrip("/"),
        "schemes": Scheme.choices,
        "help_desk_keyed": list(HELP_DESK_KEYED),
    }
    status = 400 if errors else 200
    return render_page(
        request, member, "web/distribution/imports.html", context, status=status, nav="imports"
    )


@staff_view
@require_POST
@reads(WebhookForm, WebhookConditionForm)
def webhook_add(request: HttpRequest, member: Membership) -> HttpResponse:
    """The secret is shown once, on the page that answers this POST."""
    require_role(member, EDITOR)
    form = WebhookForm(member.organization_id, request.POST)
    form.is_valid()
    values = form.paths()
    mapping = {f: v for f, v in values.items() if v}
    name = form.cleaned_data["name"].strip()[:200]
    records = form.cleaned_data.get("records", "")
    condition = WebhookConditionForm(member.organization_id, request.POST)
    if not form.is_valid() or not condition.is_valid():
        errors = {
            k: " ".join(str(e) for e in v)
            for k, v in (*form.errors.items(), *condition.errors.items())
        }
        return _imports_page(request, member, errors, hook_values={**values, "name": name})
    kept = {
        "name": name,
        "records": records,
        "connector": condition.cleaned_data["connector"],
        "signature": condition.cleaned_data["signature"],
        "only_when_path": condition.cleaned_data["only_when_path"],
        "only_when_values": condition.cleaned_data["only_when_values"],
        "minor_units": "on" if form.cleaned_data.get("minor_units") else "",
    }
    try:
        if records:
            hook = do_create_outcome_webhook(
                member.organization,
                name,
                records,
                mapping,
                actor=member,
                only_when_path=condition.cleaned_data["only_when_path"],
                only_when_values=condition.values(),
                signature=condition.scheme(),
                connector=condition.cleaned_data["connector"],
                minor_units=form.cleaned_data["minor_units"],
            )
        else:
            hook = do_create_webhook(
                member.organization,
                name,
                mapping,
                actor=member,
                connector=condition.cleaned_data["connector"],
                only_when_path=condition.cleaned_data["only_when_path"],
                only_when_values=condition.values(),
                signature=condition.scheme(),
            )
    except ValidationFailed as exc:
        return _imports_page(request, member, exc.errors, hook_values={**values, **kept})
    return _imports_page(request, member, created=hook)


@staff_view
@require_POST
@reads(WebhookSigningForm)
def webhook_signing(request: HttpRequest, member: Membership, webhook_id: int) -> HttpResponse:
    """Set how a webhook's posts are verified: a Zendesk or Intercom secret exists only once
    the webhook is set up in the help desk, so it is pasted here afterwards."""
    require_role(member, EDITOR)
    webhook = InboundWebhook.objects.for_org(member.organization_id).filter(pk=webhook_id).first()
    if webhook is None:
        raise Http404("no such webhook")
    form = WebhookSigningForm(member.organization_id, request.POST)
    if not form.is_valid():
        return _imports_page(request, member, errors_of(form))
    try:
        do_set_webhook_signing(
            webhook,
            form.cleaned_data["signature"],
            form.cleaned_data["help_desk_secret"],
            actor=member,
        )
    except ValidationFailed as exc:
        return _imports_page(request, member, exc.errors)
    messages.success(request, f"Signing of “{webhook.name}” saved.")
    return redirect("web:imports")


def _job_or_404(member: Membership, job_id: int) -> ImportJob:
    job = ImportJob.objects.for_org(member.organization_id).filter(pk=job_id).first()
    if job is None:
        raise Http404("no such import")
    return job


@staff_view
@require_http_methods(["GET"])
def import_job(request: HttpRequest, member: Membership, job_id: int) -> HttpResponse:
    require_role(member, EDITOR)
    job = _job_or_404(member, job_id)
    template = (
        "web/distribution/_import_progress.html"
        if request.headers.get("HX-Request")
        else "web/distribution/import.html"
    )
    running = job.state == ImportState.RUNNING
    context = {"job": job, "running": running, "progress": job_progress(job) if running else None}
    return render_page(request, member, template, context)


@staff_view
@require_http_methods(["GET"])
def import_errors(request: HttpRequest, member: Membership, job_id: int) -> HttpResponse:
    require_role(member, EDITOR)
    job = _job_or_404(member, job_id)
    response = HttpResponse(job.error_report or "line,column,message\n", content_type="text/csv")
    response["Content-Disposition"] = f'attachment; filename="import-{job.pk}-errors.csv"'
    return response
