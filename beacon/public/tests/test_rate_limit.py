"""The widget's rate limit: counted in the database, atomic, answered with 429."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.test import Client

from beacon.core import clock
from beacon.public.channels import WIDGET_ANSWERS, WIDGET_READS
from beacon.public.models import RateWindow
from beacon.public.ratelimit import Limit, purge, take
from beacon.responses.models import Response
from beacon.testing import World, race

SHOP = "https://shop.example"
START = dt.datetime(2026, 3, 2, 9, 0, 10, tzinfo=dt.UTC)


def _answer(world: World, n: int, address: str = "203.0.113.7") -> Any:
    body = {"key": f"k{n}", "answers": [{"question_id": world.nps.pk, "number": 9}]}
    return Client(REMOTE_ADDR=address).post(
        f"/s/widget/{world.survey.anonymous_token}/",
        data=json.dumps(body),
        content_type="application/json",
        HTTP_ORIGIN=SHOP,
    )


@pytest.mark.django_db
def test_answers_beyond_the_limit_get_429_until_the_window_ends(world: World) -> None:
    world.survey.widget_origins = SHOP
    world.survey.save()
    assert WIDGET_ANSWERS.requests == 10
    with clock.frozen_at(START):
        assert [_answer(world, n).status_code for n in range(10)] == [201] * 10
        refused = _answer(world, 10)
        assert refused.status_code == 429 and refused["Retry-After"] == "50"
        assert refused["Access-Control-Allow-Origin"] == SHOP  # the widget can read why
        assert refused.json() == {
            "detail": "Too many answers from your address: at most 10 a minute. "
            "Please try again in 50 seconds."
        }
        assert Response.objects.count() == 10  # the refused answer stored nothing
        assert _answer(world, 11, address="198.51.100.2").status_code == 201
    with clock.frozen_at(START + dt.timedelta(seconds=50)):
        assert _answer(world, 12).status_code == 201
    assert Response.objects.count() == 12


@pytest.mark.django_db
def test_reading_the_questions_is_limited_per_address(world: World) -> None:
    url = f"/s/widget/{world.survey.anonymous_token}/"
    client = Client(REMOTE_ADDR="203.0.113.9")
    with clock.frozen_at(START):
        codes = [client.get(url).status_code for _ in range(WIDGET_READS.requests + 1)]
    assert codes == [200] * WIDGET_READS.requests + [429]
    assert RateWindow.objects.get().count == WIDGET_READS.requests


@pytest.mark.django_db
def test_old_windows_are_purged(world: World) -> None:
    with clock.frozen_at(START):
        take(world.org.pk, "k", Limit(5, 60))
    with clock.frozen_at(START + dt.timedelta(minutes=30)):
        take(world.org.pk, "k", Limit(5, 60))
    with clock.frozen_at(START + dt.timedelta(minutes=80)):
        assert purge() == 1
    assert RateWindow.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_racing_requests_cannot_exceed_the_limit(world: World) -> None:
    limit = Limit(requests=5, seconds=3600)
    allowed = race(12, lambda _i: take(world.org.pk, "race", limit) is None)
    assert len(allowed) == 12
    assert allowed.count(True) == 5
    assert RateWindow.objects.get(key="race").count == 5
