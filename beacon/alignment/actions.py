"""Every write of alignment rounds: sending, answering, reminding and closing."""

from __future__ import annotations

import datetime as dt
import hmac
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from hashlib import sha256

from django.conf import settings
from django.db import transaction
from django.db.models import F

from beacon.alignment.events import answered, round_closed, round_reminded, round_sent
from beacon.alignment.models import (
    Accountable,
    Recipient,
    Reply,
    Round,
    RoundStatus,
    StageReply,
)
from beacon.core import clock
from beacon.core.errors import ValidationFailed
from beacon.cxmodel.models import Journey, Need, Persona, Stage
from beacon.notifications.actions import do_queue_email
from beacon.orgs.actions import hash_api_key
from beacon.orgs.models import Membership, Organization

# One reminder, two days before the closing date, and never on the day the round was sent.
REMIND_BEFORE = dt.timedelta(days=2)
REMIND_NOT_BEFORE = dt.timedelta(days=1)
MAX_PERSONAS = 3
TEXT_LIMIT = 500


# ------------------------------------------------------------------ links


def link_token(nonce: str) -> str:
    """The link's token: an HMAC of the recipient's nonce with the server's secret.

    The reminder carries the same link as the first email, so the token must be
    recomputable; a reader of the database alone (nonce, hash) still cannot make one.
    """
    mac = hmac.new(settings.SECRET_KEY.encode(), f"beacon.alignment:{nonce}".encode(), sha256)
    return mac.hexdigest()


def hash_token(token: str) -> str:
    # A 256-bit token: a fast hash suffices, as for API keys.
    return hash_api_key(token)


def answer_url(token: str) -> str:
    return f"{settings.BASE_URL.rstrip('/')}/alignment/{token}/"


# ------------------------------------------------------------------ sending


@dataclass(frozen=True)
class IssuedRound:
    round: Round
    # membership id -> link token; only ever in the emails (and in tests).
    tokens: dict[int, str] = field(default_factory=dict)


def _round_errors(
    org: Organization, title: str, journey: Journey, closes_at: dt.datetime
) -> dict[str, str]:
    errors: dict[str, str] = {}
    if not title.strip():
        errors["title"] = "must not be empty"
    elif len(title.strip()) > 200:
        errors["title"] = "must be at most 200 characters"
    if journey.organization_id != org.pk:
        errors["journey"] = "belongs to another organisation"
    elif not Stage.objects.for_org(org).filter(journey=journey).exists():
        errors["journey"] = "has no stages to ask about; add stages to the journey first"
    if closes_at <= clock.now():
        errors["closes_at"] = "must be in the future"
    return errors


def _recipient_errors(org: Organization, members: Sequence[Membership]) -> dict[str, str]:
    if not members:
        return {"recipients": "nobody was chosen; pick departments, teams or everyone"}
    if any(m.organization_id != org.pk for m in members):
        return {"recipients": "names a member of another organisation"}
    if any(m.deactivated_at is not None for m in members):
        return {"recipients": "names a deactivated member"}
    return {}


def privacy_note(round_: Round) -> str:
    """Who sees a recipient's answers, as the email and the questionnaire tell them."""
    if round_.show_names:
        return (
            "Your answers will be shown with your name to the organisation's admins and "
            "analysts, and by department and role in the summaries."
        )
    return "Your answers are shown only by department and role, never with your name."


def _email(round_: Round, member: Membership, token: str, *, reminder: bool) -> dict[str, str]:
    org = round_.organization
    closes = round_.closes_at.astimezone(org.zone).strftime("%-d %B %Y, %H:%M")
    intro = "A reminder: your answers are still missing.\n\n" if reminder else ""
    text = (
        f"{intro}Hello {member.display_name},\n\n"
        f"{org.name} is checking whether everyone shares one picture of its customers: "
        "who we are making this for, who is accountable for each stage of the customer's "
        "journey, and what the customer needs most there. It takes about five minutes.\n\n"
        f"Answer here (the link is yours alone):\n{answer_url(token)}\n\n"
        f"The round closes on {closes} ({org.timezone}). {privacy_note(round_)}\n"
    )
    subject = f"{org.name}: who are we making this for? ({round_.title})"
    return {"subject": f"Reminder: {subject}" if reminder else subject, "text": text}


def _queue(round_: Round, recipient: Recipient, *, reminder: bool) -> None:
    token = link_token(recipient.nonce)
    mail = _email(round_, recipient.membership, token, reminder=reminder)
    do_queue_email(
        round_.organization_id,
        to=recipient.membership.user.email,
        cause=recipient,
        key=f"alignment-{'reminder' if reminder else 'invitation'}:{recipient.pk}",
        subject=mail["subject"],
        text=mail["text"],
    )


