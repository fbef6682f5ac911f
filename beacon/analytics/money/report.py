"""Compute every money analysis of an organisation (worker) and read the stored results."""

from __future__ import annotations

import datetime as dt
from typing import Any

from beacon.analytics.money import cost, crown, revenue, risk, survival
from beacon.analytics.money.data import Data, load
from beacon.core import clock
from beacon.cxmodel.models import Stage
from beacon.loop.models import Action, ActionStatus
from beacon.orgs.models import Organization
from beacon.outcomes.actions import do_store_report
from beacon.outcomes.models import ReportKind
from beacon.outcomes.queries import accounts_of, settings_of, totals


def load_org(org: Organization, as_of: dt.datetime | None = None) -> Data:
    settings = settings_of(org)
    rates = {k: float(v) for k, v in settings.cost_per_contact.items()}
    return load(
        org.pk,
        as_of or clock.now(),
        min_n=org.min_sample_size,
        window_days=settings.observation_days,
        cost_per_contact=rates,
    )


def value(data: Data) -> dict[str, Any]:
    c = survival.cohort(data)
    retention = survival.retention(data, c)
    facts = totals(data.org_id)
    at_risk = revenue.revenue_at_risk(data, retention["by_nps"], accounts_of(data.org_id))
    # Per customer (a Cox model) first; the detractors' group rate kept beside it.
    at_risk["group_level"] = at_risk["at_risk"]
    at_risk.update(risk.revenue_at_risk_per_customer(data, c, retention["by_nps"]))
    return {
        "currency": settings_of(data.org_id).currency,
        "window_days": data.window_days,
        "history_days": int(data.history_days),
        "min_n": data.min_n,
        "outcomes": facts["per_kind"],
        "accounts": facts["accounts"],
        "retention": retention,
        "revenue": revenue.revenue_by_experience(data),
        "point_value": revenue.value_of_a_point(data),
        "backtest": revenue.backtest(data),
        "at_risk": at_risk,
        "cost_to_serve": cost.cost_to_serve(data),
        "failure_demand": cost.failure_demand(data),
    }


def completed_actions(org_id: int) -> list[Action]:
    return list(
        Action.objects.for_org(org_id)
        .filter(status=ActionStatus.DONE, completed_at__isnull=False)
        .order_by("pk")
    )


def refresh(org: Organization, as_of: dt.datetime | None = None) -> dict[str, Any]:
    """Fit and store the organisation's headline report, every stage's and every completed
    action's triple crown; returns the headline report."""
    data = load_org(org, as_of)
    stages = list(Stage.objects.for_org(org).order_by("journey_id", "position"))
    stage_reports = [crown.stage_report(data, s.pk, s.name) for s in stages]
    action_reports = [crown.action_report(data, a) for a in completed_actions(org.pk)]
    headline = value(data)
    headline["stages"] = stage_reports
    headline["actions"] = action_reports
    for s in stage_reports:
        do_store_report(org.pk, ReportKind.STAGE, s["stage_id"], data.as_of, s)
    for a in action_reports:
        do_store_report(org.pk, ReportKind.ACTION, a["action_id"], data.as_of, a)
    do_store_report(org.pk, ReportKind.VALUE, 0, data.as_of, headline)
    return headline
