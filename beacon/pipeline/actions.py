"""Entry points hand interactions and responses here; fan-out runs after commit.

There are no signals: once a response's transaction has committed, its fan-out runs in
two stages, the case stage (critical queue) then the analysis stage (bulk queue), each
by a coalesced job that takes the waiting responses in batches; the worker runs them from
`processing.py` (it loads the text engine, the web server never does).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q, QuerySet

from beacon.contacts.actions import (
    ContactIn,
    InteractionIn,
    do_find_or_create_contact,
    do_record_interaction,
    do_upsert_contact,
)
from beacon.contacts.models import Interaction
from beacon.core import clock
from beacon.core.jobs import (
    CRITICAL_COALESCE_STALE,
    enqueue_once_on_commit,
    enqueue_unless_waiting,
)
from beacon.insights.reasons import queue_reason_reading
from beacon.orgs.models import Membership, Organization
from beacon.responses.checks import ResponseIn
from beacon.responses.ingest import IngestResult, ingest, ingest_bulk
from beacon.responses.models import Response
from beacon.surveys.distribution import do_trigger
from beacon.surveys.models import Invitation, InvitationChannel


def submit_response(
    data: ResponseIn, *, contact: ContactIn | None = None, claimed: bool = False
) -> IngestResult:
    """Store the contact and the answers in one transaction, then process after commit.

    Every entry point that learns who answered passes `contact` here rather than writing
    it first: a response refused for a bad answer then leaves no contact behind, and a
    retry (the same idempotency key) does not write the contact again. `claimed`: the
    identity is vouched for by someone else (the widget's signed user id), so it may name
    an existing contact or make a new one, but never rewrite what the organisation knows.
    """
    with transaction.atomic():
        if contact is not None and not _seen(data):
            write = do_find_or_create_contact if claimed else do_upsert_contact
            data = replace(data, contact=write(data.survey.organization, contact))
        result = ingest(data)
        if result.changed:
            if not result.created:  # completed later: its fan-out runs (again) from the start
                Response.objects.filter(pk=result.response.pk).update(
                    processed_at=None, cased_at=None, fanout_lease_until=lease_until(CASE_STAGE)
                )
            enqueue_stage(CASE_STAGE)
    return result


def _seen(data: ResponseIn) -> bool:
    """A retry of a stored response: its first call already wrote the contact."""
    return (
        Response.objects.for_org(data.survey.organization_id)
        .filter(idempotency_key=data.idempotency_key)
        .exists()
    )


def submit_bulk(items: list[ResponseIn]) -> list[Response]:
    with transaction.atomic():
        created = ingest_bulk(items)
        if created:
            enqueue_stage(CASE_STAGE)
    return created


# ---------------------------------------------------------------- the fan-out's two stages
#
# The case stage (case rules, the owner's email) runs on the critical queue; the analysis
# stage (text analysis, praise, sharing) on the bulk queue; both in `processing.py`.

CASE_STAGE = "case"
ANALYSIS_STAGE = "analysis"


def ready(stage: str, *, started: bool = False) -> QuerySet[Response]:
    """Responses whose `stage` has not run; one whose fan-out has failed
    `FANOUT_MAX_ATTEMPTS` times waits for a person (`beacon fanout`). `started`: among
    responses whose attempt `start` has already counted (they hold one more)."""
    limit = settings.FANOUT_MAX_ATTEMPTS + (1 if started else 0)
    pending = Response.objects.filter(processed_at__isnull=True, fanout_attempts__lt=limit)
    return pending.filter(cased_at__isnull=stage == CASE_STAGE)


def lease_until(stage: str) -> dt.datetime:
    """Until when a stage's job may wait in its queue before the sweeper calls it lost."""
    seconds = settings.JOB_LEASE_SECONDS if stage == CASE_STAGE else settings.ANALYSIS_LEASE_SECONDS
    return clock.now() + dt.timedelta(seconds=seconds)


def enqueue_stage(stage: str, *, lost: bool = False) -> None:
    """After commit, a job that drains `stage` in batches, unless one is already waiting
    (the stored responses wait in the table, not in the queue: one job serves them all);
    `lost` (the sweeper) enqueues one whatever the coalescing mark says."""
    enqueue_once_on_commit(_drain_task(stage), lost=lost)


def _drain_task(stage: str) -> Any:
    from beacon.pipeline.tasks import analyse_responses_task, open_cases_task

    return open_cases_task if stage == CASE_STAGE else analyse_responses_task


def requeue_lost_fanout(limit: int = 1000) -> int:
    """Enqueue again only responses whose stage job was lost (its lease ran out).

    A job still waiting in its queue holds a lease; a new response holds one from its
    creation. Each re-enqueue first renews the lease with a compare-and-set, so two
    sweepers never both enqueue the same response. A lease running out counts no attempt:
    a backlog longer than the lease is not a failure. Attempts are counted by the batch
    that starts on a response (`processing.start`) and cleared when it commits, so one
    whose batch started and never finished `FANOUT_MAX_ATTEMPTS` times (or failed alone
    that often) is left for a person (`stuck_fanout`, `beacon fanout --retry`).
    """
    now = clock.now()
    lost = Q(fanout_lease_until__lt=now) | Q(
        fanout_lease_until__isnull=True,
        created_at__lt=now - dt.timedelta(seconds=settings.JOB_LEASE_SECONDS),
    )
    pending = Response.objects.filter(
        processed_at__isnull=True, fanout_attempts__lt=settings.FANOUT_MAX_ATTEMPTS
    )
    requeued = 0
    stages: set[str] = set()
    for pk, cased_at in pending.filter(lost).order_by("pk").values_list("pk", "cased_at")[:limit]:
        stage = CASE_STAGE if cased_at is None else ANALYSIS_STAGE
        with transaction.atomic():
            renewed = pending.filter(lost, pk=pk).update(fanout_lease_until=lease_until(stage))
        if renewed:
            stages.add(stage)
            requeued += 1
    for stage in sorted(stages):  # one drain per stage serves every response renewed
        enqueue_stage(stage, lost=True)
    return requeued


def requeue_lost_drains() -> int:
    """Enqueue a stage's drain when responses have waited for it longer than a job takes
    to be enqueued and taken, and no drain job waits in its queue; how many it enqueued.

    The leases find a lost job only when they run out (30 minutes for the analysis
    stage); a drain killed while it ran, or lost with its coalescing mark left behind,
    is found here within a minute. A drain running at that moment costs one spare run,
    which finds nothing its claims have not taken.
    """
    settled = clock.now() - CRITICAL_COALESCE_STALE
    waiting = {
        CASE_STAGE: ready(CASE_STAGE).filter(created_at__lt=settled),
        ANALYSIS_STAGE: ready(ANALYSIS_STAGE).filter(cased_at__lt=settled),
    }
    return sum(
        enqueue_unless_waiting(_drain_task(stage))
        for stage, responses in waiting.items()
        if responses.exists()
    )


def stuck_fanout() -> QuerySet[Response]:
    """Responses whose fan-out was started as often as allowed and never finished (a batch
    that failed, or a worker killed while it ran)."""
    return Response.objects.filter(
        processed_at__isnull=True, fanout_attempts__gte=settings.FANOUT_MAX_ATTEMPTS
    ).order_by("pk")


def retry_stuck_fanout(limit: int = 1000) -> int:
    """Give stuck responses their attempts back (after the cause is fixed); the sweeper
    then enqueues them like any lost job. Conditional, so a concurrent run counts once."""
    ids = list(stuck_fanout().values_list("pk", flat=True)[:limit])
    return stuck_fanout().filter(pk__in=ids).update(fanout_attempts=0, fanout_lease_until=None)


@dataclass(frozen=True)
class ReceivedInteraction:
    interaction: Interaction
    created: bool
    invitations: list[Invitation]


@transaction.atomic
def receive_interaction(
    org: Organization,
    data: InteractionIn,
    *,
    channel: str = InvitationChannel.LINK,
    actor: Membership | None = None,
    read_reason: bool = True,
) -> ReceivedInteraction:
    """Record the interaction once and invite the contact to every matching survey.

    Rules, sampling and the survey budget decide (`surveys.distribution`); a repeated
    interaction (same idempotency key) decides nothing again and returns what the first
    one created.
    """
    recorded = do_record_interaction(org, data, actor=actor)
    interaction = recorded.interaction
    if not recorded.created:
        invitations = list(
            Invitation.objects.for_org(org).filter(interaction=interaction).order_by("pk")
        )
        return ReceivedInteraction(interaction, False, invitations)
    result = do_trigger(interaction, default_channel=channel)
    if read_reason:  # imports read their reasons once, after the whole file
        queue_reason_reading(interaction)
    return ReceivedInteraction(interaction, True, result.invitations)
