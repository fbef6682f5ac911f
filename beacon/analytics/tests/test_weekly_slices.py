"""Reads that take whole weeks from the weekly slices give what the daily slices give,
and what the stored answers say, for any window, filter and breakdown (both databases)."""

from __future__ import annotations

import datetime as dt
import importlib
from collections import Counter, defaultdict
from typing import Any

import pytest
from django.apps import apps
from django.db import connection
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from beacon.analytics import metrics
from beacon.contacts.actions import do_upsert_contact
from beacon.contacts.models import Contact
from beacon.cxmodel.actions import do_add_touchpoint
from beacon.responses import rollups
from beacon.responses.actions import do_delete_response
from beacon.responses.checks import AnswerIn, ResponseIn
from beacon.responses.ingest import ingest, ingest_bulk
from beacon.responses.models import (
    Response,
    ResponseCountRollup,
    RollupAttribute,
    ScoreRollup,
    SliceRollup,
    WeeklySliceRollup,
)
from beacon.testing import World, contact_in

pytestmark = pytest.mark.django_db

# A Wednesday: the data's weeks start mid-week, as real data's first week does.
BASE = dt.date(2026, 3, 4)
SPAN = 50  # days of data
PLANS = ("prepaid", "contract")

# (day, nps, csat or None, touchpoint index, contact index, path)
answer = st.tuples(
    st.integers(0, SPAN - 1),
    st.integers(0, 10),
    st.one_of(st.none(), st.integers(1, 5)),
    st.integers(0, 2),
    st.integers(0, 2),
    st.sampled_from(("bulk", "bulk", "ingest", "deleted")),
)
day = st.one_of(st.none(), st.integers(-3, SPAN + 3).map(lambda n: BASE + dt.timedelta(days=n)))
# (start, end, filter: none / stage / persona / touchpoint, which of its values)
window = st.tuples(day, day, st.sampled_from(("", "stage_id", "persona_id", "touchpoint_id")),
                   st.integers(0, 1))  # fmt: skip


class Data:
    """A world with two stages' touchpoints, a persona and a contact attribute."""

    def __init__(self, world: World) -> None:
        self.world = world
        if not RollupAttribute.objects.exists():
            rollups.do_set_rollup_attributes(world.org, ["plan"])
        other = world.outside_stage.touchpoints.first()
        if other is None:
            other = do_add_touchpoint(world.outside_stage, "Shop", "store")
        self.touchpoints = [world.touchpoint, other, None]
        self.contacts: list[Contact | None] = [
            do_upsert_contact(
                world.org, contact_in(1, attributes={"plan": PLANS[0]}, persona=world.persona)
            ),
            do_upsert_contact(world.org, contact_in(2, attributes={"plan": PLANS[1]})),
            None,
        ]

    def values(self, name: str) -> list[int]:
        """Two ids the filter can take (one may be 0: "none")."""
        if name == "stage_id":
            return [self.world.stage.pk, self.world.outside_stage.pk]
        if name == "persona_id":
            return [self.world.persona.pk, 0]
        tp = self.touchpoints[1]
        assert tp is not None
        return [self.world.touchpoint.pk, tp.pk]


