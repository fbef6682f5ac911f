"""Incremental score rollups, kept in the same transaction as the answers they count."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction
from django.db.models import Count, F

from beacon.responses.models import Answer, Response, ScoreRollup


@dataclass(frozen=True)
class Cell:
    organization_id: int
    day: dt.date
    survey_id: int
    question_id: int
    stage_id: int
    touchpoint_id: int
    persona_id: int
    team_id: int
    score: int


def cell_for(response: Response, question_id: int, score: int) -> Cell:
    return Cell(
        organization_id=response.organization_id,
        day=response.responded_at.date(),
        survey_id=response.survey_id,
        question_id=question_id,
        stage_id=response.stage_id or 0,
        touchpoint_id=response.touchpoint_id or 0,
        persona_id=response.persona_id or 0,
        team_id=response.team_id or 0,
        score=score,
    )


_COLUMNS = (
    "organization_id",
    "day",
    "survey_id",
    "question_id",
    "stage_id",
    "touchpoint_id",
    "persona_id",
    "team_id",
    "score",
)


def apply(deltas: Mapping[Cell, int]) -> None:
    """Add each delta to its cell in one atomic upsert per batch (SQLite and PostgreSQL)."""
    items = [(cell, d) for cell, d in deltas.items() if d != 0]
    if not items:
        return
    table = ScoreRollup._meta.db_table
    cols = ", ".join(_COLUMNS)
    row = "(" + ", ".join(["%s"] * (len(_COLUMNS) + 1)) + ")"
    # ON CONFLICT ... DO UPDATE is the same statement on both databases: the increment
    # happens inside the database, so concurrent ingests never lose a count.
    for start in range(0, len(items), 500):
        batch = items[start : start + 500]
        params: list[Any] = []
        for cell, delta in batch:
            params.extend(getattr(cell, c) for c in _COLUMNS)
            params.append(delta)
        sql = (
            f"INSERT INTO {table} ({cols}, count) VALUES {', '.join([row] * len(batch))} "  # noqa: S608
            f"ON CONFLICT ({cols}) DO UPDATE SET count = {table}.count + excluded.count"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, params)


def deltas_for_answers(
    response: Response, scored: Iterable[tuple[int, int]], sign: int
) -> Counter[Cell]:
    """Deltas of (question_id, score) pairs of one response, +1 each or -1 each."""
    out: Counter[Cell] = Counter()
    for question_id, score in scored:
        out[cell_for(response, question_id, score)] += sign
    return out


@transaction.atomic
def rebuild(org_id: int | None = None) -> int:
    """Recompute every cell from the answers (the rollups' ground truth)."""
    rollups = ScoreRollup.objects.all()
    answers = Answer.objects.filter(number__isnull=False)
    if org_id is not None:
        rollups = rollups.filter(organization_id=org_id)
        answers = answers.filter(organization_id=org_id)
    rollups.delete()
    grouped = (
        answers.values(
            org=F("organization_id"),
            survey=F("response__survey_id"),
            q=F("question_id"),
            responded=F("response__responded_at"),
            stage=F("response__stage_id"),
            tp=F("response__touchpoint_id"),
            persona=F("response__persona_id"),
            team=F("response__team_id"),
            score=F("number"),
        )
        .annotate(n=Count("id"))
        .order_by()
    )
    deltas: Counter[Cell] = Counter()
    for g in grouped.iterator(chunk_size=5000):
        cell = Cell(
            g["org"],
            g["responded"].date(),
            g["survey"],
            g["q"],
            g["stage"] or 0,
            g["tp"] or 0,
            g["persona"] or 0,
            g["team"] or 0,
            g["score"],
        )
        deltas[cell] += g["n"]
    apply(deltas)
    return len(deltas)
