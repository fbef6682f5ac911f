"""`beacon ingest_applier`: apply the ingest edge's log in a process of its own.

`beacon worker` (and so `beacon run`) starts it beside the queues when the edge is on;
a deployment that runs each queue on its own starts it once more beside them. Two at once
do no harm (the applier takes a lock per batch), only no good.
"""

from __future__ import annotations

import argparse
import os
import signal
import threading
from types import FrameType
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from beacon.ingest.tasks import POLL_SECONDS, run_applier


class Command(BaseCommand):
    help = "Apply the ingest edge's log (BEACON_INGEST_EDGE=1) until stopped."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--stop-with-parent",
            action="store_true",
            help="stop when the process that started this one ends (used by `beacon worker`)",
        )
        # `beacon worker` names itself: a worker that ended while this process was starting
        # is seen too, where os.getppid() would already name whatever adopted it.
        parser.add_argument("--parent-pid", type=int, default=0, help=argparse.SUPPRESS)

    def handle(self, *args: Any, **options: Any) -> None:
        stop = threading.Event()

        def on_signal(signum: int, frame: FrameType | None) -> None:
            stop.set()

        signal.signal(signal.SIGTERM, on_signal)
        signal.signal(signal.SIGINT, on_signal)
        applier = threading.Thread(target=run_applier, args=(stop, POLL_SECONDS),
                                   name="ingest-applier")  # fmt: skip
        applier.start()
        parent = options["parent_pid"] or os.getppid()
        while applier.is_alive():
            if options["stop_with_parent"] and os.getppid() != parent:
                stop.set()
            applier.join(timeout=1)
