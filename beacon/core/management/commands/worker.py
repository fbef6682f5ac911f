"""`beacon worker`: the job consumers, one process per queue (critical, bulk)."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from types import FrameType
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.module_loading import autodiscover_modules
from huey.consumer_options import ConsumerConfig

# How often a consumer checks that its supervisor still runs: a killed supervisor's
# consumers end within about this long.
PARENT_CHECK_S = 0.5
# How long an orphaned consumer's own stop may take before it exits outright.
ORPHAN_EXIT_S = 5.0


def queue_names(value: str) -> list[str]:
    names = [n.strip() for n in value.split(",") if n.strip()]
    unknown = [n for n in names if n not in settings.JOB_QUEUES]
    if unknown or not names:
        raise CommandError(
            f"--queues takes a comma-separated list of {', '.join(settings.JOB_QUEUES)}; "
            f"got {value!r}"
        )
    return list(dict.fromkeys(names))


def consumer_config(name: str, workers: int, *, quiet: bool = False) -> ConsumerConfig:
    """How one queue's consumer runs. Quiet, it logs warnings and errors only: Huey logs
    every job at INFO, and beside the web server those lines would push the sign-in and
    invitation links `beacon run` prints out of sight within seconds."""
    # An idle consumer polls less and less often (Huey's default backs off to 10 s);
    # the critical queue keeps polling every half second so a case never waits long.
    config = ConsumerConfig(
        workers=workers,
        worker_type="thread",
        periodic=True,
        max_delay=0.5 if name == "critical" else 10.0,
        # Huey's own switch: None logs at INFO, False at WARNING.
        verbose=False if quiet else None,
    )
    config.validate()
    return config


def child_commands(
    names: list[str], workers: int, *, quiet: bool, ready_file: str = ""
) -> list[list[str]]:
    """The supervisor's children: one consumer per queue and, with the ingest edge on, the
    log's applier in a process of its own (beside the critical queue it shared one
    interpreter lock with every case job, docs/adr/0010). The critical queue's consumer
    writes `ready_file` once it serves."""
    quietly = ["--quiet"] if quiet else []
    command = [sys.executable, "-m", "beacon", "worker", "--workers", str(workers), *quietly]
    command += ["--parent-pid", str(os.getpid())]
    children = [[*command, "--queues", n] for n in names]
    if ready_file and "critical" in names:
        children[names.index("critical")] += ["--ready-file", ready_file]
    if settings.INGEST_EDGE:
        applier = [sys.executable, "-m", "beacon", "ingest_applier", "--stop-with-parent"]
        children.append([*applier, "--parent-pid", str(os.getpid())])
    return children


def stop_when_orphaned(parent: int) -> None:
    """Stop this consumer when its supervisor `parent` is gone.

    A supervisor killed with SIGKILL (an OOM kill, `kill -9` of its pid rather than its
    process group) cannot stop its consumers, and a consumer left running keeps taking jobs
    beside the consumers of the supervisor restarted in its place. The consumer's parent
    then changes (to init or a subreaper), so a thread compares `os.getppid()` with the
    supervisor's pid, passed on the command line: a supervisor that died before this
    check began is seen at once too. SIGTERM is the stop Huey's consumer and the
    supervisor already use: jobs in hand are left to their leases, as after a kill; a
    consumer still there `ORPHAN_EXIT_S` later exits outright.
    """

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(PARENT_CHECK_S)
        os.kill(os.getpid(), signal.SIGTERM)
        # Huey's stop runs in the main thread, between its bytecodes: a main thread held up
        # (a C call, the interpreter's shutdown under heavy load) must not keep an orphan.
        time.sleep(ORPHAN_EXIT_S)
        os._exit(1)

    threading.Thread(target=watch, name="stop-when-orphaned", daemon=True).start()


class Command(BaseCommand):
    help = (
        "Run the background job worker: the critical queue (cases, emails, sweepers, "
        "alerts) and the bulk queue (analysis, retraining, imports), each in its own process."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--queues",
            default=",".join(settings.JOB_QUEUES),
            help="comma-separated queues to serve (default: all, one process each)",
        )
        parser.add_argument("--workers", type=int, default=2, help="threads per queue")
        parser.add_argument(
            "--quiet",
            action="store_true",
            help="log warnings and errors only, not every job run (used by `beacon run`)",
        )
        parser.add_argument(
            "--stop-with-parent",
            action="store_true",
            help="stop when the process that started this one ends (used by `beacon run`)",
        )
        # The supervisor names itself to each consumer it starts (see stop_when_orphaned),
        # and `beacon run` names itself to the supervisor it starts.
        parser.add_argument("--parent-pid", type=int, default=0, help=argparse.SUPPRESS)
        parser.add_argument(
            "--ready-file",
            default="",
            help="write the critical queue consumer's pid to this file once it serves "
            "(`beacon run` waits for it before saying Beacon is running)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        names = queue_names(options["queues"])
        if len(names) == 1:
            if options["parent_pid"]:
                stop_when_orphaned(options["parent_pid"])
            self._consume(
                names[0], options["workers"], quiet=options["quiet"], ready=options["ready_file"]
            )
        else:
            # The parent named on the command line (`beacon run` names itself): one that
            # ended while this process was starting is seen too, where os.getppid() read
            # now would already name whatever adopted this process.
            parent = options["parent_pid"] or (os.getppid() if options["stop_with_parent"] else 0)
            quiet, ready = options["quiet"], options["ready_file"]
            self._supervise(names, options["workers"], parent, quiet=quiet, ready=ready)

    def _consume(self, name: str, workers: int, *, quiet: bool, ready: str = "") -> None:
        from beacon.core.jobs import QUEUES, warm_up

        autodiscover_modules("tasks")
        loaded = warm_up(name)  # before it serves, not inside its first job
        config = consumer_config(name, workers, quiet=quiet)
        logger = logging.getLogger("huey")
        if not logger.handlers:
            config.setup_logger(logger)
        also = f" (loaded {', '.join(loaded)})" if loaded else ""
        self.stdout.write(f"worker: serving the {name} queue with {workers} threads{also}")
        consumer = QUEUES[name].create_consumer(**config.values)
        if ready and name == "critical":
            Path(ready).write_text(str(os.getpid()))
        consumer.run()

    def _supervise(
        self, names: list[str], workers: int, parent: int, *, quiet: bool, ready: str = ""
    ) -> None:
        """One child per queue, so a busy bulk queue never holds the critical one's GIL.

        With a `parent` (pid), the children stop when it is no longer this process's
        parent: uvicorn ends `beacon run` by re-raising SIGTERM, which skips its clean-up.
        """
        commands = child_commands(names, workers, quiet=quiet, ready_file=ready)
        children = [subprocess.Popen(c) for c in commands]

        def stop(signum: int, frame: FrameType | None) -> None:
            for child in children:
                child.terminate()

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        try:
            while any(child.poll() is None for child in children):
                if parent and os.getppid() != parent:
                    stop(signal.SIGTERM, None)
                time.sleep(1)
        finally:
            for child in children:
                if child.poll() is None:
                    child.terminate()
                    child.wait(timeout=30)
