"""Building answered responses for analytics tests, through the real ingest path."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from beacon.contacts.models import Contact
from beacon.responses.ingest import AnswerIn, ResponseIn, ingest_bulk
from beacon.responses.models import Response
from conftest import World

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
