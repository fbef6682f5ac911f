"""The surveys app's event verbs, one function per event (the audit trail of its writes)."""

from __future__ import annotations

from beacon.orgs.events import EventVerb, record_event, record_events
from beacon.orgs.models import Event, Membership, Organization
from beacon.surveys.models import (
    DistributionRule,
    Invitation,
    Question,
    Suppression,
    Survey,
    SurveyPolicy,
)


class SurveyEvent(EventVerb):
    DISTRIBUTION_RULE_PAUSED = "distribution_rule.paused"
    DISTRIBUTION_RULE_RESUMED = "distribution_rule.resumed"
    DISTRIBUTION_RULE_ADDED = "distribution_rule.added"
    DISTRIBUTION_RULE_REMOVED = "distribution_rule.removed"
    DISTRIBUTION_RULE_UPDATED = "distribution_rule.updated"
    INVITATION_CANCELLED = "invitation.cancelled"
    INVITATION_CLICKED = "invitation.clicked"
    INVITATION_COMPLETED = "invitation.completed"
    INVITATION_CREATED = "invitation.created"
    INVITATION_OPENED = "invitation.opened"
    INVITATION_REMINDED = "invitation.reminded"
    INVITATION_SCANNER_SUSPECTED = "invitation.scanner_suspected"
    INVITATION_SENT = "invitation.sent"
    INVITATION_SUPPRESSED = "invitation.suppressed"
    QUESTION_ADDED = "question.added"
    QUESTION_MOVED = "question.moved"
    QUESTION_UPDATED = "question.updated"
    QUESTION_REMOVED = "question.removed"
    QUESTION_TRANSLATED = "question.translated"
    SURVEY_CREATED = "survey.created"
    SURVEY_DUPLICATED = "survey.duplicated"
    SURVEY_DISTRIBUTION_UPDATED = "survey.distribution_updated"
    SURVEY_TRANSLATED = "survey.translated"
    SURVEY_UPDATED = "survey.updated"
    SURVEY_WIDGET_SECRET_ROTATED = "survey.widget_secret_rotated"  # noqa: S105 (a verb)
    SURVEY_POLICY_UPDATED = "survey_policy.updated"


def distribution_rule_added(
    org: Organization | int, rule: DistributionRule, *, actor: Membership | None = None
) -> Event:
    return record_event(org, SurveyEvent.DISTRIBUTION_RULE_ADDED, rule, actor=actor)


def distribution_rule_removed(
    org: Organization | int, survey: Survey, *, actor: Membership | None = None, rule: int
) -> Event:
    return record_event(org, SurveyEvent.DISTRIBUTION_RULE_REMOVED, survey, actor=actor, rule=rule)


def distribution_rule_updated(
    org: Organization | int,
    rule: DistributionRule,
    *,
    actor: Membership | None = None,
    active: bool,
) -> Event:
    return record_event(
        org, SurveyEvent.DISTRIBUTION_RULE_UPDATED, rule, actor=actor, active=active
    )


def invitation_cancelled(org: Organization | int, invitation: Invitation) -> Event:
    return record_event(org, SurveyEvent.INVITATION_CANCELLED, invitation)


def invitation_clicked(org: Organization | int, invitation: Invitation, *, score: int) -> Event:
    return record_event(org, SurveyEvent.INVITATION_CLICKED, invitation, score=score)


def invitation_completed(org: Organization | int, invitation: Invitation) -> Event:
    return record_event(org, SurveyEvent.INVITATION_COMPLETED, invitation)


def invitation_created(
    org: Organization | int, invitation: Invitation, *, actor: Membership | None = None
) -> Event:
    return record_event(org, SurveyEvent.INVITATION_CREATED, invitation, actor=actor)


def invitation_opened(org: Organization | int, invitation: Invitation) -> Event:
    return record_event(org, SurveyEvent.INVITATION_OPENED, invitation)


def invitation_reminded(org: Organization | int, invitation: Invitation) -> Event:
    return record_event(org, SurveyEvent.INVITATION_REMINDED, invitation)


def invitation_scanner_suspected(
    org: Organization | int, invitation: Invitation, *, score: int
) -> Event:
    return record_event(org, SurveyEvent.INVITATION_SCANNER_SUSPECTED, invitation, score=score)


