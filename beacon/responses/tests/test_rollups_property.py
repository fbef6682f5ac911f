"""After any sequence of ingests, answer changes and deletions, rollups equal a recount."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from beacon.contacts.actions import do_upsert_contact
from beacon.responses import rollups
from beacon.responses.actions import do_delete_response
from beacon.responses.checks import AnswerIn, ResponseIn
from beacon.responses.ingest import ingest, ingest_bulk
from beacon.responses.models import (
    ChannelRollup,
    Response,
    ResponseCountRollup,
    RollupAttribute,
    ScoreRollup,
    SliceRollup,
    WeeklySliceRollup,
)
from beacon.testing import World, contact_in

pytestmark = pytest.mark.django_db

BASE = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
PLANS = ["prepaid", "contract", None]

# (kind, key, nps, csat, day, complete, contact number, plan index)
op = st.one_of(
    st.tuples(st.just("ingest"), st.integers(0, 5), st.integers(0, 10), st.integers(1, 5),
              st.integers(0, 17), st.booleans(), st.integers(0, 2), st.integers(0, 2)),
    st.tuples(st.just("bulk"), st.integers(6, 9), st.integers(0, 10), st.integers(1, 5),
              st.integers(0, 17), st.booleans(), st.integers(0, 2), st.integers(0, 2)),
    st.tuples(st.just("delete"), st.integers(0, 9), st.just(0), st.just(0), st.just(0),
              st.just(False), st.just(0), st.just(0)),
    # The contact's attributes change after its responses were counted.
    st.tuples(st.just("recontact"), st.just(0), st.just(0), st.just(0), st.just(0),
              st.just(False), st.integers(0, 2), st.integers(0, 2)),
)  # fmt: skip


def _cells() -> tuple[
    dict[tuple, int],
    dict[tuple, int],
    dict[tuple, tuple[int, int]],
    dict[tuple, tuple],
    dict[tuple, int],
]:
    scores = {
        (r.day, r.survey_id, r.question_id, r.stage_id, r.touchpoint_id, r.persona_id,
         r.team_id, r.score): r.count
        for r in ScoreRollup.objects.all()
        if r.count
    }  # fmt: skip
    attrs = {
        (r.day, r.survey_id, r.question_id, r.dimension, r.value, r.score): r.count
        for r in SliceRollup.objects.all()
        if r.count
    }
    counts = {
        (r.day, r.survey_id, r.stage_id, r.touchpoint_id, r.persona_id, r.team_id): (
            r.responses,
            r.invited,
        )
        for r in ResponseCountRollup.objects.all()
        if r.responses or r.invited
    }
    channels = {
        (r.day, r.survey_id, r.channel): (r.responses, r.completed, r.invited)
        for r in ChannelRollup.objects.all()
        if r.responses or r.completed or r.invited
    }
    weekly = {
        (r.day, r.survey_id, r.question_id, r.dimension, r.value, r.score): r.count
        for r in WeeklySliceRollup.objects.all()
        if r.count
    }
    return scores, attrs, counts, channels, weekly


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(ops=st.lists(op, max_size=14))
def test_rollups_equal_a_full_recount(world: World, ops) -> None:
    Response.objects.all().delete()
    for model in (ScoreRollup, SliceRollup, WeeklySliceRollup, ResponseCountRollup, ChannelRollup):
        model.objects.all().delete()
    if not RollupAttribute.objects.exists():
        rollups.do_set_rollup_attributes(world.org, ["plan", "region"])
    contacts = [
        do_upsert_contact(world.org, contact_in(n, attributes={"plan": "prepaid", "region": "x"}))
        for n in range(3)
    ]
    for kind, key, nps, csat, day, complete, who, plan in ops:
        contact = contacts[who]
        if kind == "recontact":
            contact.attributes = {"plan": PLANS[plan]} if PLANS[plan] else {"other": 1}
            contact.save()
            continue
        answers = [AnswerIn(world.nps.pk, number=nps), AnswerIn(world.csat.pk, number=csat)]
        when = BASE + dt.timedelta(days=day)
        data = ResponseIn(survey=world.survey, idempotency_key=f"r{key}", answers=answers,
                          complete=complete, touchpoint=world.touchpoint, responded_at=when,
                          contact=contact, channel="widget" if key % 2 else "link")  # fmt: skip
        if kind == "ingest":
            ingest(data)
        elif kind == "bulk":
            data.complete = True
            ingest_bulk([data])
        else:
            response = Response.objects.filter(idempotency_key=f"r{key}").first()
            if response is not None:
                do_delete_response(response)
    incremental = _cells()
    rollups.rebuild(world.org.pk)
    assert incremental == _cells()
    # Every scored answer counts once in every slice, whatever the contact's value.
    scores, slices, counts, channels, weekly = incremental
    for dimension in ("", "stage", "persona", "team", "touchpoint", "attribute:plan",
                      "attribute:region"):  # fmt: skip
        assert sum(c for k, c in slices.items() if k[3] == dimension) == sum(scores.values())
    assert sum(r for r, _ in counts.values()) == Response.objects.count()
    # The channel rollup's counts are those of the stored responses (the survey list's
    # completed count and the delivery report read them).
    for channel in ("link", "widget"):
        stored = Response.objects.filter(channel=channel)
        assert [sum(v[i] for k, v in channels.items() if k[2] == channel) for i in (0, 1)] == [
            stored.count(),
            stored.filter(completed_at__isnull=False).count(),
        ]
    # The weekly slices are the daily ones summed per week (Monday-based).
    by_week: Counter[tuple] = Counter()
    for (day, *rest), c in slices.items():
        by_week[(rollups.week_of(day), *rest)] += c
    assert weekly == {k: c for k, c in by_week.items() if c}


def test_choosing_attributes_recounts_past_responses(world: World) -> None:
    contact = do_upsert_contact(world.org, contact_in(1, attributes={"plan": "contract"}))
    ingest(ResponseIn(survey=world.survey, idempotency_key="k1", contact=contact,
                      answers=[AnswerIn(world.nps.pk, number=9)], responded_at=BASE))  # fmt: skip
    attribute = SliceRollup.objects.filter(dimension="attribute:plan")
    assert attribute.count() == 0
    rollups.do_set_rollup_attributes(world.org, ["plan"])
    rows = list(attribute.values_list("dimension", "value", "score", "count"))
    assert rows == [("attribute:plan", "contract", 9, 1)]
    assert list(ResponseCountRollup.objects.values_list("responses", "invited")) == [(1, 0)]


def test_attribute_keys_are_validated(world: World) -> None:
    from beacon.core.errors import ValidationFailed

    with pytest.raises(ValidationFailed) as e:
        rollups.do_set_rollup_attributes(world.org, ["a", "b", "c", "d"])
    assert e.value.errors == {"keys": "at most 3 attributes"}
    with pytest.raises(ValidationFailed) as e:
        rollups.do_set_rollup_attributes(world.org, ["a", "a"])
    assert e.value.errors == {"keys": "a key is repeated"}
    assert RollupAttribute.objects.count() == 0


def test_attribute_values_with_quotes_commas_and_braces_round_trip(world: World) -> None:
    odd = 'Shop "North", {unit 7} \\ back'
    rollups.do_set_rollup_attributes(world.org, ["store"])
    contact = do_upsert_contact(world.org, contact_in(1, attributes={"store": odd}))
    ingest(ResponseIn(survey=world.survey, idempotency_key="q1", contact=contact,
                      answers=[AnswerIn(world.nps.pk, number=3)], responded_at=BASE))  # fmt: skip
    rows = SliceRollup.objects.filter(dimension="attribute:store")
    assert list(rows.values_list("value", "score", "count")) == [(odd, 3, 1)]
