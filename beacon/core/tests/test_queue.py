"""The embedded job queue: SQLite in WAL without a disk flush per enqueue."""

from __future__ import annotations

from pathlib import Path

from beacon.core.queue import EmbeddedHuey


def test_enqueued_jobs_run_and_commits_do_not_wait_for_the_disk(tmp_path: Path) -> None:
    huey = EmbeddedHuey("test", filename=str(tmp_path / "jobs.sqlite3"))
    done: list[int] = []

    @huey.task()  # type: ignore[untyped-decorator]
    def job(n: int) -> None:
        done.append(n)

    job(1)
    job(2)
    assert huey.pending_count() == 2
    conn = huey.storage.conn
    # 1 = NORMAL (huey's own storage leaves SQLite's FULL, 2: a flush per commit).
    assert conn.execute("pragma synchronous").fetchone() == (1,)
    assert conn.execute("pragma journal_mode").fetchone() == ("wal",)
    for _ in range(2):
        huey.execute(huey.dequeue())
    assert done == [1, 2] and huey.pending_count() == 0
