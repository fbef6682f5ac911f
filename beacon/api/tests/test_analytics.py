"""The analytics endpoints: the same numbers as beacon.analytics, and bad input named."""

from __future__ import annotations

import datetime as dt

import pytest

from beacon.analytics import metrics
from beacon.analytics.tests.helpers import BASE, answered
from beacon.api.tests.conftest import Api, fields
from beacon.core import clock
from beacon.testing import World

pytestmark = pytest.mark.django_db

DAY = BASE.date()
TODAY = BASE + dt.timedelta(days=20)


@pytest.fixture
def seeded(world: World) -> World:
    answered(world, [(10, 5, "loved it")] * 40 + [(2, 1, "too slow")] * 10, day=0, prefix="a")
    answered(world, [(10, 5, "")] * 10 + [(2, 1, "still slow")] * 40, day=14, prefix="b")
    return world


def test_trend_by_week_with_bands(api: Api, seeded: World) -> None:
    with clock.frozen_at(TODAY):
        r = api.get(
            "/analytics/trend", metric="nps", grain="week", start=str(DAY), end=str(TODAY.date())
        )
    assert r.status_code == 200, r.content
    body = r.json()
    assert [p["period_start"] for p in body["points"]] == [
        str(DAY + dt.timedelta(weeks=i)) for i in range(3)
    ]
    assert [p["n"] for p in body["points"]] == [50, 0, 50]
    first = metrics.series(seeded.org, "nps", "week", metrics.Filters(start=DAY, end=DAY))[0][1]
    assert body["points"][0]["value"] == pytest.approx(first.value)
    assert body["points"][0]["low"] == pytest.approx(first.low)
    assert body["points"][1]["enough"] is False and body["points"][1]["value"] is None


def test_breakdown_by_stage(api: Api, seeded: World) -> None:
    with clock.frozen_at(TODAY):
        r = api.get("/analytics/breakdown", metric="csat", dimension="stage")
    assert r.status_code == 200, r.content
    rows = {row["name"]: row for row in r.json()["rows"]}
    assert rows["Get help"]["n"] == 100 and rows["Get help"]["value"] == pytest.approx(50.0)
    assert rows["Compare offers"]["n"] == 0 and rows["Compare offers"]["enough"] is False


def test_compare_defaults_to_the_previous_period(api: Api, seeded: World) -> None:
    with clock.frozen_at(TODAY):
        r = api.get("/analytics/compare", metric="nps", start=str(DAY + dt.timedelta(days=14)),
                    end=str(DAY + dt.timedelta(days=27)))  # fmt: skip
    assert r.status_code == 200, r.content
    body = r.json()
    assert (body["a_start"], body["a_end"]) == (str(DAY), str(DAY + dt.timedelta(days=13)))
    assert body["a"]["value"] == pytest.approx(60.0) and body["b"]["value"] == pytest.approx(-60.0)
    assert body["difference"]["diff"] == pytest.approx(-120.0)
    assert body["difference"]["significant"] is True and body["difference"]["test"] == "nps z-test"


def test_verbatims_behind_detractors(api: Api, seeded: World) -> None:
    with clock.frozen_at(TODAY):
        r = api.get("/analytics/verbatims", metric="nps", band="detractors", limit=3)
    assert r.status_code == 200, r.content
    assert [i["text"] for i in r.json()["items"]] == ["still slow"] * 3


def test_verbatims_page_on_with_next_after_and_no_comment_twice(api: Api, seeded: World) -> None:
    with clock.frozen_at(TODAY):
        whole = api.get("/analytics/verbatims", metric="nps", limit=200).json()
        pages, after = [], None
        while True:
            params = {"metric": "nps", "limit": 7, **({"after": after} if after else {})}
            body = api.get("/analytics/verbatims", **params).json()
            pages.append(body["items"])
            after = body["next_after"]
            if after is None:
                break
    assert whole["next_after"] is None and len(whole["items"]) > 7
    assert [i for page in pages for i in page] == whole["items"]
    assert all(len(page) == 7 for page in pages[:-1])


def test_rates_and_drivers_answer(api: Api, seeded: World) -> None:
    with clock.frozen_at(TODAY):
        rates = api.get("/analytics/rates").json()
        drivers = api.get("/analytics/drivers", survey_id=seeded.survey.pk).json()
    assert rates["responses"] == 100 and rates["response_rate"]["denominator"] == 0
    # CES was skipped everywhere: no response answered every driver question.
    assert (drivers["enough"], drivers["n"], drivers["drivers"]) == (False, 0, [])


@pytest.mark.parametrize(
    ("path", "params", "field"),
    [
        ("/analytics/trend", {"metric": "happiness"}, "metric"),
        ("/analytics/trend", {"grain": "hour"}, "grain"),
        ("/analytics/trend", {"grain": "day", "start": "2001-01-01", "end": "2026-01-01"}, "end"),
        ("/analytics/trend", {"start": "2026-03-10", "end": "2026-03-01"}, "end"),
        ("/analytics/trend", {"start": "1900-01-01"}, "start"),
        ("/analytics/trend", {"end": "2999-01-01"}, "end"),
        ("/analytics/trend", {"start": "not a date"}, "start"),
        ("/analytics/breakdown", {"dimension": "shoe_size"}, "dimension"),
        ("/analytics/breakdown", {"stage_id": 999999}, "stage_id"),
        ("/analytics/compare", {"a_start": "2026-03-10", "a_end": "2026-03-01"}, "a_end"),
        ("/analytics/compare", {"dimension": "team", "a_id": 1}, "b_id"),
        ("/analytics/verbatims", {"limit": 100000}, "limit"),
        ("/analytics/verbatims", {"band": "angry"}, "band"),
        ("/analytics/verbatims", {"after": "yesterday"}, "after"),
        ("/analytics/verbatims", {"after": "9" * 41}, "after"),
        ("/analytics/drivers", {}, "survey_id"),
    ],
)
def test_bad_input_names_the_parameter(
    api: Api, world: World, path: str, params: dict[str, object], field: str
) -> None:
    with clock.frozen_at(TODAY):
        r = api.get(path, **params)
    assert field in fields(r), r.json()


def test_other_organisations_ids_are_unknown(api: Api, world: World, other_world: World) -> None:
    with clock.frozen_at(TODAY):
        r = api.get("/analytics/drivers", survey_id=other_world.survey.pk)
        assert fields(r) == {"survey_id": f"no survey {other_world.survey.pk} in this organisation"}
        r = api.get("/analytics/compare", dimension="stage", a_id=world.stage.pk,
                    b_id=other_world.stage.pk)  # fmt: skip
        assert fields(r) == {"b_id": f"no stage {other_world.stage.pk} in this organisation"}
