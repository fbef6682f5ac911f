"""`beacon run`: the web server and the job worker in one command."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import uvicorn
from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from beacon.core.server import H11Protocol


def worker_command(*, verbose: bool = False, ready_file: str = "") -> list[str]:
    """The worker beside the web server: quiet unless asked, so its routine lines do not
    scroll the sign-in and invitation links away."""
    command = [sys.executable, "-m", "beacon", "worker", "--stop-with-parent"]
    command += ["--parent-pid", str(os.getpid())]  # a start-up race cannot hide its end
    if ready_file:
        command += ["--ready-file", ready_file]
    return command if verbose else [*command, "--quiet"]


def banner(host: str, port: int) -> list[str]:
    return [
        f"Beacon is running at http://{host}:{port}/",
        "Demo login: demo@beacon.local / beacon-demo  (if `beacon demo` was run)",
    ]


def listening(host: str, port: int, *, within: float, every: float = 0.2) -> bool:
    """Whether something accepts connections at host:port within `within` seconds."""
    deadline = time.monotonic() + within
    while True:
        try:
            with socket.create_connection((host, port), timeout=every):
                return True
        except OSError:
            if time.monotonic() >= deadline:
                return False
            time.sleep(every)


def announce_when_listening(
    host: str,
    port: int,
    say: Callable[[str], None],
    *,
    within: float = 300.0,
    ready: Callable[[], bool] | None = None,
    every: float = 0.2,
) -> threading.Thread:
    """The banner once the server answers and, given `ready`, once it says the worker
    serves too: printed before, its link would be refused while the application still
    loads, and a customer's first answer would wait for the worker to open its case."""

    def wait() -> None:
        deadline = time.monotonic() + within
        if not listening(host, port, within=within):
            return
        while ready is not None and not ready():
            if time.monotonic() >= deadline:
                say("The job worker has not started yet: cases and emails wait for it.")
                break
            time.sleep(every)
        for line in banner(host, port):
            say(line)

    thread = threading.Thread(target=wait, name="beacon-ready", daemon=True)
    thread.start()
    return thread


class Command(BaseCommand):
    help = "Serve Beacon on 127.0.0.1:8000 (uvicorn) and start the job worker beside it."
    # The checks import every view (and NumPy, SciPy, ...) into this supervising process,
    # which serves nothing: 150 MB for nothing. The workers import the views at start-up
    # (beacon.core.asgi), so a broken URLconf still stops them before the first request.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--workers", type=int, default=1, help="uvicorn worker processes")
        parser.add_argument("--no-worker", action="store_true", help="do not start the job worker")
        parser.add_argument("--no-access-log", action="store_true", help="do not log every request")
        parser.add_argument(
            "--worker-log",
            action="store_true",
            help="show every job the worker runs (by default only its warnings and errors)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        worker = None
        # Written by the worker's critical queue once it serves (see `beacon worker`).
        ready_file = Path(settings.DATA_DIR) / f"worker-ready-{os.getpid()}"
        ready_file.unlink(missing_ok=True)
        if not options["no_worker"] and not settings.HUEY.get("immediate"):
            command = worker_command(verbose=options["worker_log"], ready_file=str(ready_file))
            worker = subprocess.Popen(command)
        self.stdout.write(f"Starting Beacon on http://{options['host']}:{options['port']}/ ...")
        self.stdout.flush()

        def say(line: str) -> None:
            styled = self.style.SUCCESS(line) if line.startswith("Beacon is running") else line
            self.stdout.write(styled)
            self.stdout.flush()

        announce_when_listening(
            options["host"], options["port"], say, ready=ready_file.exists if worker else None
        )
        try:
            uvicorn.run(
                "beacon.asgi:application",
                host=options["host"],
                port=options["port"],
                workers=options["workers"],
                log_level="info",
                access_log=not options["no_access_log"],
                lifespan="off",
                http=H11Protocol,
                # Client address and scheme from X-Forwarded-For/-Proto, believed only
                # from the proxies named in BEACON_TRUSTED_PROXIES (else loopback).
                proxy_headers=True,
                forwarded_allow_ips=",".join(settings.TRUSTED_PROXIES) or None,
            )
        finally:
            if worker is not None:
                worker.terminate()
                worker.wait(timeout=10)
            ready_file.unlink(missing_ok=True)
