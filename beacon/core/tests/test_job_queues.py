"""Two queues: a time-critical job runs while a long bulk backlog waits; no results kept."""

from __future__ import annotations

import itertools
import signal
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from email.message import Message as EmailMessage
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone
from django.utils.module_loading import autodiscover_modules
from huey import Huey, MemoryHuey, PriorityRedisHuey
from huey.storage import PriorityRedisStorage

from beacon.core.jobs import CASE_PRIORITY, QUEUES, bulk, critical
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


def store_detractor(world: World, key: str) -> None:
    """A detractor's answer stored as the API stores it: its case drain is enqueued."""
    submit_response(
        ResponseIn(
            survey=world.survey,
            idempotency_key=key,
            touchpoint=world.touchpoint,
            answers=[AnswerIn(world.nps.pk, number=1)],
        )
    )


@pytest.mark.django_db(transaction=True)
def test_a_case_and_its_email_do_not_wait_behind_a_bulk_backlog(
    world: World, smtp: SmtpServer, queued: None
) -> None:
    for i in range(500):
        classify_interaction_task(10_000 + i)  # a long analysis backlog
    assert bulk.pending_count() == 500 and critical.pending_count() == 0
    store_detractor(world, "detractor")
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

    store_detractor(world, "orphaned")
    assert critical.dequeue() is not None  # taken by a worker that then died
    assert critical.pending_count() == 0
    Response.objects.update(fanout_lease_until=timezone.now() - dt.timedelta(seconds=1))
    assert requeue_lost_fanout() == 1
    assert run_next(critical) == "open_cases_task"
    assert Case.objects.count() == 1


def _cased_and_waiting_for_analysis(world: World) -> None:
    """A detractor's response through its case stage: its analysis drain is queued."""
    store_detractor(world, "detractor")
    assert run_next(critical) == "open_cases_task"
    assert [job.name for job in bulk.pending()][-1] == "analyse_responses_task"


@pytest.mark.django_db(transaction=True)
def test_the_sweeper_enqueues_an_analysis_drain_lost_with_its_mark_within_a_minute(
    world: World, queued: None
) -> None:
    """The bulk queue trusts a coalescing mark for hours and the analysis lease runs 30
    minutes; a drain taken by a worker that died before starting it is found by the next
    sweep instead, once its mark is older than a freshly taken job's."""
    import datetime as dt

    from beacon.core import clock
    from beacon.core.jobs import CRITICAL_COALESCE_STALE
    from beacon.pipeline.tasks import sweep_unprocessed_responses
    from beacon.responses.models import Response

    start = timezone.now()
    with clock.frozen_at(start):
        _cased_and_waiting_for_analysis(world)
    assert bulk.dequeue() is not None  # taken by a worker that then died
    with clock.frozen_at(start + CRITICAL_COALESCE_STALE - dt.timedelta(seconds=1)):
        assert sweep_unprocessed_responses.call_local() == 0
    assert bulk.pending_count() == 0  # it may be starting: trusted a few seconds
    with clock.frozen_at(start + dt.timedelta(minutes=1)):
        assert sweep_unprocessed_responses.call_local() == 1
    assert [job.name for job in bulk.pending()] == ["analyse_responses_task"]
    assert run_next(bulk) == "analyse_responses_task"
    assert Response.objects.get().processed_at is not None
    with clock.frozen_at(start + dt.timedelta(minutes=2)):
        assert sweep_unprocessed_responses.call_local() == 0  # nothing waits any more
    assert bulk.pending_count() == 0


@pytest.mark.django_db(transaction=True)
def test_the_sweeper_enqueues_a_drain_killed_while_it_ran_within_a_minute(
    world: World, queued: None
) -> None:
    """A drain deletes its mark when it starts (requests from then on queue the next run);
    killed while it runs, with no request after it, it leaves work and no job."""
    import datetime as dt

    from beacon.core import clock
    from beacon.core.jobs import coalesced_start
    from beacon.pipeline.tasks import analyse_responses_task, sweep_unprocessed_responses

    start = timezone.now()
    with clock.frozen_at(start):
        _cased_and_waiting_for_analysis(world)
    assert bulk.dequeue() is not None
    coalesced_start(analyse_responses_task)  # it starts, and the worker is killed
    with clock.frozen_at(start + dt.timedelta(minutes=1)):
        assert sweep_unprocessed_responses.call_local() == 1
    assert run_next(bulk) == "analyse_responses_task"
    assert Case.objects.get().response.processed_at is not None


