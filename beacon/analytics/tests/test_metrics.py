from __future__ import annotations

import datetime as dt

import pytest

from beacon.analytics import metrics
from beacon.analytics.tests.helpers import BASE, answered
from beacon.contacts.actions import InteractionIn, do_record_interaction, do_upsert_contact
from beacon.responses.checks import AnswerIn, ResponseIn
from beacon.responses.ingest import ingest
from beacon.responses.rollups import do_set_rollup_attributes
from beacon.surveys.actions import do_create_invitation
from beacon.testing import World, contact_in

pytestmark = pytest.mark.django_db

DAY = BASE.date()


def test_a_skipped_nps_question_is_not_a_detractor(world: World) -> None:
    world.nps.required = False
    world.nps.save()
    answered(world, [(10, 5, "")] * 30 + [(None, 1, "")] * 20)
    value = metrics.metric(world.org, "nps")
    assert (value.n, value.value, value.enough) == (30, 100.0, True)
    assert metrics.metric(world.org, "csat").n == 50


def test_below_the_threshold_there_is_no_number(world: World) -> None:
    answered(world, [(9, 4, "")] * 29)
    value = metrics.metric(world.org, "nps")
    assert (value.n, value.enough, value.value, value.low, value.high) == (
        29,
        False,
        None,
        None,
        None,
    )


def test_series_by_day_week_and_month_has_every_bucket(world: World) -> None:
    answered(world, [(10, 5, "")] * 3, day=0)
    answered(world, [(0, 1, "")] * 1, day=8)
    f = metrics.Filters(start=DAY, end=DAY + dt.timedelta(days=40))
    days = metrics.series(world.org, "nps", "day", f)
    assert len(days) == 41
    assert [(d, v.n) for d, v in days if v.n] == [(DAY, 3), (DAY + dt.timedelta(days=8), 1)]
    weeks = metrics.series(world.org, "nps", "week", f)
    assert [w for w, _ in weeks][:3] == [
        DAY,
        DAY + dt.timedelta(weeks=1),
        DAY + dt.timedelta(weeks=2),
    ]
    assert [v.n for _, v in weeks][:3] == [3, 1, 0]
    months = metrics.series(world.org, "nps", "month", f)
    assert [(m, v.n) for m, v in months] == [(dt.date(2026, 3, 1), 4), (dt.date(2026, 4, 1), 0)]


def test_breakdown_by_a_chosen_contact_attribute(world: World) -> None:
    do_set_rollup_attributes(world.org, ["plan"])
    contract = do_upsert_contact(world.org, contact_in(1, attributes={"plan": "contract"}))
    prepaid = do_upsert_contact(world.org, contact_in(2, attributes={"plan": "prepaid"}))
    answered(world, [(10, 5, "")] * 40, contact=contract, prefix="c")
    answered(world, [(0, 1, "")] * 10, contact=prepaid, prefix="p")
    assert metrics.dimension_names(world.org)[-1] == "attribute:plan"
    rows = metrics.attribute_breakdown(world.org, "nps", "plan")
    assert [(label, v.n, v.value) for label, v in rows] == [
        ("contract", 40, 100.0),
        ("prepaid", 10, None),
    ]


def test_comparing_two_periods_tests_the_nps_difference(world: World) -> None:
    answered(world, [(10, 5, "")] * 60 + [(0, 1, "")] * 40, day=0, prefix="a")
    answered(world, [(10, 5, "")] * 30 + [(0, 1, "")] * 70, day=7, prefix="b")
    a = metrics.Filters(start=DAY, end=DAY + dt.timedelta(days=6))
    b = metrics.Filters(start=DAY + dt.timedelta(days=7), end=DAY + dt.timedelta(days=13))
    c = metrics.compare(world.org, "nps", a, b)
    assert c.a.value == pytest.approx(20.0) and c.b.value == pytest.approx(-40.0)
    assert c.difference is not None and c.difference.diff == pytest.approx(-60.0)
    # var = (p + d - nps^2) / n per side: (1 - 0.04)/100 and (1 - 0.16)/100.
    se = ((0.96 + 0.84) / 100) ** 0.5
    assert c.difference.low == pytest.approx(100 * (-0.6 - 1.959963984540054 * se))
    assert c.significant and c.difference.p_value < 1e-5
    csat = metrics.compare(world.org, "csat", a, b)
    assert csat.difference is not None and csat.difference.test == "two-proportion z-test"
    same = metrics.compare(world.org, "nps", a, a)
    assert same.difference is not None and (same.difference.diff, same.significant) == (0.0, False)


