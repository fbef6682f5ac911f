"""Reads of surveys and invitations."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.core import signing
from django.db.models import Count, Q

from beacon.contacts.models import Interaction
from beacon.core import clock
from beacon.cxmodel.models import Stage
from beacon.notifications.models import OutboxMessage, OutboxState
from beacon.surveys.models import (
    RECOMMENDED_MAX_QUESTIONS,
    Invitation,
    InvitationChannel,
    Question,
    Suppression,
    SuppressionReason,
    Survey,
    SurveyStatus,
)


def matching_surveys(interaction: Interaction) -> list[Survey]:
    """Active surveys asked after this interaction's touchpoint."""
    if interaction.touchpoint_id is None:
        return []
    return list(
        Survey.objects.for_org(interaction.organization_id)
        .filter(status=SurveyStatus.ACTIVE, touchpoints=interaction.touchpoint_id)
        .order_by("pk")
    )


def survey_editor_warnings(survey: Survey) -> list[str]:
    count = Question.objects.filter(survey=survey).count()
    if count > RECOMMENDED_MAX_QUESTIONS:
        return [
            f"This survey has {count} questions. Surveys of {RECOMMENDED_MAX_QUESTIONS} or fewer "
            "are answered far more often; consider removing some."
        ]
    return []


def invitation_by_token(token: str) -> Invitation | None:
    return (
        Invitation.objects.select_related("survey", "survey__organization", "contact")
        .filter(token=token)
        .first()
    )


def invitation_problem(invitation: Invitation | None) -> str | None:
    """Why this invitation cannot be answered now, or None if it can."""
    if invitation is None:
        return "unknown"
    if invitation.completed_at is not None:
        return "used"
    if invitation.expires_at < clock.now():
        return "expired"
    if invitation.survey.status != SurveyStatus.ACTIVE:
        return "closed"
    return None


def questions_of(survey: Survey) -> list[Question]:
    return list(Question.objects.filter(survey=survey).order_by("position"))


# ---------------------------------------------------------------- send log and coverage


@dataclass(frozen=True)
class ChannelDelivery:
    """What happened to one survey's invitations on one channel."""

    channel: str
    invited: int
    sent: int
    delivered: int
    bounced: int
    failed: int
    opened: int
    clicked: int
    answered: int
    completed: int

    @property
    def response_rate(self) -> float | None:
        """Answered per invitation that reached the customer (delivered, for email)."""
        reached = self.delivered if self.channel == InvitationChannel.EMAIL else self.invited
        return round(self.answered / reached, 4) if reached else None


def delivery_by_channel(survey: Survey) -> list[ChannelDelivery]:
    invitations = Invitation.objects.for_org(survey.organization_id).filter(survey=survey)
    rows = (
        invitations.values("channel")
        .annotate(
            invited=Count("pk"),
            sent=Count("pk", filter=Q(sent_at__isnull=False)),
            opened=Count("pk", filter=Q(opened_at__isnull=False)),
            # Score links followed by people: a scanner's burst of clicks is not a reader.
            clicked=Count(
                "pk", filter=Q(clicked_at__isnull=False, scanner_suspected_at__isnull=True)
            ),
            answered=Count("pk", filter=Q(response__isnull=False)),
            completed=Count("pk", filter=Q(completed_at__isnull=False)),
        )
        .order_by("channel")
    )
    # Only the first email of each invitation counts; reminders are not separate sends.
    states = dict(
        OutboxMessage.objects.for_org(survey.organization_id)
        .filter(
            cause_type=Invitation._meta.label_lower,
            cause_id__in=invitations.values("pk"),
            idempotency_key__startswith="invitation:",
        )
        .values("state")
        .annotate(n=Count("pk"))
        .values_list("state", "n")
    )
    out = []
    for r in rows:
        email = r["channel"] == InvitationChannel.EMAIL
        out.append(
            ChannelDelivery(
                channel=r["channel"],
                invited=r["invited"],
                sent=r["sent"] if email else r["invited"],
                delivered=states.get(OutboxState.SENT, 0) if email else 0,
                bounced=states.get(OutboxState.BOUNCED, 0) if email else 0,
                failed=states.get(OutboxState.FAILED, 0) if email else 0,
                opened=r["opened"],
                clicked=r["clicked"],
                answered=r["answered"],
                completed=r["completed"],
            )
        )
    return out


@dataclass(frozen=True)
class SendLogEntry:
    invitation_id: int
    contact: str
    channel: str
    created_at: dt.datetime
    sent_at: dt.datetime | None
    delivery: str  # outbox state of the first email, "" for other channels
    error: str
    opened_at: dt.datetime | None
    completed_at: dt.datetime | None
    # Every score link followed at once: a mail scanner opened it (ADR 0005).
    scanned: bool = False


def send_log(survey: Survey, limit: int = 200) -> list[SendLogEntry]:
    invitations = list(
        Invitation.objects.for_org(survey.organization_id)
        .filter(survey=survey)
        .select_related("contact")
        .order_by("-created_at", "-pk")[:limit]
    )
    messages = {
        m.cause_id: m
        for m in OutboxMessage.objects.for_org(survey.organization_id).filter(
            cause_type=Invitation._meta.label_lower,
            cause_id__in=[i.pk for i in invitations],
            idempotency_key__startswith="invitation:",
        )
    }
    log = []
    for inv in invitations:
        message = messages.get(inv.pk)
        log.append(
            SendLogEntry(
                invitation_id=inv.pk,
                contact=inv.contact.external_id,
                channel=inv.channel,
                created_at=inv.created_at,
                sent_at=inv.sent_at,
                delivery=message.state if message else "",
                error=message.last_error if message else "",
                opened_at=inv.opened_at,
                completed_at=inv.completed_at,
                scanned=inv.scanner_suspected_at is not None,
            )
        )
    return log


