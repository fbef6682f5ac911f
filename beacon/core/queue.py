"""The embedded job queue (SQLite) without a disk flush on every enqueue.

Huey's SQLite storage runs WAL with synchronous=FULL: every enqueue waits for the disk,
and a web request enqueues after every stored response. The queue only wakes workers:
work that must happen is a database row first, and the sweepers re-enqueue what is still
pending (see docs/DESIGN.md, "Outbox, then queue"). So NORMAL, SQLite's recommended level
for WAL, is enough: the queue file stays consistent, and a power cut can at worst drop the
newest wake-ups, which the sweepers replace.
"""

from __future__ import annotations

import sqlite3

from huey import SqliteHuey
from huey.storage import SqliteStorage


class _Storage(SqliteStorage):  # type: ignore[misc]
    def _create_connection(self) -> sqlite3.Connection:
        conn: sqlite3.Connection = super()._create_connection()
        conn.execute("pragma synchronous=NORMAL")
        return conn


class EmbeddedHuey(SqliteHuey):  # type: ignore[misc]
    storage_class = _Storage
