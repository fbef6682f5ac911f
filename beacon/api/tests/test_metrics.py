"""GET /metrics/summary: the same numbers as beacon.analytics.metrics, with sample sizes."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from beacon.analytics import metrics
from beacon.api.tests.conftest import Api, fields, interaction_body, response_body
from beacon.orgs.models import Organization
from beacon.testing import World

pytestmark = pytest.mark.django_db

# (day, nps, csat, ces, via the interaction with touchpoint/team/staff?)
ROWS = [
    ("2025-01-10", 10, 5, 7, True),
    ("2025-01-12", 9, 4, 6, True),
    ("2025-02-03", 3, 2, 2, False),
    ("2025-02-04", 7, 5, 5, True),
]


def _seed(api: Api, world: World) -> None:
    interaction_id = api.post("/interactions", interaction_body(world)).json()["id"]
    for i, (day, nps, csat, ces, linked) in enumerate(ROWS):
        body = response_body(
            world,
            key=f"r{i}",
            answers=[
                {"question_id": world.nps.pk, "number": nps},
                {"question_id": world.csat.pk, "number": csat},
                {"question_id": world.ces.pk, "number": ces},
            ],
            responded_at=f"{day}T12:00:00Z",
        )
        if linked:
            body["interaction_id"] = interaction_id
        assert api.post("/responses", body).status_code == 201


def _expected(org: Organization, f: metrics.Filters) -> dict[str, Any]:
    fresh = Organization.objects.get(pk=org.pk)
    out = {}
    for key, m in metrics.summary(fresh, f).items():
        out[key] = {"label": m.label, "unit": m.unit, "value": m.value, "low": m.low,
                    "high": m.high, "n": m.n, "min_n": m.min_n, "enough": m.enough}  # fmt: skip
    return out


def _min_sample(world: World, n: int) -> None:
    # No do_* changes the threshold yet; set it directly for the test.
    Organization.objects.filter(pk=world.org.pk).update(min_sample_size=n)


def test_summary_equals_analytics_and_is_enough_at_min_n(api: Api, world: World) -> None:
    _seed(api, world)
    _min_sample(world, 4)
    r = api.get("/metrics/summary")
    assert r.status_code == 200
    body = r.json()
    assert body == _expected(world.org, metrics.Filters())
    assert body["nps"]["n"] == 4 and body["nps"]["enough"] is True
    assert body["nps"]["value"] == 25.0  # 2 promoters, 1 detractor of 4
    assert body["csat"]["value"] == 75.0 and body["csat"]["unit"] == "%"
    assert body["ces"]["value"] == 5.0
    assert body["nps"]["low"] < 25.0 < body["nps"]["high"]


def test_below_min_n_is_not_enough_and_has_no_value(api: Api, world: World) -> None:
    _seed(api, world)
    body = api.get("/metrics/summary").json()
    assert body["nps"] == {"label": "NPS", "unit": "", "value": None, "low": None, "high": None,
                           "n": 4, "min_n": 30, "enough": False}  # fmt: skip
    assert body == _expected(world.org, metrics.Filters())


def test_no_answers_at_all(api: Api, world: World) -> None:
    body = api.get("/metrics/summary").json()
    assert body["ces"] == {"label": "CES", "unit": "", "value": None, "low": None, "high": None,
                           "n": 0, "min_n": 30, "enough": False}  # fmt: skip


def test_filters_match_analytics(api: Api, world: World) -> None:
    _seed(api, world)
    _min_sample(world, 1)
    cases: list[tuple[dict[str, Any], metrics.Filters, int]] = [
        ({"start": "2025-02-01"}, metrics.Filters(start=dt.date(2025, 2, 1)), 2),
        ({"end": "2025-01-12"}, metrics.Filters(end=dt.date(2025, 1, 12)), 2),
        ({"start": "2025-01-12", "end": "2025-02-03"},
         metrics.Filters(start=dt.date(2025, 1, 12), end=dt.date(2025, 2, 3)), 2),
        ({"start": "2025-02-04", "end": "2025-02-04"},
         metrics.Filters(start=dt.date(2025, 2, 4), end=dt.date(2025, 2, 4)), 1),
        ({"survey_id": world.survey.pk}, metrics.Filters(survey_id=world.survey.pk), 4),
        ({"stage_id": world.stage.pk}, metrics.Filters(stage_id=world.stage.pk), 3),
        ({"team_id": world.team.pk}, metrics.Filters(team_id=world.team.pk), 3),
        ({"touchpoint_id": world.touchpoint.pk},
         metrics.Filters(touchpoint_id=world.touchpoint.pk), 3),
        ({"persona_id": world.persona.pk}, metrics.Filters(persona_id=world.persona.pk), 0),
    ]  # fmt: skip
    for params, f, n in cases:
        r = api.get("/metrics/summary", **params)
        assert r.status_code == 200, (params, r.content)
        assert r.json() == _expected(world.org, f), params
        assert r.json()["nps"]["n"] == n, params


def test_end_before_start_is_422_naming_end(api: Api, world: World) -> None:
    r = api.get("/metrics/summary", start="2025-02-01", end="2025-01-31")
    assert fields(r) == {"end": "must be on or after start"}


def test_bad_dates_and_ids_are_named(api: Api, world: World) -> None:
    r = api.get("/metrics/summary", start="2025-13-01", stage_id="abc")
    assert set(fields(r)) == {"start", "stage_id"}


@pytest.mark.parametrize("field", ["survey_id", "stage_id", "persona_id", "team_id",
                                   "touchpoint_id"])  # fmt: skip
def test_unknown_filter_id_is_422(api: Api, world: World, field: str) -> None:
    assert list(fields(api.get("/metrics/summary", **{field: 987654}))) == [field]
