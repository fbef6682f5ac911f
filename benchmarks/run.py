"""`make bench`: load synthetic data at growing sizes on SQLite and PostgreSQL, measure.

    python -m benchmarks.run [--sizes 100000,1000000] [--databases sqlite,postgres]

Each database starts empty (a temporary SQLite file; a PostgreSQL database named
bench_beacon or --pg-database, dropped and created on BENCH_POSTGRES_URL, default
postgres://postgres@127.0.0.1:5432/postgres) unless --keep names a directory to keep the
SQLite file in (and keeps the PostgreSQL database): a later run with the same --keep
measures that data again or grows it to larger sizes. Results go to benchmarks/results/
as JSON and are printed beside their targets. These are benchmarks, not tests: they pass or fail
nothing; they say what was measured, on which machine, when.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"

# (result key, target text, check) — the targets.
TARGETS: list[tuple[str, str, Any]] = [
    ("bulk_rate_per_s", ">= 50,000 responses/s", lambda v: v >= 50_000),
    ("api_1c_rate_per_s", "(reported)", lambda v: True),
    ("api_1c_p95_ms", "(reported)", lambda v: True),
    ("api_8c_rate_per_s", ">= 2,000 responses/s", lambda v: v >= 2000),
    ("api_8c_p95_ms", "<= 50 ms", lambda v: v <= 50),
    ("dashboard_p95_ms", "<= 50 ms at 1M and 10M", lambda v: v <= 50),
    ("http_dashboard_p95_ms", "<= 50 ms (4 requests over HTTP)", lambda v: v <= 50),
    ("rss_max_worker_mb", "<= 300 MB", lambda v: v <= 300),
]


def machine() -> dict[str, Any]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_gb = 0.0
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem_gb = round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gb": mem_gb,
        "python": platform.python_version(),
        "os": platform.platform(),
    }


PG_DATABASE = "bench_beacon"


def _postgres_env(base_url: str, keep: bool, database: str) -> dict[str, str] | None:
    import psycopg

    try:
        with psycopg.connect(base_url, autocommit=True, connect_timeout=5) as conn:
            exists = conn.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", [database]
            ).fetchone()
            if not (keep and exists):
                conn.execute(f"DROP DATABASE IF EXISTS {database}")
                conn.execute(f"CREATE DATABASE {database}")
            version = conn.execute("SHOW server_version").fetchone()
    except psycopg.Error as e:
        print(f"PostgreSQL not reachable at {base_url}: {e}; skipping it", file=sys.stderr)
        return None
    parts = urlsplit(base_url)
    url = urlunsplit(parts._replace(path=f"/{database}"))
    return {"DATABASE_URL": url, "BENCH_SERVER_VERSION": str(version[0] if version else "")}


def run_database(name: str, sizes: str, args: argparse.Namespace) -> list[dict[str, Any]]:
    if args.keep:
        data_dir = Path(args.keep) / name
        data_dir.mkdir(parents=True, exist_ok=True)
    else:
        data_dir = Path(tempfile.mkdtemp(prefix=f"beacon-bench-{name}-"))
    env = {
        **os.environ,
        "BEACON_DATA_DIR": str(data_dir),
        "DJANGO_SETTINGS_MODULE": "beacon.settings.base",
    }
    env.pop("DATABASE_URL", None)
    server_version = ""
    if name == "postgres":
        extra = _postgres_env(
            os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres"),
            bool(args.keep),
            args.pg_database,
        )
        if extra is None:
            return []
        server_version = extra.pop("BENCH_SERVER_VERSION")
        env.update(extra)
    cmd = [sys.executable, str(ROOT / "benchmarks" / "bench_one.py"), "--sizes", sizes,
           "--reps", str(args.reps), "--api-requests", str(args.api_requests),
           "--budget-minutes", str(args.budget_minutes), "--batch", str(args.batch),
           "--serve", args.serve,
           *(["--dashboard-only"] if args.dashboard_only else [])]  # fmt: skip
    out: list[dict[str, Any]] = []
    try:
        proc = subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=subprocess.PIPE, text=True)
        assert proc.stdout is not None
        for line in proc.stdout:
            line = line.strip()
            if line.startswith("{"):
                row = json.loads(line)
                if server_version:
                    row["server_version"] = server_version
                out.append(row)
                report([row])
        proc.wait()
    finally:
        if not args.keep:
            shutil.rmtree(data_dir, ignore_errors=True)
    return out


def report(rows: list[dict[str, Any]]) -> None:
    for row in rows:
        print(f"\n== {row['database']}, {row['responses']:,} responses")
        if "skipped" in row:
            print(f"  skipped: {row['skipped']}")
            continue
        for key, target, ok in TARGETS:
            if key in row:
                mark = "met" if ok(row[key]) else "NOT met"
                print(f"  {key:<24} {row[key]:>12}   target {target:<34} {mark}")
        ratio = row.get("p95_ratio_to_smallest")
        if ratio is not None:
            print(f"  {'p95 / p95(smallest)':<24} {ratio:>12}   target <= 2 (10M vs 100k)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="100000,1000000")
    parser.add_argument("--databases", default="sqlite,postgres")
    parser.add_argument("--reps", type=int, default=40)
    parser.add_argument("--api-requests", type=int, default=800)
    parser.add_argument("--budget-minutes", type=float, default=40, help="per database")
    parser.add_argument("--batch", type=int, default=100_000, help="responses per transaction")
    parser.add_argument("--serve", default="all", help="sizes to measure serving at (all, none)")
    parser.add_argument("--keep", default="", help="keep the databases (SQLite under this dir)")
    parser.add_argument("--pg-database", default=PG_DATABASE, help="PostgreSQL database name")
    parser.add_argument(
        "--dashboard-only", action="store_true", help="serving: the in-process dashboard only"
    )
    args = parser.parse_args()
    started = dt.datetime.now(dt.UTC)
    results: list[dict[str, Any]] = []
    for name in args.databases.split(","):
        rows = run_database(name.strip(), args.sizes, args)
        measured = [r for r in rows if "dashboard_p95_ms" in r]
        # A ratio needs two sizes measured in the same run (the same machine state).
        if len(measured) > 1:
            smallest = measured[0]["dashboard_p95_ms"]
            for row in measured:
                row["p95_ratio_to_smallest"] = round(row["dashboard_p95_ms"] / smallest, 2)
        results.extend(rows)
    RESULTS.mkdir(parents=True, exist_ok=True)
    document = {
        "started": started.isoformat(timespec="seconds"),
        "finished": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "sizes": args.sizes,
        "results": results,
    }
    which = args.databases.replace(",", "-")
    path = RESULTS / f"bench-{started:%Y%m%d-%H%M}-{which}.json"
    path.write_text(json.dumps(document, indent=2) + "\n")
    (RESULTS / "latest.json").write_text(json.dumps(document, indent=2) + "\n")
    print(f"\nwrote {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
