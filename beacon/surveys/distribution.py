"""From an interaction to invitations: rules, sampling, the survey budget, and sending.

Every decision is written down: a matching interaction ends either as an invitation or as
a suppression with its reason, so coverage per stage can be reported honestly.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Max
from django.template.loader import render_to_string
from django.utils import translation

from beacon.contacts.models import Contact, Interaction
from beacon.core import clock
from beacon.core.errors import ValidationFailed
from beacon.core.rows import db_datetime, insert, insert_objects, new
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
    invitation_reminded,
    invitation_scanner_suspected,
    invitation_sent,
    invitations_created,
    invitations_suppressed,
    survey_distribution_updated,
    survey_policy_updated,
    survey_widget_secret_rotated,
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
    new_widget_secret,
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


def do_rotate_widget_secret(survey: Survey, *, actor: Membership | None = None) -> Survey:
    """A new widget secret; user ids signed with the old one no longer identify anyone."""
    survey.widget_secret = new_widget_secret()
    survey.save(update_fields=["widget_secret"])
    survey_widget_secret_rotated(survey.organization_id, survey, actor=actor)
    return survey


# ---------------------------------------------------------------- matching


def _conditions_hold(conditions: dict[str, Any], attributes: dict[str, Any]) -> bool:
    for name, wanted in conditions.items():
        have = attributes.get(name)
        accepted = wanted if isinstance(wanted, list) else [wanted]
        if have not in accepted and str(have) not in [str(a) for a in accepted]:
            return False
    return True


@dataclass(frozen=True)
class _Candidates:
    """An organisation's active surveys with their active-survey rules and touchpoints,
    read once for however many interactions are matched against them."""

    surveys: list[tuple[Survey, list[DistributionRule] | None, frozenset[int]]]

    @classmethod
    def of(cls, org_id: int) -> _Candidates:
        surveys = Survey.objects.for_org(org_id).filter(status=SurveyStatus.ACTIVE)
        rules = DistributionRule.objects.for_org(org_id).filter(survey__status=SurveyStatus.ACTIVE)
        by_survey: dict[int, list[DistributionRule]] = {}
        for rule in rules.order_by("pk"):
            by_survey.setdefault(rule.survey_id, []).append(rule)
        return cls([
            (survey, by_survey.get(survey.pk), frozenset(t.pk for t in survey.touchpoints.all()))
            for survey in surveys.order_by("pk").prefetch_related("touchpoints")
        ])  # fmt: skip

    def matching(self, interaction: Interaction) -> list[tuple[Survey, DistributionRule | None]]:
        stage_id = interaction.touchpoint.stage_id if interaction.touchpoint else None
        attributes = interaction.contact.attributes or {}
        found: list[tuple[Survey, DistributionRule | None]] = []
        for survey, survey_rules, touchpoints in self.surveys:
            if survey_rules is None:
                if interaction.touchpoint_id in touchpoints:
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


def matching(interaction: Interaction) -> list[tuple[Survey, DistributionRule | None]]:
    """Active surveys this interaction should lead to, with the rule that matched.

    A survey with rules is asked when one of its active rules matches; a survey without
    rules keeps the simple behaviour: asked after each of its touchpoints.
    """
    return _Candidates.of(interaction.organization_id).matching(interaction)


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
    return do_trigger_many([interaction], default_channel=default_channel)[0]


@dataclass
class _Budgets:
    """The survey budgets of the contacts a batch may invite, claimed in order.

    The contacts' budget rows are locked first (PostgreSQL; SQLite serialises writers),
    so the claims below, decided in Python, are those one conditional UPDATE per
    interaction would make: of two batches racing for a contact, the second waits and
    then sees the first one's claim.
    """

    org_id: int
    now: dt.datetime
    cutoff: dt.datetime
    last_any: dict[int, dt.datetime | None]
    last_to: dict[tuple[int, int], dt.datetime]
    claimed: set[int] = field(default_factory=set)
    new_contacts: set[int] = field(default_factory=set)  # asking, without a budget row

    @classmethod
    def of(
        cls, org_id: int, contact_ids: set[int], surveys: set[int], new_contacts: frozenset[int]
    ) -> _Budgets:
        """`new_contacts`: contacts created in this transaction. They have no budget row and no
        invitation yet, and no other transaction can see them: their rows are written
        once, by `save`, instead of inserted, locked and then updated."""
        now = clock.now()
        stamp = db_datetime(now)
        stored = contact_ids - new_contacts
        budgets = [(org_id, stamp, c) for c in sorted(stored)]
        insert(ContactBudget, ("organization_id", "created_at", "contact_id"), budgets,
               ignore_conflicts=True)  # fmt: skip
        last_any: dict[int, dt.datetime | None] = {}
        if stored:
            rows = ContactBudget.objects.select_for_update().filter(contact_id__among=stored)
            last_any = dict(rows.order_by("pk").values_list("contact_id", "last_invited_at"))
        last_to: dict[tuple[int, int], dt.datetime] = {}
        if surveys and stored:
            invited = (
                Invitation.objects.for_org(org_id)
                .filter(survey_id__in=surveys, contact_id__among=stored)
                .values_list("contact_id", "survey_id")
                .annotate(last=Max("created_at"))
            )
            last_to = {(c, s): last for c, s, last in invited}
        cutoff = now - dt.timedelta(days=org_budget_days(org_id))
        return cls(org_id, now, cutoff, last_any, last_to, new_contacts=contact_ids & new_contacts)

    def claim(self, contact_id: int, survey: Survey) -> str:
        """As `_claim_budget`: "" when taken, else the reason."""
        if survey.resurvey_after_days:
            last = self.last_to.get((contact_id, survey.pk))
            if last is not None and last > self.now - dt.timedelta(days=survey.resurvey_after_days):
                return SuppressionReason.SURVEY_BUDGET
        last_any = self.last_any.get(contact_id)
        if last_any is not None and last_any > self.cutoff:
            return SuppressionReason.BUDGET
        self.last_any[contact_id] = self.now
        self.last_to[(contact_id, survey.pk)] = self.now
        self.claimed.add(contact_id)
        return ""

    def save(self) -> None:
        stored = self.claimed - self.new_contacts
        if stored:
            ContactBudget.objects.filter(contact_id__among=stored).update(last_invited_at=self.now)
        # The rows the stored contacts got above, as they are after the update.
        stamp = db_datetime(self.now)
        rows = [(self.org_id, stamp, c, stamp if c in self.claimed else None)
                for c in sorted(self.new_contacts)]  # fmt: skip
        insert(ContactBudget, ("organization_id", "created_at", "contact_id", "last_invited_at"),
               rows, ids=False)  # fmt: skip


@transaction.atomic
def do_trigger_many(
    interactions: list[Interaction],
    *,
    default_channel: str = InvitationChannel.LINK,
    fresh: bool = False,
    new_contacts: frozenset[int] = frozenset(),
) -> list[TriggerResult]:
    """`do_trigger` for many interactions of one organisation, set-based: the surveys and
    rules are read once, budgets claimed in one pass, invitations and suppressions (and
    their events) inserted in one statement each. Each interaction needs its `contact`
    and `touchpoint` loaded. Results are in the order of `interactions`.

    The batch API stores the interactions in the same transaction and says so: `fresh`
    (nothing was decided for them yet, so no earlier invitation or suppression is
    looked for) and `new_contacts` (contacts created here, see `_Budgets.of`)."""
    if not interactions:
        return []
    org_id = interactions[0].organization_id
    candidates = _Candidates.of(org_id)
    matched = [candidates.matching(i) for i in interactions]
    existing: dict[tuple[int, int | None], Invitation] = {}
    done: dict[tuple[int, int | None], Suppression] = {}
    if not fresh:
        ids = [i.id for i in interactions]
        made = Invitation.objects.for_org(org_id).filter(interaction_id__among=ids)
        existing = {(inv.survey_id, inv.interaction_id): inv for inv in made}
        refused = Suppression.objects.for_org(org_id).filter(interaction_id__among=ids)
        done = {(s.survey_id, s.interaction_id): s for s in refused}
    # (interaction, survey, rule, channel, reason decided before the budget)
    wanted: list[tuple[Interaction, Survey, DistributionRule | None, str, str]] = []
    for interaction, found in zip(interactions, matched, strict=True):
        contact = interaction.contact
        for survey, rule in found:
            if (survey.id, interaction.id) in existing:
                continue
            channel = rule.channel if rule is not None else default_channel
            reason = ""
            if rule is not None and not sampled_in(interaction, rule):
                reason = SuppressionReason.SAMPLED_OUT
            elif contact.unsubscribed_at is not None:
                reason = SuppressionReason.UNSUBSCRIBED
            elif channel == InvitationChannel.EMAIL and not contact.email:
                reason = SuppressionReason.NO_EMAIL
            wanted.append((interaction, survey, rule, channel, reason))
    asking = [(i.contact_id, s) for i, s, _, _, reason in wanted if not reason]
    resurveyed = {s.pk for _, s in asking if s.resurvey_after_days}
    budgets = _Budgets.of(org_id, {c for c, _ in asking}, resurveyed, new_contacts)
    invitations: list[Invitation] = []
    suppressions: list[Suppression] = []
    outcome: dict[tuple[int, int], Invitation | Suppression] = {}
    for interaction, survey, rule, channel, decided in wanted:
        key = (survey.id, interaction.id)
        if key in done:
            outcome[key] = done[key]
            continue
        stage_id = interaction.touchpoint.stage_id if interaction.touchpoint else None
        reason = decided or budgets.claim(interaction.contact_id, survey)
        if reason:
            suppression = new(
                Suppression, organization_id=org_id, created_at=budgets.now, survey=survey,
                interaction=interaction,
                contact_id=interaction.contact_id, rule=rule, stage_id=stage_id, reason=reason,
            )  # fmt: skip
            suppressions.append(suppression)
            outcome[key] = suppression
        else:
            invitation = _invitation(survey, interaction, rule, stage_id, channel, budgets.now)
            invitations.append(invitation)
            outcome[key] = invitation
    budgets.save()
    insert_objects(invitations)
    insert_objects(suppressions)
    invitations_created(org_id, invitations)
    invitations_suppressed(org_id, suppressions)
    for invitation in invitations:
        if invitation.send_at is not None and invitation.send_at <= clock.now():
            do_send_invitation(invitation)
    results: list[TriggerResult] = []
    for interaction, found in zip(interactions, matched, strict=True):
        result = TriggerResult([], [])
        for survey, _ in found:
            key = (survey.id, interaction.id)
            row = existing.get(key) or outcome[key]
            if isinstance(row, Invitation):
                result.invitations.append(row)
            else:
                result.suppressions.append(row)
        results.append(result)
    return results


def _invitation(
    survey: Survey,
    interaction: Interaction,
    rule: DistributionRule | None,
    stage_id: int | None,
    channel: str,
    now: dt.datetime,
) -> Invitation:
    delay = dt.timedelta(minutes=rule.delay_minutes if rule is not None else 0)
    return new(
        Invitation,
        organization_id=survey.organization_id,
        created_at=now,
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
