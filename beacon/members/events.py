"""Verbs this app records: invitations and handing a deactivated member's work over."""

from __future__ import annotations

from beacon.orgs.events import EventVerb


class InvitationEvent(EventVerb):
    SENT = "invitation.sent"
    RESENT = "invitation.resent"
    REVOKED = "invitation.revoked"
    ACCEPTED = "invitation.accepted"


class HandoverEvent(EventVerb):
    ALERT_RULE_NOTIFY_SET = "alert_rule.notify_set"