def invitation_sent(org: Organization | int, invitation: Invitation) -> Event:
    return record_event(org, SurveyEvent.INVITATION_SENT, invitation)


def invitations_created(org: Organization | int, invitations: list[Invitation]) -> None:
    """`invitation_created` of each, in one statement."""
    record_events(org, SurveyEvent.INVITATION_CREATED, [(i, {}) for i in invitations])


def invitations_suppressed(org: Organization | int, suppressions: list[Suppression]) -> None:
    """`invitation_suppressed` of each, in one statement."""
    record_events(
        org, SurveyEvent.INVITATION_SUPPRESSED, [(s, {"reason": s.reason}) for s in suppressions]
    )


def invitation_suppressed(
    org: Organization | int, suppression: Suppression, *, reason: str
) -> Event:
    return record_event(org, SurveyEvent.INVITATION_SUPPRESSED, suppression, reason=reason)


def question_added(
    org: Organization | int, question: Question, *, actor: Membership | None = None
) -> Event:
    return record_event(org, SurveyEvent.QUESTION_ADDED, question, actor=actor)


def question_moved(
    org: Organization | int,
    question: Question,
    *,
    actor: Membership | None = None,
    position: int,
) -> Event:
    return record_event(org, SurveyEvent.QUESTION_MOVED, question, actor=actor, position=position)


def question_updated(
    org: Organization | int, question: Question, *, actor: Membership | None = None
) -> Event:
    return record_event(org, SurveyEvent.QUESTION_UPDATED, question, actor=actor)


def survey_duplicated(
    org: Organization | int, survey: Survey, *, actor: Membership | None = None, source: int
) -> Event:
    return record_event(org, SurveyEvent.SURVEY_DUPLICATED, survey, actor=actor, source=source)


def question_removed(
    org: Organization | int, survey: Survey, *, actor: Membership | None = None, question: int
) -> Event:
    return record_event(org, SurveyEvent.QUESTION_REMOVED, survey, actor=actor, question=question)


def question_translated(
    org: Organization | int, question: Question, *, actor: Membership | None = None
) -> Event:
    return record_event(org, SurveyEvent.QUESTION_TRANSLATED, question, actor=actor)


def survey_created(
    org: Organization | int, survey: Survey, *, actor: Membership | None = None
) -> Event:
    return record_event(org, SurveyEvent.SURVEY_CREATED, survey, actor=actor)


def survey_distribution_updated(
    org: Organization | int, survey: Survey, *, actor: Membership | None = None
) -> Event:
    return record_event(org, SurveyEvent.SURVEY_DISTRIBUTION_UPDATED, survey, actor=actor)


def survey_translated(
    org: Organization | int, survey: Survey, *, actor: Membership | None = None, language: str
) -> Event:
    return record_event(org, SurveyEvent.SURVEY_TRANSLATED, survey, actor=actor, language=language)


def survey_updated(
    org: Organization | int, survey: Survey, *, actor: Membership | None = None
) -> Event:
    return record_event(org, SurveyEvent.SURVEY_UPDATED, survey, actor=actor)


def survey_policy_updated(
    org: Organization | int, policy: SurveyPolicy, *, actor: Membership | None = None, days: int
) -> Event:
    return record_event(org, SurveyEvent.SURVEY_POLICY_UPDATED, policy, actor=actor, days=days)


def distribution_rule_paused(
    org: Organization | int, rule: DistributionRule, *, actor: Membership | None = None
) -> Event:
    return record_event(org, SurveyEvent.DISTRIBUTION_RULE_PAUSED, rule, actor=actor)


def distribution_rule_resumed(
    org: Organization | int, rule: DistributionRule, *, actor: Membership | None = None
) -> Event:
    return record_event(org, SurveyEvent.DISTRIBUTION_RULE_RESUMED, rule, actor=actor)


def survey_widget_secret_rotated(
    org: Organization | int, survey: Survey, *, actor: Membership | None = None
) -> Event:
    return record_event(org, SurveyEvent.SURVEY_WIDGET_SECRET_ROTATED, survey, actor=actor)
