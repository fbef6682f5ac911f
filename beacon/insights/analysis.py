"""Reading comments: language, sentiment, themes and praise of free-text answers.

Worker-only (the pipeline's job and the backfill command run it).
"""

from __future__ import annotations

import logging

from django.db import transaction

from beacon.contacts.models import Interaction
from beacon.core.redacted import MARKERS
from beacon.insights import text as textutil
from beacon.insights.events import insights_analysed, insights_backfilled
from beacon.insights.labels import Analysis
from beacon.insights.models import (
    AnswerInsight,
    Theme,
    ThemeMention,
)
from beacon.insights.praise import PraiseFinder
from beacon.insights.reason_reading import do_classify_interaction
from beacon.insights.registry import theme_model_for
from beacon.orgs.models import Organization
from beacon.responses.models import Answer, Response
from beacon.surveys.models import QuestionKind

log = logging.getLogger(__name__)


def unclassifiable_reason(raw: str, cleaned: str, language: str) -> str:
    if not raw.strip():
        return "empty"
    if textutil.letter_count(cleaned) < 2:
        return "no words"
    if language == textutil.OTHER:
        return "not English"
    if language == textutil.UNDETERMINED:
        return "language unclear"
    return ""


def analyse_response(response: Response) -> None:
    """Read every free-text answer of a stored response; a failure never blocks the pipeline."""
    answers = list(
        Answer.objects.for_org(response.organization_id)
        .filter(response=response, question__kind=QuestionKind.TEXT)
        .order_by("pk")
    )
    try:
        with transaction.atomic():
            if answers:
                do_analyse_answers(response, answers)
            if response.interaction_id is not None:
                interaction = Interaction.objects.for_org(response.organization_id).get(
                    pk=response.interaction_id
                )
                do_classify_interaction(interaction)
    except Exception:
        log.exception("insights failed for response %s; the pipeline goes on", response.pk)


def do_analyse_answers(response: Response, answers: list[Answer]) -> list[AnswerInsight]:
    org = response.organization
    for answer in answers:
        answer.response = response
    insights, version = _analyse(org, answers)
    insights_analysed(org, response, answers=len(answers), model=version)
    return insights


@transaction.atomic
def do_backfill(org: Organization, *, redo: bool = False, batch_size: int = 500) -> int:
    """Analyse the organisation's free-text answers that have no insight yet (all, with
    `redo`) many per model call; returns how many were analysed."""
    # Erased or expired text is a marker, not a comment: re-reading it would change the
    # sentiment and themes that erasure and retention keep (docs/adr/0014).
    qs = (
        Answer.objects.for_org(org)
        .filter(question__kind=QuestionKind.TEXT)
        .exclude(text__in=MARKERS)
    )
    if not redo:
        qs = qs.exclude(pk__in=AnswerInsight.objects.for_org(org).values("answer_id"))
    ids = list(qs.order_by("pk").values_list("pk", flat=True))
    done = 0
    for start in range(0, len(ids), batch_size):
        chunk = list(
            Answer.objects.for_org(org)
            .filter(pk__in=ids[start : start + batch_size])
            .select_related("response")
            .order_by("pk")
        )
        _, version = _analyse(org, chunk)
        done += len(chunk)
    if done:
        insights_backfilled(org, answers=done, model=version)
    return done


def _analyse(org: Organization, answers: list[Answer]) -> tuple[list[AnswerInsight], str]:
    """Analyse answers of any responses in one model call (batches are much faster)."""
    reader = theme_model_for(org)
    prepared = []
    for answer in answers:
        cleaned = textutil.clean(answer.text)
        language = textutil.detect_language(cleaned)
        prepared.append(
            (answer, cleaned, language, unclassifiable_reason(answer.text, cleaned, language))
        )
    to_read = [cleaned for _, cleaned, _, why in prepared if not why]
    analyses = iter(reader.model.analyse(to_read))
    praise = PraiseFinder(org, reader.model)
    insights = []
    for answer, cleaned, language, why in prepared:
        analysis = None if why else next(analyses)
        mentions: list[tuple[Theme, str, float]] = []
        if analysis is not None:
            mentions = [
                (reader.themes[r.key], r.sentiment, r.score)
                for r in analysis.themes
                if r.key in reader.themes
            ]
            lowered = " ".join(cleaned.lower().split())
            seen = {theme.pk for theme, _, _ in mentions}
            mentions.extend(
                (theme, analysis.sentiment, 0.5)
                for theme, pattern in reader.by_words
                if theme.pk not in seen and pattern.search(lowered)
            )
        insights.append(_store(answer, language, why, analysis, reader.version, mentions))
        if analysis is not None:
            praise.find(answer, cleaned)
    return insights, reader.version


def _store(
    answer: Answer,
    language: str,
    why: str,
    analysis: Analysis | None,
    version: str,
    found: list[tuple[Theme, str, float]],
) -> AnswerInsight:
    response = answer.response
    insight, _ = AnswerInsight.objects.get_or_create(
        answer=answer,
        defaults={
            "organization_id": answer.organization_id,
            "response": response,
            "language": language,
        },
    )
    insight.language = language
    insight.unclassifiable = bool(why)
    insight.reason = why
    insight.redacted_text = textutil.redact(answer.text)
    insight.model_version = version
    if not insight.corrected:
        insight.sentiment = analysis.sentiment if analysis else ""
        insight.sentiment_score = analysis.sentiment_score if analysis else None
    insight.save()
    mentions = ThemeMention.objects.for_org(answer.organization_id).filter(answer=answer)
    if insight.corrected or mentions.filter(source="staff").exists():
        # Staff have looked at this answer: their themes stand.
        return insight
    mentions.delete()
    ThemeMention.objects.bulk_create(
        ThemeMention(
            organization_id=answer.organization_id,
            answer=answer,
            response=response,
            theme=theme,
            sentiment=sentiment,
            score=score,
        )
        for theme, sentiment, score in found
    )
    return insight
