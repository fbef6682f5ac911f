"""The Value page (money beside experience), its settings, and the triple-crown panels.

Pages read what the worker stored (`analytics.money.stored.stored_report`); nothing here
fits a model. Money figures are for analysts and up, and for viewers when the
organisation allows it (`outcomes.queries.may_see_money`).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_http_methods, require_POST

from beacon.analytics.money.stored import stored_report
from beacon.contacts.models import Contact
from beacon.core.errors import ValidationFailed
from beacon.core.jobs import enqueue_on_commit
from beacon.loop.models import Action
from beacon.orgs.models import Membership, Role
from beacon.outcomes.actions import SettingsIn, do_save_settings
from beacon.outcomes.models import ReportKind
from beacon.outcomes.queries import may_see_money, settings_of
from beacon.web.access import render_page, require_role, staff_view
from beacon.web.forms.common import reads
from beacon.web.forms.value import OutcomeSettingsForm


def require_money(member: Membership) -> None:
    if not may_see_money(member):
        raise PermissionDenied("money figures need the analyst role or higher")


@staff_view
@require_http_methods(["GET"])
def value_page(request: HttpRequest, member: Membership) -> HttpResponse:
    require_money(member)
    report = stored_report(member.organization_id, ReportKind.VALUE)
    currency = report.data.get("currency") or settings_of(member.organization_id).currency
    context = {
        "as_of": report.as_of,
        "r": _with_panels(report.data, report.as_of, currency),
        "currency": currency,
        **_rows(member.organization_id, report.data),
        "can_refresh": member.has_role(Role.ANALYST),
        "can_configure": member.has_role(Role.ADMIN),
    }
    return render_page(request, member, "web/value/value.html", context, nav="value")


@staff_view
@require_POST
def value_refresh(request: HttpRequest, member: Membership) -> HttpResponse:
    require_role(member, Role.ANALYST)
    from beacon.analytics.tasks import refresh_value_reports

    enqueue_on_commit(refresh_value_reports, member.organization_id)
    messages.success(request, "The figures are being recomputed; this page shows them when done.")
    return redirect("web:value")


def _with_panels(data: dict[str, Any], as_of: Any, currency: str) -> dict[str, Any]:
    """Each stored stage and action report wrapped as the triple-crown panel expects."""
    out = dict(data)
    for key in ("actions", "stages"):
        out[key] = [{**x, "panel": {"as_of": as_of, "r": x, "currency": currency}}
                    for x in data.get(key, [])]  # fmt: skip
    return out


def _named(org_id: int, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The customers most at risk with their external ids (the report stores row ids)."""
    ids = dict(
        Contact.objects.for_org(org_id)
        .filter(pk__in=[r["contact_id"] for r in rows])
        .values_list("pk", "external_id")
    )
    return [{**r, "customer": ids.get(r["contact_id"], "removed")} for r in rows]


def _rows(org_id: int, data: dict[str, Any]) -> dict[str, Any]:
    """Tables of the page in display order, stage ids replaced by names."""
    names = {str(s["stage_id"]): s["name"] for s in data.get("stages", [])}
    retention = data.get("retention", {})
    by_stage = [{**g, "label": f"stage: {names.get(g['label'], 'unknown')}"}
                for g in retention.get("by_stage", [])]  # fmt: skip
    by_csat = [{**g, "label": f"CSAT: {g['label']}"} for g in retention.get("by_csat", [])]
    cost = data.get("cost_to_serve", {})
    cost_rows = [("Everyone", cost["overall"])] if "overall" in cost else []
    cost_rows += list(cost.get("by_experience", {}).items())
    cost_rows += [
        (f"stage: {names.get(k, 'none')}", v) for k, v in cost.get("by_stage", {}).items()
    ]
    revenue = data.get("revenue", {})
    return {
        "risk_customers": _named(org_id, data.get("at_risk", {}).get("customers", [])),
        "retention_rows": retention.get("by_nps", []) + by_csat + by_stage,
        "revenue_rows": list(revenue.get("by_nps", {}).items()),
        "score_rows": list(revenue.get("by_score", {}).items()),
        "cost_rows": cost_rows,
    }


def _initial(member: Membership) -> dict[str, Any]:
    s = settings_of(member.organization_id)
    return {
        "currency": s.currency,
        "exchange_rates": ", ".join(f"{k}={v}" for k, v in s.exchange_rates.items()),
        "cost_per_contact": ", ".join(f"{k}={v}" for k, v in s.cost_per_contact.items()),
        "observation_days": s.observation_days,
        "create_unknown_contacts": s.create_unknown_contacts,
        "viewers_see_money": s.viewers_see_money,
    }


@staff_view
@require_http_methods(["GET", "POST"])
@reads(OutcomeSettingsForm)
def value_settings(request: HttpRequest, member: Membership) -> HttpResponse:
    require_role(member, Role.ADMIN)
    initial = _initial(member)
    if request.method == "POST":
        form = OutcomeSettingsForm(request.POST, initial=initial)
    else:
        form = OutcomeSettingsForm(initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            do_save_settings(
                member.organization,
                SettingsIn(
                    currency=data["currency"].upper(),
                    exchange_rates=data["exchange_rates"],
                    cost_per_contact=data["cost_per_contact"],
                    observation_days=data["observation_days"],
                    create_unknown_contacts=data["create_unknown_contacts"],
                    viewers_see_money=data["viewers_see_money"],
                ),
                actor=member,
            )
        except ValidationFailed as exc:
            for field, message in exc.errors.items():
                form.add_error(field if field in form.fields else None, message)
        else:
            messages.success(request, "Outcome settings saved.")
            return redirect("web:value_settings")
    status = 400 if form.errors else 200
    return render_page(request, member, "web/value/settings.html", {"form": form},
                       status=status, nav="value")  # fmt: skip


def action_crown(member: Membership, action: Action) -> dict[str, Any] | None:
    """The triple-crown panel of an action page, or None when the member may not see money."""
    if not may_see_money(member):
        return None
    report = stored_report(member.organization_id, ReportKind.ACTION, action.pk)
    return {"as_of": report.as_of, "r": report.data,
            "currency": settings_of(member.organization_id).currency}  # fmt: skip


def stage_crowns(member: Membership) -> dict[int, dict[str, Any]] | None:
    """Stage id -> its triple-crown panel for the journey page (None: no money for them)."""
    if not may_see_money(member):
        return None
    report = stored_report(member.organization_id, ReportKind.VALUE)
    currency = settings_of(member.organization_id).currency
    return {s["stage_id"]: {"as_of": report.as_of, "r": s, "currency": currency}
            for s in report.data.get("stages", [])}  # fmt: skip
