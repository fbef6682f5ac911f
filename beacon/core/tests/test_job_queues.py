"""Two queues: a time-critical job runs while a long bulk backlog waits; no results kept."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone
from huey import Huey, PriorityRedisHuey

from beacon.core.jobs import QUEUES, bulk, critical
from beacon.core.queue import EmbeddedHuey
from beacon.insights.tasks import classify_interaction_task, train_themes_task
from beacon.loop.models import Case
from beacon.notifications.models import OutboxMessage, OutboxState
from beacon.notifications.transports.email import message_id_of
from beacon.pipeline.actions import submit_response
from beacon.responses.checks import AnswerIn, ResponseIn
from beacon.settings.base import _huey
from beacon.testing import SmtpServer, World


@pytest.fixture
def queued() -> Iterator[None]:
    """The queues hold jobs (in memory) instead of running them at once, as in production."""
    for huey in QUEUES.values():
        huey.immediate = False
        huey.flush()
    try:
        yield
    finally:
        for huey in QUEUES.values():
            huey.flush()
            huey.immediate = True


def run_next(huey: Huey) -> str:
    """What a consumer thread of that queue does: take the next job and run it."""
    task = huey.dequeue()
    assert task is not None
    huey.execute(task)
    return str(task.name)


@pytest.mark.django_db(transaction=True)
def test_a_case_and_its_email_do_not_wait_behind_a_bulk_backlog(
    world: World, smtp: SmtpServer, queued: None
) -> None:
    for i in range(500):
        classify_interaction_task(10_000 + i)  # a long analysis backlog
    assert bulk.pending_count() == 500 and critical.pending_count() == 0
    submit_response(
        ResponseIn(
            survey=world.survey,
            idempotency_key="detractor",
            touchpoint=world.touchpoint,
            answers=[AnswerIn(world.nps.pk, number=1)],
        )
    )
    assert critical.pending_count() == 1
    assert run_next(critical) == "open_cases_task"
    case = Case.objects.get()
    assert run_next(critical) == "send_outbox_message"
    message = OutboxMessage.objects.get()
    assert message.state == OutboxState.SENT
    assert message.idempotency_key == f"case-opened:{case.pk}:{case.owner_id}"
    [mail] = smtp.inbox.to(case.owner.email)
    assert mail["Message-ID"] == message_id_of(message)
    # The backlog is untouched, and the response's analysis waits at its end.
    assert bulk.pending_count() == 501 and critical.pending_count() == 0
    # No job results kept: the bulk queue holds only the waiting analysis job's coalescing
    # mark, which the next stored response reads so as not to enqueue another.
    assert critical.result_count() == 0 and bulk.result_count() == 1
    mark = "coalesce:beacon.pipeline.tasks.analyse_responses_task:"
    assert bulk.get(mark, peek=True) is not None


@pytest.mark.django_db(transaction=True)
def test_retraining_requests_are_coalesced_per_organisation(
    world: World, other_world: World, queued: None
) -> None:
    from django.db import transaction

    from beacon.core.jobs import enqueue_once_on_commit

    for _ in range(50):
        with transaction.atomic():
            enqueue_once_on_commit(train_themes_task, world.org.pk)
    with transaction.atomic():
        enqueue_once_on_commit(train_themes_task, other_world.org.pk)
    assert bulk.pending_count() == 2
    assert run_next(bulk) == "train_themes_task"  # started: the next request queues again
    with transaction.atomic():
        enqueue_once_on_commit(train_themes_task, world.org.pk)
    assert bulk.pending_count() == 2


@pytest.mark.django_db(transaction=True)
def test_different_tasks_for_one_organisation_are_coalesced_apart(
    world: World, queued: None
) -> None:
    from django.db import transaction

    from beacon.core.jobs import enqueue_once_on_commit
    from beacon.insights.tasks import train_reasons_task

    with transaction.atomic():
        enqueue_once_on_commit(train_themes_task, world.org.pk)
        enqueue_once_on_commit(train_reasons_task, world.org.pk)
    assert sorted(task.name for task in bulk.pending()) == [
        "train_reasons_task",
        "train_themes_task",
    ]


@pytest.mark.django_db(transaction=True)
def test_the_sweeper_enqueues_a_drain_whose_job_died_after_leaving_the_queue(
    world: World, queued: None
) -> None:
    """A worker killed between taking the drain job and starting it leaves the coalescing
    mark behind; the sweeper must enqueue anyway once the responses' lease runs out."""
    import datetime as dt

    from beacon.pipeline.actions import requeue_lost_fanout
    from beacon.responses.models import Response

    submit_response(
        ResponseIn(
            survey=world.survey,
            idempotency_key="orphaned",
            touchpoint=world.touchpoint,
            answers=[AnswerIn(world.nps.pk, number=1)],
        )
    )
    assert critical.dequeue() is not None  # taken by a worker that then died
    assert critical.pending_count() == 0
    Response.objects.update(fanout_lease_until=timezone.now() - dt.timedelta(seconds=1))
    assert requeue_lost_fanout() == 1
    assert run_next(critical) == "open_cases_task"
    assert Case.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_case_drain_lost_with_its_mark_is_enqueued_again_by_the_next_response(
    world: World, queued: None
) -> None:
    """A critical job's coalescing mark is trusted for seconds, not hours: once the job
    that set it is lost, a response stored later than that enqueues a new drain without
    waiting for the sweeper (lease + a minute)."""
    import datetime as dt

    from beacon.core import clock
    from beacon.core.jobs import CRITICAL_COALESCE_STALE

    def store(key: str) -> None:
        submit_response(
            ResponseIn(
                survey=world.survey,
                idempotency_key=key,
                touchpoint=world.touchpoint,
                answers=[AnswerIn(world.nps.pk, number=1)],
            )
        )

    start = timezone.now()
    with clock.frozen_at(start):
        store("first")
    assert critical.dequeue() is not None  # taken by a worker that then died
    with clock.frozen_at(start + CRITICAL_COALESCE_STALE - dt.timedelta(seconds=1)):
        store("coalesced")
    assert critical.pending_count() == 0
    with clock.frozen_at(start + CRITICAL_COALESCE_STALE + dt.timedelta(seconds=1)):
        store("after")
    assert critical.pending_count() == 1
    assert run_next(critical) == "open_cases_task"
    assert Case.objects.count() == 3