def test_welch_for_means(world: World) -> None:
    answered(world, [(9, 4, "")] * 30, day=0, prefix="a", ces=6)
    answered(world, [(9, 4, "")] * 15 + [(9, 4, "")] * 15, day=7, prefix="b", ces=2)
    a = metrics.Filters(start=DAY, end=DAY)
    b = metrics.Filters(start=DAY + dt.timedelta(days=7), end=DAY + dt.timedelta(days=7))
    c = metrics.compare(world.org, "ces", a, b)
    assert c.difference is not None and c.difference.test == "Welch t-test"
    assert c.difference.diff == pytest.approx(-4.0)


def test_response_rate_and_coverage(world: World) -> None:
    invitations = []
    for i in range(4):
        rec = do_record_interaction(
            world.org,
            InteractionIn(
                contact=contact_in(i), idempotency_key=f"i{i}", touchpoint=world.touchpoint
            ),
        )
        if i < 2:
            invitations.append(
                do_create_invitation(
                    world.survey, rec.interaction.contact, interaction=rec.interaction
                )
            )
    ingest(ResponseIn(survey=world.survey, idempotency_key="x", invitation=invitations[0],
                      answers=[AnswerIn(world.nps.pk, number=9)]))  # fmt: skip
    rate = metrics.response_rate(world.org)
    assert (rate.numerator, rate.denominator, rate.enough, rate.value) == (1, 2, False, None)
    cover = metrics.coverage(world.org)
    assert (cover.numerator, cover.denominator) == (2, 4)
    assert metrics.response_volume(world.org) == 1


def test_drill_down_returns_the_comments_behind_a_cell(world: World) -> None:
    answered(world, [(10, 5, "great"), (2, 1, "awful wait"), (3, 2, ""), (8, 4, "fine")])
    detractors = metrics.verbatims_behind(world.org, "nps", metrics.Filters(), "detractors")
    assert [a.text for a in detractors] == ["awful wait"]
    everyone = metrics.verbatims_behind(world.org, "nps", metrics.Filters(), "all")
    assert sorted(a.text for a in everyone) == ["awful wait", "fine", "great"]
    scores = metrics.answers_behind(world.org, "nps", metrics.Filters(), "detractors")
    assert sorted(a.number for a in scores) == [2, 3]


def test_other_organisations_answers_never_count(world: World, other_world: World) -> None:
    answered(other_world, [(0, 1, "theirs")] * 40)
    assert metrics.metric(world.org, "nps").n == 0
    assert list(metrics.verbatims_behind(world.org, "nps", metrics.Filters())) == []


def test_slices_and_the_full_cube_give_the_same_numbers(world: World) -> None:
    contact = do_upsert_contact(world.org, contact_in(1, persona=world.persona))
    answered(world, [(10, 5, ""), (3, 2, ""), (8, 4, "")] * 12, contact=contact)
    from_slice = metrics.breakdown(world.org, "nps", "stage", metrics.Filters())
    # Two dimensions involved (persona filter, stage breakdown): read from the cube.
    from_cube = metrics.breakdown(
        world.org, "nps", "stage", metrics.Filters(persona_id=world.persona.pk)
    )
    assert [(label, v.n, v.value) for label, _, v in from_slice] == [
        (label, v.n, v.value) for label, _, v in from_cube
    ]
    assert [v.n for _, _, v in from_slice] == [0, 36]
    one = metrics.metric(
        world.org, "nps", metrics.Filters(stage_id=world.stage.pk, persona_id=world.persona.pk)
    )
    assert (
        one.n == 36
        and metrics.metric(world.org, "nps", metrics.Filters(team_id=world.team.pk)).n == 0
    )


def test_summary_reads_once_and_equals_each_metric(world: World) -> None:
    contact = do_upsert_contact(world.org, contact_in(1, persona=world.persona))
    answered(world, [(10, 5, ""), (3, 2, ""), (8, None, "")] * 15, contact=contact, ces=6)
    for f in (
        metrics.Filters(),
        metrics.Filters(stage_id=world.stage.pk),
        metrics.Filters(stage_id=world.stage.pk, persona_id=world.persona.pk),
        metrics.Filters(survey_id=world.survey.pk, start=DAY, end=DAY),
    ):
        together = metrics.summary(world.org, f)
        assert together == {k: metrics.metric(world.org, k, f) for k in ("nps", "csat", "ces")}
        assert [v.n for v in together.values()] == [45, 30, 45]