@transaction.atomic
def do_create_round(
    org: Organization,
    title: str,
    *,
    journey: Journey,
    closes_at: dt.datetime,
    recipients: Sequence[Membership],
    show_names: bool = False,
    actor: Membership | None = None,
) -> IssuedRound:
    """Send the questionnaire to each recipient by email with a link of their own.

    `show_names`: each person's answers are shown with their name to admins and analysts
    (the organisation's opt-in; otherwise answers are read by department and role only).
    """
    errors = _round_errors(org, title, journey, closes_at) | _recipient_errors(org, recipients)
    if errors:
        raise ValidationFailed(errors)
    round_ = Round.objects.create(
        organization=org,
        title=title.strip(),
        journey=journey,
        closes_at=closes_at,
        primary_persona=Persona.objects.for_org(org).filter(primary=True).first(),
        created_by=actor,
        show_names=show_names,
    )
    unique = {m.pk: m for m in recipients}
    rows = []
    for member in unique.values():
        nonce = secrets.token_hex(32)
        rows.append(
            Recipient(
                organization=org,
                round=round_,
                membership=member,
                nonce=nonce,
                token_hash=hash_token(link_token(nonce)),
            )
        )
    Recipient.objects.bulk_create(rows)
    tokens = {}
    for recipient in Recipient.objects.filter(round=round_).select_related("membership__user"):
        _queue(round_, recipient, reminder=False)
        tokens[recipient.membership_id] = link_token(recipient.nonce)
    round_sent(org, round_, actor=actor, recipients=len(rows))
    return IssuedRound(round_, tokens)


@transaction.atomic
def do_close_round(round_: Round, *, actor: Membership | None = None) -> bool:
    """Close the round now (or when its date passed); False if it was already closed."""
    closed = Round.objects.filter(pk=round_.pk, status=RoundStatus.OPEN).update(
        status=RoundStatus.CLOSED
    )
    if closed:
        round_.status = RoundStatus.CLOSED
        round_closed(round_.organization_id, round_, actor=actor)
    return bool(closed)


@transaction.atomic
def do_remind(round_: Round) -> int:
    """The round's one reminder to everyone who has not answered; 0 if already sent."""
    now = clock.now()
    claimed = Round.objects.filter(
        pk=round_.pk, status=RoundStatus.OPEN, reminder_sent_at__isnull=True, closes_at__gt=now
    ).update(reminder_sent_at=now)
    if not claimed:
        return 0
    round_ = Round.objects.select_related("organization").get(pk=round_.pk)
    waiting = Recipient.objects.filter(
        round=round_, answered_at__isnull=True, membership__deactivated_at__isnull=True
    ).select_related("membership__user")
    count = 0
    for recipient in waiting:
        _queue(round_, recipient, reminder=True)
        count += 1
    round_reminded(round_.organization_id, round_, recipients=count)
    return count


def due_reminder_ids(now: dt.datetime) -> list[int]:
    return list(
        Round.objects.filter(
            status=RoundStatus.OPEN,
            reminder_sent_at__isnull=True,
            closes_at__gt=now,
            closes_at__lte=now + REMIND_BEFORE,
            created_at__lte=now - REMIND_NOT_BEFORE,
        )
        .order_by("closes_at")
        .values_list("pk", flat=True)
    )


def send_due() -> tuple[int, int]:
    """The periodic job: reminders that are due, and rounds whose closing date passed."""
    now = clock.now()
    reminded = sum(do_remind(Round(pk=pk)) for pk in due_reminder_ids(now))
    expired = Round.objects.filter(status=RoundStatus.OPEN, closes_at__lte=now)
    closed = sum(do_close_round(r) for r in expired.order_by("pk"))
    return reminded, closed


# ------------------------------------------------------------------ answering


@dataclass(frozen=True)
class StageAnswerIn:
    stage: Stage
    accountable: str  # an Accountable value
    member: Membership | None = None
    need: Need | None = None
    need_text: str = ""


@dataclass(frozen=True)
class AnswerIn:
    personas: Sequence[Persona]  # in order of importance, at most three
    persona_text: str
    overall: Membership | None  # None: "don't know"
    stages: Sequence[StageAnswerIn]