def _store(data: Data, answers: list[tuple[Any, ...]]) -> list[dict[str, Any]]:
    """Stores the responses through the bulk path, live ingest and deletion; returns
    those kept, as plain values to count from."""
    w = data.world
    kept, bulk_items = [], []
    for i, (offset, nps, csat, tp_i, contact_i, path) in enumerate(answers):
        tp, contact = data.touchpoints[tp_i], data.contacts[contact_i]
        when = dt.datetime.combine(BASE + dt.timedelta(days=offset), dt.time(23, 59), dt.UTC)
        given = [AnswerIn(w.nps.pk, number=nps)]
        if csat is not None:
            given.append(AnswerIn(w.csat.pk, number=csat))
        item = ResponseIn(survey=w.survey, idempotency_key=f"w{i}", answers=given,
                          touchpoint=tp, contact=contact, responded_at=when)  # fmt: skip
        if path == "bulk":
            bulk_items.append(item)
        else:
            ingest(item)
            if path == "deleted":
                do_delete_response(Response.objects.get(idempotency_key=f"w{i}"))
                continue
        kept.append({
            "day": when.date(), "nps": nps, "csat": csat,
            "stage_id": tp.stage_id if tp else 0, "touchpoint_id": tp.pk if tp else 0,
            "persona_id": contact.persona_id or 0 if contact else 0,
            "plan": (contact.attributes.get("plan", "") if contact else ""),
        })  # fmt: skip
    ingest_bulk(bulk_items, historical=True)
    return kept


def _reset() -> None:
    Response.objects.all().delete()
    for model in (ScoreRollup, SliceRollup, WeeklySliceRollup, ResponseCountRollup):
        model.objects.all().delete()


def _daily(org: Any, ids: list[int], f: metrics.Filters, fields: list[str],
           by: str | None) -> dict[tuple[Any, ...], int]:  # fmt: skip
    """The daily computation: every row from _cells_of, days bucketed by their week."""
    out: dict[tuple[Any, ...], int] = defaultdict(int)
    qs = metrics._cells_of(org, ids, f, by).values(*fields, "count")
    for r in qs:
        key = tuple(metrics.week_start(r[n]) if n == "day" else r[n] for n in fields)
        out[key] += r["count"]
    return {k: c for k, c in out.items() if c}


def _weekly(rows: list[dict[str, Any]], fields: list[str]) -> dict[tuple[Any, ...], int]:
    out: dict[tuple[Any, ...], int] = defaultdict(int)
    for r in rows:
        key = tuple(metrics.week_start(r[n]) if n == "day" else r[n] for n in fields)
        out[key] += r["c"]
    return {k: c for k, c in out.items() if c}


def _kept(rows: list[dict[str, Any]], f: metrics.Filters) -> list[dict[str, Any]]:
    return [
        r
        for r in rows
        if (f.start is None or r["day"] >= f.start)
        and (f.end is None or r["day"] <= f.end)
        and all(not getattr(f, n) or r[n] == getattr(f, n) for n in metrics._DIMENSION_FILTERS)
    ]


@settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(answers=st.lists(answer, max_size=30), windows=st.lists(window, min_size=1, max_size=4))
def test_weekly_reads_equal_the_daily_computation(world: World, answers, windows) -> None:
    _reset()
    data = Data(world)
    rows = _store(data, answers)
    org, nps_ids = world.org, [world.nps.pk]
    both = [world.nps.pk, world.csat.pk]
    for start, end, name, which in windows:
        f = metrics.Filters(
            start=start, end=end, **({name: data.values(name)[which]} if name else {})
        )
        # Every shape of read the metrics make: scores, per question, per day, per value.
        for fields, by, ids in (
            (["score"], None, nps_ids),
            (["question_id", "score"], None, both),
            (["day", "score"], None, nps_ids),
            (["stage_id", "score"], "stage_id", nps_ids),
            (["persona_id", "score"], "persona_id", nps_ids),
            (["touchpoint_id", "score"], "touchpoint_id", nps_ids),
        ):
            got = _weekly(metrics._sums(org, ids, f, fields, by), fields)
            assert got == _daily(org, ids, f, fields, by), (f, fields)
        # And what the stored answers say, through the functions pages and the API call.
        kept = _kept(rows, f)
        truth = dict(Counter(r["nps"] for r in kept))
        assert metrics.histogram(org, "nps", f) == truth
        assert {k: v.n for k, v in metrics.summary(org, f).items()} == {
            "nps": len(kept), "csat": sum(r["csat"] is not None for r in kept), "ces": 0
        }  # fmt: skip
        if start is not None and end is not None and start <= end:
            weekly = {b: v.n for b, v in metrics.series(org, "nps", "week", f)}
            per_week = Counter(metrics.week_start(r["day"]) for r in kept)
            assert weekly == {b: per_week.get(b, 0) for b in weekly}
            assert sum(weekly.values()) == len(kept)
        by_stage = {pk: v.n for _, pk, v in metrics.breakdown(org, "nps", "stage", f)}
        stages = Counter(r["stage_id"] for r in kept)
        assert {pk: n for pk, n in by_stage.items() if n} == dict(stages)
        unfiltered = metrics.Filters(start=start, end=end)
        plans = Counter(r["plan"] or "(none)" for r in _kept(rows, unfiltered))
        # A value whose answers were all deleted keeps a row of 0 answers.
        by_plan = {v: m.n for v, m in metrics.attribute_breakdown(org, "nps", "plan", f) if m.n}
        assert by_plan == dict(plans)


