"""Enqueue background work only once the transaction that caused it has committed."""

from __future__ import annotations

from typing import Any, Protocol

from django.db import transaction


class _Task(Protocol):
    def __call__(self, *args: Any, **kwargs: Any) -> Any: ...


def enqueue_on_commit(task: _Task, *args: Any) -> None:
    """The worker must never see a row id before the row is visible to it."""
    transaction.on_commit(lambda: task(*args))
