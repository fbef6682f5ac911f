"""The fan-out after responses are stored, in batches, in two stages. Worker-only: reading
comments loads the text engine, which the web server never imports (pipeline/tasks.py
imports this module when its job runs).

A job drains its stage: it claims up to a batch of ready responses with one conditional
UPDATE inside the transaction that processes them, and repeats until none is ready. So a
duplicated job finds nothing to do, two jobs never take the same response (PostgreSQL:
`FOR UPDATE SKIP LOCKED` hands each job other rows; SQLite: one writer at a time), and a
crashed batch leaves its claims rolled back for the next job or the sweeper
(`actions.requeue_lost_fanout`). Before its transaction, a batch counts an attempt for
its responses and commits it (`start`); the claim clears it. Only a batch that started
and never finished leaves an attempt behind, so a response that kills its worker every
time is left for a person after `FANOUT_MAX_ATTEMPTS`, and one that merely waits behind
a long backlog never is.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Collection

from django.db import transaction
from django.db.models import F

from beacon.core import clock
from beacon.cxmodel.models import Stage
from beacon.insights.analysis import analyse_responses
from beacon.loop.actions import do_open_cases_for
from beacon.loop.sharing import do_share_responses
from beacon.orgs.models import Organization, Team
from beacon.pipeline.actions import ANALYSIS_STAGE, CASE_STAGE, enqueue_stage, lease_until, ready
from beacon.responses.models import Response
from beacon.surveys.models import Survey

log = logging.getLogger(__name__)

# Responses per batch. The case stage's batch is smaller: it is the time-critical one and
# a batch holds SQLite's single write lock while it runs (about 2 ms a response); the
# analysis stage's is the size at which the text engine reads fastest.
CASE_BATCH = 200
ANALYSIS_BATCH = 500


def _candidates(
    stage: str, limit: int, only: Collection[int] | None, skip: Collection[int], started: bool
) -> list[int]:
    candidates = ready(stage, started=started)
    if only is not None:
        candidates = candidates.filter(pk__in=only)
    if skip:
        candidates = candidates.exclude(pk__in=skip)
    # Locked rows are another job's batch: skip them rather than wait for it to finish.
    locked = candidates.order_by("pk").select_for_update(skip_locked=True)
    return list(locked.values_list("pk", flat=True)[:limit])


def start(
    stage: str, limit: int, *, only: Collection[int] | None = None, skip: Collection[int] = ()
) -> list[int]:
    """Count an attempt for the responses a batch is about to take, committed before it
    runs; the batch's claim clears the count when it commits.

    So only a batch that started and never finished leaves an attempt behind (a worker
    killed by a response it cannot process, say), and `FANOUT_MAX_ATTEMPTS` of those
    leave the response for a person. A response waiting behind a long backlog, however
    often the sweeper enqueues its job again, counts nothing. The lease is renewed too:
    the sweeper leaves a running batch alone until it has had its time.
    """
    with transaction.atomic():
        ids = _candidates(stage, limit, only, skip, started=False)
        if ids:
            ready(stage).filter(pk__in=ids).update(
                fanout_attempts=F("fanout_attempts") + 1, fanout_lease_until=lease_until(stage)
            )
    return ids


def _uncount(stage: str, ids: list[int]) -> None:
    """The batch failed in a process that lives to say so: its attempt is taken back (the
    drain runs its responses one at a time, and the one that fails alone counts one)."""
    ready(stage, started=True).filter(pk__in=ids, fanout_attempts__gt=0).update(
        fanout_attempts=F("fanout_attempts") - 1
    )


def claim(
    stage: str,
    limit: int,
    *,
    only: Collection[int] | None = None,
    skip: Collection[int] = (),
    started: bool = False,
) -> list[int]:
    """Take up to `limit` responses ready for `stage` (oldest first), in the caller's
    transaction: the claim commits or rolls back with the work it guards. `started`: the
    responses' attempt was counted by `start`; the claim clears it."""
    assert transaction.get_connection().in_atomic_block, "claim inside the batch's transaction"
    ids = _candidates(stage, limit, only, skip, started=started)
    if not ids:
        return []
    done: dict[str, object]
    if stage == CASE_STAGE:
        done = {"cased_at": clock.now(), "fanout_lease_until": lease_until(ANALYSIS_STAGE)}
    else:
        done = {"processed_at": clock.now(), "fanout_lease_until": None}
    if started:
        done["fanout_attempts"] = 0
    claimed = ready(stage, started=started).filter(pk__in=ids).update(**done)
    if claimed != len(ids):  # the rows are locked (or SQLite's write lock is held): never
        raise RuntimeError(f"claimed {claimed} of {len(ids)} locked responses")
    return ids


