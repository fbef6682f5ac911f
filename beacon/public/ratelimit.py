"""A fixed-window rate limit kept in the database, so it holds across server processes.

Beacon needs no cache server, and Django's default cache lives in one process only; the
database is the one store every web process shares. One row per key and window: the
request adds one with `UPDATE ... WHERE count < limit`, which only as many requests as the
limit can match; the window's first request inserts the row (the unique constraint
settles a race).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import F

from beacon.core import clock
from beacon.public.models import RateWindow


@dataclass(frozen=True)
class Limit:
    requests: int
    seconds: int


@dataclass(frozen=True)
class Refused:
    limit: Limit
    retry_after: int  # seconds until the window ends


def _window_start(now: dt.datetime, seconds: int) -> dt.datetime:
    epoch = int(now.timestamp())
    return dt.datetime.fromtimestamp(epoch - epoch % seconds, tz=dt.UTC)


def take(org_id: int, key: str, limit: Limit) -> Refused | None:
    """Count one request under `key`; None if it is within the limit.

    The conditional UPDATE comes first: every request but a window's first is then one
    statement. Only when it matches nothing is the window's row created; if another
    request created it meanwhile (the unique constraint says so), the UPDATE runs again.
    """
    now = clock.now()
    start = _window_start(now, limit.seconds)
    window = RateWindow.objects.filter(key=key[:200], window_start=start)

    def count_one() -> bool:
        return bool(window.filter(count__lt=limit.requests).update(count=F("count") + 1))

    if count_one():
        return None
    try:
        with transaction.atomic():
            RateWindow.objects.create(
                organization_id=org_id, key=key[:200], window_start=start, count=1
            )
        return None
    except IntegrityError:
        pass  # the row exists: this window is full, or another request just created it
    if count_one():
        return None
    ends = start + dt.timedelta(seconds=limit.seconds)
    return Refused(limit, max(1, int((ends - now).total_seconds() + 0.999)))


def purge(older_than: dt.timedelta = dt.timedelta(hours=1)) -> int:
    """Windows that ended long ago count nothing any more."""
    deleted, _ = RateWindow.objects.filter(window_start__lt=clock.now() - older_than).delete()
    return deleted
