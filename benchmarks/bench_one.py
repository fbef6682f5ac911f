"""One database, growing sizes: bulk load, dashboard queries, API ingest, server memory.

Run by benchmarks/run.py in a fresh process per database (Django reads its settings
once); DATABASE_URL / BEACON_DATA_DIR select the database. Prints one JSON line per size.
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import django

ROOT = Path(__file__).resolve().parent.parent
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "beacon.settings.base")
sys.path.insert(0, str(ROOT))
django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from beacon.analytics import metrics  # noqa: E402
from beacon.responses import bulk  # noqa: E402
from beacon.responses.models import Response  # noqa: E402
from benchmarks import generate  # noqa: E402

WEEKS = 12


def p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[max(0, round(0.95 * len(ordered)) - 1)]


def ms(seconds: float) -> float:
    return round(seconds * 1000, 2)


def dashboard_filters() -> metrics.Filters:
    end = (generate.END - dt.timedelta(days=1)).date()
    start = metrics.week_start(end) - dt.timedelta(weeks=WEEKS - 1)
    return metrics.Filters(start=start, end=end)


def server_cpu_s() -> float:
    """CPU seconds (user + system) of this connection's PostgreSQL backend so far, read
    from /proc (the server runs on this machine); 0 on SQLite, whose work is in-process."""
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


def dashboard_in_process(bench: generate.BenchOrg, reps: int) -> dict[str, Any]:
    f = dashboard_filters()
    assert f.start is not None and f.end is not None
    parts: dict[str, list[float]] = {"summary": [], "trend": [], "by_stage": [], "by_persona": []}
    totals = []
    for i in range(reps + 3):
        if i == 3:
            c0, s0 = time.process_time(), server_cpu_s()
        t0 = time.perf_counter()
        metrics.summary(bench.org, f)
        t1 = time.perf_counter()
        metrics.series(bench.org, "nps", "week", f)
        t2 = time.perf_counter()
        metrics.breakdown(bench.org, "nps", "stage", f)
        t3 = time.perf_counter()
        metrics.breakdown(bench.org, "nps", "persona", f)
        t4 = time.perf_counter()
        if i >= 3:  # the first runs warm caches
            for key, dt_ in zip(parts, (t1 - t0, t2 - t1, t3 - t2, t4 - t3), strict=True):
                parts[key].append(dt_)
            totals.append(t4 - t0)
    # CPU per dashboard, measured over the timed runs (the server's /proc counter has a
    # 10 ms tick, so only the total over many runs means anything).
    cpu_client = (time.process_time() - c0) / reps
    cpu_server = (server_cpu_s() - s0) / reps
    return {
        "dashboard_p95_ms": ms(p95(totals)),
        "dashboard_median_ms": ms(statistics.median(totals)),
        "dashboard_cpu_client_ms": ms(cpu_client),
        "dashboard_cpu_server_ms": ms(cpu_server),
        **{f"{k}_p95_ms": ms(p95(v)) for k, v in parts.items()},
    }


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """uvicorn with 2 workers on loopback, like `beacon run --workers 2`."""

    def __init__(self) -> None:
        self.port = free_port()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "beacon.asgi:application", "--host", "127.0.0.1",
             "--port", str(self.port), "--workers", "2", "--lifespan", "off",
             # The protocol `beacon run` uses: Nagle's algorithm off (docs/adr/0006).
             "--http", "beacon.core.server:H11Protocol",
             "--log-level", "warning", "--no-access-log"],
            cwd=ROOT,
        )  # fmt: skip
        # Generous: on a shared machine two workers importing Django took over a minute.
        deadline = time.time() + 300
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"uvicorn exited with {self.proc.returncode}")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                conn.request("GET", "/api/v1/openapi.json")
                conn.getresponse().read()
                return
            except OSError:
                time.sleep(0.2)
        self.stop()  # a server that never answered is not left running
        raise RuntimeError("uvicorn did not answer within 300 s")

    def rss_mb(self) -> dict[str, float]:
        """Resident memory of the uvicorn processes (the manager and its workers)."""
        pids = [self.proc.pid]
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                except OSError:
                    continue
                if int(stat[1]) == self.proc.pid:
                    pids.append(int(entry.name))
        sizes = []
        for pid in pids:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    sizes.append(int(line.split()[1]) / 1024)
        return {
            "rss_total_mb": round(sum(sizes), 1),
            "rss_max_worker_mb": round(max(sizes[1:] or sizes), 1),
        }

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=30)


class Client:
    def __init__(self, port: int, secret: str) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.headers = {"Authorization": f"Bearer {secret}", "Content-Type": "application/json"}

    def call(self, method: str, path: str, body: Any = None) -> tuple[int, float]:
        t0 = time.perf_counter()
        self.conn.request(
            method, path, body=json.dumps(body) if body else None, headers=self.headers
        )
        r = self.conn.getresponse()
        r.read()
        return r.status, time.perf_counter() - t0


def dashboard_http(server: Server, bench: generate.BenchOrg, reps: int) -> dict[str, Any]:
    f = dashboard_filters()
    q = f"start={f.start}&end={f.end}"
    paths = [
        f"/api/v1/metrics/summary?{q}",
        f"/api/v1/analytics/trend?metric=nps&grain=week&{q}",
        f"/api/v1/analytics/breakdown?metric=nps&dimension=stage&{q}",
        f"/api/v1/analytics/breakdown?metric=nps&dimension=persona&{q}",
    ]
    client = Client(server.port, bench.api_secret)
    totals, each = [], []
    for i in range(reps + 3):
        total = 0.0
        for path in paths:
            status, took = client.call("GET", path)
            assert status == 200, (path, status)
            total += took
            if i >= 3:
                each.append(took)
        if i >= 3:
            totals.append(total)
    return {"http_dashboard_p95_ms": ms(p95(totals)), "http_request_p95_ms": ms(p95(each))}


def api_ingest(
    server: Server, bench: generate.BenchOrg, clients: int, per_client: int, tag: str
) -> dict[str, Any]:
    latencies: list[float] = []
    errors: list[int] = []
    lock = threading.Lock()
    survey = bench.surveys[0]
    nps, csat, ces, text = bench.questions[survey.pk]
    interaction_ids = [
        it.pk for it, s in zip(bench.interactions, bench.survey_of, strict=True) if s == 0
    ]

    def work(c: int) -> None:
        client = Client(server.port, bench.api_secret)
        mine = []
        for i in range(per_client):
            body = {
                "survey_id": survey.pk,
                "idempotency_key": f"api-{tag}-{clients}-{c}-{i}",
                "interaction_id": interaction_ids[(c * per_client + i) % len(interaction_ids)],
                "answers": [
                    {"question_id": nps, "number": (c + i) % 11},
                    {"question_id": csat, "number": 1 + i % 5},
                    {"question_id": ces, "number": 1 + i % 7},
                    {"question_id": text, "text": "Quick and friendly, thanks."},
                ],
            }
            status, took = client.call("POST", "/api/v1/responses", body)
            if status != 201:
                with lock:
                    errors.append(status)
            mine.append(took)
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=work, args=(c,)) for c in range(clients)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    return {
        f"api_{clients}c_rate_per_s": round(len(latencies) / wall, 1),
        f"api_{clients}c_p50_ms": ms(statistics.median(latencies)),
        f"api_{clients}c_p95_ms": ms(p95(latencies)),
        f"api_{clients}c_errors": len(errors),
        f"api_{clients}c_error_statuses": sorted(set(errors)),
    }


def load_average() -> float:
    return round(os.getloadavg()[0], 2)


def serve(bench: generate.BenchOrg, size: int, args: argparse.Namespace) -> dict[str, Any]:
    """Dashboard (in-process and over HTTP), server memory and API ingest at this size."""
    result: dict[str, Any] = {}
    if connection.vendor == "postgresql":
        with connection.cursor() as c:
            # Fresh tables have no statistics yet; autovacuum would add them minutes later.
            c.execute("ANALYZE")
    result["load_before_serving"] = load_average()
    result.update(dashboard_in_process(bench, args.reps))
    if args.dashboard_only:
        result["load_after_serving"] = load_average()
        return result
    server = Server()
    try:
        result.update(dashboard_http(server, bench, args.reps))
        result.update(server.rss_mb())
        per = args.api_requests
        tag = f"{size}-{int(time.time())}"
        result.update(api_ingest(server, bench, 1, per, tag))
        result.update(api_ingest(server, bench, 8, per // 4, tag))
        result.update({f"after_ingest_{k}": v for k, v in server.rss_mb().items()})
    finally:
        server.stop()
    result["load_after_serving"] = load_average()
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="100000")
    parser.add_argument("--reps", type=int, default=40)
    parser.add_argument("--api-requests", type=int, default=800)
    parser.add_argument("--batch", type=int, default=100_000, help="responses per transaction")
    parser.add_argument(
        "--serve",
        default="all",
        help="sizes to measure serving at after loading: all, none, or a list",
    )
    parser.add_argument(
        "--budget-minutes",
        type=float,
        default=40,
        help="skip a size whose load, at the rate measured so far, would exceed this",
    )
    parser.add_argument(
        "--dashboard-only",
        action="store_true",
        help="when serving, measure the in-process dashboard only (no server, no API ingest)",
    )
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    serve_at = (
        set(sizes)
        if args.serve == "all"
        else set()
        if args.serve == "none"
        else {int(s) for s in args.serve.split(",")}
    )
    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    t0 = time.perf_counter()
    # A database an earlier run loaded is measured again or grown, not rebuilt.
    bench = generate.load_org() or generate.build_org()
    setup_s = time.perf_counter() - t0
    loaded = (
        Response.objects.for_org(bench.org).filter(idempotency_key__startswith="bench-").count()
    )
    rate = 0.0
    for size in sizes:
        added = max(0, size - loaded)
        left = args.budget_minutes * 60 - (time.perf_counter() - started)
        if rate and added / rate > left:
            skipped = {
                "database": connection.vendor,
                "responses": size,
                "skipped": f"loading {added:,} more at {rate:,.0f}/s would take "
                f"{added / rate / 60:.0f} min; {left / 60:.0f} min of the budget were left",
            }
            print(json.dumps(skipped), flush=True)
            break
        result: dict[str, Any] = {
            "database": connection.vendor,
            "responses": size,
            "setup_s": round(setup_s, 1),
            "load_before": load_average(),
        }
        if added:
            ingest_s = 0.0
            cpu_s = 0.0
            generate_s = 0.0
            t_gen = time.perf_counter()
            for batch in generate.responses(bench, loaded, added, chunk=args.batch):
                t1 = time.perf_counter()
                generate_s += t1 - t_gen
                c1 = time.process_time()
                bulk.store(batch, historical=True, batch_size=args.batch)
                cpu_s += time.process_time() - c1
                t_gen = time.perf_counter()
                ingest_s += t_gen - t1
                loaded += len(batch)
            rate = added / ingest_s
            result.update(
                {
                    "bulk_loaded": added,
                    "bulk_batch": args.batch,
                    "bulk_ingest_s": round(ingest_s, 1),
                    "bulk_rate_per_s": round(rate),
                    # This process's CPU time: on a shared machine wall time includes
                    # waiting for a core (PostgreSQL's own work is not in it).
                    "bulk_client_cpu_s": round(cpu_s, 1),
                    "generate_s": round(generate_s, 1),
                    "load_after_bulk": load_average(),
                }
            )
        if size in serve_at:
            result.update(serve(bench, size, args))
        result["elapsed_min"] = round((time.perf_counter() - started) / 60, 1)
        print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
