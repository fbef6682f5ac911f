"""Analyses too slow for a request, computed by the worker and read with their "as of".

A page (or API call) asks `read_or_request(org, kind, params, max_age=...)`: it gets what
the worker stored last, and when that is missing or older than `max_age` one job is
enqueued on the bulk queue (a lease on the row makes a hundred page loads one job). The
page says how fresh the figures are, or that they are being computed. `kind` is the
dotted path of a function `(org_id, params) -> dict` that the job imports when it runs,
so the web process never imports what the computation needs (the text engine).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils.module_loading import import_string

from beacon.core import clock
from beacon.core.models import ComputedResult

# A job not finished within this time is taken for lost; the next request enqueues again.
LEASE = dt.timedelta(minutes=30)


@dataclass(frozen=True)
class Computed:
    as_of: dt.datetime | None
    data: dict[str, Any] | None
    refreshing: bool  # a job is queued or running; `data` may still be an older result

    @property
    def ready(self) -> bool:
        return self.data is not None


def params_key(params: Mapping[str, Any]) -> str:
    return hashlib.sha256(json.dumps(params, sort_keys=True, default=str).encode()).hexdigest()


def read_or_request(
    org_id: int, kind: str, params: Mapping[str, Any], *, max_age: dt.timedelta
) -> Computed:
    """The stored result, asking the worker for a new one when it is missing or stale."""
    key = params_key(params)
    rows = ComputedResult.objects.for_org(org_id).filter(kind=kind, key=key)
    now = clock.now()
    row = rows.first()
    if row is None or row.as_of is None or row.as_of < now - max_age:
        if row is None:
            try:
                with transaction.atomic():
                    ComputedResult.objects.create(
                        organization_id=org_id, kind=kind, key=key, params=dict(params)
                    )
            except IntegrityError:
                pass  # another request created it first: its lease decides below
        free = Q(queued_until__isnull=True) | Q(queued_until__lt=now)
        if rows.filter(free).update(queued_until=now + LEASE):
            from beacon.core.tasks import compute_result_task

            # Enqueued at once, not on commit: the row and its lease are already written
            # (read paths run in autocommit), and nothing else waits to commit with them.
            compute_result_task(org_id, kind, key)
        row = rows.get()  # with immediate jobs (tests) the result is already there
    return Computed(row.as_of, row.data, row.queued_until is not None)


def refresh_result(org_id: int, kind: str, key: str) -> bool:
    """Compute one stored result now (the job's body); False if the row is gone.

    Derived data, like the rollups: it records no event (the audit log is for what people
    and integrations did, and the result can be recomputed from the data at any time)."""
    row = ComputedResult.objects.for_org(org_id).filter(kind=kind, key=key).first()
    if row is None:
        return False
    compute = import_string(kind)
    data = compute(org_id, row.params)
    ComputedResult.objects.filter(pk=row.pk).update(data=data, as_of=clock.now(), queued_until=None)
    return True


def read_stored(org_id: int, kind: str, params: Mapping[str, Any]) -> dict[str, Any] | None:
    """What a request stored itself (no worker, no lease): derived data it reuses."""
    row = (
        ComputedResult.objects.for_org(org_id)
        .filter(kind=kind, key=params_key(params))
        .values_list("data", flat=True)
        .first()
    )
    return row if isinstance(row, dict) else None


def write_stored(org_id: int, kind: str, params: Mapping[str, Any], data: dict[str, Any]) -> None:
    """Store `data` computed in a request, for the next request to read.

    Derived data, like `refresh_result`: no event. Two requests storing at once store the
    same figures (they are a function of the data), so the second write simply wins."""
    key = params_key(params)
    rows = ComputedResult.objects.for_org(org_id).filter(kind=kind, key=key)
    if rows.update(data=data, as_of=clock.now()):
        return
    try:
        with transaction.atomic():
            ComputedResult.objects.create(
                organization_id=org_id,
                kind=kind,
                key=key,
                params=dict(params),
                data=data,
                as_of=clock.now(),
            )
    except IntegrityError:
        rows.update(data=data, as_of=clock.now())  # created meanwhile by another request
