"""Slow analyses computed by the worker: one job for many requests, kept until stale."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from beacon.analytics import drivers
from beacon.core import clock
from beacon.core.models import ComputedResult
from beacon.responses.checks import AnswerIn, ResponseIn
from beacon.responses.ingest import ingest_bulk
from beacon.testing import PASSWORD, World

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2026, 5, 4, 9, 0, tzinfo=dt.UTC)


def answers(world: World, count: int, start: int = 0) -> None:
    items = [
        ResponseIn(
            survey=world.survey,
            idempotency_key=f"k{i}",
            answers=[
                AnswerIn(world.nps.pk, number=i % 11),
                AnswerIn(world.csat.pk, number=1 + i * 7 % 5),
                AnswerIn(world.ces.pk, number=1 + i * 3 % 7),
            ],
            responded_at=clock.now() - dt.timedelta(hours=1),
        )
        for i in range(start, start + count)
    ]
    ingest_bulk(items, historical=True)


def test_computed_once_then_read_until_stale(world: World) -> None:
    with clock.frozen_at(T0):
        answers(world, 30)
        first = drivers.stored_key_drivers(world.org, world.survey.pk)
        again = drivers.stored_key_drivers(world.org, world.survey.pk)
    assert first.result is not None and first.result.n == 30
    assert (first.computed.as_of, again.computed.as_of) == (T0, T0)
    assert ComputedResult.objects.for_org(world.org).count() == 1
    answers(world, 10, start=30)
    with clock.frozen_at(T0 + dt.timedelta(minutes=14)):  # fresh: the stored figures
        assert drivers.stored_key_drivers(world.org, world.survey.pk).result.n == 30  # type: ignore[union-attr]
    with clock.frozen_at(T0 + dt.timedelta(minutes=16)):  # stale: computed again
        later = drivers.stored_key_drivers(world.org, world.survey.pk)
    assert later.result is not None and later.result.n == 40
    assert later.computed.as_of == T0 + dt.timedelta(minutes=16)
    assert ComputedResult.objects.for_org(world.org).count() == 1


def waiting(org_id: int) -> None:
    """Every stored result of the organisation as if its job were queued, never run yet."""
    ComputedResult.objects.for_org(org_id).update(
        data=None, as_of=None, queued_until=clock.now() + dt.timedelta(minutes=5)
    )


def test_while_the_job_waits_nothing_more_is_enqueued_and_the_api_says_202(
    world: World, other_world: World
) -> None:
    answers(world, 30)
    api = Client(HTTP_AUTHORIZATION=f"Bearer {world.api_secret}")
    query = {"survey_id": world.survey.pk}
    assert api.get("/api/v1/analytics/drivers", query).json()["n"] == 30
    browser = Client()
    browser.login(username=world.owner.email, password=PASSWORD)
    assert "Computed " in browser.get("/analytics/drivers/", query).content.decode()
    waiting(world.org.pk)
    r = api.get("/api/v1/analytics/drivers", query)
    assert (r.status_code, r.json()) == (
        202,
        {"detail": "Being computed by the worker.", "retry_after": 10},
    )
    page = browser.get("/analytics/drivers/", query).content.decode()
    assert "Being computed by the worker: reload the page in a minute." in page
    assert ComputedResult.objects.for_org(world.org).filter(data__isnull=False).count() == 0
    # The jobs were lost (their leases ran out): the next request enqueues again.
    ComputedResult.objects.for_org(world.org).update(queued_until=clock.now())
    with clock.frozen_at(clock.now() + dt.timedelta(seconds=1)):
        r = api.get("/api/v1/analytics/drivers", query)
    assert (r.status_code, r.json()["n"]) == (200, 30)
    # Another organisation's stored result is never read.
    other = drivers.stored_key_drivers(other_world.org, other_world.survey.pk).result
    assert other is not None and other.n == 0
