"""Building answered responses for analytics tests, through the real ingest path."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

from beacon.contacts.models import Contact
from beacon.insights.corrections import do_correct_sentiment, do_correct_theme
from beacon.insights.models import Theme
from beacon.responses.checks import AnswerIn, ResponseIn
from beacon.responses.ingest import ingest_bulk
from beacon.responses.models import Answer, Response
from beacon.testing import World

BASE = dt.datetime(2026, 3, 2, 12, tzinfo=dt.UTC)  # a Monday


def answered(
    world: World,
    rows: Sequence[tuple[int | None, int | None, str]],
    *,
    day: int = 0,
    prefix: str = "r",
    contact: Contact | None = None,
    ces: int | None = None,
) -> list[Response]:
    """One response per (nps, csat, comment); None skips the question (NPS is required,
    so a None NPS response answers CSAT only on a survey copy without the requirement)."""
    items = []
    for i, (nps, csat, comment) in enumerate(rows):
        answers = []
        if nps is not None:
            answers.append(AnswerIn(world.nps.pk, number=nps))
        if csat is not None:
            answers.append(AnswerIn(world.csat.pk, number=csat))
        if ces is not None:
            answers.append(AnswerIn(world.ces.pk, number=ces))
        if comment:
            answers.append(AnswerIn(world.comment.pk, text=comment))
        items.append(
            ResponseIn(
                survey=world.survey,
                idempotency_key=f"{prefix}-{day}-{i}",
                answers=answers,
                touchpoint=world.touchpoint,
                contact=contact,
                responded_at=BASE + dt.timedelta(days=day),
            )
        )
    return ingest_bulk(items, historical=True)


def said(
    world: World,
    rows: Sequence[tuple[int, Mapping[Theme, str], str]],
    *,
    day: int = 0,
    prefix: str = "s",
    contact: Contact | None = None,
) -> list[Response]:
    """One response per (nps, {theme: sentiment}, overall sentiment) with a comment whose
    themes and overall sentiment staff set by hand (the product's correction path), so every
    mention is known exactly. An empty overall sentiment and no themes: no insight at all."""
    responses = answered(
        world,
        [(nps, None, "a comment") for nps, _, _ in rows],
        day=day,
        prefix=prefix,
        contact=contact,
    )
    for response, (_, themes, overall) in zip(responses, rows, strict=True):
        comment = Answer.objects.get(response=response, question=world.comment)
        for theme, sentiment in themes.items():
            do_correct_theme(comment, theme, sentiment, actor=world.owner)
        if overall:
            do_correct_sentiment(comment, overall, actor=world.owner)
    return responses
