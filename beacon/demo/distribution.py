"""How the demo organisation reaches its customers: rules, sampling, budget, reminders.

With these, an interaction posted to the demo (API, CSV import or help-desk webhook)
invites the customer the way a real telecom would set it up: an hour after a support
contact, a fifth of shop visits, a day after installation, and nobody more than once a
fortnight across all surveys.
"""

from __future__ import annotations

from beacon.cxmodel.models import Stage, Touchpoint
from beacon.orgs.models import Organization
from beacon.surveys.distribution import RuleIn, do_add_rule, do_set_reminders, do_set_survey_budget
from beacon.surveys.models import InvitationChannel, Survey

ORG_BUDGET_DAYS = 14

# survey name -> [(stage name or None, touchpoint name or None, delay minutes, sample %)]
RULES: dict[str, list[tuple[str | None, str | None, int, int]]] = {
    "After a support contact": [
        ("Get help", None, 60, 100),
        (None, "Payment query call", 60, 100),
        (None, "Renewal call", 60, 100),
        (None, "Cancellation request", 30, 100),
    ],
    "After buying": [
        (None, "Store visit", 120, 20),
        (None, "Online checkout", 15, 100),
        (None, "Sales call", 60, 50),
    ],
    "After installation": [("Get connected", None, 24 * 60, 100)],
    "Billing experience": [(None, "Monthly bill", 3 * 24 * 60, 10)],
}


def seed_distribution(org: Organization) -> None:
    """Rules for four of the five surveys (the quarterly check-in keeps its touchpoint)."""
    stages = {s.name: s for s in Stage.objects.for_org(org)}
    touchpoints = {t.name: t for t in Touchpoint.objects.for_org(org)}
    surveys = {s.name: s for s in Survey.objects.for_org(org)}
    for survey_name, rules in RULES.items():
        survey = surveys[survey_name]
        for stage, touchpoint, delay, sample in rules:
            do_add_rule(
                survey,
                RuleIn(
                    stage=stages[stage] if stage else None,
                    touchpoint=touchpoints[touchpoint] if touchpoint else None,
                    channel=InvitationChannel.EMAIL,
                    delay_minutes=delay,
                    sample_percent=sample,
                ),
            )
    # A support survey after every call would ask regulars weekly: at most monthly.
    do_set_reminders(
        surveys["After a support contact"], reminder_after_days=3, resurvey_after_days=30
    )
    do_set_survey_budget(org, min_days_between=ORG_BUDGET_DAYS)
