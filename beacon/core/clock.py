"""The one place Beacon asks what time it is, so tests can move time."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager

from django.utils import timezone

_frozen: dt.datetime | None = None


def now() -> dt.datetime:
    return _frozen if _frozen is not None else timezone.now()


@contextmanager
def frozen_at(moment: dt.datetime) -> Iterator[None]:
    """Pin `now()` to `moment` inside the block (for deadline and sweeper tests)."""
    global _frozen
    previous, _frozen = _frozen, moment
    try:
        yield
    finally:
        _frozen = previous
