"""Verbs this app records: invitations and handing a deactivated member's work over."""

from __future__ import annotations

from enum import StrEnum


class InvitationEvent(StrEnum):
    SENT = "invitation.sent"
    RESENT = "invitation.resent"
    REVOKED = "invitation.revoked"
    ACCEPTED = "invitation.accepted"


class HandoverEvent(StrEnum):
    NEED_OWNER_SET = "need.owner_set"
    ALERT_RULE_NOTIFY_SET = "alert_rule.notify_set"