def test_worker_refuses_an_unknown_queue() -> None:
    with pytest.raises(
        CommandError, match="--queues takes a comma-separated list of critical, bulk"
    ):
        call_command("worker", queues="critical,urgent")


@pytest.mark.django_db(transaction=True)
def test_an_email_goes_before_a_backlog_of_case_jobs_on_every_queue_storage(
    queued: None, tmp_path: Path
) -> None:
    """Cases arriving faster than they open must not hold back the emails of opened ones."""
    from beacon.notifications.tasks import send_outbox_message
    from beacon.pipeline.tasks import open_cases_task

    redis = _huey("redis://127.0.0.1:6379/0", immediate=False)
    stores = [
        critical,
        EmbeddedHuey("beacon", filename=str(tmp_path / "jobs.sqlite3")),
        PriorityRedisHuey(name=f"beacon-test-{uuid.uuid4().hex}", url=redis["url"]),
    ]
    jobs = [open_cases_task.s() for _ in range(50)] + [send_outbox_message.s(1)]
    for huey in stores:
        for job in jobs:  # as Huey.enqueue stores them, each with its task's priority
            huey.storage.enqueue(critical.serialize_task(job), job.priority)
        try:
            taken = [critical.deserialize_task(huey.storage.dequeue()) for _ in range(3)]
            assert [task.name for task in taken] == [
                "send_outbox_message",
                "open_cases_task",
                "open_cases_task",
            ]
        finally:
            huey.flush()
