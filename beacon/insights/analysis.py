"""Reading comments: language, sentiment, themes and praise of free-text answers.

Worker-only (the pipeline's job and the backfill command run it).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.db import transaction

from beacon.contacts.models import Interaction
from beacon.core.redacted import MARKERS
from beacon.insights import text as textutil
from beacon.insights.events import insights_analysed_many, insights_backfilled
from beacon.insights.labels import Analysis
from beacon.insights.models import (
    AnswerInsight,
    Theme,
    ThemeMention,
)
from beacon.insights.praise import PraiseFinder
from beacon.insights.reason_reading import do_classify_interactions
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
    analyse_responses([response])


def analyse_responses(responses: list[Response]) -> None:
    """Read every free-text answer of a batch of stored responses, one model call per
    organisation, and their interactions' reasons for contact; a failure never blocks
    the pipeline (a batch that fails is read again one response at a time, so only the
    response that fails loses its reading)."""
    by_org: dict[int, list[Response]] = {}
    for response in responses:
        by_org.setdefault(response.organization_id, []).append(response)
    for mine in by_org.values():
        try:
            with transaction.atomic():
                _read_batch(mine)
        except Exception:
            if len(mine) > 1:
                for response in mine:
                    analyse_responses([response])
            else:
                log.exception("insights failed for response %s; the pipeline goes on", mine[0].pk)


def _read_batch(responses: list[Response]) -> None:
    org_id = responses[0].organization_id
    answers = list(
        Answer.objects.for_org(org_id)
        .filter(response__in=responses, question__kind=QuestionKind.TEXT)
        .order_by("pk")
    )
    if answers:
        do_analyse_answers(responses, answers)
    interactions = list(
        Interaction.objects.for_org(org_id)
        .filter(pk__in=[r.interaction_id for r in responses if r.interaction_id is not None])
        .order_by("pk")
    )
    if interactions:
        do_classify_interactions(responses[0].organization, interactions)


def do_analyse_answers(responses: list[Response], answers: list[Answer]) -> list[AnswerInsight]:
    """The free-text answers of responses of one organisation, in one model call; each
    response records that it was read."""
    org = responses[0].organization
    by_pk = {r.pk: r for r in responses}
    for answer in answers:
        answer.response = by_pk[answer.response_id]
    insights, version = _analyse(org, answers)
    counts: dict[int, int] = {}
    for answer in answers:
        counts[answer.response_id] = counts.get(answer.response_id, 0) + 1
    read = [(response, counts[response.pk]) for response in responses if response.pk in counts]
    insights_analysed_many(org, read, model=version)
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
    readings = []
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
        readings.append(_Reading(answer, language, why, analysis, mentions))
        if analysis is not None:
            praise.find(answer, cleaned)
    praise.record()
    return _store(org, readings, reader.version), reader.version


@dataclass(frozen=True)
class _Reading:
    answer: Answer
    language: str
    why: str
    analysis: Analysis | None
    mentions: list[tuple[Theme, str, float]]


_INSIGHT_FIELDS = [
    "language",
    "unclassifiable",
    "reason",
    "redacted_text",
    "model_version",
    "sentiment",
    "sentiment_score",
]


def _store(org: Organization, readings: list[_Reading], version: str) -> list[AnswerInsight]:
    """Write the readings of many answers in a few statements: insights created or
    updated in bulk, model mentions replaced in bulk. What staff corrected stands: a
    corrected sentiment is kept, and an answer whose themes staff touched keeps them."""
    ids = [r.answer.pk for r in readings]
    existing = {
        i.answer_id: i for i in AnswerInsight.objects.for_org(org).filter(answer_id__in=ids)
    }
    mentions = ThemeMention.objects.for_org(org)
    staff_touched = set(
        mentions.filter(answer_id__in=ids, source="staff").values_list("answer_id", flat=True)
    )
    new, changed, insights = [], [], []
    for r in readings:
        insight = existing.get(r.answer.pk)
        if insight is None:
            answer = r.answer
            insight = AnswerInsight(
                organization_id=answer.organization_id, answer=answer, response=answer.response
            )
            new.append(insight)
        else:
            changed.append(insight)
        insight.language = r.language
        insight.unclassifiable = bool(r.why)
        insight.reason = r.why
        insight.redacted_text = textutil.redact(r.answer.text)
        insight.model_version = version
        if not insight.corrected:
            insight.sentiment = r.analysis.sentiment if r.analysis else ""
            insight.sentiment_score = r.analysis.sentiment_score if r.analysis else None
        if insight.corrected:
            staff_touched.add(r.answer.pk)
        insights.append(insight)
    AnswerInsight.objects.bulk_create(new, batch_size=500)
    AnswerInsight.objects.bulk_update(changed, _INSIGHT_FIELDS, batch_size=500)
    redo = [r for r in readings if r.answer.pk not in staff_touched]
    mentions.filter(answer_id__in=[r.answer.pk for r in redo]).delete()
    ThemeMention.objects.bulk_create(
        (
            ThemeMention(
                organization_id=r.answer.organization_id,
                answer=r.answer,
                response=r.answer.response,
                contact_id=r.answer.response.contact_id,
                responded_at=r.answer.response.responded_at,
                theme=theme,
                sentiment=sentiment,
                score=score,
            )
            for r in redo
            for theme, sentiment, score in r.mentions
        ),
        batch_size=1000,
    )
    return insights
