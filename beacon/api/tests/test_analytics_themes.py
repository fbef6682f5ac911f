"""Themes and sentiment in the analytics endpoints: filters, breakdowns, theme drivers."""

from __future__ import annotations

import datetime as dt

import pytest

from beacon.analytics.tests.helpers import BASE, answered, said
from beacon.api.tests.conftest import Api, fields
from beacon.core import clock
from beacon.core.models import ComputedResult
from beacon.insights.models import Theme
from beacon.insights.taxonomy import do_create_theme
from beacon.testing import World

pytestmark = pytest.mark.django_db

DAY = BASE.date()
TODAY = BASE + dt.timedelta(days=20)


@pytest.fixture
def themed(world: World) -> tuple[World, Theme, Theme]:
    """40 responses: 20 complain about price (NPS -100), 20 praise the staff (NPS 100)."""
    world.org.min_sample_size = 10
    world.org.save()
    price = do_create_theme(world.org, "Price")
    staff = do_create_theme(world.org, "Staff")
    said(world, [(2, {price: "negative"}, "negative")] * 20, prefix="p")
    said(world, [(10, {staff: "positive"}, "positive")] * 20, prefix="s")
    answered(world, [(8, None, "")] * 5, prefix="plain")
    return world, price, staff


def test_every_endpoint_takes_a_theme_and_a_sentiment(
    api: Api, themed: tuple[World, Theme, Theme]
) -> None:
    _, price, staff = themed
    with clock.frozen_at(TODAY):
        trend = api.get("/analytics/trend", grain="month", theme_id=price.pk).json()
        negative = api.get("/analytics/trend", grain="month", sentiment="negative").json()
        praise = api.get("/analytics/trend", grain="month", theme_id=staff.pk,
                         sentiment="positive").json()  # fmt: skip
        rates = api.get("/analytics/rates", theme_id=staff.pk).json()
        words = api.get("/analytics/verbatims", theme_id=price.pk, limit=200).json()
        compare = api.get("/analytics/compare", dimension="theme", a_id=price.pk,
                          b_id=staff.pk, start=str(DAY), end=str(DAY), a_start=str(DAY),
                          a_end=str(DAY)).json()  # fmt: skip
    assert [(p["n"], p["value"]) for p in trend["points"] if p["n"]] == [(20, -100.0)]
    assert [(p["n"], p["value"]) for p in negative["points"] if p["n"]] == [(20, -100.0)]
    assert [(p["n"], p["value"]) for p in praise["points"] if p["n"]] == [(20, 100.0)]
    assert rates["responses"] == 20
    assert len(words["items"]) == 20
    assert (compare["a"]["value"], compare["b"]["value"]) == (-100.0, 100.0)
    assert compare["difference"]["diff"] == 200.0


def test_breakdown_by_theme_and_by_sentiment(api: Api, themed: tuple[World, Theme, Theme]) -> None:
    _, price, staff = themed
    with clock.frozen_at(TODAY):
        by_theme = api.get("/analytics/breakdown", dimension="theme").json()
        by_sentiment = api.get("/analytics/breakdown", dimension="sentiment").json()
    assert [(r["id"], r["name"], r["n"], r["value"]) for r in by_theme["rows"]] == [
        (price.pk, "Price", 20, -100.0),
        (staff.pk, "Staff", 20, 100.0),
    ]
    assert [(r["id"], r["name"], r["n"], r["enough"]) for r in by_sentiment["rows"]] == [
        (None, "positive", 20, True),
        (None, "negative", 20, True),
        (None, "neutral", 0, False),
        (None, "mixed", 0, False),
    ]


def test_theme_drivers(api: Api, themed: tuple[World, Theme, Theme]) -> None:
    with clock.frozen_at(TODAY):
        body = api.get("/analytics/theme-drivers").json()
    assert (body["overall"]["n"], body["overall"]["value"]) == (40, 0.0)
    rows = [(t["theme"], t["n"], t["share"]["value"], t["mentioned"]["value"],
             t["rest"]["value"], t["difference"], t["impact"]) for t in body["themes"]]  # fmt: skip
    assert rows == [
        ("Price", 20, 50.0, -100.0, 100.0, -200.0, 100.0),
        ("Staff", 20, 50.0, 100.0, -100.0, 200.0, -100.0),
    ]
    # Each side has no spread at all, so the difference has no uncertainty either.
    assert (body["themes"][0]["impact_low"], body["themes"][0]["impact_high"]) == (100.0, 100.0)


def test_unknown_theme_or_sentiment_is_named(api: Api, world: World, other_world: World) -> None:
    theirs = do_create_theme(other_world.org, "Price")
    with clock.frozen_at(TODAY):
        for path in ("/analytics/trend", "/analytics/breakdown", "/analytics/theme-drivers",
                     "/analytics/rates", "/analytics/verbatims"):  # fmt: skip
            r = api.get(path, theme_id=theirs.pk)
            assert fields(r) == {"theme_id": f"no theme {theirs.pk} in this organisation"}
        r = api.get("/analytics/breakdown", sentiment="angry")
        assert fields(r) == {
            "sentiment": "unknown sentiment 'angry'; one of positive, negative, neutral, mixed"
        }
        r = api.get("/analytics/compare", dimension="theme", a_id=theirs.pk, b_id=theirs.pk)
        assert set(fields(r)) == {"a_id", "b_id"}


def test_theme_drivers_are_counted_by_the_worker_and_kept_until_stale(
    api: Api, themed: tuple[World, Theme, Theme]
) -> None:
    world, price, _ = themed
    with clock.frozen_at(TODAY):
        first = api.get("/analytics/theme-drivers").json()
    assert first["as_of"].startswith(TODAY.date().isoformat())
    # Ten more price complaints: the stored counts are read until they are 15 minutes old.
    said(world, [(2, {price: "negative"}, "negative")] * 10, prefix="later")
    with clock.frozen_at(TODAY + dt.timedelta(minutes=14)):
        fresh = api.get("/analytics/theme-drivers").json()
    with clock.frozen_at(TODAY + dt.timedelta(minutes=16)):
        stale = api.get("/analytics/theme-drivers").json()
    assert [t["n"] for t in fresh["themes"]] == [20, 20]
    assert [t["n"] for t in stale["themes"]] == [30, 20]
    # While the job waits, the API says so rather than counting in the request.
    ComputedResult.objects.for_org(world.org).update(
        data=None, as_of=None, queued_until=TODAY + dt.timedelta(hours=1)
    )
    with clock.frozen_at(TODAY + dt.timedelta(minutes=17)):
        r = api.get("/analytics/theme-drivers")
    assert (r.status_code, r.json()) == (
        202,
        {"detail": "Being computed by the worker.", "retry_after": 10},
    )
