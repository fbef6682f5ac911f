"""`beacon worker` as real processes: a supervisor killed outright leaves no consumers
(nor the ingest applier it starts beside them)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def children_of(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def running(pid: int) -> bool:
    """Alive and not a zombie (an orphan's exit is reaped by whatever adopted it, which in
    a container may never happen)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def consumer_started(log: Path, queue: str) -> bool:
    return f"serving the {queue} queue" in log.read_text(errors="replace")


def worker_env(data_dir: Path) -> dict[str, str]:
    """A worker on its own data directory, with the edge on (its applier a third child)."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "REDIS_URL", "EMAIL_URL", "BEACON_TEST_DATABASE_URL"}
    }
    env.update(
        DJANGO_SETTINGS_MODULE="beacon.settings.base",
        BEACON_DATA_DIR=str(data_dir),
        BEACON_JOBS_IMMEDIATE="0",
        BEACON_INGEST_EDGE="1",
    )
    return env


def test_consumers_end_when_their_supervisor_is_killed(tmp_path: Path) -> None:
    env = worker_env(tmp_path)
    log = tmp_path / "worker.log"
    with log.open("wb") as out:
        supervisor = subprocess.Popen(
            [sys.executable, "-m", "beacon", "worker", "--workers", "1", "--quiet",
             "--ready-file", str(tmp_path / "ready")],
            env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    consumers: list[int] = []
    try:
        deadline = time.monotonic() + 120  # start-up on a busy machine
        while not (consumer_started(log, "critical") and consumer_started(log, "bulk")):
            assert supervisor.poll() is None, log.read_text(errors="replace")
            assert time.monotonic() < deadline, log.read_text(errors="replace")
            time.sleep(0.2)
        # The case stage's module is loaded before the critical queue is served.
        assert "serving the critical queue with 1 threads (loaded beacon.pipeline.processing)" in (
            log.read_text(errors="replace")
        )
        consumers = children_of(supervisor.pid)
        # The critical and bulk consumers and the ingest log's applier.
        assert len(consumers) == 3 and all(running(pid) for pid in consumers)
        # The critical consumer said it serves (what `beacon run` waits for to say so).
        assert int((tmp_path / "ready").read_text()) in consumers

        supervisor.send_signal(signal.SIGKILL)  # the supervisor alone, not its group
        supervisor.wait()
        deadline = time.monotonic() + 15
        while any(running(pid) for pid in consumers) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert [pid for pid in consumers if running(pid)] == []
    finally:
        if supervisor.poll() is None:
            supervisor.kill()
            supervisor.wait()
        for pid in consumers:
            if running(pid):
                os.kill(pid, signal.SIGKILL)


def test_a_supervisor_whose_parent_ended_while_it_started_stops_with_its_children(
    tmp_path: Path,
) -> None:
    """`beacon run` stopped while its worker still starts: the worker, adopted before it
    could read its parent, goes by the pid it was given, stops its consumers and ends."""
    gone = subprocess.Popen(["true"])
    gone.wait()
    env = worker_env(tmp_path)
    command = [sys.executable, "-m", "beacon", "worker", "--workers", "1", "--quiet"]
    supervisor = subprocess.Popen(
        [*command, "--stop-with-parent", "--parent-pid", str(gone.pid)],
        env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        assert supervisor.wait(timeout=180) == 0  # start-up on a busy machine
    finally:
        if supervisor.poll() is None:
            supervisor.kill()
    started = [
        int(cmdline.parent.name)
        for cmdline in Path("/proc").glob("[0-9]*/cmdline")
        if f"--parent-pid\x00{supervisor.pid}\x00" in _read(cmdline)
    ]
    assert [pid for pid in started if running(pid)] == []


def _read(path: Path) -> str:
    try:
        return path.read_text(errors="replace")
    except OSError:
        return ""
