"""The analytics app's event verbs, one function per event (the audit trail of its writes)."""

from __future__ import annotations

from beacon.analytics.models import Alert, AlertRule, Wallboard
from beacon.orgs.events import EventVerb, record_event
from beacon.orgs.models import Event, Membership, Organization


class AnalyticsEvent(EventVerb):
    ALERT_FIRED = "alert.fired"
    ALERT_RESOLVED = "alert.resolved"
    ALERT_RULE_CREATED = "alert_rule.created"
    ALERT_RULE_DEACTIVATED = "alert_rule.deactivated"
    WALLBOARD_CREATED = "wallboard.created"
    WALLBOARD_REVOKED = "wallboard.revoked"


def alert_fired(org: Organization | int, opened: Alert) -> Event:
    return record_event(org, AnalyticsEvent.ALERT_FIRED, opened)


def alert_resolved(org: Organization | int, open_alert: Alert) -> Event:
    return record_event(org, AnalyticsEvent.ALERT_RESOLVED, open_alert)


def alert_rule_created(
    org: Organization | int, rule: AlertRule, *, actor: Membership | None = None
) -> Event:
    return record_event(org, AnalyticsEvent.ALERT_RULE_CREATED, rule, actor=actor)


def alert_rule_deactivated(
    org: Organization | int, rule: AlertRule, *, actor: Membership | None = None
) -> Event:
    return record_event(org, AnalyticsEvent.ALERT_RULE_DEACTIVATED, rule, actor=actor)


def wallboard_created(
    org: Organization | int, wall: Wallboard, *, actor: Membership | None = None
) -> Event:
    return record_event(org, AnalyticsEvent.WALLBOARD_CREATED, wall, actor=actor)


def wallboard_revoked(
    org: Organization | int, wall: Wallboard, *, actor: Membership | None = None
) -> Event:
    return record_event(org, AnalyticsEvent.WALLBOARD_REVOKED, wall, actor=actor)
