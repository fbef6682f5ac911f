"""From an interaction to invitations: rules, sampling, the survey budget, and sending.

Every decision is written down: a matching interaction ends either as an invitation or as
a suppression with its reason, so coverage per stage can be reported honestly.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import translation

from beacon.contacts.models import Contact, Interaction
from beacon.core import clock
from beacon.core.errors import ValidationFailed
from beacon.cxmodel.models import Stage, Touchpoint
from beacon.notifications.actions import do_queue_email
from beacon.orgs.models import Membership, Organization, Team
from beacon.surveys.actions import new_token
from beacon.surveys.events import (
    distribution_rule_added,
    distribution_rule_paused,
    distribution_rule_removed,
    distribution_rule_resumed,
    distribution_rule_updated,
    invitation_cancelled,
    invitation_clicked,
    invitation_created,
    invitation_reminded,
    invitation_scanner_suspected,
    invitation_sent,
    invitation_suppressed,
    survey_distribution_updated,
    survey_policy_updated,
)
from beacon.surveys.models import (
    ContactBudget,
    DistributionRule,
    Invitation,
    InvitationChannel,
    Question,
    QuestionKind,
    Suppression,
    SuppressionReason,
    Survey,
    SurveyPolicy,
    SurveyStatus,
)

LANGUAGES = ("en", "de", "fr", "es", "nl")
MAX_DELAY_MINUTES = 60 * 24 * 30


# ---------------------------------------------------------------- configuration


@dataclass
class RuleIn:
    touchpoint: Touchpoint | None = None
    stage: Stage | None = None
    team: Team | None = None
    conditions: dict[str, Any] | None = None
    channel: str = InvitationChannel.EMAIL
    delay_minutes: int = 0
    sample_percent: int = 100
    active: bool = True


def _check_rule(org_id: int, data: RuleIn) -> dict[str, Any]:
    """The rule's conditions as stored; every field error at once."""
    errors: dict[str, str] = {}
    for name in ("touchpoint", "stage", "team"):
        obj = getattr(data, name)
        if obj is not None and obj.organization_id != org_id:
            errors[name] = "belongs to another organisation"
    if data.channel not in InvitationChannel.values:
        errors["channel"] = f"must be one of {', '.join(InvitationChannel.values)}"
    if not 1 <= data.sample_percent <= 100:
        errors["sample_percent"] = "must be between 1 and 100"
    if not 0 <= data.delay_minutes <= MAX_DELAY_MINUTES:
        errors["delay_minutes"] = "must be between 0 and 43200 (30 days)"
    conditions = data.conditions or {}
    if not isinstance(conditions, dict) or not all(isinstance(k, str) for k in conditions):
        errors["conditions"] = "must map contact attribute names to values"
    if errors:
        raise ValidationFailed(errors)
    return conditions


@transaction.atomic
def do_add_rule(
    survey: Survey, data: RuleIn, *, actor: Membership | None = None
) -> DistributionRule:
    conditions = _check_rule(survey.organization_id, data)
    rule = DistributionRule.objects.create(
        organization_id=survey.organization_id,
        survey=survey,
        touchpoint=data.touchpoint,
        stage=data.stage,
        team=data.team,
        conditions=conditions,
        channel=data.channel,
        delay_minutes=data.delay_minutes,
        sample_percent=data.sample_percent,
        active=data.active,
    )
    distribution_rule_added(survey.organization_id, rule, actor=actor)
    return rule


@transaction.atomic
def do_update_rule(
    rule: DistributionRule, data: RuleIn, *, actor: Membership | None = None
) -> DistributionRule:
    """Change what a rule matches and how it asks; invitations it already made keep theirs."""
    conditions = _check_rule(rule.organization_id, data)
    rule.touchpoint, rule.stage, rule.team = data.touchpoint, data.stage, data.team
    rule.conditions, rule.channel = conditions, data.channel
    rule.delay_minutes, rule.sample_percent = data.delay_minutes, data.sample_percent
    rule.active = data.active
    rule.save()
    distribution_rule_updated(rule.organization_id, rule, actor=actor, active=rule.active)
    return rule


@transaction.atomic
def do_set_rule_active(
    rule: DistributionRule, active: bool, *, actor: Membership | None = None
) -> bool:
    """Pause or resume a rule; False if it already was so (a repeated click changes nothing)."""
    changed = DistributionRule.objects.filter(pk=rule.pk, active=not active).update(active=active)
    if changed:
        rule.active = active
        (distribution_rule_resumed if active else distribution_rule_paused)(
            rule.organization_id, rule, actor=actor
        )
    return bool(changed)


