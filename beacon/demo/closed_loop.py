"""Closed-loop examples for the demo organisation, built through the same do_* functions.

The demo seeder (beacon/demo/seed.py) calls `seed_closed_loop(org, today=...)` after it has
stored history and cases, then `withhold_history`; everything here is placed in time with
the controllable clock.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Count

from beacon.analytics.impact import evidence
from beacon.contacts.models import Contact
from beacon.core import clock
from beacon.insights.models import Theme, ThemeMention
from beacon.loop.actions import CaseRuleIn, do_create_case_rule, escalate_overdue_cases
from beacon.loop.improvements import (
    ActionIn,
    do_add_action_update,
    do_create_action,
    do_publish_action,
    do_set_action_status,
)
from beacon.loop.lost import ChurnIn, do_create_lost_reason, do_record_call, do_record_churn
from beacon.loop.models import Action, Case, CustomerUpdate, OwnerRule, Priority, RootCause
from beacon.loop.sharing import (
    do_moderate_wall_post,
    do_queue_for_wall,
    do_record_survey_consent,
    do_set_wall,
)
from beacon.loop.updates import (
    Verdict,
    customer_update_key_prefix,
    do_approve_customer_update,
    do_propose_customer_updates,
)
from beacon.notifications.actions import do_withhold_pending
from beacon.orgs.models import Membership, Organization
from beacon.orgs.queries import org_owner
from beacon.responses.models import Answer, Response
from beacon.surveys.models import Question, QuestionKind, Survey

LOST_REASONS = [
    ("price", "Price"),
    ("coverage", "Network coverage"),
    ("service", "Service experience"),
    ("moved", "Moved away"),
]


@dataclass(frozen=True)
class LoopExamples:
    escalated: int
    completed_action: Action | None
    updates_sent: int
    wall_posts: int
    lost_calls: int


def _rules(org: Organization) -> None:
    # Stored rules replace the defaults, so the defaults are written out beside the keyword.
    do_create_case_rule(
        org.pk,
        CaseRuleIn(name="Wants to cancel", keyword="cancel", priority=Priority.URGENT,
                   owner_rule=OwnerRule.TEAM_LEAD, position=1),
    )  # fmt: skip
    do_create_case_rule(org.pk, CaseRuleIn(name="Detractor", question_kind="nps", max_score=6,
                                           position=2))  # fmt: skip
    do_create_case_rule(org.pk, CaseRuleIn(name="Unsatisfied", question_kind="csat", max_score=2,
                                           position=3))  # fmt: skip


def _subject(org: Organization) -> tuple[Theme | None, RootCause | None]:
    """The theme most mentioned negatively, else the root cause with most cases."""
    theme = (
        Theme.objects.for_org(org)
        .filter(mentions__sentiment="negative")
        .annotate(n=Count("mentions"))
        .order_by("-n", "pk")
        .first()
    )
    cause = RootCause.objects.for_org(org).annotate(n=Count("cases")).order_by("-n", "pk").first()
    return theme, cause


def _wall(org: Organization, survey: Survey, today: dt.datetime) -> int:
    do_set_wall(org.pk, enabled=True, embeddable=True, headline=f"{org.name} listens")
    do_record_survey_consent(
        survey, "We may publish your comment on our website, without your name or details."
    )
    happy = (
        Response.objects.for_org(org)
        .filter(survey=survey, responded_at__gte=today - dt.timedelta(days=30))
        .filter(answers__question__kind=QuestionKind.NPS, answers__number__gte=9)
        .filter(pk__in=Answer.objects.for_org(org).exclude(text="").values("response_id"))
        .order_by("-responded_at")[:8]
    )
    approver = org_owner(org)
    shown = 0
    for i, response in enumerate(happy):
        post = do_queue_for_wall(response)
        if post is None or approver is None:
            continue
        reply = "Thank you — we passed this on to the team." if i % 3 == 0 else ""
        do_moderate_wall_post(post, approve=i < 6, actor=approver, public_reply=reply)
        shown += int(i < 6)
    return shown


def _tell_customers(
    action: Action, theme: Theme | None, lead: Membership, today: dt.datetime
) -> int:
    """The action names the NPS question, so "here is what we changed" is proposed only
    if its score really improved; then the owner approves a few drafts (to customers whose
    comments raised the theme). Otherwise its page says why nobody was told."""
    with clock.frozen_at(today):
        found = evidence(action, action.organization.min_sample_size)
        if found.verdict != Verdict.IMPROVED:
            return 0
        do_propose_customer_updates(action, found)
        drafts = CustomerUpdate.objects.filter(action=action).order_by("pk")
        if theme is not None:
            raised = ThemeMention.objects.for_org(action.organization_id).filter(theme=theme)
            drafts = drafts.filter(contact_id__in=raised.values("contact_id"))
        for update in drafts[:5]:
            do_approve_customer_update(update, actor=lead)
        return min(5, drafts.count())


def _action(org: Organization, question: Question, today: dt.datetime) -> tuple[Action | None, int]:
    theme, cause = _subject(org)
    owner = org_owner(org)
    if owner is None or (theme is None and cause is None):
        return None, 0
    lead = cause.cases.order_by("pk").first().owner if cause and cause.cases.exists() else owner  # type: ignore[union-attr]
    title = f"Fix the cause of “{theme.name if theme else cause.name}” complaints"  # type: ignore[union-attr]
    with clock.frozen_at(today - dt.timedelta(days=60)):
        action = do_create_action(
            org.pk,
            ActionIn(
                title=title,
                source="theme" if theme else "root_cause",
                theme_id=theme.pk if theme else None,
                root_cause=cause,
                owner=lead,
                deadline=today - dt.timedelta(days=30),
                question=question,
                description="Customers keep telling us about this; find the cause and fix it.",
                public_summary="You told us this kept going wrong. We changed how we handle "
                "it, and the people who deal with it now own it end to end.",
            ),
            actor=owner,
        )
    with clock.frozen_at(today - dt.timedelta(days=45)):
        do_set_action_status(action, "in_progress", actor=lead)
        do_add_action_update(action, "Found the cause; the fix is being rolled out.",
                             actor=lead, progress=60)  # fmt: skip
    with clock.frozen_at(today - dt.timedelta(days=30)):
        do_set_action_status(action, "done", actor=lead)
        do_publish_action(action, action.public_summary, on_wall=True, actor=lead)
    sent = _tell_customers(action, theme, lead, today)
    # One action still open with a deadline close enough for its reminder.
    with clock.frozen_at(today - dt.timedelta(days=5)):
        do_create_action(
            org.pk,
            ActionIn(title="Call back every detractor within one working day",
                     source="driver", driver="first contact time", owner=lead,
                     deadline=today + dt.timedelta(days=1), question=question),
            actor=owner,
        )  # fmt: skip
    return action, sent


def _lost(org: Organization, today: dt.datetime) -> int:
    reasons = [do_create_lost_reason(org.pk, code, name) for code, name in LOST_REASONS]
    contacts = list(
        Contact.objects.for_org(org)
        .filter(pk__in=Case.objects.for_org(org).values("contact_id"))
        .order_by("pk")[:4]
    )
    owner = org_owner(org)
    for i, contact in enumerate(contacts):
        with clock.frozen_at(today - dt.timedelta(days=4 - i)):
            call = do_record_churn(org, ChurnIn(contact.external_id, "cancellation")).call
        if i < 2 and owner is not None:
            with clock.frozen_at(today - dt.timedelta(days=3 - i)):
                do_record_call(call, outcome="Talked it through; offered a better plan.",
                               reason=reasons[i], won_back=i == 0, actor=owner)  # fmt: skip
    return len(contacts)


@transaction.atomic
def seed_closed_loop(org: Organization, *, today: dt.datetime) -> LoopExamples:
    survey = Survey.objects.for_org(org).order_by("pk").first()
    question = (
        Question.objects.for_org(org).filter(survey=survey, kind=QuestionKind.NPS).first()
        if survey
        else None
    )
    if survey is None or question is None:
        return LoopExamples(0, None, 0, 0, 0)
    _rules(org)
    with clock.frozen_at(today):
        escalated = escalate_overdue_cases(org)
    action, sent = _action(org, question, today)
    shown = _wall(org, survey, today)
    lost = _lost(org, today)
    return LoopExamples(escalated, action, sent, shown, lost)


def withhold_history(org: Organization, examples: LoopExamples) -> int:
    """Keep the seeded history's emails as rows without mailing them, except "you said, we
    did" updates of the completed action (approved only when its score improved)."""
    action = examples.completed_action
    keep = (customer_update_key_prefix(action.pk),) if action is not None else ()
    return do_withhold_pending(org.pk, "demo history: not delivered", keep_prefixes=keep)
