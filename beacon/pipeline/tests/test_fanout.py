"""Idempotent fan-out: a duplicated job does nothing; the sweeper re-enqueues only lost work."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
from django.core.management import call_command

from beacon.core import clock
from beacon.insights.models import AnswerInsight
from beacon.loop.models import Case
from beacon.notifications.models import OutboxMessage
from beacon.orgs.models import Event, Membership
from beacon.pipeline.actions import CASE_STAGE, requeue_lost_fanout, stuck_fanout
from beacon.pipeline.processing import CASE_BATCH, process_response, start
from beacon.pipeline.tasks import analyse_responses_task, open_cases_task
from beacon.responses.checks import AnswerIn, ResponseIn
from beacon.responses.ingest import ingest
from beacon.responses.models import Response
from beacon.testing import World

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


def detractor(world: World, key: str = "r-1") -> Response:
    """Stored without its jobs, as if the process died right after the commit."""
    with clock.frozen_at(T0):
        return ingest(
            ResponseIn(
                survey=world.survey,
                idempotency_key=key,
                answers=[
                    AnswerIn(world.nps.pk, number=2),
                    AnswerIn(world.comment.pk, text="The refund never came"),
                ],
                touchpoint=world.touchpoint,
            )
        ).response


def effects() -> tuple[int, int, int, int]:
    return (
        Case.objects.count(),
        OutboxMessage.objects.count(),
        AnswerInsight.objects.count(),
        Event.objects.count(),
    )


def test_a_duplicated_job_does_nothing(world: World) -> None:
    response = detractor(world)
    with clock.frozen_at(T0 + dt.timedelta(seconds=5)):
        open_cases_task.call_local()
        analyse_responses_task.call_local()
    after_first = effects()
    case = Case.objects.get(response=response)
    assert after_first[:3] == (1, 1, 1)  # the case, its owner's email, the comment read
    assert OutboxMessage.objects.get().idempotency_key == f"case-opened:{case.pk}:{case.owner_id}"
    with clock.frozen_at(T0 + dt.timedelta(seconds=9)):
        open_cases_task.call_local()
        analyse_responses_task.call_local()
    assert effects() == after_first
    stored = Response.objects.get(pk=response.pk)
    assert stored.cased_at == T0 + dt.timedelta(seconds=5)
    assert stored.processed_at == T0 + dt.timedelta(seconds=5)


def test_the_analysis_stage_waits_for_the_case_stage(world: World) -> None:
    response = detractor(world)
    analyse_responses_task.call_local()  # delivered out of order: nothing yet
    assert effects()[:3] == (0, 0, 0)
    assert Response.objects.get(pk=response.pk).processed_at is None


def test_the_sweeper_requeues_only_lost_jobs(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    response = detractor(world)
    with clock.frozen_at(T0 + dt.timedelta(seconds=60)):  # its job may still be queued
        assert requeue_lost_fanout() == 0
    with (
        clock.frozen_at(T0 + dt.timedelta(seconds=121)),
        django_capture_on_commit_callbacks() as jobs,
    ):
        assert requeue_lost_fanout() == 1
        assert requeue_lost_fanout() == 0  # a second sweeper: the lease is renewed
    assert len(jobs) == 1
    with clock.frozen_at(T0 + dt.timedelta(seconds=200)):
        assert requeue_lost_fanout() == 0  # the re-enqueued job holds its lease
    with (
        clock.frozen_at(T0 + dt.timedelta(seconds=242)),
        django_capture_on_commit_callbacks(execute=True) as jobs,
    ):
        assert requeue_lost_fanout() == 1  # that job was lost too: enqueued once more
    assert len(jobs) >= 1 and Case.objects.filter(response=response).count() == 1
    stored = Response.objects.get(pk=response.pk)
    assert stored.cased_at is not None and stored.processed_at is not None
    with clock.frozen_at(T0 + dt.timedelta(days=1)):
        assert requeue_lost_fanout() == 0  # processed: never again


def test_a_fanout_that_fails_every_time_is_left_for_a_person(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    response = detractor(world)
    lease = dt.timedelta(seconds=121)
    at = T0
    with django_capture_on_commit_callbacks() as jobs:
        for _ in range(5):
            at += lease
            with clock.frozen_at(at):
                assert requeue_lost_fanout() == 1
                # Its job starts the batch and the worker is killed before it commits.
                assert start(CASE_STAGE, CASE_BATCH) == [response.pk]
        at += lease
        with clock.frozen_at(at):
            assert requeue_lost_fanout() == 0  # the fifth attempt was the last
    assert len(jobs) == 5
    assert list(stuck_fanout()) == [response]
    out = io.StringIO()
    call_command("fanout", stdout=out)
    assert out.getvalue().splitlines() == [
        "1 response(s) whose fan-out was started 5 times and never finished:",
        f"  response {response.pk} of {world.org.slug}, received 2026-03-02 09:00, stage: case",
        "Run `beacon fanout --retry` once the cause is fixed.",
    ]
    call_command("fanout", "--retry", stdout=out)
    assert "1 response(s) given back to the sweeper" in out.getvalue()
    assert list(stuck_fanout()) == []
    with clock.frozen_at(at), django_capture_on_commit_callbacks(execute=True):
        assert requeue_lost_fanout() == 1
    assert Case.objects.filter(response=response).count() == 1


def test_a_long_backlog_counts_no_attempt(
    world: World, django_capture_on_commit_callbacks: Any, settings: Any
) -> None:
    response = detractor(world)
    lease = dt.timedelta(seconds=121)
    at = T0
    # The drain job waits behind a backlog far longer than the lease: each sweep enqueues
    # another (coalesced) job, and none of that is a failed attempt.
    sweeps = 3 * settings.FANOUT_MAX_ATTEMPTS
    with django_capture_on_commit_callbacks() as jobs:
        for _ in range(sweeps):
            at += lease
            with clock.frozen_at(at):
                assert requeue_lost_fanout() == 1
    assert len(jobs) == sweeps
    assert Response.objects.get(pk=response.pk).fanout_attempts == 0
    assert list(stuck_fanout()) == []
    with clock.frozen_at(at):
        open_cases_task.call_local()
        analyse_responses_task.call_local()
    stored = Response.objects.get(pk=response.pk)
    assert (stored.cased_at, stored.processed_at, stored.fanout_attempts) == (at, at, 0)
    assert Case.objects.filter(response=response).count() == 1


def test_a_batch_killed_midway_counts_one_attempt_and_is_taken_again(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    stored = [detractor(world, f"r-{i}").pk for i in range(3)]
    with clock.frozen_at(T0 + dt.timedelta(seconds=5)):
        assert start(CASE_STAGE, CASE_BATCH) == stored  # the worker dies here
    assert list(Response.objects.order_by("pk").values_list("fanout_attempts", flat=True)) == [
        1,
        1,
        1,
    ]
    with clock.frozen_at(T0 + dt.timedelta(seconds=100)):
        assert requeue_lost_fanout() == 0  # the batch's lease: it may still be running
    with (
        clock.frozen_at(T0 + dt.timedelta(seconds=126)),
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert requeue_lost_fanout() == 3
    assert Case.objects.count() == 3
    assert set(Response.objects.values_list("fanout_attempts", "processed_at")) == {
        (0, T0 + dt.timedelta(seconds=126))
    }


def test_a_deactivated_stage_owner_is_passed_over(world: World) -> None:
    # Set directly: deactivating through the members page also hands the stage over.
    Membership.objects.filter(pk=world.stage_owner.pk).update(deactivated_at=T0)
    response = detractor(world)
    assert response.stage_id == world.stage.pk and world.stage.owner == world.stage_owner
    process_response(response.pk)
    assert Case.objects.get(response=response).owner == world.owner