def test_whole_weeks_inside_a_window() -> None:
    wed, sun, mon = dt.date(2026, 3, 4), dt.date(2026, 3, 8), dt.date(2026, 3, 9)
    assert metrics.whole_weeks(mon, mon + dt.timedelta(days=6)) == (mon, mon)
    assert metrics.whole_weeks(wed, dt.date(2026, 3, 24)) == (mon, mon + dt.timedelta(weeks=1))
    assert metrics.whole_weeks(wed, sun) == (mon, dt.date(2026, 3, 2))  # none inside
    assert metrics.whole_weeks(None, sun) == (None, dt.date(2026, 3, 2))
    assert metrics.whole_weeks(wed, None) == (mon, None)
    with pytest.raises(OverflowError):  # _sums then reads the days alone
        metrics.whole_weeks(None, dt.date.min)


def _week_totals(model: Any) -> dict[tuple[Any, ...], int]:
    out: dict[tuple[Any, ...], int] = defaultdict(int)
    for r in model.objects.all():
        key = (r.organization_id, r.dimension, r.question_id, metrics.week_start(r.day),
               r.survey_id, r.value, r.score)  # fmt: skip
        out[key] += r.count
    return {k: c for k, c in out.items() if c}


def test_the_weekly_slices_sum_the_daily_ones_after_every_write_and_a_rebuild(
    world: World,
) -> None:
    data = Data(world)
    answers = [(n * 3 % SPAN, n % 11, 1 + n % 5, n % 3, n % 3, ("bulk", "ingest", "deleted")[n % 3])
               for n in range(30)]  # fmt: skip
    _store(data, answers)
    daily = _week_totals(SliceRollup)
    assert _week_totals(WeeklySliceRollup) == daily
    # Each whole week is one row per dimension, value and score: no day in it but Monday.
    assert {r.day.weekday() for r in WeeklySliceRollup.objects.all()} == {0}
    rollups.rebuild(world.org.pk)
    assert _week_totals(WeeklySliceRollup) == _week_totals(SliceRollup) == daily


class _Statements:
    """What the migration's function uses of a schema editor. SQLite's own editor cannot
    open inside the test's transaction; its statement goes through the connection."""

    connection = connection

    def execute(self, sql: str) -> None:
        with connection.cursor() as cursor:
            cursor.execute(sql)


def test_the_migration_fills_the_weekly_slices_from_the_daily_ones(world: World) -> None:
    data = Data(world)
    _store(data, [(n * 7 % SPAN, n % 11, None, n % 3, n % 3, "bulk") for n in range(20)])
    expected = _week_totals(WeeklySliceRollup)
    WeeklySliceRollup.objects.all().delete()
    migration = importlib.import_module("beacon.responses.migrations.0008_weekly_slice_rollup")
    migration.fill_weekly_slices(apps, _Statements())
    assert _week_totals(WeeklySliceRollup) == expected
    assert {r.day.weekday() for r in WeeklySliceRollup.objects.all()} == {0}
