"""Time a few staff pages and API GETs in one process, on the bench organisation.

    BEACON_DATA_DIR=/copy/of/crawl/sqlite python -m benchmarks.inprocess /actions/1/ ...
    DATABASE_URL=postgres://.../copy python -m benchmarks.inprocess --profile /actions/1/

Beacon is imported from the path (PYTHONPATH), so a checkout can be timed with this file
from another. Django's test client with an owner's session (paths under /api/ with an API key of the
read and admin scopes): one warm-up request per URL, then `--reps` requests; prints per URL
the best wall and CPU (this process's time.process_time, which on PostgreSQL leaves out the
server's own work) with the SQL time and query count of that request, the response size and
the load average. `--profile` prints cProfile's top functions of one more request instead.
The database is written to (a session, an API key, the audit log of exports): use a copy.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("urls", nargs="+")
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "beacon.settings.base")
    import django

    django.setup()
    from django.db import connection
    from django.test import Client

    import beacon
    from beacon.orgs.actions import do_create_api_key
    from beacon.orgs.models import Membership, Organization, Role

    org = Organization.objects.get(slug="bench-telecom")
    owner = Membership.objects.for_org(org).filter(role=Role.OWNER).select_related("user").first()
    assert owner is not None
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(owner.user)
    key = do_create_api_key(org, "inprocess", scopes=["read", "admin"]).secret
    sql = {"ms": 0.0, "n": 0}

    def timed(
        execute: Callable[..., Any], query: str, params: Any, many: bool, context: Any
    ) -> Any:
        t = time.perf_counter()
        try:
            return execute(query, params, many, context)
        finally:
            sql["ms"] += (time.perf_counter() - t) * 1000
            sql["n"] += 1

    def get(url: str) -> tuple[int, int]:
        headers = {"Authorization": f"Bearer {key}"} if url.startswith("/api/") else {}
        response = client.get(url, headers=headers)
        body = b"".join(response) if response.streaming else response.content
        return response.status_code, len(body)

    with connection.execute_wrapper(timed):
        for url in args.urls:
            get(url)  # warm-up
            if args.profile:
                profile = cProfile.Profile()
                profile.runcall(get, url)
                print(f"== {url}")
                pstats.Stats(profile).sort_stats("cumulative").print_stats(45)
                continue
            runs = []
            for _ in range(args.reps):
                sql.update(ms=0.0, n=0)
                w, c = time.perf_counter(), time.process_time()
                status, size = get(url)
                wall = (time.perf_counter() - w) * 1000
                cpu = (time.process_time() - c) * 1000
                runs.append((wall, cpu, sql["ms"], sql["n"], status, size))
            best = min(runs)
            print(
                json.dumps(
                    {
                        "url": url,
                        "code": str(Path(beacon.__file__).parent.parent),
                        "database": connection.vendor,
                        "status": best[4],
                        "bytes": best[5],
                        "wall_ms": [round(r[0]) for r in runs],
                        "cpu_ms": [round(r[1]) for r in runs],
                        "best_wall_ms": round(best[0]),
                        "best_cpu_ms": round(min(r[1] for r in runs)),
                        "sql_ms": round(best[2]),
                        "queries": best[3],
                        "load": os.getloadavg(),
                    }
                ),
                flush=True,
            )


if __name__ == "__main__":
    main()
