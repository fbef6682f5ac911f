"""Jobs of the insights app: thin, idempotent, ids in.

The web server imports this module to enqueue, and must not load the text engine; so each
job imports its worker-only module (registry.py, reason_reading.py) when it runs, in the
worker. These are the only function-local imports of the app, named in the import-linter
contract "The web server never loads the text engine".
"""

from __future__ import annotations

import functools

from huey import crontab

from beacon.contacts.models import Interaction
from beacon.core.jobs import (
    bulk_task,
    coalesced_start,
    enqueue_unless_waiting,
    periodic_job,
    waiting_job_ids,
)
from beacon.orgs.models import Organization


@bulk_task()
def train_themes_task(org_id: int) -> None:
    """Train the organisation's own model; analysis picks the new version up on its next
    call (it compares the newest version's token with the one it has loaded)."""
    from beacon.insights.registry import do_train_themes_if_due

    coalesced_start(train_themes_task, org_id)
    org = Organization.objects.filter(pk=org_id).first()
    if org is not None:
        do_train_themes_if_due(org)


@periodic_job(crontab(minute="17"))
def retrain_from_corrections() -> int:
    """Hourly: organisations with corrections or theme edits newer than their model (also
    those whose training job was lost with its coalescing mark)."""
    from beacon.insights.registry import retrain_due_orgs

    orgs = retrain_due_orgs()
    # The queue is read once for every organisation's mark, and only if one needs it.
    waiting = functools.cache(lambda: waiting_job_ids(train_themes_task.huey))
    for org_id in orgs:
        enqueue_unless_waiting(train_themes_task, org_id, waiting=waiting)
    return len(orgs)


@bulk_task()
def train_reasons_task(org_id: int) -> None:
    """Reasons or staff labels changed: a new reason model, then recent history reread."""
    from beacon.insights.reason_reading import do_reread_reasons
    from beacon.insights.registry import do_train_reasons

    coalesced_start(train_reasons_task, org_id)
    org = Organization.objects.filter(pk=org_id).first()
    if org is not None:
        do_train_reasons(org)
        do_reread_reasons(org)


@bulk_task()
def classify_interaction_task(interaction_id: int) -> None:
    from beacon.insights.reason_reading import do_classify_interaction

    found = Interaction.objects.select_related("organization").filter(pk=interaction_id).first()
    if found is not None:
        do_classify_interaction(found)


@bulk_task()
def read_unread_reasons_task(org_id: int) -> None:
    """After an import: every described interaction without a reason, in batches."""
    from beacon.insights.reason_reading import do_read_unread_reasons

    coalesced_start(read_unread_reasons_task, org_id)
    org = Organization.objects.filter(pk=org_id).first()
    if org is not None:
        do_read_unread_reasons(org)
