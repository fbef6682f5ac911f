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
from beacon.surveys.conditions import describe, rule_problems
from beacon.surveys.events import (
    invitation_completed,
    invitation_created,
    invitation_opened,
    question_added,
    question_moved,
    question_removed,
    question_translated,
    question_updated,
    survey_created,
    survey_duplicated,
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
from beacon.surveys.survey_templates import TEMPLATES, THANKS


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
    # Show-if: asked only when this earlier question's answer meets the condition.
    show_if_question: Question | None = None
    show_if_op: str = ""
    show_if_value: str = ""

    @property
    def is_choice(self) -> bool:
        return self.kind in (QuestionKind.SINGLE, QuestionKind.MULTI)

    def cleaned_choices(self) -> list[str]:
        return [c.strip() for c in self.choices if c.strip()] if self.is_choice else []

    def fields(self) -> dict[str, object]:
        """The columns this input sets, as stored."""
        rating = self.kind == QuestionKind.RATING
        has_rule = self.show_if_question is not None
        return {
            "kind": self.kind,
            "text": self.text.strip(),
            "help_text": self.help_text,
            "required": self.required,
            "choices": self.cleaned_choices(),
            "scale_min": self.scale_min if rating else None,
            "scale_max": self.scale_max if rating else None,
            "low_label": self.low_label,
            "high_label": self.high_label,
            "show_if_question": self.show_if_question,
            "show_if_op": self.show_if_op if has_rule else "",
            "show_if_value": self.show_if_value.strip() if has_rule else "",
        }


def _check_rule(survey: Survey, data: QuestionIn, own_position: int | None) -> dict[str, str]:
    controller = data.show_if_question
    if controller is not None and controller.survey_id != survey.pk:
        return {"show_if_question": "must be an earlier question of this survey"}
    return rule_problems(controller, data.show_if_op, data.show_if_value, own_position=own_position)


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
    _raise_if(_problems(data) | _check_rule(survey, data, None))
    last = Question.objects.filter(survey=survey).aggregate(m=Max("position"))["m"]
    question = Question.objects.create(
        organization_id=survey.organization_id,
        survey=survey,
        position=(last or 0) + 1,
        **data.fields(),
    )
    question_added(survey.organization_id, question, actor=actor)
    return question


def _problems(data: QuestionIn) -> dict[str, str]:
    try:
        check_question(data)
    except ValidationFailed as exc:
        return dict(exc.errors)
    return {}


def _raise_if(errors: dict[str, str]) -> None:
    if errors:
        raise ValidationFailed(errors)


def _kept_answers_problems(question: Question, data: QuestionIn) -> dict[str, str]:
    """Answers already given stay readable: their kind, scale and choices cannot go."""
    if data.kind != question.kind:
        return {"kind": "cannot change once answered; add a new question instead"}
    if question.scale != Question(kind=data.kind, **_scale_of(data)).scale:
        return {"scale": "cannot change once answered; add a new question instead"}
    gone = [c for c in question.choices if c not in data.cleaned_choices()]
    if gone:
        return {"choices": f"“{gone[0]}” was offered to those who answered; keep it"}
    return {}


def _scale_of(data: QuestionIn) -> dict[str, int | None]:
    rating = data.kind == QuestionKind.RATING
    return {
        "scale_min": data.scale_min if rating else None,
        "scale_max": data.scale_max if rating else None,
    }


def _dependents_problems(question: Question, data: QuestionIn) -> dict[str, str]:
    """The follow-ups that read this question must still make sense after the change."""
    changed = Question(
        kind=data.kind,
        choices=data.cleaned_choices(),
        position=question.position,
        **_scale_of(data),
    )
    numbers = {q.pk: n for n, q in enumerate(_questions(question.survey), start=1)}
    for dep in question.dependents.order_by("position"):
        if rule_problems(changed, dep.show_if_op, dep.show_if_value, own_position=dep.position):
            field = "choices" if data.is_choice else "kind"
            where = f"question {numbers.get(dep.pk, '?')} is {describe(dep, numbers)}"
            return {field: f"{where}: change its condition first"}
    return {}


def _questions(survey: Survey) -> list[Question]:
    return list(Question.objects.filter(survey=survey).order_by("position"))


def _remapped_choice_labels(question: Question, choices: list[str]) -> dict[str, object]:
    """Translated choice labels follow their choice when choices are added or moved."""
    out: dict[str, object] = {}
    for code, texts in (question.translations or {}).items():
        texts = dict(texts)
        shown = texts.get("choices")
        if isinstance(shown, list) and len(shown) == len(question.choices):
            label = dict(zip(question.choices, shown, strict=True))
            texts["choices"] = [str(label.get(c, c)) for c in choices]
        elif choices != question.choices:
            texts.pop("choices", None)
        out[code] = texts
    return out


@transaction.atomic
def do_update_question(
    question: Question, data: QuestionIn, *, answered: int, actor: Membership | None = None
) -> Question:
    """Change a question's texts, scale, choices, requirement or show-if rule.

    `answered` is how many answers the question has (responses sit above surveys, so the
    caller counts them, as the removal page does).
    """
    survey = question.survey
    errors = _problems(data) | _check_rule(survey, data, question.position)
    if not errors and answered:
        errors = _kept_answers_problems(question, data)
    if not errors:
        errors = _dependents_problems(question, data)
    _raise_if(errors)
    fields = data.fields()
    fields["translations"] = _remapped_choice_labels(question, data.cleaned_choices())
    for name, value in fields.items():
        setattr(question, name, value)
    question.save(update_fields=[*fields])
    question_updated(question.organization_id, question, actor=actor)
    return question


@transaction.atomic
def do_move_question(
    question: Question, direction: str, *, actor: Membership | None = None
) -> Question:
    """Swap a question with its neighbour above ("up") or below ("down").

    The survey's row is locked first, so two swaps of one survey run one after the other
    and each reads positions the other has finished writing. The question parks at
    position 0 (positions start at 1) while its neighbour takes its place: SQLite and
    PostgreSQL check the (survey, position) unique constraint row by row, so a swap in
    one statement would collide with itself.
    """
    Survey.objects.select_for_update().filter(pk=question.survey_id).first()
    questions = _questions(question.survey)
    index = next(i for i, q in enumerate(questions) if q.pk == question.pk)
    other_index = index - 1 if direction == "up" else index + 1
    if direction not in ("up", "down") or not 0 <= other_index < len(questions):
        raise ValidationFailed({"direction": "there is no question on that side to swap with"})
    me, other = questions[index], questions[other_index]
    first, second = (other, me) if direction == "up" else (me, other)
    if second.show_if_question_id == first.pk:
        numbers = {q.pk: n for n, q in enumerate(questions, start=1)}
        raise ValidationFailed(
            {
                "direction": f"question {numbers[second.pk]} is {describe(second, numbers)}, "
                "so it stays after that question"
            }
        )
    rows = Question.objects.filter(survey_id=question.survey_id)
    rows.filter(pk=me.pk).update(position=0)
    rows.filter(pk=other.pk).update(position=me.position)
    rows.filter(pk=me.pk).update(position=other.position)
    me.position = other.position
    question_moved(me.organization_id, me, actor=actor, position=me.position)
    return me


@transaction.atomic
def do_duplicate_survey(survey: Survey, *, actor: Membership | None = None) -> Survey:
    """A new draft with the same texts, questions, translations and show-if rules.

    Responses, invitations, distribution rules and the anonymous link are not copied: the
    copy starts collecting on its own.
    """
    copy = Survey.objects.create(
        organization_id=survey.organization_id,
        name=f"{survey.name[:193]} (copy)",
        title=survey.title,
        intro=survey.intro,
        thank_you=survey.thank_you,
        status=SurveyStatus.DRAFT,
        anonymous_token=new_token(),
        invitation_days_valid=survey.invitation_days_valid,
        reminder_after_days=survey.reminder_after_days,
        resurvey_after_days=survey.resurvey_after_days,
        translations=survey.translations,
    )
    copy.touchpoints.set(survey.touchpoints.all())
    new_of: dict[int, Question] = {}
    for q in _questions(survey):
        ref = q.show_if_question_id
        new_of[q.pk] = Question.objects.create(
            organization_id=copy.organization_id,
            survey=copy,
            position=q.position,
            kind=q.kind,
            text=q.text,
            help_text=q.help_text,
            required=q.required,
            choices=q.choices,
            scale_min=q.scale_min,
            scale_max=q.scale_max,
            low_label=q.low_label,
            high_label=q.high_label,
            translations=q.translations,
            # The question a rule reads always comes earlier, so its copy exists already.
            show_if_question=new_of[ref] if ref is not None else None,
            show_if_op=q.show_if_op,
            show_if_value=q.show_if_value,
        )
    survey_duplicated(copy.organization_id, copy, actor=actor, source=survey.pk)
    return copy


@transaction.atomic
def do_remove_question(question: Question, *, actor: Membership | None = None) -> None:
    """Remove a question and (by cascade) its answers; a rule reading it must go first."""
    dependent = question.dependents.order_by("position").first()
    if dependent is not None:
        numbers = {q.pk: n for n, q in enumerate(_questions(question.survey), start=1)}
        raise ValidationFailed(
            {
                "question": f"question {numbers[dependent.pk]} is {describe(dependent, numbers)}; "
                "change its condition first"
            }
        )
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


@transaction.atomic
def do_create_survey_from_template(
    org: Organization, key: str, *, actor: Membership | None = None
) -> Survey:
    """A draft from a ready-made template, its texts in every language the template has."""
    template = TEMPLATES.get(key)
    if template is None:
        raise ValidationFailed({"template": f"must be one of {', '.join(TEMPLATES)}"})
    survey = do_create_survey(
        org, template.name, template.title["en"], intro=template.intro["en"], actor=actor
    )
    survey.thank_you = THANKS["en"]
    survey.save(update_fields=["thank_you"])
    for code in sorted(set(template.title) - {"en"}):
        shown = {"title": template.title[code], "intro": template.intro.get(code, "")}
        do_translate_survey(survey, code, shown | {"thank_you": THANKS[code]}, actor=actor)
    made: list[Question] = []
    for tq in template.questions:
        ref, op, value = tq.show_if if tq.show_if is not None else (None, "", "")
        data = QuestionIn(
            kind=tq.kind,
            text=tq.text["en"],
            required=tq.required,
            choices=list(tq.choices.get("en", ())),
            show_if_question=made[ref] if ref is not None else None,
            show_if_op=op,
            show_if_value=value,
        )
        question = do_add_question(survey, data, actor=actor)
        for code in sorted(set(tq.text) - {"en"}):
            texts: dict[str, str | list[str]] = {"text": tq.text[code]}
            if tq.choices:
                texts["choices"] = list(tq.choices[code])
            do_translate_question(question, code, texts, actor=actor)
        made.append(question)
    return survey
