"""The loop app's event verbs, one function per event (the audit trail of its writes)."""

from __future__ import annotations

from beacon.loop.models import (
    Action,
    Case,
    CaseRule,
    Channel,
    CustomerUpdate,
    CustomerUpdateSettings,
    CustomerUpdateTemplate,
    DigestPreference,
    LostReason,
    Recognition,
    RootCause,
    SurveyConsent,
    WallPost,
    WallPostStatus,
    WallSettings,
    WinBackCall,
)
from beacon.orgs.events import EventVerb, record_event, record_events
from beacon.orgs.models import Event, Membership, Organization


class LoopEvent(EventVerb):
    # A case's own history (CaseEvent) is mirrored in the audit trail as case.<kind>.
    CASE_OPENED = "case.opened"
    CASE_ASSIGNED = "case.assigned"
    CASE_STATUS = "case.status"
    CASE_NOTE = "case.note"
    CASE_RESOLVED = "case.resolved"
    CASE_NOTIFIED = "case.notified"
    CASE_ESCALATED = "case.escalated"
    CASE_REPLIED = "case.replied"
    CASE_CUSTOMER = "case.customer"
    CASE_FIRST_CONTACT = "case.first_contact"
    ACTION_CREATED = "action.created"
    ACTION_DRAFTED = "action.drafted"
    ACTION_PUBLISHED = "action.published"
    ACTION_REASSIGNED = "action.reassigned"
    ACTION_REMINDED = "action.reminded"
    ACTION_STATUS = "action.status"
    ACTION_UPDATED = "action.updated"
    CASE_RULE_CREATED = "case_rule.created"
    CASE_RULE_DEACTIVATED = "case_rule.deactivated"
    CHANNEL_CREATED = "channel.created"
    CUSTOMER_UPDATE_DISCARDED = "customer_update.discarded"
    CUSTOMER_UPDATE_EDITED = "customer_update.edited"
    # Single approvals before sending was throttled; kept so the audit log names old rows.
    CUSTOMER_UPDATE_SENT = "customer_update.sent"
    CUSTOMER_UPDATE_APPROVED = "customer_update.approved"
    CUSTOMER_UPDATES_APPROVED = "customer_updates.approved"
    CUSTOMER_UPDATES_CONFIRMED = "customer_updates.confirmed"
    CUSTOMER_UPDATES_QUEUED = "customer_updates.queued"
    CUSTOMER_UPDATE_SETTINGS = "customer_update.settings"
    CUSTOMER_UPDATE_TEMPLATE = "customer_update.template"
    DIGEST_PREFERENCE = "digest.preference"
    LOST_REASON_CREATED = "lost_reason.created"
    RECOGNITION_CREATED = "recognition.created"
    ROOT_CAUSE_CREATED = "root_cause.created"
    SURVEY_WALL_CONSENT = "survey.wall_consent"
    WALL_MODERATED = "wall.moderated"
    WALL_QUEUED = "wall.queued"
    WALL_SETTINGS = "wall.settings"
    WINBACK_CALLED = "winback.called"
    WINBACK_CREATED = "winback.created"


def action_created(
    org: Organization | int, action: Action, *, actor: Membership | None = None, source: str
) -> Event:
    return record_event(org, LoopEvent.ACTION_CREATED, action, actor=actor, source=source)


def action_drafted(
    org: Organization | int, action: Action, *, count: int, verdict: str = ""
) -> Event:
    return record_event(org, LoopEvent.ACTION_DRAFTED, action, count=count, verdict=verdict)


def action_published(
    org: Organization | int, action: Action, *, actor: Membership | None = None, on: bool
) -> Event:
    return record_event(org, LoopEvent.ACTION_PUBLISHED, action, actor=actor, on=on)


def action_reassigned(
    org: Organization | int, action: Action, *, actor: Membership | None = None, to: int
) -> Event:
    return record_event(org, LoopEvent.ACTION_REASSIGNED, action, actor=actor, to=to)


def action_reminded(org: Organization | int, action: Action, *, kind: str) -> Event:
    return record_event(org, LoopEvent.ACTION_REMINDED, action, kind=kind)


def action_status(
    org: Organization | int, action: Action, *, actor: Membership | None = None, to: str
) -> Event:
    return record_event(org, LoopEvent.ACTION_STATUS, action, actor=actor, to=to)


def action_updated(
    org: Organization | int,
    action: Action,
    *,
    actor: Membership | None = None,
    progress: int | None,
) -> Event:
    return record_event(org, LoopEvent.ACTION_UPDATED, action, actor=actor, progress=progress)


def case_rule_created(
    org: Organization | int, rule: CaseRule, *, actor: Membership | None = None
) -> Event:
    return record_event(org, LoopEvent.CASE_RULE_CREATED, rule, actor=actor)


def case_rule_deactivated(
    org: Organization | int, rule: CaseRule, *, actor: Membership | None = None
) -> Event:
    return record_event(org, LoopEvent.CASE_RULE_DEACTIVATED, rule, actor=actor)


def channel_created(
    org: Organization | int, channel: Channel, *, actor: Membership | None = None, kind: str
) -> Event:
    return record_event(org, LoopEvent.CHANNEL_CREATED, channel, actor=actor, kind=kind)


