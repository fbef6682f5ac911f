"""`beacon run`'s console: the sign-in line stays in sight; the worker beside the web
server logs its warnings and errors, not every job it runs."""

from __future__ import annotations

import logging
import os
import socket
import sys
import time

import pytest

from beacon.core.management.commands.run import (
    announce_when_listening,
    banner,
    listening,
    worker_command,
)
from beacon.core.management.commands.worker import consumer_config


def test_the_worker_beside_the_web_server_is_quiet_unless_asked() -> None:
    assert worker_command() == [sys.executable, "-m", "beacon", "worker", "--stop-with-parent",
                                "--parent-pid", str(os.getpid()), "--quiet"]  # fmt: skip
    assert "--quiet" not in worker_command(verbose=True)
    assert worker_command(ready_file="/tmp/ready")[-3:] == ["--ready-file", "/tmp/ready", "--quiet"]
    assert banner("127.0.0.1", 8000) == [
        "Beacon is running at http://127.0.0.1:8000/",
        "Demo login: demo@beacon.local / beacon-demo  (if `beacon demo` was run)",
    ]


def test_the_banner_waits_until_the_server_answers() -> None:
    """The sign-in link is printed once it works, not while the application loads."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    port = server.getsockname()[1]
    said: list[str] = []
    try:
        thread = announce_when_listening("127.0.0.1", port, said.append, within=10)
        time.sleep(0.6)
        assert said == [] and thread.is_alive()  # bound, not yet listening: refused
        server.listen()
        thread.join(timeout=5)
        assert said == banner("127.0.0.1", port)
    finally:
        server.close()
    assert not listening("127.0.0.1", port, within=0.3)


def test_the_banner_waits_for_the_worker_too() -> None:
    """Said before the worker serves, a customer's first answer would wait for it to start
    (15 s on a 2-core machine after `beacon demo`) before its case opened."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    port = server.getsockname()[1]
    said: list[str] = []
    serving: list[bool] = []
    try:
        thread = announce_when_listening(
            "127.0.0.1", port, said.append, within=10, ready=lambda: bool(serving), every=0.05
        )
        time.sleep(0.6)
        assert said == [] and thread.is_alive()  # listening, the worker not yet serving
        serving.append(True)
        thread.join(timeout=5)
        assert said == banner("127.0.0.1", port)
        said.clear()
        late = announce_when_listening(
            "127.0.0.1", port, said.append, within=0.5, ready=lambda: False, every=0.05
        )
        late.join(timeout=5)
        assert said == [
            "The job worker has not started yet: cases and emails wait for it.",
            *banner("127.0.0.1", port),
        ]
    finally:
        server.close()


@pytest.mark.parametrize(
    ("quiet", "shown"), [(True, ["job failed"]), (False, ["Executing job", "job failed"])]
)
def test_a_quiet_consumer_logs_only_warnings_and_errors(
    quiet: bool, shown: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    config = consumer_config("critical", 2, quiet=quiet)
    logger = logging.getLogger(f"huey.console-test.{quiet}")
    logger.propagate = False
    config.setup_logger(logger)
    try:
        logger.info("Executing job")  # what Huey logs for every job it runs
        logger.warning("job failed")
    finally:
        logger.handlers.clear()
    lines = capsys.readouterr().err.splitlines()
    assert [line.rsplit(":", 1)[-1] for line in lines] == shown
    assert (config.max_delay, config.workers) == (0.5, 2)
