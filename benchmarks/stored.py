"""Each analysis pages ask the worker for (beacon/core/computed.py), timed as the worker
runs it, on the bench organisation a crawl kept (`make bench-crawl` with --keep).

    BEACON_DATA_DIR=<kept sqlite dir> [DATABASE_URL=postgres://...] \\
        python -m benchmarks.stored [--only KIND] [--reps 1]

The parameters are those the pages and the API ask with: theme drivers unfiltered (the
API), per survey (the drivers page) and over the theme page's 90 days; key drivers per
survey; one theme page's figures (the most mentioned theme); /insights/'s overview; theme
NPS; emerging themes; suggested themes. Per computation: wall time, this process's CPU
time and, on PostgreSQL (on this machine), the CPU time of this connection's server
process (/proc; parallel workers' share is not in it). Results go to
benchmarks/results/stored-<database>.json with the load average before and after.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def _jobs(org_id: int) -> list[tuple[str, str, dict[str, Any]]]:
    """(label, kind, params) of every stored computation the pages ask for."""
    from django.db.models import Count

    from beacon.analytics import drivers, metrics, theme_drivers, theme_profile
    from beacon.core import clock
    from beacon.insights import queries
    from beacon.insights.models import ThemeMention
    from beacon.surveys.models import Survey
    from beacon.web.views.insights import PERIOD_DAYS

    today = clock.now().date()
    everything = metrics.Filters().to_params()
    period = metrics.Filters(start=today - dt.timedelta(days=PERIOD_DAYS - 1), end=today)
    jobs: list[tuple[str, str, dict[str, Any]]] = [
        ("theme drivers, unfiltered (API)", theme_drivers.THEME_HISTOGRAMS,
         {"filters": everything}),
        ("theme drivers, 90 days (theme page)", theme_drivers.THEME_HISTOGRAMS,
         {"filters": period.to_params()}),
    ]  # fmt: skip
    for survey in Survey.objects.for_org(org_id).order_by("name"):
        one = metrics.Filters(survey_id=survey.pk).to_params()
        jobs.append((f"theme drivers, survey {survey.name} (drivers page)",
                     theme_drivers.THEME_HISTOGRAMS, {"filters": one}))  # fmt: skip
        jobs.append((f"key drivers, survey {survey.name}", drivers.KEY_DRIVERS,
                     {"survey_id": survey.pk, "filters": everything}))  # fmt: skip
    top = (
        ThemeMention.objects.for_org(org_id)
        .values("theme_id")
        .annotate(n=Count("id"))
        .order_by("-n")
        .first()
    )
    if top is not None:
        jobs.append(("theme page figures (most mentioned theme)", theme_profile.THEME_FIGURES,
                     {"theme_id": top["theme_id"], "today": today.isoformat(),
                      "days": PERIOD_DAYS, "weeks": theme_profile.TREND_WEEKS}))  # fmt: skip
    jobs += [
        ("/insights/ overview (90 days)", queries.THEME_OVERVIEW, {"days": PERIOD_DAYS}),
        ("theme NPS (all time)", queries.THEME_NPS, {}),
        ("emerging themes", queries.EMERGING, {"weeks_before": 4}),
        ("suggested themes (90 days)", queries.SUGGESTIONS, {"days": PERIOD_DAYS}),
    ]
    return jobs


def _server_cpu_s() -> float:
    """CPU seconds of this connection's PostgreSQL backend so far (0 on SQLite)."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return 0.0
    with connection.cursor() as c:
        c.execute("SELECT pg_backend_pid()")
        pid = c.fetchone()[0]
    try:
        stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(stat[11]) + int(stat[12])) / os.sysconf("SC_CLK_TCK")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--only", default="", help="time only labels containing this text")
    parser.add_argument("--reps", type=int, default=1)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "beacon.settings.base")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.db import connection
    from django.utils.module_loading import import_string

    from beacon.orgs.models import Organization
    from benchmarks.bench_one import load_average
    from benchmarks.run import machine

    org = Organization.objects.get(slug="bench-telecom")
    result: dict[str, Any] = {
        "database": connection.vendor,
        "machine": machine(),
        "started": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "load_before": load_average(),
        "runs": [],
    }
    for label, kind, params in _jobs(org.pk):
        if args.only not in label:
            continue
        compute = import_string(kind)
        for _ in range(args.reps):
            s0 = _server_cpu_s()
            t0, c0 = time.perf_counter(), time.process_time()
            compute(org.pk, params)
            wall, cpu = time.perf_counter() - t0, time.process_time() - c0
            server = _server_cpu_s() - s0
            run = {"label": label, "kind": kind, "params": params, "wall_s": round(wall, 2),
                   "cpu_s": round(cpu, 2), "server_cpu_s": round(server, 2),
                   "load": load_average()}  # fmt: skip
            result["runs"].append(run)
            print(f"{wall:8.2f} s wall {cpu:8.2f} s CPU {server:8.2f} s server CPU  "
                  f"load {run['load']:5.2f}  {label}", flush=True)  # fmt: skip
    result["load_after"] = load_average()
    result["finished"] = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    out = ROOT / "benchmarks" / "results" / f"stored-{connection.vendor}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