@transaction.atomic
def do_remove_rule(rule: DistributionRule, *, actor: Membership | None = None) -> None:
    """Invitations and suppressions it made stay; their link to the rule is cleared."""
    distribution_rule_removed(rule.organization_id, rule.survey, actor=actor, rule=rule.pk)
    rule.delete()


@transaction.atomic
def do_set_survey_budget(
    org: Organization,
    *,
    min_days_between: int,
    actor: Membership | None = None,
) -> SurveyPolicy:
    if not 0 <= min_days_between <= 3650:
        raise ValidationFailed({"min_days_between": "must be between 0 and 3650 days"})
    policy, _ = SurveyPolicy.objects.update_or_create(
        organization=org, defaults={"min_days_between": min_days_between}
    )
    survey_policy_updated(org, policy, actor=actor, days=min_days_between)
    return policy


@transaction.atomic
def do_set_reminders(
    survey: Survey,
    *,
    reminder_after_days: int | None,
    resurvey_after_days: int,
    actor: Membership | None = None,
) -> Survey:
    errors: dict[str, str] = {}
    if reminder_after_days is not None and not 1 <= reminder_after_days <= 60:
        errors["reminder_after_days"] = "must be between 1 and 60, or empty for no reminder"
    if not 0 <= resurvey_after_days <= 3650:
        errors["resurvey_after_days"] = "must be between 0 and 3650"
    if errors:
        raise ValidationFailed(errors)
    survey.reminder_after_days = reminder_after_days
    survey.resurvey_after_days = resurvey_after_days
    survey.save(update_fields=["reminder_after_days", "resurvey_after_days"])
    survey_distribution_updated(survey.organization_id, survey, actor=actor)
    return survey


# ---------------------------------------------------------------- matching


def _conditions_hold(conditions: dict[str, Any], attributes: dict[str, Any]) -> bool:
    for name, wanted in conditions.items():
        have = attributes.get(name)
        accepted = wanted if isinstance(wanted, list) else [wanted]
        if have not in accepted and str(have) not in [str(a) for a in accepted]:
            return False
    return True


def matching(interaction: Interaction) -> list[tuple[Survey, DistributionRule | None]]:
    """Active surveys this interaction should lead to, with the rule that matched.

    A survey with rules is asked when one of its active rules matches; a survey without
    rules keeps the simple behaviour: asked after each of its touchpoints.
    """
    stage_id = interaction.touchpoint.stage_id if interaction.touchpoint else None
    surveys = Survey.objects.for_org(interaction.organization_id).filter(status=SurveyStatus.ACTIVE)
    rules = DistributionRule.objects.for_org(interaction.organization_id).filter(
        survey__status=SurveyStatus.ACTIVE
    )
    by_survey: dict[int, list[DistributionRule]] = {}
    for rule in rules.order_by("pk"):
        by_survey.setdefault(rule.survey_id, []).append(rule)
    attributes = interaction.contact.attributes or {}
    found: list[tuple[Survey, DistributionRule | None]] = []
    for survey in surveys.order_by("pk").prefetch_related("touchpoints"):
        survey_rules = by_survey.get(survey.pk)
        if survey_rules is None:
            if interaction.touchpoint_id in {t.pk for t in survey.touchpoints.all()}:
                found.append((survey, None))
            continue
        for rule in survey_rules:
            if (
                rule.active
                and rule.touchpoint_id in (None, interaction.touchpoint_id)
                and rule.stage_id in (None, stage_id)
                and rule.team_id in (None, interaction.team_id)
                and _conditions_hold(rule.conditions or {}, attributes)
            ):
                found.append((survey, rule))
                break
    return found