def _run(
    stage: str,
    limit: int,
    only: Collection[int] | None,
    skip: Collection[int],
    work: Callable[[list[Response]], None],
) -> list[int]:
    """Start a batch (its attempt counted and committed), then claim and process it in
    one transaction; the ids it took."""
    started = start(stage, limit, only=only, skip=skip)
    if not started:
        return []
    try:
        with transaction.atomic():
            # Another job may have claimed some of them since: those are not ready now.
            ids = claim(stage, limit, only=started, started=True)
            if ids:
                work(_load(ids))
    except BaseException:
        _uncount(stage, started)
        raise
    return ids


def _load(ids: list[int]) -> list[Response]:
    """The batch's responses with what the stages read of them. The organisation, survey,
    stage and team are read once per batch and shared, not joined to every row: a batch's
    responses mostly share them, and building the same objects row after row cost more
    than the query."""
    responses = list(Response.objects.filter(pk__in=ids).select_related("contact").order_by("pk"))
    orgs = Organization.objects.in_bulk({r.organization_id for r in responses})
    surveys = Survey.objects.in_bulk({r.survey_id for r in responses})
    stages = Stage.objects.select_related("owner__user").in_bulk(
        {r.stage_id for r in responses if r.stage_id is not None}
    )
    teams = Team.objects.select_related("lead__user").in_bulk(
        {r.team_id for r in responses if r.team_id is not None}
    )
    for response in responses:
        response.organization = orgs[response.organization_id]
        response.survey = surveys[response.survey_id]
        if response.stage_id is not None:
            response.stage = stages[response.stage_id]
        if response.team_id is not None:
            response.team = teams[response.team_id]
    return responses


def run_case_batch(
    limit: int = CASE_BATCH,
    *,
    only: Collection[int] | None = None,
    skip: Collection[int] = (),
    then_analyse: bool = True,
) -> list[int]:
    """Open the cases a batch of responses calls for (once each); the ids it took."""

    def work(responses: list[Response]) -> None:
        do_open_cases_for(responses)
        if then_analyse:
            enqueue_stage(ANALYSIS_STAGE)

    return _run(CASE_STAGE, limit, only, skip, work)


def run_analysis_batch(
    limit: int = ANALYSIS_BATCH, *, only: Collection[int] | None = None, skip: Collection[int] = ()
) -> list[int]:
    """Read a batch's comments in one model call, then praise and sharing; the ids it took."""

    def work(responses: list[Response]) -> None:
        analyse_responses(responses)
        do_share_responses(responses)

    return _run(ANALYSIS_STAGE, limit, only, skip, work)


def _runner(stage: str) -> tuple[Callable[..., list[int]], int]:
    if stage == CASE_STAGE:
        return run_case_batch, CASE_BATCH
    return run_analysis_batch, ANALYSIS_BATCH


def drain(stage: str, *, batch: int | None = None, seconds: float | None = None) -> int:
    """Run `stage` in batches until no response is ready for it (or, given `seconds`, until
    that time is spent); how many it processed.

    A batch that fails is rolled back and its responses run again one at a time, so one
    bad response does not hold back the others: the one that fails alone counts an
    attempt (see `ready`) and is left for a later job.
    """
    run, size = _runner(stage)
    size = batch or size
    until = None if seconds is None else time.monotonic() + seconds
    failed: set[int] = set()
    done = 0
    while until is None or time.monotonic() < until:
        try:
            ids = run(size, skip=failed)
        except Exception:
            log.exception("a %s batch failed; its responses run one at a time", stage)
            done += _one_at_a_time(stage, size, failed)
            continue
        if not ids:
            break
        done += len(ids)
    return done


def _one_at_a_time(stage: str, size: int, failed: set[int]) -> int:
    run, _ = _runner(stage)
    done = 0
    waiting = ready(stage).exclude(pk__in=failed).order_by("pk")
    for pk in waiting.values_list("pk", flat=True)[:size]:
        try:
            done += len(run(1, only=[pk]))
        except Exception:
            log.exception("the %s stage failed for response %s", stage, pk)
            failed.add(pk)
            ready(stage).filter(pk=pk).update(fanout_attempts=F("fanout_attempts") + 1)
    return done


# One response alone, now (tests, and the one-at-a-time runs of a failed batch): the same
# code as a batch, with a batch of one.


def run_case_stage(response_id: int, *, then_analyse: bool = True) -> bool:
    """Open the case a response calls for (once); False when another job already did."""
    return bool(run_case_batch(1, only=[response_id], then_analyse=then_analyse))


def run_analysis_stage(response_id: int) -> bool:
    """Read the comments, then praise and sharing; False when another job already did."""
    return bool(run_analysis_batch(1, only=[response_id]))


def process_response(response_id: int) -> bool:
    """The whole fan-out of one stored response, now, in this process (both stages)."""
    cased = run_case_stage(response_id, then_analyse=False)
    return run_analysis_stage(response_id) or cased
