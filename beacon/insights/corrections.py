"""Staff corrections of what the model read: the truth it learns from and is judged on."""

from __future__ import annotations

from django.db import transaction

from beacon.core.errors import ValidationFailed
from beacon.insights import text as textutil
from beacon.insights.events import insights_corrected
from beacon.insights.labels import POLARITIES
from beacon.insights.models import (
    AnswerInsight,
    Correction,
    CorrectionKind,
    Theme,
    ThemeMention,
)
from beacon.orgs.models import Membership
from beacon.responses.models import Answer


def _held_out(answer: Answer) -> bool:
    # By answer, so one comment is never both trained on and used to judge the model.
    return answer.pk % 5 == 0


def _insight_of(answer: Answer) -> AnswerInsight:
    insight = AnswerInsight.objects.for_org(answer.organization_id).filter(answer=answer).first()
    if insight is None:
        cleaned = textutil.clean(answer.text)
        language = textutil.detect_language(cleaned)
        insight = AnswerInsight.objects.create(
            organization_id=answer.organization_id,
            answer=answer,
            response_id=answer.response_id,
            language=language,
            redacted_text=textutil.redact(answer.text),
        )
    return insight


def _check_sentiment(sentiment: str, field: str = "sentiment") -> None:
    if sentiment not in POLARITIES:
        raise ValidationFailed({field: f"must be one of {', '.join(POLARITIES)}"})


@transaction.atomic
def do_correct_theme(
    answer: Answer, theme: Theme, sentiment: str | None, *, actor: Membership | None
) -> Correction:
    """Say the answer mentions `theme` with `sentiment`, or (sentiment None) that it does not."""
    assert theme.organization_id == answer.organization_id
    if sentiment is not None:
        _check_sentiment(sentiment)
    _insight_of(answer)
    mention = (
        ThemeMention.objects.for_org(answer.organization_id)
        .filter(answer=answer, theme=theme)
        .first()
    )
    # Staff have now reviewed this answer: every remaining model mention counts as theirs.
    ThemeMention.objects.for_org(answer.organization_id).filter(answer=answer).update(
        source="staff"
    )
    if sentiment is None:
        kind = CorrectionKind.THEME_REMOVED
        if mention is not None:
            mention.delete()
    elif mention is None:
        kind = CorrectionKind.THEME_ADDED
        ThemeMention.objects.create(
            organization_id=answer.organization_id,
            answer=answer,
            response_id=answer.response_id,
            contact_id=answer.response.contact_id,
            responded_at=answer.response.responded_at,
            theme=theme,
            sentiment=sentiment,
            source="staff",
        )
    else:
        kind = CorrectionKind.THEME_SENTIMENT
        mention.sentiment = sentiment
        mention.source = "staff"
        mention.save(update_fields=["sentiment", "source"])
    correction = Correction.objects.create(
        organization_id=answer.organization_id,
        answer=answer,
        kind=kind,
        theme=theme,
        sentiment=sentiment or "",
        by=actor,
        held_out=_held_out(answer),
    )
    insights_corrected(answer.organization_id, correction, actor=actor, kind=kind)
    return correction


@transaction.atomic
def do_correct_sentiment(answer: Answer, sentiment: str, *, actor: Membership | None) -> Correction:
    _check_sentiment(sentiment)
    insight = _insight_of(answer)
    insight.sentiment = sentiment
    insight.sentiment_score = 1.0
    insight.corrected = True
    insight.save(update_fields=["sentiment", "sentiment_score", "corrected"])
    correction = Correction.objects.create(
        organization_id=answer.organization_id,
        answer=answer,
        kind=CorrectionKind.SENTIMENT,
        sentiment=sentiment,
        by=actor,
        held_out=_held_out(answer),
    )
    insights_corrected(
        answer.organization_id, correction, actor=actor, kind=CorrectionKind.SENTIMENT
    )
    return correction
