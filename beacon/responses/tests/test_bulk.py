"""The bulk path (bulk.py) stores what `ingest()` stores, refuses what it refuses, and
keeps the rollups equal to a full recount, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from beacon.contacts.actions import InteractionIn, do_record_interaction, do_upsert_contact
from beacon.core import clock
from beacon.core.errors import ValidationFailed
from beacon.responses import bulk, rollups
from beacon.responses.checks import AnswerIn, ResponseIn
from beacon.responses.ingest import ingest, ingest_bulk
from beacon.responses.models import (
    Answer,
    Response,
    ResponseCountRollup,
    ScoreRollup,
    SliceRollup,
    WeeklySliceRollup,
)
from beacon.surveys.actions import QuestionIn, do_add_question, do_create_invitation
from beacon.testing import World, contact_in

pytestmark = pytest.mark.django_db

# 23:30 in New York is 04:30 the next day in UTC: rollups count the UTC day, as rebuild does.
NEW_YORK = dt.timezone(dt.timedelta(hours=-5))
LATE = dt.datetime(2026, 3, 2, 23, 30, 15, 250_000, tzinfo=NEW_YORK)


def _stored(response: Response) -> dict[str, Any]:
    fresh = Response.objects.get(pk=response.pk)
    fields = ("survey_id", "invitation_id", "contact_id", "interaction_id", "touchpoint_id",
              "stage_id", "persona_id", "team_id", "staff_id", "channel", "responded_at",
              "completed_at", "processed_at", "rollup_attributes", "created_at")  # fmt: skip
    out = {f: getattr(fresh, f) for f in fields}
    out["answers"] = sorted(
        (a.question_id, a.number, a.text, a.choices) for a in Answer.objects.filter(response=fresh)
    )
    return out


def _cells() -> tuple[set[tuple[Any, ...]], ...]:
    weekly = WeeklySliceRollup.objects.filter(count__gt=0)
    return (
        set(ScoreRollup.objects.filter(count__gt=0).values_list(*rollups._COLUMNS, "count")),
        set(SliceRollup.objects.filter(count__gt=0).values_list(*rollups._SLICE_COLUMNS, "count")),
        set(
            ResponseCountRollup.objects.values_list(*rollups._COUNT_COLUMNS, "responses", "invited")
        ),
        set(weekly.values_list(*rollups._SLICE_COLUMNS, "count")),
    )


def test_a_bulk_row_reads_back_like_one_from_ingest(world: World) -> None:
    """Every column, datetimes and JSON included, through the ORM on both databases."""
    rollups.do_set_rollup_attributes(world.org, ["plan"])
    pick = do_add_question(world.survey, QuestionIn("multi", "Which?", choices=["a", "b", "c"]))
    do_upsert_contact(
        world.org, contact_in(1, persona=world.persona, attributes={"plan": 'pro "x"\t\\'})
    )
    interaction = do_record_interaction(
        world.org,
        InteractionIn(contact=contact_in(1), idempotency_key="i1", touchpoint=world.touchpoint,
                      team=world.team, staff=world.agent),
    ).interaction  # fmt: skip

    def item(key: str) -> ResponseIn:
        return ResponseIn(
            survey=world.survey,
            idempotency_key=key,
            interaction=interaction,
            channel="import",
            responded_at=LATE,
            answers=[
                AnswerIn(world.nps.pk, number=7),
                AnswerIn(world.csat.pk),  # empty: not stored
                AnswerIn(world.comment.pk, text="Line one\nline\ttwo \\ «ünïcode»"),
                AnswerIn(pick.pk, choices=["c", "a"]),
            ],
        )

    with clock.frozen_at(dt.datetime(2026, 3, 4, 9, 0, 0, 123_456, tzinfo=dt.UTC)):
        one = ingest(item("one")).response
        [many] = ingest_bulk([item("many")])
    expected = _stored(one)
    # ingest() completes with the clock's time; the bulk path's responses come complete.
    expected["completed_at"] = LATE
    assert _stored(many) == expected
    assert _stored(many)["answers"] == [
        (world.nps.pk, 7, "", []),
        (world.comment.pk, None, "Line one\nline\ttwo \\ «ünïcode»", []),
        (pick.pk, None, "", ["c", "a"]),
    ]
    assert many.rollup_attributes == {"plan": 'pro "x"\t\\'}
    assert many.responded_at == LATE and many.processed_at is None
    day = dt.date(2026, 3, 3)
    assert set(ScoreRollup.objects.values_list("day", "score", "count")) == {(day, 7, 2)}
    assert SliceRollup.objects.get(dimension="attribute:plan").value == 'pro "x"\t\\'


def test_bulk_rollups_equal_a_full_recount_across_batches(world: World) -> None:
    rollups.do_set_rollup_attributes(world.org, ["plan", "region"])
    contacts = [
        do_upsert_contact(world.org, contact_in(n, persona=world.persona if n % 2 else None,
                                                attributes={"plan": f"p{n % 3}"}))
        for n in range(5)
    ]  # fmt: skip
    invitations = [do_create_invitation(world.survey, c) for c in contacts[:3]]
    items = []
    for i in range(40):
        answers = [AnswerIn(world.nps.pk, number=i % 11)]
        if i % 3:
            answers.append(AnswerIn(world.csat.pk, number=1 + i % 5))
        if i % 4 == 0:
            answers.append(AnswerIn(world.comment.pk, text=f"comment {i}"))
        items.append(
            ResponseIn(
                survey=world.survey,
                idempotency_key=f"k{i % 37}",  # three keys repeat, in a later batch
                answers=answers,
                contact=contacts[i % 5],
                invitation=invitations[i] if i < 3 else None,
                touchpoint=world.touchpoint if i % 2 else None,
                responded_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC) + dt.timedelta(hours=7 * i),
            )
        )
    stored = bulk.store(items, historical=True, batch_size=6)
    assert [item.idempotency_key for _, item in stored] == [f"k{i}" for i in range(37)]
    assert Response.objects.count() == 37
    assert Response.objects.filter(processed_at__isnull=False).count() == 37
    assert Answer.objects.count() == sum(len(item.answers) for _, item in stored)
    incremental = _cells()
    assert sum(r for *_, r, _ in incremental[2]) == 37
    assert sum(i for *_, i in incremental[2]) == 3
    rollups.rebuild(world.org.pk)
    assert incremental == _cells()


def test_bulk_refuses_what_ingest_refuses_with_the_same_errors(
    world: World, other_world: World
) -> None:
    stranger = do_upsert_contact(other_world.org, contact_in(1))
    bad: list[dict[str, Any]] = [
        {"answers": [AnswerIn(world.nps.pk, number=11)]},
        {"answers": [AnswerIn(world.csat.pk, number=3)]},
        {"answers": [AnswerIn(world.nps.pk, number=1), AnswerIn(world.nps.pk, number=2)]},
        {"answers": [AnswerIn(world.nps.pk, number=1), AnswerIn(world.comment.pk, number=2)]},
        {"answers": [AnswerIn(world.nps.pk, number=1)], "contact": stranger},
        {"answers": [AnswerIn(world.nps.pk, number=1)], "idempotency_key": " "},
    ]
    for kw in bad:
        kw.setdefault("idempotency_key", "bad")
        with pytest.raises(ValidationFailed) as from_ingest:
            ingest(ResponseIn(survey=world.survey, **kw))
        good = ResponseIn(world.survey, "good", [AnswerIn(world.nps.pk, number=9)])
        with pytest.raises(ValidationFailed) as from_bulk:
            ingest_bulk([good, ResponseIn(survey=world.survey, **kw)])
        assert from_bulk.value.errors == from_ingest.value.errors
        assert Response.objects.count() == 0
        assert ScoreRollup.objects.count() == SliceRollup.objects.count() == 0
        assert WeeklySliceRollup.objects.count() == 0


def test_an_empty_comment_does_not_answer_a_required_question(world: World) -> None:
    world.comment.required = True
    world.comment.save()
    items = [
        ResponseIn(world.survey, "k", [AnswerIn(world.nps.pk, number=3),
                                       AnswerIn(world.comment.pk, text="  ")]),
    ]  # fmt: skip
    with pytest.raises(ValidationFailed) as exc:
        ingest_bulk(items)
    assert exc.value.errors == {f"question {world.comment.pk}": "this question needs an answer"}