@dataclass(frozen=True)
class StageCoverage:
    stage_id: int | None
    # The stage's name; None for interactions at no stage's touchpoint.
    stage: str | None
    # Interactions recorded at the stage's touchpoints: what coverage is a share of.
    interactions: int
    surveyed: int
    sampled_out: int
    suppressed: dict[str, int]


def coverage_by_stage(org_id: int, since: dt.datetime | None = None) -> list[StageCoverage]:
    """Per stage: interactions recorded, and those that led to an invitation, were sampled
    out, or suppressed (with the reason)."""
    interactions = Interaction.objects.for_org(org_id)
    invitations = Invitation.objects.for_org(org_id).filter(interaction__isnull=False)
    suppressions = Suppression.objects.for_org(org_id)
    if since is not None:
        interactions = interactions.filter(occurred_at__gte=since)
        invitations = invitations.filter(created_at__gte=since)
        suppressions = suppressions.filter(created_at__gte=since)
    recorded: dict[int | None, int] = dict(
        interactions.values("touchpoint__stage_id").annotate(n=Count("pk"))
        .values_list("touchpoint__stage_id", "n")
    )  # fmt: skip
    surveyed: dict[int | None, int] = dict(
        invitations.values("stage_id").annotate(n=Count("pk")).values_list("stage_id", "n")
    )
    held: dict[int | None, dict[str, int]] = {}
    for stage_id, reason, n in (
        suppressions.values("stage_id", "reason").annotate(n=Count("pk"))
        .values_list("stage_id", "reason", "n")
    ):  # fmt: skip
        held.setdefault(stage_id, {})[reason] = n
    names = dict(Stage.objects.for_org(org_id).values_list("pk", "name"))
    stages = sorted(set(recorded) | set(surveyed) | set(held), key=lambda s: (s is None, s or 0))
    return [
        StageCoverage(
            stage_id=s,
            stage=names.get(s) if s is not None else None,
            interactions=recorded.get(s, 0),
            surveyed=surveyed.get(s, 0),
            sampled_out=held.get(s, {}).get(SuppressionReason.SAMPLED_OUT, 0),
            suppressed={
                r: n for r, n in held.get(s, {}).items() if r != SuppressionReason.SAMPLED_OUT
            },
        )
        for s in stages
    ]


# ---------------------------------------------------------------- translations


@dataclass(frozen=True)
class TranslationStatus:
    """How much of a survey a language covers; missing texts show in the original."""

    language: str
    done: int
    needed: int
    missing: list[str]

    @property
    def complete(self) -> bool:
        return self.done == self.needed


def _needed_texts(survey: Survey, questions: list[Question]) -> list[tuple[str, str, str]]:
    """(label for people, where it is stored, key) of every text the original has."""
    texts = [
        (f"survey {key.replace('_', ' ')}", "survey", key)
        for key in ("title", "intro", "thank_you")
        if getattr(survey, key).strip()
    ]
    for n, q in enumerate(questions, start=1):
        for key in ("text", "help_text", "low_label", "high_label"):
            if getattr(q, key).strip():
                texts.append((f"question {n} {key.replace('_', ' ')}", str(q.pk), key))
        if q.choices:
            texts.append((f"question {n} choices", str(q.pk), "choices"))
    return texts


def translation_status(
    survey: Survey, questions: list[Question], language: str
) -> TranslationStatus:
    needed = _needed_texts(survey, questions)
    by_question = {str(q.pk): q.translations or {} for q in questions}
    missing = []
    for label, where, key in needed:
        stored = (survey.translations or {}) if where == "survey" else by_question[where]
        value = (stored.get(language) or {}).get(key)
        if not value or (isinstance(value, list) and not all(str(v).strip() for v in value)):
            missing.append(label)
    return TranslationStatus(language, len(needed) - len(missing), len(needed), missing)


# ---------------------------------------------------------------- preview links

PREVIEW_SALT = "beacon.surveys.preview"
# A preview link works this long: enough to share it with a colleague for a review.
PREVIEW_MAX_AGE = 7 * 24 * 3600


def preview_token(survey: Survey) -> str:
    """A signed, expiring link token that shows the survey as respondents see it.

    The signature is the credential (the link may be shared for a review); it names one
    survey, so it cannot be turned into another's.
    """
    return signing.dumps([survey.organization_id, survey.pk], salt=PREVIEW_SALT, compress=True)


def survey_of_preview_token(token: str) -> Survey | None:
    try:
        org_id, survey_id = signing.loads(token, salt=PREVIEW_SALT, max_age=PREVIEW_MAX_AGE)
    except (signing.BadSignature, ValueError, TypeError):
        return None
    return (
        Survey.objects.for_org(int(org_id))
        .select_related("organization")
        .filter(pk=int(survey_id))
        .first()
    )