def sampled_in(interaction: Interaction, rule: DistributionRule) -> bool:
    """The same interaction always draws the same way: a retried trigger decides alike."""
    if rule.sample_percent >= 100:
        return True
    digest = hashlib.sha256(f"{interaction.idempotency_key}|{rule.pk}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % 100 < rule.sample_percent


# ---------------------------------------------------------------- the budget


def org_budget_days(org_id: int) -> int:
    policy = SurveyPolicy.objects.for_org(org_id).first()
    return policy.min_days_between if policy is not None else 0


@dataclass(frozen=True)
class MaySurvey:
    allowed: bool
    reason: str  # "" when allowed, else a SuppressionReason value
    next_allowed_at: dt.datetime | None


def may_survey(contact: Contact, survey: Survey | None = None) -> MaySurvey:
    """Would a trigger now be allowed to ask this contact (optionally: this survey)?"""
    now = clock.now()
    if contact.unsubscribed_at is not None:
        return MaySurvey(False, SuppressionReason.UNSUBSCRIBED, None)
    if survey is not None and survey.resurvey_after_days:
        last = _last_invited_to(contact, survey)
        if last is not None and last > now - dt.timedelta(days=survey.resurvey_after_days):
            until = last + dt.timedelta(days=survey.resurvey_after_days)
            return MaySurvey(False, SuppressionReason.SURVEY_BUDGET, until)
    days = org_budget_days(contact.organization_id)
    budget = ContactBudget.objects.for_org(contact.organization_id).filter(contact=contact).first()
    last_any = budget.last_invited_at if budget is not None else None
    if days and last_any is not None and last_any > now - dt.timedelta(days=days):
        return MaySurvey(False, SuppressionReason.BUDGET, last_any + dt.timedelta(days=days))
    return MaySurvey(True, "", None)


def _last_invited_to(contact: Contact, survey: Survey) -> dt.datetime | None:
    last = (
        Invitation.objects.for_org(contact.organization_id)
        .filter(survey=survey, contact=contact)
        .order_by("-created_at")
        .values_list("created_at", flat=True)
        .first()
    )
    return last


def _claim_budget(contact: Contact, survey: Survey) -> str:
    """Take the contact's survey budget, or say why not; "" means taken.

    The contact's budget row is locked first (PostgreSQL), then claimed with a
    conditional UPDATE: of two triggers racing for the same contact only one can match
    the WHERE clause, on either database.
    """
    now = clock.now()
    budget, _ = ContactBudget.objects.get_or_create(
        contact=contact, defaults={"organization_id": contact.organization_id}
    )
    ContactBudget.objects.select_for_update().filter(pk=budget.pk).first()
    if survey.resurvey_after_days:
        last = _last_invited_to(contact, survey)
        if last is not None and last > now - dt.timedelta(days=survey.resurvey_after_days):
            return SuppressionReason.SURVEY_BUDGET
    cutoff = now - dt.timedelta(days=org_budget_days(contact.organization_id))
    claimed = (
        ContactBudget.objects.filter(pk=budget.pk)
        .filter(Q(last_invited_at__isnull=True) | Q(last_invited_at__lte=cutoff))
        .update(last_invited_at=now)
    )
    return "" if claimed else SuppressionReason.BUDGET


# ---------------------------------------------------------------- triggering


@dataclass(frozen=True)
class TriggerResult:
    invitations: list[Invitation]
    suppressions: list[Suppression]


@transaction.atomic
def do_trigger(
    interaction: Interaction, *, default_channel: str = InvitationChannel.LINK
) -> TriggerResult:
    """Invite the interaction's contact to every matching survey, or record why not."""
    interaction = Interaction.objects.select_related("contact", "touchpoint").get(pk=interaction.pk)
    contact = interaction.contact
    stage_id = interaction.touchpoint.stage_id if interaction.touchpoint else None
    invitations: list[Invitation] = []
    suppressions: list[Suppression] = []
    for survey, rule in matching(interaction):
        existing = Invitation.objects.filter(survey=survey, interaction=interaction).first()
        if existing is not None:
            invitations.append(existing)
            continue
        channel = rule.channel if rule is not None else default_channel
        reason = ""
        if rule is not None and not sampled_in(interaction, rule):
            reason = SuppressionReason.SAMPLED_OUT
        elif contact.unsubscribed_at is not None:
            reason = SuppressionReason.UNSUBSCRIBED
        elif channel == InvitationChannel.EMAIL and not contact.email:
            reason = SuppressionReason.NO_EMAIL
        else:
            reason = _claim_budget(contact, survey)
        if reason:
            suppressions.append(_suppress(survey, interaction, rule, stage_id, reason))
            continue
        invitation = _invite(survey, interaction, rule, stage_id, channel)
        invitations.append(invitation)
        if invitation.send_at is not None and invitation.send_at <= clock.now():
            do_send_invitation(invitation)
    return TriggerResult(invitations, suppressions)


def _suppress(
    survey: Survey,
    interaction: Interaction,
    rule: DistributionRule | None,
    stage_id: int | None,
    reason: str,
) -> Suppression:
    suppression, created = Suppression.objects.get_or_create(
        survey=survey,
        interaction=interaction,
        defaults={
            "organization_id": survey.organization_id,
            "contact_id": interaction.contact_id,
            "rule": rule,
            "stage_id": stage_id,
            "reason": reason,
        },
    )
    if created:
        invitation_suppressed(survey.organization_id, suppression, reason=reason)
    return suppression


def _invite(
    survey: Survey,
    interaction: Interaction,
    rule: DistributionRule | None,
    stage_id: int | None,
    channel: str,
) -> Invitation:
    now = clock.now()
    delay = dt.timedelta(minutes=rule.delay_minutes if rule is not None else 0)
    try:
        with transaction.atomic():
            invitation = Invitation.objects.create(
                organization_id=survey.organization_id,
                survey=survey,
                contact_id=interaction.contact_id,
                interaction=interaction,
                token=new_token(),
                channel=channel,
                # The link stays valid for the whole period after it is sent.
                expires_at=now + delay + dt.timedelta(days=survey.invitation_days_valid),
                rule=rule,
                stage_id=stage_id,
                send_at=now + delay if channel == InvitationChannel.EMAIL else None,
                language=_language_of(interaction.contact),
            )
            invitation_created(survey.organization_id, invitation)
    except IntegrityError:
        return Invitation.objects.get(survey=survey, interaction=interaction)
    return invitation


def _language_of(contact: Contact) -> str:
    wanted = str((contact.attributes or {}).get("language", "")).lower()[:2]
    return wanted if wanted in LANGUAGES else ""


# ---------------------------------------------------------------- sending


def public_url(path: str) -> str:
    return f"{settings.BASE_URL.rstrip('/')}{path}"


def unsubscribe_url(invitation: Invitation) -> str:
    return public_url(f"/s/u/{invitation.token}/")


def _first_question(survey: Survey) -> Question | None:
    first = Question.objects.filter(survey=survey).order_by("position").first()
    if first is not None and first.kind in (QuestionKind.NPS, QuestionKind.CSAT):
        return first
    return None


def email_for(invitation: Invitation, *, reminder: bool = False) -> dict[str, Any]:
    """Subject, text, html and headers of an invitation (or its reminder) email."""
    survey = invitation.survey
    org = survey.organization
    question = _first_question(survey)
    scores: list[dict[str, Any]] = []
    if question is not None and question.scale is not None:
        scale = question.scale
        scores = [
            {"value": n, "url": public_url(f"/s/{invitation.token}/score/{n}/")}
            for n in range(scale.low, scale.high + 1)
        ]
    language = invitation.language or "en"
    texts = (survey.translations or {}).get(language) or {}
    title = str(texts.get("title") or survey.title)
    intro = str(texts.get("intro") or survey.intro)
    question_text = ""
    if question is not None:
        shown = (question.translations or {}).get(language) or {}
        question_text = str(shown.get("text") or question.text)
    with translation.override(language):
        context = {
            "title": title,
            "intro": intro,
            "question_text": question_text,
            "org_name": org.name,
            "brand": org.safe_brand_color,
            "survey": survey,
            "question": question,
            "scores": scores,
            "url": public_url(f"/s/{invitation.token}/"),
            "unsubscribe_url": unsubscribe_url(invitation),
            "reminder": reminder,
            "expires_at": invitation.expires_at,
            "language": language,
        }
        subject = (
            translation.gettext("Reminder: %(title)s") % {"title": title} if reminder else title
        )
        text = render_to_string("surveys/email/invitation.txt", context)
        html = render_to_string("surveys/email/invitation.html", context)
    headers = {
        "List-Unsubscribe": f"<{unsubscribe_url(invitation)}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        # Stable per message: if a sender dies after the server accepted the email but
        # before recording it, the retry carries the same id and mail systems can drop it.
        "Message-ID": f"<beacon.invitation.{invitation.pk}.{'r' if reminder else 'i'}"
        f"@{_mail_domain()}>",
    }
    return {"subject": subject, "text": text, "html": html, "headers": headers}


def _mail_domain() -> str:
    sender = str(settings.DEFAULT_FROM_EMAIL).rstrip(">")
    return sender.rpartition("@")[2] or "beacon.local"


def _sendable(invitation: Invitation) -> bool:
    return (
        invitation.contact.unsubscribed_at is None
        and invitation.completed_at is None
        and invitation.expires_at > clock.now()
        and invitation.survey.status == SurveyStatus.ACTIVE
        and bool(invitation.contact.email)
    )


@transaction.atomic
def do_send_invitation(invitation: Invitation) -> bool:
    """Queue the invitation email once; True if this call queued it.

    The invitation's `sent_at` is claimed with a conditional UPDATE and the email row is
    keyed by the invitation, in one transaction: whatever crashes, one email at most.
    """
    invitation = Invitation.objects.select_related("survey__organization", "contact").get(
        pk=invitation.pk
    )
    if not _sendable(invitation):
        if Invitation.objects.filter(pk=invitation.pk, sent_at__isnull=True).update(send_at=None):
            invitation_cancelled(invitation.organization_id, invitation)
        return False
    claimed = Invitation.objects.filter(pk=invitation.pk, sent_at__isnull=True).update(
        sent_at=clock.now()
    )
    if not claimed:
        return False
    mail = email_for(invitation)
    do_queue_email(
        invitation.organization_id,
        to=invitation.contact.email,
        cause=invitation,
        key=f"invitation:{invitation.pk}",
        **mail,
    )
    invitation_sent(invitation.organization_id, invitation)
    return True


@transaction.atomic
def do_send_reminder(invitation: Invitation) -> bool:
    invitation = Invitation.objects.select_related("survey__organization", "contact").get(
        pk=invitation.pk
    )
    if invitation.sent_at is None or not _sendable(invitation):
        return False
    claimed = Invitation.objects.filter(pk=invitation.pk, reminded_at__isnull=True).update(
        reminded_at=clock.now()
    )
    if not claimed:
        return False
    mail = email_for(invitation, reminder=True)
    do_queue_email(
        invitation.organization_id,
        to=invitation.contact.email,
        cause=invitation,
        key=f"invitation-reminder:{invitation.pk}",
        **mail,
    )
    invitation_reminded(invitation.organization_id, invitation)
    return True


def due_invitation_ids(limit: int = 500) -> list[int]:
    return list(
        Invitation.objects.filter(
            channel=InvitationChannel.EMAIL,
            sent_at__isnull=True,
            send_at__isnull=False,
            send_at__lte=clock.now(),
        )
        .order_by("send_at")
        .values_list("pk", flat=True)[:limit]
    )


def due_reminder_ids(limit: int = 500) -> list[int]:
    now = clock.now()
    candidates = (
        Invitation.objects.filter(
            channel=InvitationChannel.EMAIL,
            sent_at__isnull=False,
            reminded_at__isnull=True,
            completed_at__isnull=True,
            expires_at__gt=now,
            survey__reminder_after_days__isnull=False,
            survey__status=SurveyStatus.ACTIVE,
        )
        .order_by("sent_at")
        .values_list("pk", "sent_at", "survey__reminder_after_days")
    )
    due: list[int] = []
    for pk, sent_at, days in candidates.iterator():
        if sent_at is not None and days is not None and sent_at + dt.timedelta(days=days) <= now:
            due.append(pk)
            if len(due) >= limit:
                break
    return due


def send_due() -> tuple[int, int]:
    """The sweeper: delayed invitations whose time has come, then reminders."""
    sent = sum(do_send_invitation(Invitation(pk=pk)) for pk in due_invitation_ids())
    reminded = sum(do_send_reminder(Invitation(pk=pk)) for pk in due_reminder_ids())
    return sent, reminded


# A person clicks one score; a link scanner follows every link of the email at once.
SCANNER_BURST = dt.timedelta(seconds=60)


def do_mark_clicked(invitation: Invitation, score: int) -> bool:
    """Note a followed score link; False once the clicks look like a mail scanner's.

    Nothing is answered here: the link only opens the page with the score preselected.
    A different score followed within `SCANNER_BURST` of the first marks the invitation
    as scanned, so its page no longer submits a score by itself; a person who changes
    their mind later simply moves the preselected score.
    """
    now = clock.now()
    mine = Invitation.objects.filter(pk=invitation.pk)
    if mine.filter(clicked_at__isnull=True).update(clicked_at=now, clicked_score=score):
        invitation_clicked(invitation.organization_id, invitation, score=score)
        return True
    burst = (
        mine.filter(clicked_at__gt=now - SCANNER_BURST, scanner_suspected_at__isnull=True)
        .exclude(clicked_score=score)
        .update(scanner_suspected_at=now)
    )
    if burst:
        invitation_scanner_suspected(invitation.organization_id, invitation, score=score)
        return False
    # Updated only while not suspected: the row count is the answer.
    return bool(mine.filter(scanner_suspected_at__isnull=True).update(clicked_score=score))