@pytest.mark.django_db(transaction=True)
def test_the_sweeper_adds_no_analysis_drain_while_one_waits_behind_a_backlog(
    world: World, queued: None
) -> None:
    import datetime as dt

    from beacon.core import clock
    from beacon.pipeline.tasks import sweep_unprocessed_responses

    start = timezone.now()
    with clock.frozen_at(start):
        for i in range(3):
            classify_interaction_task(10_000 + i)  # ahead of it in the bulk queue
        _cased_and_waiting_for_analysis(world)
    with clock.frozen_at(start + dt.timedelta(minutes=10)):
        assert sweep_unprocessed_responses.call_local() == 0
    assert [job.name for job in bulk.pending()] == [
        "classify_interaction_task",
        "classify_interaction_task",
        "classify_interaction_task",
        "analyse_responses_task",
    ]


@pytest.mark.django_db(transaction=True)
def test_the_hourly_retraining_check_enqueues_only_trainings_lost_with_their_mark(
    world: World, other_world: World, queued: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Both organisations edited a theme, so both are due; the check leaves a training
    that waits and enqueues one a dead worker took, reading the queue once for both."""
    import datetime as dt

    from beacon.core import clock
    from beacon.insights.tasks import retrain_from_corrections
    from beacon.insights.taxonomy import do_create_theme

    start = timezone.now()
    with clock.frozen_at(start):
        do_create_theme(world.org, "Price", "What it costs", ["too expensive"])
        do_create_theme(other_world.org, "Price", "What it costs", ["too expensive"])
    assert [job.args for job in bulk.pending()] == [(world.org.pk,), (other_world.org.pk,)]
    reads: list[int] = []
    pending = bulk.pending

    def counted(*args: Any) -> list[Any]:  # Huey's own read, counted
        reads.append(1)
        return list(pending(*args))

    monkeypatch.setattr(bulk, "pending", counted)
    with clock.frozen_at(start + dt.timedelta(hours=1)):
        assert retrain_from_corrections.call_local() == 2
    assert [job.args for job in bulk.pending()] == [(world.org.pk,), (other_world.org.pk,)]
    assert bulk.dequeue().args == (world.org.pk,)  # taken by a worker that then died
    reads.clear()
    # Within the two hours the bulk queue trusts a mark (`COALESCE_STALE`).
    with clock.frozen_at(start + dt.timedelta(minutes=90)):
        assert retrain_from_corrections.call_local() == 2
    assert len(reads) == 1  # the queue read once for both marks
    assert sorted(job.args for job in bulk.pending()) == sorted(
        [(world.org.pk,), (other_world.org.pk,)]
    )


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

    start = timezone.now()
    with clock.frozen_at(start):
        store_detractor(world, "first")
    assert critical.dequeue() is not None  # taken by a worker that then died
    with clock.frozen_at(start + CRITICAL_COALESCE_STALE - dt.timedelta(seconds=1)):
        store_detractor(world, "coalesced")
    assert critical.pending_count() == 0
    with clock.frozen_at(start + CRITICAL_COALESCE_STALE + dt.timedelta(seconds=1)):
        store_detractor(world, "after")
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
    """Cases arriving faster than they open must not hold back the emails of opened ones;
    the resend job and the periodic jobs (sweeps) take their turns among the case jobs, in
    the order they were enqueued (the resend job's next turn then queues behind the case
    jobs waiting)."""
    from beacon.notifications.tasks import resend_due_messages, send_outbox_message, sweep_outbox
    from beacon.pipeline.tasks import open_cases_task, sweep_unprocessed_responses

    redis = _huey("redis://127.0.0.1:6379/0", immediate=False)
    stores = [
        critical,
        EmbeddedHuey("beacon", filename=str(tmp_path / "jobs.sqlite3")),
        PriorityRedisHuey(name=f"beacon-test-{uuid.uuid4().hex}", url=redis["url"]),
    ]
    jobs = (
        [sweep_unprocessed_responses.s()]
        + [open_cases_task.s() for _ in range(25)]
        + [resend_due_messages.s(), sweep_outbox.s()]
        + [open_cases_task.s() for _ in range(25)]
        + [send_outbox_message.s(1)]
    )
    for huey in stores:
        for job in jobs:  # as Huey.enqueue stores them, each with its task's priority
            huey.storage.enqueue(critical.serialize_task(job), job.priority)
        try:
            taken = [critical.deserialize_task(huey.storage.dequeue()) for _ in jobs]
            assert [(task.name, task.args) for task in taken] == [
                ("send_outbox_message", (1,)),
                ("sweep_unprocessed_responses", ()),
                *[("open_cases_task", ())] * 25,
                ("resend_due_messages", ()),
                ("sweep_outbox", ()),
                *[("open_cases_task", ())] * 25,
            ]
        finally:
            huey.flush()


@pytest.fixture
def critical_on_redis() -> Iterator[Huey]:
    """The critical queue on a real Redis (Huey's priority queue, as deployments run it),
    under a name of its own; the bulk queue keeps its jobs in memory, unserved."""
    critical.immediate = bulk.immediate = False
    critical.storage = PriorityRedisStorage(
        f"beacon-test-{uuid.uuid4().hex}", url="redis://127.0.0.1:6379/0"
    )
    try:
        yield critical
    finally:
        critical.storage.flush_all()
        bulk.flush()
        critical.immediate = bulk.immediate = True  # back to the in-memory storage


@contextmanager
def consuming(huey: Huey) -> Iterator[None]:
    """A real Huey consumer serving `huey` from threads of this process, as `beacon worker`
    does, leaving the test run's signal handlers as they were. One thread: SQLite's shared
    in-memory test database refuses a second writer outright, and with one the order in
    which jobs leave the queue is the order in which they run."""
    consumer = huey.create_consumer(
        workers=1, worker_type="thread", periodic=False, initial_delay=0.02, max_delay=0.2,
        check_worker_health=False, shutdown_timeout=30,
    )  # fmt: skip
    handlers = {
        sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
    }
    consumer.start()
    for sig, handler in handlers.items():
        signal.signal(sig, handler)
    try:
        yield
    finally:
        consumer.stop(graceful=True)


def wait_until(condition: Callable[[], bool], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


@contextmanager
def counting_sends() -> Iterator[list[str]]:
    """The ids of the send jobs the worker has finished, as Huey signals them. Tests
    wait on these rather than polling the outbox table: on SQLite's shared in-memory test
    database a read while the consumer writes fails it with "table is locked"."""
    from huey.signals import SIGNAL_COMPLETE

    done: list[str] = []

    def finished(signal: str, task: Any, *args: Any) -> None:
        if task.name == "send_outbox_message":
            done.append(task.id)

    critical.signal(SIGNAL_COMPLETE)(finished)
    try:
        yield done
    finally:
        critical.disconnect_signal(finished, SIGNAL_COMPLETE)


def wait_for_first_attempts(key: str, count: int, done: list[str]) -> None:
    """Until the `count` emails keyed `<key>:<i>` have each failed once (the SMTP server is
    down: their send jobs in `done`); their retries share a wake-up per second."""
    wait_until(lambda: len(done) == count and critical.pending_count() == 0)
    failed = OutboxMessage.objects.filter(
        idempotency_key__startswith=f"{key}:", state=OutboxState.PENDING, attempts=1
    )
    assert failed.count() == count
    assert 1 <= critical.scheduled_count() < count


def queue_emails(world: World, key: str, count: int) -> list[OutboxMessage]:
    """`count` emails to one address, keyed `<key>:<i>`, queued in one batch (a send job
    each, enqueued after commit)."""
    from beacon.notifications.actions import MessageIn, do_queue_messages

    return do_queue_messages(
        [
            MessageIn(org_id=world.org.pk, to=f"{key}@example.com", subject=f"{key} {i}",
                      text="Queued by the test.", cause=world.survey, key=f"{key}:{i}")
            for i in range(count)
        ]
    )  # fmt: skip


class HeldArrivals(list[EmailMessage]):
    """An inbox whose server answers its `held`-th message only once `go` is set: the
    sender waits inside its SMTP session, after its claim committed and before it marks
    the row sent, i.e. holding no database lock."""

    def __init__(self, held: int) -> None:
        super().__init__()
        self.held = held
        self.reached = threading.Event()
        self.go = threading.Event()

    def append(self, message: EmailMessage) -> None:
        super().append(message)
        if len(self) == self.held:
            self.reached.set()
            self.go.wait(20)


@pytest.mark.django_db(transaction=True)
def test_a_new_case_and_its_email_go_before_the_emails_an_outage_released(
    world: World, smtp: SmtpServer, critical_on_redis: Huey, settings: Any
) -> None:
    """After an SMTP outage the held-back emails are released all at once; a detractor
    answering while they go out gets its case and its email after the resend job's turn
    in hand (a slice), not after them all."""
    import beacon.pipeline.processing  # noqa: F401  (the consumer loads it before serving)
    from beacon.notifications.actions import (
        RESEND_SECONDS,
        RESEND_SLICE,
        do_queue_email,
    )

    settings.EMAIL_TIMEOUT = 60  # the held session must outlast the detractor's answer
    backlog_size, sent_before = 40, RESEND_SLICE  # a turn's worth; the last one is held
    smtp.stop()
    backlog = queue_emails(world, "held", backlog_size)
    arrivals = HeldArrivals(held=1 + sent_before)  # the first email after the outage, then
    smtp.inbox.messages = arrivals  # a turn's worth of the backlog; its last is held
    with counting_sends() as sends, consuming(critical_on_redis):
        # Every first attempt meets the outage; their retries share a wake-up a second.
        wait_for_first_attempts("held", backlog_size, sends)
        smtp.start()
        # The first email through after the outage releases the backlog: all of it queued.
        first = do_queue_email(world.org.pk, to="first@example.com", subject="Back",
                               text="Sent.", cause=world.survey, key="first")  # fmt: skip
        assert arrivals.reached.wait(60)
        # The rest waits as rows, not jobs: the resend job is running its turn.
        held = OutboxMessage.objects.filter(idempotency_key__startswith="held:")
        assert held.filter(state=OutboxState.PENDING).count() == backlog_size - sent_before
        assert critical.pending_count() == 0
        store_detractor(world, "detractor")
        assert [task.name for task in critical.pending()] == ["open_cases_task"]
        # The held session outlasts the turn's time budget as well as its slice: the turn
        # ends with it whichever comes first on this machine, and the next queues behind
        # the case drain.
        time.sleep(RESEND_SECONDS)
        arrivals.go.set()
        wait_until(lambda: len(arrivals) == 1 + backlog_size + 1)
    case = Case.objects.get()
    case_email = OutboxMessage.objects.get(idempotency_key__startswith="case-opened:")
    rows = {message_id_of(m): m for m in [first, case_email, *backlog]}
    kinds = {message_id_of(first): "first", message_id_of(case_email): "case"}
    arrived = [kinds.get(str(m["Message-ID"]), "backlog") for m in arrivals]
    assert arrived == (
        ["first"]
        + ["backlog"] * sent_before
        + ["case"]
        + ["backlog"] * (backlog_size - sent_before)
    )
    assert case_email.recipient == case.owner.email and case_email.cause_id == case.pk
    # Each row reached the server once, under its own Message-ID, on its expected attempt.
    assert sorted(str(m["Message-ID"]) for m in arrivals) == sorted(rows)
    sent = OutboxMessage.objects.values_list(
        "idempotency_key", "state", "attempts", "possible_duplicate"
    )
    assert sorted(sent) == sorted(
        [("first", "sent", 1, False), (case_email.idempotency_key, "sent", 1, False)]
        + [(f"held:{i}", "sent", 2, False) for i in range(backlog_size)]
    )


@pytest.mark.django_db(transaction=True)
def test_held_back_emails_take_turns_with_case_jobs_that_never_let_the_worker_idle(
    world: World, smtp: SmtpServer, critical_on_redis: Huey
) -> None:
    """Resends do not wait for an idle worker: with case jobs always waiting, the emails an
    outage held back go out a turn at a time between them, while the stream goes on."""
    from huey.signals import SIGNAL_COMPLETE, SIGNAL_EXECUTING

    import beacon.pipeline.processing  # noqa: F401  (the consumer loads it before serving)
    from beacon.notifications.actions import (
        RESEND_SLICE,
        do_queue_email,
    )
    from beacon.pipeline.tasks import open_cases_task

    backlog_size, waiting = 3 * RESEND_SLICE, 8
    smtp.stop()
    queue_emails(world, "held", backlog_size)
    ran: list[str] = []  # each job the worker ran, in order
    resent: list[int] = []  # emails that arrived during each turn of the resend job
    stream = threading.Event()

    def executing(signal: str, task: Any, *args: Any) -> None:
        ran.append(task.name)
        if task.name == "send_outbox_message" and stream.is_set():
            for _ in range(waiting):  # the first email after the outage starts the stream
                critical.enqueue(open_cases_task.s())
        elif task.name == "open_cases_task" and stream.is_set():
            critical.enqueue(open_cases_task.s())  # the stream: each case job taken, one more
        elif task.name == "resend_due_messages":
            resent.append(-len(smtp.inbox.messages))

    def complete(signal: str, task: Any, *args: Any) -> None:
        if task.name == "resend_due_messages":
            resent[-1] += len(smtp.inbox.messages)

    critical.signal(SIGNAL_EXECUTING)(executing)
    critical.signal(SIGNAL_COMPLETE)(complete)
    try:
        with counting_sends() as sends, consuming(critical_on_redis):
            # Every first attempt meets the outage and schedules its retry's wake-up (30 s);
            # here the backlog goes by its release, so on a slow machine no wake-up may
            # enqueue a turn early.
            wait_for_first_attempts("held", backlog_size, sends)
            critical.storage.flush_schedule()
            smtp.start()
            stream.set()
            # The first email through releases the backlog to the resend job, behind the
            # stream's case jobs. Queued while the worker is idle (and the stream started by
            # the worker): SQLite's shared in-memory test database takes one writer only.
            do_queue_email(world.org.pk, to="first@example.com", subject="Back",
                           text="Sent.", cause=world.survey, key="first")  # fmt: skip
            wait_until(lambda: len(smtp.inbox.messages) == 1 + backlog_size)
            assert critical.pending_count() >= waiting - 1  # the stream goes on
            stream.clear()
    finally:
        stream.clear()
        critical.disconnect_signal(executing, SIGNAL_EXECUTING)
        critical.disconnect_signal(complete, SIGNAL_COMPLETE)
    held = OutboxMessage.objects.filter(idempotency_key__startswith="held:")
    assert (
        sorted(held.values_list("state", "attempts", "possible_duplicate"))
        == [(OutboxState.SENT, 2, False)] * backlog_size
    )
    assert len(smtp.inbox.to("held@example.com")) == backlog_size
    # Each turn sent at most a slice and queued the next behind the case jobs waiting, so
    # exactly the stream's case jobs ran between two turns.
    turns = [i for i, name in enumerate(ran) if name == "resend_due_messages"]
    assert len(turns) == len(resent) >= backlog_size // RESEND_SLICE
    assert sum(resent) == backlog_size and max(resent) <= RESEND_SLICE
    assert all(
        ran[earlier + 1 : later] == ["open_cases_task"] * waiting
        for earlier, later in itertools.pairwise(turns)
    )


@pytest.mark.django_db(transaction=True)
def test_one_resend_job_waits_for_every_due_email(
    world: World, smtp: SmtpServer, queued: None
) -> None:
    """Sweeps, wake-ups and a released backlog all feed one waiting resend job; each turn
    sends a slice and queues the next while some are due."""
    import datetime as dt

    from django.conf import settings

    from beacon.core import clock
    from beacon.notifications.actions import RESEND_SLICE
    from beacon.notifications.tasks import sweep_outbox, wake_resender

    count = 2 * RESEND_SLICE + 1
    queue_emails(world, "lost", count)
    assert critical.pending_count() == count  # the first sends ...
    critical.flush()  # ... are lost
    rows = OutboxMessage.objects.filter(idempotency_key__startswith="lost:")
    later = timezone.now() + dt.timedelta(seconds=settings.JOB_LEASE_SECONDS + 1)

    def waiting() -> list[str]:
        return [task.name for task in critical.pending()]

    with clock.frozen_at(later):  # their leases ran out
        assert sweep_outbox.call_local() == count
        assert sweep_outbox.call_local() == count  # still due, and the job waits for them
        wake_resender.call_local()
        assert waiting() == ["resend_due_messages"]
        for turn in (1, 2):
            assert run_next(critical) == "resend_due_messages"
            assert rows.filter(state=OutboxState.SENT).count() == turn * RESEND_SLICE
            assert waiting() == ["resend_due_messages"]  # its next turn
            assert sweep_outbox.call_local() == count - turn * RESEND_SLICE
            assert waiting() == ["resend_due_messages"]
        assert run_next(critical) == "resend_due_messages"
        assert waiting() == []  # nothing left due: no next turn
        assert sweep_outbox.call_local() == 0
    assert sorted(rows.values_list("state", "attempts")) == [(OutboxState.SENT, 1)] * count
    assert len(smtp.inbox.to("lost@example.com")) == count


@pytest.mark.django_db(transaction=True)
def test_a_resend_turn_that_waited_past_its_mark_leaves_the_later_turn_the_only_next(
    world: World, smtp: SmtpServer, queued: None
) -> None:
    """A turn that waited so long that a second was enqueued over its mark still sends its
    slice, but leaves the second's mark: one next turn stays queued, not two chasing."""
    import datetime as dt

    from django.conf import settings

    from beacon.core import clock
    from beacon.core.jobs import CRITICAL_COALESCE_STALE
    from beacon.notifications.actions import RESEND_SLICE
    from beacon.notifications.tasks import sweep_outbox

    count = 2 * RESEND_SLICE + 1
    queue_emails(world, "lost", count)
    critical.flush()  # the first sends are lost
    rows = OutboxMessage.objects.filter(idempotency_key__startswith="lost:")
    later = timezone.now() + dt.timedelta(seconds=settings.JOB_LEASE_SECONDS + 1)
    with clock.frozen_at(later):
        assert sweep_outbox.call_local() == count
    with clock.frozen_at(later + CRITICAL_COALESCE_STALE + dt.timedelta(seconds=1)):
        assert sweep_outbox.call_local() == count  # the first turn's mark looks stale
        first, second = critical.pending()
        assert first.name == second.name == "resend_due_messages"
        assert run_next(critical) == "resend_due_messages"  # the first, a spare now
        assert rows.filter(state=OutboxState.SENT).count() == RESEND_SLICE
        assert [task.id for task in critical.pending()] == [second.id]  # no third turn
        assert run_next(critical) == "resend_due_messages"
        assert rows.filter(state=OutboxState.SENT).count() == 2 * RESEND_SLICE
        assert [task.name for task in critical.pending()] == ["resend_due_messages"]
        assert run_next(critical) == "resend_due_messages"
        assert critical.pending_count() == 0
    assert rows.filter(state=OutboxState.SENT).count() == count


def test_every_periodic_job_of_the_critical_queue_takes_turns_with_the_cases() -> None:
    """Below the case priority, a periodic job (a sweep, escalations, invitation sends)
    would never run on a worker that the case drain keeps busy."""
    autodiscover_modules("tasks")
    periodic = {t.__name__: t.default_priority for t in critical._registry._periodic_tasks}
    assert {"sweep_outbox", "sweep_unprocessed_responses", "escalate_overdue"} <= set(periodic)
    assert len(periodic) == 18
    assert periodic == dict.fromkeys(periodic, CASE_PRIORITY)


def _nothing() -> None:
    """A coalesced job of a queue made for one test."""


def test_a_sweeper_tells_a_waiting_coalesced_job_from_a_lost_one_on_every_queue_storage(
    tmp_path: Path,
) -> None:
    """`enqueue_unless_waiting` reads the queue itself: the job its mark names is found
    waiting (nothing enqueued), then taken by a worker that died (enqueued again)."""
    import datetime as dt

    from beacon.core import clock
    from beacon.core.jobs import enqueue_once, enqueue_unless_waiting

    redis = _huey("redis://127.0.0.1:6379/0", immediate=False)
    stores: list[Huey] = [
        EmbeddedHuey("beacon", filename=str(tmp_path / "jobs.sqlite3")),
        PriorityRedisHuey(name=f"beacon-test-{uuid.uuid4().hex}", url=redis["url"]),
        MemoryHuey("beacon-memory"),
    ]
    start = timezone.now()
    for huey in stores:
        drain: Any = huey.task()(_nothing)
        try:
            with clock.frozen_at(start):
                enqueue_once(drain)
            with clock.frozen_at(start + dt.timedelta(minutes=5)):
                assert enqueue_unless_waiting(drain) is False
                assert huey.pending_count() == 1
                assert huey.dequeue() is not None  # taken by a worker that then died
                assert enqueue_unless_waiting(drain) is True
                assert enqueue_unless_waiting(drain) is False  # that one now waits
            assert [task.name for task in huey.pending()] == ["_nothing"]
        finally:
            huey.flush()
