"""Every write to surveys, questions and invitations."""

from __future__ import annotations

import datetime as dt
import re
import secrets
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.db.models import Max

from beacon.contacts.models import Contact, Interaction
from beacon.core import clock
from beacon.core.errors import ValidationFailed
from beacon.cxmodel.models import Touchpoint
from beacon.orgs.models import Membership, Organization
from beacon.surveys.events import (
    invitation_completed,
    invitation_created,
    invitation_opened,
    question_added,
    question_removed,
    question_translated,
    survey_created,
    survey_translated,
    survey_updated,
)
from beacon.surveys.models import (
    Invitation,
    InvitationChannel,
    Question,
    QuestionKind,
    Survey,
    SurveyStatus,
)


def new_token() -> str:
    return secrets.token_urlsafe(24)


@transaction.atomic
def do_create_survey(
    org: Organization,
    name: str,
    title: str,
    *,
    intro: str = "",
    touchpoints: list[Touchpoint] | None = None,
    status: str = SurveyStatus.DRAFT,
    actor: Membership | None = None,
) -> Survey:
    errors = {
        f: "must not be empty" for f, v in (("name", name), ("title", title)) if not v.strip()
    }
    if status not in SurveyStatus.values:
        errors["status"] = f"must be one of {', '.join(SurveyStatus.values)}"
    for tp in touchpoints or []:
        if tp.organization_id != org.pk:
            errors["touchpoints"] = "a touchpoint belongs to another organisation"
    if errors:
        raise ValidationFailed(errors)
    survey = Survey.objects.create(
        organization=org,
        name=name.strip(),
        title=title.strip(),
        intro=intro,
        status=status,
        anonymous_token=new_token(),
    )
    if touchpoints:
        survey.touchpoints.set(touchpoints)
    survey_created(org, survey, actor=actor)
    return survey


@transaction.atomic
def do_update_survey(
    survey: Survey,
    *,
    name: str,
    title: str,
    intro: str,
    thank_you: str,
    status: str,
    touchpoints: list[Touchpoint],
    actor: Membership | None = None,
) -> Survey:
    errors = {
        f: "must not be empty" for f, v in (("name", name), ("title", title)) if not v.strip()
    }
    if status not in SurveyStatus.values:
        errors["status"] = f"must be one of {', '.join(SurveyStatus.values)}"
    if any(tp.organization_id != survey.organization_id for tp in touchpoints):
        errors["touchpoints"] = "a touchpoint belongs to another organisation"
    if errors:
        raise ValidationFailed(errors)
    survey.name, survey.title, survey.intro = name.strip(), title.strip(), intro
    survey.thank_you, survey.status = thank_you or survey.thank_you, status
    survey.save(update_fields=["name", "title", "intro", "thank_you", "status"])
    survey.touchpoints.set(touchpoints)
    survey_updated(survey.organization_id, survey, actor=actor)
    return survey


@dataclass
class QuestionIn:
    kind: str
    text: str
    required: bool = False
    choices: list[str] = field(default_factory=list)
    scale_min: int | None = None
    scale_max: int | None = None
    low_label: str = ""
    high_label: str = ""
    help_text: str = ""


def check_question(data: QuestionIn) -> None:
    errors: dict[str, str] = {}
    if data.kind not in QuestionKind.values:
        errors["kind"] = f"must be one of {', '.join(QuestionKind.values)}"
    if not data.text.strip():
        errors["text"] = "must not be empty"
    if data.kind in (QuestionKind.SINGLE, QuestionKind.MULTI):
        cleaned = [c.strip() for c in data.choices if c.strip()]
        if len(cleaned) < 2:
            errors["choices"] = "a choice question needs at least two choices"
        elif len(set(cleaned)) != len(cleaned):
            errors["choices"] = "choices must be different from each other"
    if data.kind == QuestionKind.RATING:
        lo, hi = data.scale_min, data.scale_max
        if lo is None or hi is None or not (0 <= lo < hi <= 100):
            errors["scale"] = "a rating needs a scale with 0 ≤ minimum < maximum ≤ 100"
    if errors:
        raise ValidationFailed(errors)


@transaction.atomic
def do_add_question(
    survey: Survey, data: QuestionIn, *, actor: Membership | None = None
) -> Question:
    check_question(data)
    last = Question.objects.filter(survey=survey).aggregate(m=Max("position"))["m"]
    is_choice = data.kind in (QuestionKind.SINGLE, QuestionKind.MULTI)
    question = Question.objects.create(
        organization_id=survey.organization_id,
        survey=survey,
        position=(last or 0) + 1,
        kind=data.kind,
        text=data.text.strip(),
        help_text=data.help_text,
        required=data.required,
        choices=[c.strip() for c in data.choices if c.strip()] if is_choice else [],
        scale_min=data.scale_min if data.kind == QuestionKind.RATING else None,
        scale_max=data.scale_max if data.kind == QuestionKind.RATING else None,
        low_label=data.low_label,
        high_label=data.high_label,
    )
    question_added(survey.organization_id, question, actor=actor)
    return question


