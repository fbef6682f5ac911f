"""Python's cycle collector around work that allocates many small, acyclic objects."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause the cycle collector: a batch allocates hundreds of thousands of small
    objects, none of them in cycles, and each full collection would walk the whole heap
    (every module Django and NumPy loaded) again."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
