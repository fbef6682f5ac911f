"""Thin jobs: evaluate alert rules (time from beacon.core.clock); refit money analyses."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_task

from beacon.analytics.actions import evaluate_alert_rules, propose_updates_when_improved
from beacon.core.jobs import periodic_job


@periodic_job(crontab(minute="*/10"))
def evaluate_alerts() -> int:
    return len(evaluate_alert_rules())


@db_task()
def refresh_value_reports(org_id: int) -> int:
    """Refit the money analyses of one organisation and store them (safe to run twice)."""
    from beacon.analytics.money.report import refresh
    from beacon.orgs.models import Organization

    org = Organization.objects.filter(pk=org_id).first()
    if org is None:
        return 0
    return len(refresh(org)["actions"]) + 1


@periodic_job(crontab(minute="15", hour="2"))
def refresh_all_value_reports() -> int:
    """Nightly: every organisation with outcomes gets fresh money figures."""
    from beacon.outcomes.queries import organisations_with_outcomes

    for org_id in organisations_with_outcomes():
        refresh_value_reports(org_id)
    return 0


@periodic_job(crontab(minute="40", hour="5"))
def propose_customer_updates() -> int:
    """Daily: actions whose metric now shows they helped get "you said, we did" drafts."""
    return propose_updates_when_improved()