@transaction.atomic
def do_remove_question(question: Question, *, actor: Membership | None = None) -> None:
    question_removed(question.organization_id, question.survey, actor=actor, question=question.pk)
    question.delete()


def _expiry(survey: Survey) -> dt.datetime:
    return clock.now() + dt.timedelta(days=survey.invitation_days_valid)


def do_create_invitation(
    survey: Survey,
    contact: Contact,
    *,
    interaction: Interaction | None = None,
    channel: str = InvitationChannel.LINK,
    actor: Membership | None = None,
) -> Invitation:
    """One invitation per (survey, interaction); a repeat returns the existing one."""
    if interaction is not None:
        existing = Invitation.objects.filter(survey=survey, interaction=interaction).first()
        if existing is not None:
            return existing
    try:
        with transaction.atomic():
            invitation = Invitation.objects.create(
                organization_id=survey.organization_id,
                survey=survey,
                contact=contact,
                interaction=interaction,
                # Counted under its stage in coverage, like invitations a rule sends.
                stage_id=interaction.touchpoint.stage_id
                if interaction is not None and interaction.touchpoint is not None
                else None,
                token=new_token(),
                channel=channel,
                expires_at=_expiry(survey),
            )
            invitation_created(survey.organization_id, invitation, actor=actor)
    except IntegrityError:
        return Invitation.objects.get(survey=survey, interaction=interaction)
    return invitation


def do_mark_opened(invitation: Invitation) -> None:
    """First open only: a conditional UPDATE, so reloading changes nothing."""
    if Invitation.objects.filter(pk=invitation.pk, opened_at__isnull=True).update(
        opened_at=clock.now()
    ):
        invitation_opened(invitation.organization_id, invitation)


def do_mark_completed(invitation: Invitation) -> bool:
    """Closes the invitation: its token cannot be used again. False if it already was."""
    done = Invitation.objects.filter(pk=invitation.pk, completed_at__isnull=True).update(
        completed_at=clock.now()
    )
    if done:
        invitation_completed(invitation.organization_id, invitation)
    return bool(done)


SURVEY_TEXT_KEYS = ("title", "intro", "thank_you")
QUESTION_TEXT_KEYS = ("text", "help_text", "low_label", "high_label", "choices")
_LANGUAGE = re.compile(r"[a-z]{2,3}(-[a-z0-9]{2,8})?")


def _check_language(language: str) -> str:
    code = language.strip().lower()
    if not _LANGUAGE.fullmatch(code):
        raise ValidationFailed({"language": "must be a language code such as de, fr or pt-br"})
    return code


@transaction.atomic
def do_translate_survey(
    survey: Survey, language: str, texts: dict[str, str], *, actor: Membership | None = None
) -> Survey:
    """Store (or, with empty texts, remove) the survey's title, intro and thanks in a language."""
    code = _check_language(language)
    unknown = sorted(set(texts) - set(SURVEY_TEXT_KEYS))
    if unknown:
        raise ValidationFailed({f"texts.{k}": "is not a survey text" for k in unknown})
    kept = {k: v.strip() for k, v in texts.items() if isinstance(v, str) and v.strip()}
    translations = dict(survey.translations or {})
    if kept:
        translations[code] = kept
    else:
        translations.pop(code, None)
    survey.translations = translations
    survey.save(update_fields=["translations"])
    survey_translated(survey.organization_id, survey, actor=actor, language=code)
    return survey


@transaction.atomic
def do_translate_question(
    question: Question,
    language: str,
    texts: dict[str, str | list[str]],
    *,
    actor: Membership | None = None,
) -> Question:
    """Store a question's texts in a language; choices are shown labels, one per choice."""
    code = _check_language(language)
    errors = {f"texts.{k}": "is not a question text" for k in set(texts) - set(QUESTION_TEXT_KEYS)}
    choices = texts.get("choices")
    if choices is not None and (
        not isinstance(choices, list) or len(choices) != len(question.choices)
    ):
        errors["texts.choices"] = f"must list {len(question.choices)} labels, one per choice"
    if errors:
        raise ValidationFailed(errors)
    kept: dict[str, str | list[str]] = {
        k: v.strip() for k, v in texts.items() if isinstance(v, str) and v.strip()
    }
    if isinstance(choices, list):
        kept["choices"] = [str(c).strip() for c in choices]
    translations = dict(question.translations or {})
    if kept:
        translations[code] = kept
    else:
        translations.pop(code, None)
    question.translations = translations
    question.save(update_fields=["translations"])
    question_translated(question.organization_id, question, actor=actor)
    return question
