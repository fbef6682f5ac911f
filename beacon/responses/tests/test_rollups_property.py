"""After any sequence of ingests, answer changes and deletions, rollups equal a recount."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from beacon.responses import rollups
from beacon.responses.actions import do_delete_response
from beacon.responses.ingest import AnswerIn, ResponseIn, ingest, ingest_bulk
from beacon.responses.models import Response, ScoreRollup
from conftest import World

pytestmark = pytest.mark.django_db

BASE = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)

op = st.one_of(
    st.tuples(
        st.just("ingest"),
        st.integers(0, 5),
        st.integers(0, 10),
        st.integers(1, 5),
        st.integers(0, 3),
        st.booleans(),
    ),
    st.tuples(
        st.just("bulk"),
        st.integers(6, 9),
        st.integers(0, 10),
        st.integers(1, 5),
        st.integers(0, 3),
        st.booleans(),
    ),
    st.tuples(
        st.just("delete"), st.integers(0, 9), st.just(0), st.just(0), st.just(0), st.just(False)
    ),
)


def _cells() -> dict[tuple, int]:
    return {
        (
            r.day,
            r.survey_id,
            r.question_id,
            r.stage_id,
            r.touchpoint_id,
            r.persona_id,
            r.team_id,
            r.score,
        ): r.count
        for r in ScoreRollup.objects.all()
        if r.count
    }


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(ops=st.lists(op, max_size=14))
def test_rollups_equal_a_full_recount(world: World, ops) -> None:
    Response.objects.all().delete()
    ScoreRollup.objects.all().delete()
    for kind, key, nps, csat, day, complete in ops:
        answers = [AnswerIn(world.nps.pk, number=nps), AnswerIn(world.csat.pk, number=csat)]
        when = BASE + dt.timedelta(days=day)
        data = ResponseIn(
            survey=world.survey,
            idempotency_key=f"r{key}",
            answers=answers,
            complete=complete,
            touchpoint=world.touchpoint,
            responded_at=when,
        )
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