def customer_update_discarded(
    org: Organization | int, update: CustomerUpdate, *, actor: Membership | None = None
) -> Event:
    return record_event(org, LoopEvent.CUSTOMER_UPDATE_DISCARDED, update, actor=actor)


def customer_update_edited(
    org: Organization | int, update: CustomerUpdate, *, actor: Membership | None = None
) -> Event:
    return record_event(org, LoopEvent.CUSTOMER_UPDATE_EDITED, update, actor=actor)


def customer_update_approved(
    org: Organization | int, update: CustomerUpdate, *, actor: Membership | None = None
) -> Event:
    return record_event(org, LoopEvent.CUSTOMER_UPDATE_APPROVED, update, actor=actor)


def customer_updates_approved(
    org: Organization | int,
    action: Action,
    *,
    actor: Membership | None = None,
    count: int,
    language: str,
    channel: str,
) -> Event:
    """Many drafts approved in one request: one event with how many and which."""
    return record_event(
        org,
        LoopEvent.CUSTOMER_UPDATES_APPROVED,
        action,
        actor=actor,
        count=count,
        language=language,
        channel=channel,
    )


def customer_updates_confirmed(
    org: Organization | int,
    action: Action,
    *,
    actor: Membership | None = None,
    reason: str,
    verdict: str,
    why: str,
) -> Event:
    """The owner had updates drafted although the action's metric did not show it helped."""
    return record_event(
        org,
        LoopEvent.CUSTOMER_UPDATES_CONFIRMED,
        action,
        actor=actor,
        reason=reason,
        verdict=verdict,
        why=why,
    )


def customer_updates_queued(org: Organization | int, action: Action, *, count: int) -> Event:
    return record_event(org, LoopEvent.CUSTOMER_UPDATES_QUEUED, action, count=count)


def customer_update_settings(
    org: Organization | int,
    row: CustomerUpdateSettings,
    *,
    actor: Membership | None = None,
    per_minute: int,
) -> Event:
    return record_event(
        org, LoopEvent.CUSTOMER_UPDATE_SETTINGS, row, actor=actor, per_minute=per_minute
    )


def customer_update_template(
    org: Organization | int,
    template: CustomerUpdateTemplate,
    *,
    actor: Membership | None = None,
    language: str,
) -> Event:
    return record_event(
        org, LoopEvent.CUSTOMER_UPDATE_TEMPLATE, template, actor=actor, language=language
    )


def digest_preference(
    org: Organization | int, pref: DigestPreference, *, actor: Membership | None = None, to: str
) -> Event:
    return record_event(org, LoopEvent.DIGEST_PREFERENCE, pref, actor=actor, to=to)


def lost_reason_created(org: Organization | int, reason: LostReason) -> Event:
    return record_event(org, LoopEvent.LOST_REASON_CREATED, reason)


def recognition_created(org: Organization | int, praise: Recognition, *, staff: int) -> Event:
    return record_event(org, LoopEvent.RECOGNITION_CREATED, praise, staff=staff)


def root_cause_created(org: Organization | int, rc: RootCause) -> Event:
    return record_event(org, LoopEvent.ROOT_CAUSE_CREATED, rc)


def survey_wall_consent(
    org: Organization | int, consent: SurveyConsent, *, actor: Membership | None = None
) -> Event:
    return record_event(org, LoopEvent.SURVEY_WALL_CONSENT, consent, actor=actor)


def wall_moderated(
    org: Organization | int,
    post: WallPost,
    *,
    actor: Membership | None = None,
    status: WallPostStatus,
) -> Event:
    return record_event(org, LoopEvent.WALL_MODERATED, post, actor=actor, status=status)


def wall_queued(org: Organization | int, post: WallPost) -> Event:
    return record_event(org, LoopEvent.WALL_QUEUED, post)


def wall_settings(
    org: Organization | int, wall: WallSettings, *, actor: Membership | None = None, enabled: bool
) -> Event:
    return record_event(org, LoopEvent.WALL_SETTINGS, wall, actor=actor, enabled=enabled)


def winback_called(
    org: Organization | int,
    call: WinBackCall,
    *,
    actor: Membership | None = None,
    won_back: bool | None,
) -> Event:
    return record_event(org, LoopEvent.WINBACK_CALLED, call, actor=actor, won_back=won_back)


def winback_created(org: Organization | int, call: WinBackCall, *, kind: str) -> Event:
    return record_event(org, LoopEvent.WINBACK_CREATED, call, kind=kind)


def case_event(case: Case, kind: str, *, actor: Membership | None = None, **data: object) -> Event:
    """A step in a case's history (opened, assigned, note, ...), as `case.<kind>`."""
    return record_event(case.organization_id, LoopEvent(f"case.{kind}"), case, actor=actor, **data)


def case_events(kind: str, cases: list[tuple[Case, dict[str, object]]]) -> None:
    """`case_event` for many cases (of any organisations), one INSERT per organisation:
    the same step with its own data on each case (the case stage's batches)."""
    by_org: dict[int, list[tuple[Case, dict[str, object]]]] = {}
    for case, data in cases:
        by_org.setdefault(case.organization_id, []).append((case, data))
    for org_id, mine in by_org.items():
        record_events(org_id, LoopEvent(f"case.{kind}"), mine)  # type: ignore[arg-type]
