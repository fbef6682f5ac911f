"""The job queues, and enqueueing only once the transaction that caused the job commits.

Two queues, each served by its own worker process: `critical` (huey.contrib.djhuey's
instance: case rules, emails, sweepers, alerts) and `bulk` (text analysis, retraining,
imports, backfills), so a detractor's case never waits behind an hour of analysis.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from importlib import import_module
from typing import Any, Protocol

from django.conf import settings
from django.db import transaction
from django.utils.module_loading import import_string
from huey import Huey
from huey.contrib.djhuey import HUEY, close_db, db_periodic_task

from beacon.core import clock


class _Task(Protocol):
    def __call__(self, *args: Any, **kwargs: Any) -> Any: ...


def _build(config: dict[str, Any]) -> Huey:
    options = dict(config)
    huey_class = import_string(options.pop("huey_class"))
    huey: Huey = huey_class(options.pop("name"), **options)
    return huey


# Within the critical queue Huey takes the highest priority first, and jobs of one priority
# in the order they were enqueued (on every storage: Redis prefixes each job with its
# enqueue time, SQLite and memory keep a counter). A message's first send goes before case
# jobs, and case jobs before a job enqueued without a priority (a value-report refit):
# when cases arrive faster than they open, each opened case's email must not wait behind
# every case job queued before it.
# A message's later attempts (a retry after a failure, the emails an ended SMTP outage
# releases, the sweeper's finds: after a 3-minute outage, hundreds) are no job of their own:
# one resend job (beacon.notifications.tasks.resend_due_messages, at most one waiting)
# sends them a short slice at a time and enqueues its next turn at the case priority,
# behind the case drain already waiting, which enqueues its own next run behind it. So a
# new case waits at most for one slice, and the resends still get a turn while the worker
# is never idle; at a priority below the rest they waited for an idle worker, and under a
# load that never let it go idle they waited until the load ended (docs/performance.md).
# Every periodic job of the critical queue (the outbox and response sweeps, escalations,
# invitation sends, digests, alerts) runs at the case priority too, for the same reason:
# below it, a worker the case drain never lets go idle would never run them (the outbox
# sweep is also what enqueues the resend job again should a killed worker lose it). Each
# is one short job a minute or less often, so a case waits at most for one of them.
EMAIL_PRIORITY = 20
CASE_PRIORITY = 10

critical: Huey = HUEY
bulk: Huey = _build(settings.HUEY_BULK)
QUEUES: dict[str, Huey] = {"critical": critical, "bulk": bulk}


# Modules a queue's jobs import only when they run (so the web server, which imports the
# tasks modules to enqueue, never loads them), imported by that queue's consumer before it
# serves: the case stage's module loads the text engine, 5-25 s of CPU-bound import on a
# busy machine, which a restarted worker's first case would otherwise wait for.
_LOAD_BEFORE_SERVING: dict[str, list[str]] = {}


def load_before_serving(queue: str, module: str) -> None:
    """Name `module` (dotted path, imported by the consumer of `queue` before it serves)."""
    _LOAD_BEFORE_SERVING.setdefault(queue, []).append(module)


def warm_up(queue: str) -> list[str]:
    """Import the modules named for `queue` (after the tasks modules were discovered)."""
    modules = list(dict.fromkeys(_LOAD_BEFORE_SERVING.get(queue, [])))
    for module in modules:
        import_module(module)
    return modules


def periodic_job(validate_datetime: Callable[[dt.datetime], bool]) -> Any:
    """A periodic job on the critical queue, at the case priority (see above)."""
    return db_periodic_task(validate_datetime, priority=CASE_PRIORITY)


def bulk_task(**options: Any) -> Callable[[Callable[..., Any]], Any]:
    """Like `db_task`, on the bulk queue: work that may wait behind other work."""

    def decorator(fn: Callable[..., Any]) -> Any:
        return bulk.task(**options)(close_db(fn))

    return decorator


def enqueue_on_commit(task: _Task, *args: Any) -> None:
    """The worker must never see a row id before the row is visible to it."""
    transaction.on_commit(lambda: task(*args))


# A coalescing mark older than this is taken for a lost job (its queue was flushed) and the
# next request enqueues again; long enough for any backlog the bulk queue should hold.
# Sweepers find a lost job sooner by reading the queue (`enqueue_unless_waiting`).
COALESCE_STALE = dt.timedelta(hours=2)
# On the critical queue a job waits seconds, so its mark is trusted only that long. A
# process killed between setting the mark and enqueueing, or a worker killed between taking
# the job and starting it, leaves a mark with no job: trusted for hours it would hold every
# detractor's case until the sweeper found the responses' lease run out (two minutes and
# the sweeper's next minute; the fault benchmark measured 68 s of waiting on PostgreSQL).
# A mark merely older than this, with its job still waiting, costs one spare run that
# finds nothing to claim.
CRITICAL_COALESCE_STALE = dt.timedelta(seconds=10)


def _stale_after(huey: Huey) -> float:
    return (CRITICAL_COALESCE_STALE if huey is critical else COALESCE_STALE).total_seconds()


def _mark(task: Any, arg: int | None) -> str:
    """One mark per task and argument. The task's own name, not `task.name`, which Huey
    leaves None unless one is given: marks of different tasks must never coincide."""
    name = f"{task.task_class.__module__}.{task.task_class.__name__}"
    return f"coalesce:{name}:{'' if arg is None else arg}"


def _put_if_empty(huey: Huey, key: str, value: tuple[float, str], ttl: int | None = None) -> bool:
    """Set the mark unless one exists; it expires by itself where the storage can (Redis)."""
    ttl = int(_stale_after(huey)) if ttl is None else ttl
    try:
        return bool(huey.put_if_empty(key, value, ttl=ttl))
    except NotImplementedError:  # SQLite and memory storages: a stale mark is overwritten
        return bool(huey.put_if_empty(key, value))


def enqueue_once(task: Any, arg: int | None = None, *, lost: bool = False) -> None:
    """Enqueue `task(arg)` (`task()` without one) now unless the same job is already
    waiting; `enqueue_once_on_commit` says when, and what `lost` means.

    The mark names the job it stands for, so a run can tell whether it is the job the mark
    stands for or a spare (see `coalesced_start`).
    """
    huey = task.huey
    now = clock.now().timestamp()
    job = task.s() if arg is None else task.s(arg)
    mark = _mark(task, arg)
    held = (now, job.id)
    if lost:
        huey.put(mark, held)
    elif not _put_if_empty(huey, mark, held):
        queued_at, _ = _held(huey.get(mark, peek=True))
        if queued_at is not None and now - queued_at < _stale_after(huey):
            return
        huey.put(mark, held)
    huey.enqueue(job)


def enqueue_unless_waiting(
    task: Any, arg: int | None = None, *, waiting: Callable[[], set[str]] | None = None
) -> bool:
    """For sweepers: enqueue `task(arg)` unless the job its coalescing mark names is still
    waiting in its queue (or was marked less than `CRITICAL_COALESCE_STALE` ago); whether
    it enqueued.

    A process killed between setting a mark and enqueueing its job, or a worker killed
    after taking the job off the queue and before it started, leaves a mark with no job.
    On the bulk queue such a mark would be trusted for `COALESCE_STALE` and hold every
    request for hours (the analysis stage of every response stored meanwhile waited for
    its lease). Reading the queue is too slow for every request but fine once a minute.
    A job taken off the queue and about to start may be missed here; that costs one
    spare run, which finds nothing to do. `waiting`: the queue's job ids, for a sweeper
    checking many marks, which reads the queue once (`waiting_job_ids`, cached).
    """
    huey = task.huey
    queued_at, job_id = _held(huey.get(_mark(task, arg), peek=True))
    if queued_at is not None:
        if clock.now().timestamp() - queued_at < CRITICAL_COALESCE_STALE.total_seconds():
            return False
        if job_id is None or job_id in (waiting or (lambda: waiting_job_ids(huey)))():
            return False
    enqueue_once(task, arg, lost=True)
    return True


def waiting_job_ids(huey: Huey) -> set[str]:
    """The ids of the jobs waiting in a queue or scheduled on it (each one deserialised)."""
    return {job.id for job in huey.pending()} | {job.id for job in huey.scheduled()}


def enqueue_once_on_commit(task: Any, arg: int | None = None, *, lost: bool = False) -> None:
    """Enqueue `task(arg)` (`task()` without one) after commit unless the same job is
    already waiting.

    For work where one run covers every request made before it starts (retraining an
    organisation's model after fifty new comments, the fan-out's batches draining every
    stored response): the job calls `coalesced_start` first, so a request arriving while
    it runs enqueues the next run. `lost`: a sweeper found work whose job never ran (a
    worker killed after taking it off the queue leaves its mark behind), so the job is
    enqueued whatever the mark says.
    """
    transaction.on_commit(lambda: enqueue_once(task, arg, lost=lost))


def schedule_once(task: Any, at: dt.datetime) -> None:
    """Schedule `task(due)` for `at`, to the second, unless a run for that second is
    scheduled already, so that a hundred failures at once wake their job once, not a
    hundred times; the run clears its mark (`coalesced_start(task, due)`)."""
    now = clock.now().timestamp()
    due = math.ceil(at.timestamp())
    # The mark lives until its run is due and a while after (where the storage expires).
    ttl = max(due - int(now), 0) + int(CRITICAL_COALESCE_STALE.total_seconds())
    if _put_if_empty(task.huey, _mark(task, due), (now, ""), ttl=ttl):
        task.schedule(args=(due,), delay=max(due - now, 0.0))


def _held(value: Any) -> tuple[float | None, str | None]:
    """A mark's enqueue time and job id (a bare time: a mark set before marks named jobs)."""
    if value is None:
        return None, None
    if isinstance(value, (int, float)):
        return float(value), None
    queued_at, job_id = value
    return float(queued_at), str(job_id)


def coalesced_start(task: Any, arg: int | None = None, *, job: Any = None) -> bool:
    """A coalesced job begins: requests from now on queue another run.

    Given the running job (a task taking Huey's `context`), returns False, leaving the
    mark, when the mark names another job: this run waited so long that its mark looked
    stale and another run was enqueued over it. That run's mark must stay, or the next
    request would enqueue a third run and two jobs that enqueue their own next run would
    chase each other through the queue for as long as they find work.
    """
    if job is not None:
        _, job_id = _held(task.huey.get(_mark(task, arg), peek=True))
        if job_id is not None and job_id != job.id:
            return False
    task.huey.delete(_mark(task, arg))
    return True
