"""Case rules: which answers open a follow-up case, for whom and how fast."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_http_methods

from beacon.core.errors import ValidationFailed
from beacon.cxmodel.models import Stage
from beacon.loop.actions import CaseRuleIn, do_create_case_rule, do_deactivate_case_rule
from beacon.loop.models import CaseRule, OwnerRule, Priority
from beacon.orgs.models import Membership, Role
from beacon.surveys.models import SCORED_KINDS, Question, QuestionKind
from beacon.web.access import render_page, require_role, staff_view
from beacon.web.forms.common import reads, values
from beacon.web.forms.loop import CaseRuleForm, DeactivateRuleForm


def _rule_in(data: dict[str, Any]) -> CaseRuleIn:
    return CaseRuleIn(
        name=data["name"],
        question=data["question"],
        question_kind=data["question_kind"],
        max_score=data["max_score"],
        keyword=data["keyword"],
        contact_attribute=data["contact_attribute"],
        contact_value=data["contact_value"],
        stage=data["stage"],
        priority=data["priority"] or Priority.NORMAL,
        due_hours=data["due_hours"],
        owner_rule=data["owner_rule"] or OwnerRule.STAGE_OWNER,
        owner_member=data["owner_member"],
        position=max(data["position"] or 0, 0),
    )


@staff_view
@require_http_methods(["GET", "POST"])
@reads(DeactivateRuleForm, CaseRuleForm)
def case_rules(request: HttpRequest, member: Membership) -> HttpResponse:
    require_role(member, Role.ADMIN)
    org = member.organization_id
    errors: dict[str, str] = {}
    shown: dict[str, str] = {}
    status = 200
    deactivate = DeactivateRuleForm(org, request.POST)
    if request.method == "POST" and deactivate.asked():
        if not deactivate.is_valid():
            raise Http404("no such rule")
        do_deactivate_case_rule(deactivate.cleaned_data["deactivate"], actor=member)
        messages.success(request, "Rule switched off.")
        return redirect("web:case_rules")
    if request.method == "POST":
        form = CaseRuleForm(org, request.POST)
        shown = values(form)
        try:
            form.checked()
            do_create_case_rule(org, _rule_in(form.cleaned_data), actor=member)
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
        "values": shown,
    }
    return render_page(
        request, member, "web/loop/rules.html", context, status=status, nav="case_rules"
    )