def _persona_errors(org_id: int, answer: AnswerIn) -> dict[str, str]:
    if len(answer.personas) > MAX_PERSONAS:
        return {"personas": f"choose at most {MAX_PERSONAS} personas"}
    if len({p.pk for p in answer.personas}) != len(answer.personas):
        return {"personas": "choose each persona once"}
    if any(p.organization_id != org_id for p in answer.personas):
        return {"personas": "names a persona of another organisation"}
    if len(answer.persona_text) > TEXT_LIMIT:
        return {"persona_text": f"must be at most {TEXT_LIMIT} characters"}
    if not answer.personas and not answer.persona_text.strip():
        return {"personas": "choose at least one persona, or describe the customer in words"}
    return {}


def _stage_errors(org_id: int, answer: StageAnswerIn) -> dict[str, str]:
    name = f"stage_{answer.stage.pk}"
    errors: dict[str, str] = {}
    if answer.accountable not in Accountable.values:
        errors[f"{name}_accountable"] = "choose a member, nobody, or don't know"
    elif (answer.accountable == Accountable.MEMBER) != (answer.member is not None):
        errors[f"{name}_accountable"] = "choose the member who is accountable"
    elif answer.member is not None and answer.member.organization_id != org_id:
        errors[f"{name}_accountable"] = "names a member of another organisation"
    if answer.need is not None and answer.need.stage_id != answer.stage.pk:
        errors[f"{name}_need"] = "is not a need of this stage"
    if len(answer.need_text) > TEXT_LIMIT:
        errors[f"{name}_need_text"] = f"must be at most {TEXT_LIMIT} characters"
    return errors


def answer_errors(round_: Round, answer: AnswerIn) -> dict[str, str]:
    """Everything wrong with an answer, before anything is written."""
    org_id = round_.organization_id
    errors = _persona_errors(org_id, answer)
    if answer.overall is not None and answer.overall.organization_id != org_id:
        errors["overall"] = "names a member of another organisation"
    asked = set(Stage.objects.filter(journey_id=round_.journey_id).values_list("pk", flat=True))
    given = [a.stage.pk for a in answer.stages]
    if len(set(given)) != len(given) or not set(given) <= asked:
        errors["stages"] = "answer each stage of the round's journey once"
    for missing in sorted(asked - set(given)):
        errors[f"stage_{missing}_accountable"] = "choose a member, nobody, or don't know"
    for stage_answer in answer.stages:
        errors |= _stage_errors(org_id, stage_answer)
    return errors


def _closed_message(round_: Round) -> str:
    closes = round_.closes_at.astimezone(round_.organization.zone).strftime("%-d %B %Y, %H:%M")
    return f"this round closed on {closes}; answers are no longer taken"


@transaction.atomic
def do_answer(recipient: Recipient, answer: AnswerIn) -> Reply:
    """Store the recipient's answers; answering again replaces the earlier answers.

    The conditional UPDATE of the recipient's row is both the check that the round is
    still open and the lock that serialises two submissions of the same person: the
    second waits, then replaces the first, so exactly one reply remains.
    """
    recipient = Recipient.objects.select_related(
        "round__organization", "membership__department"
    ).get(pk=recipient.pk)
    round_, member = recipient.round, recipient.membership
    if member.deactivated_at is not None:
        raise ValidationFailed({"recipient": "this membership was deactivated"})
    errors = answer_errors(round_, answer)
    if errors:
        raise ValidationFailed(errors)
    now = clock.now()
    claimed = Recipient.objects.filter(
        pk=recipient.pk, round__status=RoundStatus.OPEN, round__closes_at__gt=now
    ).update(answered_at=now, answers=F("answers") + 1)
    if not claimed:
        raise ValidationFailed({"round": _closed_message(round_)})
    replaced = Reply.objects.filter(recipient=recipient).delete()[0] > 0
    personas = [*answer.personas, None, None, None]
    reply = Reply.objects.create(
        organization_id=round_.organization_id,
        round=round_,
        recipient=recipient,
        department=member.department,
        department_name=member.department.name if member.department else "",
        role=member.role,
        persona_1=personas[0],
        persona_2=personas[1],
        persona_3=personas[2],
        persona_text=answer.persona_text.strip(),
        overall=answer.overall,
    )
    StageReply.objects.bulk_create(
        StageReply(
            organization_id=round_.organization_id,
            reply=reply,
            stage=a.stage,
            accountable=a.accountable,
            member=a.member if a.accountable == Accountable.MEMBER else None,
            need=a.need,
            need_text=a.need_text.strip(),
        )
        for a in answer.stages
    )
    answered(round_.organization_id, recipient, replaced=replaced)
    return reply
