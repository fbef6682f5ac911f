"""`make bench-crawl`: every staff page and API GET of an organisation of 1M responses.

    python -m benchmarks.crawl [--responses 1000000] [--databases sqlite,postgres]
                               [--reps 10] [--keep /tmp/beacon-crawl]

Per database, in a fresh process: the bench organisation (benchmarks/generate.py) is
loaded to `--responses` responses, with members, themes read from its comments, cases,
actions, lost customers, outcomes and a closed alignment round (`generate.add_content`);
`--keep` keeps it for the next run (SQLite under that directory, PostgreSQL database
bench_crawl). Then the real server (uvicorn, 2 workers, as `beacon run`) is started on
loopback and crawled:

- staff pages: every route of Django's URL resolver outside /api/, /s/, /accounts/ and
  /wall/, path parameters filled with ids of real objects of the organisation, requested
  with an owner's session cookie; a route that answers 405 to GET is a form target, not a
  page, and is listed as such;
- API: every GET operation of the OpenAPI schema, required parameters filled (enums take
  their first value), with a bearer key of the organisation (read and admin scopes).

File downloads of whole datasets (exports/*, /api/v1/exports/* as files) are left to
benchmarks/exports.py; they are listed here as excluded. Every route is listed with what
happened to it, so none is skipped silently.

One warm-up pass over every URL, then the analyses that pages ask the worker for (stored
results, beacon/core/computed.py) are computed as the worker would, then `--reps` passes,
each over every URL in turn (so a burst of load elsewhere hits many URLs a little, not one
URL a lot). Per URL: p50 and p95 of wall time, and the server's CPU time per request
(utime+stime of the uvicorn workers, whose resolution is 10 ms; the database's own CPU on
PostgreSQL is not in it). Results go to benchmarks/results/crawl-<database>.json.
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
TARGET_MS = 300.0
PG_DATABASE = "bench_crawl"
# Warm-ups slower than this get fewer measured requests (each is still reported).
SLOW_S = 5.0
SLOW_REPS = 3

# Prefixes of the resolver's routes that are not staff pages.
NOT_STAFF = ("api/", "s/", "accounts/", "wall/", "favicon.ico", "login/", "logout/",
             "invite/", "alignment/<str:token>/")  # fmt: skip
# Whole-dataset files: measured by benchmarks/exports.py.
DOWNLOADS = re.compile(r"^exports/(?!<int:job_id>/$)")


# ---------------------------------------------------------------------------- parent


def _postgres_url(base_url: str, keep: bool) -> str | None:
    import psycopg

    try:
        with psycopg.connect(base_url, autocommit=True, connect_timeout=5) as conn:
            exists = conn.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", [PG_DATABASE]
            ).fetchone()
            if not (keep and exists):
                conn.execute(f"DROP DATABASE IF EXISTS {PG_DATABASE}")
                conn.execute(f"CREATE DATABASE {PG_DATABASE}")
    except psycopg.Error as e:
        print(f"PostgreSQL not reachable at {base_url}: {e}; skipping it", file=sys.stderr)
        return None
    return urlunsplit(urlsplit(base_url)._replace(path=f"/{PG_DATABASE}"))


def run_database(name: str, args: argparse.Namespace) -> None:
    if args.keep:
        data_dir = Path(args.keep) / name
        data_dir.mkdir(parents=True, exist_ok=True)
    else:
        data_dir = Path(tempfile.mkdtemp(prefix=f"beacon-crawl-{name}-"))
    env = {**os.environ, "BEACON_DATA_DIR": str(data_dir),
           "DJANGO_SETTINGS_MODULE": "beacon.settings.base"}  # fmt: skip
    env.pop("DATABASE_URL", None)
    env.pop("REDIS_URL", None)
    if name == "postgres":
        base = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres")
        url = _postgres_url(base, bool(args.keep))
        if url is None:
            return
        env["DATABASE_URL"] = url
    cmd = [sys.executable, "-m", "benchmarks.crawl", "--child", "--responses",
           str(args.responses), "--reps", str(args.reps), "--only", args.only,
           *(["--no-worker"] if args.no_worker else []),
           *(["--generate-only"] if args.generate_only else [])]  # fmt: skip
    try:
        subprocess.run(cmd, env=env, cwd=ROOT, check=True)
    finally:
        if not args.keep:
            shutil.rmtree(data_dir, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--responses", type=int, default=1_000_000)
    parser.add_argument("--databases", default="sqlite,postgres")
    parser.add_argument("--reps", type=int, default=10)
    parser.add_argument("--keep", default="", help="keep the data (SQLite under this dir)")
    parser.add_argument("--only", default="", help="crawl only URLs containing this text")
    parser.add_argument("--no-worker", action="store_true",
                        help="measure with the stored analyses the warm-up asked for still "
                        "pending (pages say they are being computed)")  # fmt: skip
    parser.add_argument(
        "--generate-only",
        action="store_true",
        help="load the organisation (with --keep) and stop before crawling",
    )
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return
    for name in args.databases.split(","):
        run_database(name.strip(), args)


# ----------------------------------------------------------------------------- child


def child(args: argparse.Namespace) -> None:
    import django

    sys.path.insert(0, str(ROOT))
    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from beacon.responses import bulk
    from beacon.responses.models import Response
    from benchmarks import generate
    from benchmarks.bench_one import Server, load_average
    from benchmarks.run import machine

    result: dict[str, Any] = {"database": connection.vendor, "machine": machine(),
                              "started": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                              "load_before": load_average()}  # fmt: skip
    call_command("migrate", verbosity=0)
    t0, c0 = time.perf_counter(), time.process_time()
    bench = generate.load_org() or generate.build_org()
    loaded = Response.objects.for_org(bench.org).filter(idempotency_key__startswith="bench-")
    have = loaded.count()
    if have < args.responses:
        print(f"loading {args.responses - have:,} responses ...", flush=True)
        for batch in generate.responses(bench, have, args.responses - have, chunk=100_000):
            bulk.store(batch, historical=True, batch_size=100_000)
    if connection.vendor == "postgresql":
        # Fresh statistics before the content's queries: planned on a table PostgreSQL
        # still believes empty, picking the recent detractors took over 25 minutes.
        with connection.cursor() as c:
            c.execute("ANALYZE")
    if not generate.has_content(bench.org):
        print("adding members, themes, cases, actions, outcomes, alignment ...", flush=True)
        generate.add_content(bench)
    result.update(generate_s=round(time.perf_counter() - t0, 1),
                  generate_cpu_s=round(time.process_time() - c0, 1),
                  load_after_generate=load_average(),
                  responses=Response.objects.for_org(bench.org).count())  # fmt: skip
    if connection.vendor == "postgresql":
        with connection.cursor() as c:
            c.execute("ANALYZE")
    if args.generate_only:
        print(f"loaded in {result['generate_s']} s; not crawled (--generate-only)")
        return
    urls, listed = discover(bench.org)
    if args.only:
        urls = [u for u in urls if args.only in u["url"]]
    cookie, key = credentials(bench.org)
    server = Server()
    try:
        result["load_before_crawl"] = load_average()
        rows = crawl(server, urls, cookie, key, args.reps, worker=not args.no_worker)
        result["load_after_crawl"] = load_average()
    finally:
        server.stop()
    result["urls"] = rows
    result["routes"] = listed
    result["reps"] = args.reps
    result["worker_ran"] = not args.no_worker
    result["finished"] = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"crawl-{connection.vendor}.json"
    path.write_text(json.dumps(result, indent=2) + "\n")
    report(result)
    print(f"\nwrote {path.relative_to(ROOT)}")


def credentials(org: Any) -> tuple[str, str]:
    """An owner's session cookie, and an API key with read and admin scopes."""
    from django.conf import settings
    from django.test import Client

    from beacon.orgs.actions import do_create_api_key
    from beacon.orgs.models import Membership, Role

    owner = Membership.objects.for_org(org).filter(role=Role.OWNER).select_related("user").first()
    assert owner is not None
    client = Client()
    client.force_login(owner.user)
    cookie = f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
    key = do_create_api_key(org, "crawl", scopes=["read", "admin"]).secret
    return cookie, key


# ------------------------------------------------------------------------ discovery


def _ids(org: Any) -> dict[str, Any]:
    """A real object of the organisation for each path parameter name (None: none)."""
    from beacon.alignment.models import Round
    from beacon.contacts.models import Contact, Interaction
    from beacon.cxmodel.models import Persona, Stage
    from beacon.insights.models import AnswerInsight, ContactReason, InteractionReason, Theme
    from beacon.loop.models import Action, Case, CustomerUpdate, WinBackCall
    from beacon.members.models import Invitation
    from beacon.orgs.models import ApiKey, Department, Membership
    from beacon.surveys.models import Question, Survey

    def first(qs: Any) -> Any:
        return qs.order_by("pk").values_list("pk", flat=True).first()

    survey = Survey.objects.for_org(org).order_by("pk").first()
    ids: dict[str, Any] = {
        "survey_id": survey.pk if survey else None,
        "question_id": first(Question.objects.filter(survey=survey)),
        "touchpoint_id": first(survey.touchpoints.all()) if survey else None,
        "fmt": "svg",
        "round_id": first(Round.objects.for_org(org)),
        "persona_id": first(Persona.objects.for_org(org)),
        "stage_id": first(Stage.objects.for_org(org)),
        "case_id": first(Case.objects.for_org(org)),
        # A customer with a long history (the most responses), as a support agent opens.
        "contact_id": Contact.objects.for_org(org)
        .order_by("-pk")
        .values_list("pk", flat=True)
        .first(),
        "external_id": Contact.objects.for_org(org)
        .order_by("pk")
        .values_list("external_id", flat=True)
        .first(),
        # One whose reason for contact was read, else any (then the answer is a 404).
        "interaction_id": InteractionReason.objects.for_org(org)
        .values_list("interaction_id", flat=True)
        .first()
        or first(Interaction.objects.for_org(org)),
        "action_id": first(Action.objects.for_org(org)),
        "update_id": first(CustomerUpdate.objects.for_org(org)),
        "call_id": first(WinBackCall.objects.for_org(org)),
        "theme_id": first(Theme.objects.for_org(org).filter(mentions__isnull=False).distinct()),
        "answer_id": AnswerInsight.objects.for_org(org)
        .order_by("-pk")
        .values_list("answer_id", flat=True)
        .first(),
        "reason_id": first(ContactReason.objects.for_org(org)),
        "member_id": first(Membership.objects.for_org(org)),
        "invitation_id": first(Invitation.objects.for_org(org)),
        "department_id": first(Department.objects.for_org(org)),
        "key_id": first(ApiKey.objects.for_org(org)),
        "file_format": "csv",
    }
    optional = {
        "rule_id": "surveys.DistributionRule",
        "webhook_id": "contacts.InboundWebhook",
        "job_id": "contacts.ImportJob",
        "export_job_id": "reports.ExportJob",
        "pack_id": "reports.BoardPack",
    }
    for name, model in optional.items():
        ids[name] = _maybe(org, model)
    return ids


def _maybe(org: Any, label: str) -> Any:
    from django.apps import apps

    try:
        model = apps.get_model(label)
    except LookupError:
        return None
    found = model.objects.filter(organization=org).order_by("pk").values_list("pk", flat=True)
    return found.first()


def _walk(patterns: Any, prefix: str = "") -> list[str]:
    from django.urls import URLPattern, URLResolver

    routes = []
    for p in patterns:
        if isinstance(p, URLResolver):
            routes += _walk(p.url_patterns, prefix + str(p.pattern))
        elif isinstance(p, URLPattern):
            routes.append(prefix + str(p.pattern))
    return routes


PARAM = re.compile(r"<(?:(\w+):)?(\w+)>")


def discover(org: Any) -> tuple[list[dict[str, Any]], list[dict[str, str]]]:
    """URLs to crawl, and every route with what is done with it."""
    from django.urls import get_resolver

    from beacon.api.v1 import api

    ids = _ids(org)
    urls: list[dict[str, Any]] = []
    listed: list[dict[str, str]] = []
    for route in _walk(get_resolver().url_patterns):
        if route.startswith(NOT_STAFF) or route.startswith("^"):
            listed.append({"route": "/" + route, "done": "not a staff page"})
            continue
        if DOWNLOADS.match(route):
            listed.append({"route": "/" + route, "done": "excluded: whole-dataset file "
                           "(benchmarks/exports.py)"})  # fmt: skip
            continue
        # The same parameter name means an import job there and an export job here.
        here = {**ids, "job_id": ids["export_job_id"]} if route.startswith("exports/") else ids
        missing = [name for _, name in PARAM.findall(route) if here.get(name) is None]
        if missing:
            listed.append({"route": "/" + route, "done": f"skipped: no {', '.join(missing)}"})
            continue
        url = "/" + PARAM.sub(lambda m, here=here: str(here[m.group(2)]), route)
        urls.append({"kind": "page", "route": "/" + route, "url": url})
        listed.append({"route": "/" + route, "done": "crawled"})
    schema = api.get_openapi_schema()
    for path, ops in schema["paths"].items():
        for method in ops:
            if method != "get":
                listed.append({"route": f"{method.upper()} {path}", "done": "not a GET"})
        if "get" not in ops:
            continue
        query: dict[str, str] = {}
        missing = []
        url = path
        for param in ops["get"].get("parameters", []):
            if not param.get("required"):
                continue
            name = param["name"]
            enum = param.get("schema", {}).get("enum")
            value = enum[0] if enum else ids.get(name)
            if name == "name":  # exports: the first page of JSON, not a file
                value = "responses"
            if value is None:
                missing.append(name)
            elif param["in"] == "path":
                url = url.replace("{" + name + "}", str(value))
            else:
                query[name] = str(value)
        if missing:
            listed.append({"route": f"GET {path}", "done": f"skipped: no {', '.join(missing)}"})
            continue
        if query:
            url += "?" + urlencode(query)
        urls.append({"kind": "api", "route": f"GET {path}", "url": url})
        listed.append({"route": f"GET {path}", "done": "crawled"})
    return urls, listed


# ---------------------------------------------------------------------------- crawl


def _cpu_ticks(pids: list[int]) -> int:
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total


def _server_pids(root: int) -> list[int]:
    pids = [root]
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(stat[1]) == root:
                pids.append(int(entry.name))
    return pids


def _run_computed() -> int:
    """What the worker does for the analyses pages asked for during the warm-up."""
    from beacon.core.computed import refresh_result
    from beacon.core.models import ComputedResult

    rows = list(ComputedResult.objects.filter(queued_until__isnull=False))
    for row in rows:
        refresh_result(row.organization_id, row.kind, row.key)
    return len(rows)


def crawl(server: Any, urls: list[dict[str, Any]], cookie: str, key: str, reps: int,
          worker: bool = True) -> list[dict[str, Any]]:  # fmt: skip
    tick_ms = 1000 / os.sysconf("SC_CLK_TCK")
    pids = _server_pids(server.proc.pid)
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=600)

    def get(u: dict[str, Any]) -> tuple[int, float, float, int]:
        headers = {"Cookie": cookie} if u["kind"] == "page" else {"Authorization": f"Bearer {key}"}
        # A connection idle longer than the server's keep-alive is opened again first
        # (outside the timing).
        conn.connect() if conn.sock is None else None
        c0 = _cpu_ticks(pids)
        t0 = time.perf_counter()
        try:
            conn.request("GET", u["url"], headers=headers)
            r = conn.getresponse()
        except (http.client.RemoteDisconnected, ConnectionError):
            conn.close()
            conn.connect()
            c0 = _cpu_ticks(pids)
            t0 = time.perf_counter()
            conn.request("GET", u["url"], headers=headers)
            r = conn.getresponse()
        body = r.read()
        took = time.perf_counter() - t0
        if r.getheader("Connection", "").lower() == "close":
            conn.close()
        return r.status, took, (_cpu_ticks(pids) - c0) * tick_ms, len(body)

    print(f"warm-up: {len(urls)} URLs", flush=True)
    rows: list[dict[str, Any]] = []
    for u in urls:
        status, took, _, size = get(u)
        rows.append({**u, "status": status, "warmup_ms": round(took * 1000, 1), "bytes": size,
                     "samples": [], "cpu": []})  # fmt: skip
        if took > 1:
            print(f"  warm-up {took * 1000:,.0f} ms: {u['url']}", flush=True)
    if worker:
        computed = _run_computed()
        print(f"computed {computed} stored analyses as the worker would", flush=True)
    measured = [r for r in rows if r["status"] != 405]
    for rep in range(reps):
        for r in measured:
            if r["warmup_ms"] > SLOW_S * 1000 and rep >= SLOW_REPS:
                continue
            status, took, cpu, _ = get(r)
            r["status"] = status
            r["samples"].append(took * 1000)
            r["cpu"].append(cpu)
        print(f"pass {rep + 1}/{reps} done, load {os.getloadavg()[0]:.2f}", flush=True)
    for r in rows:
        s = sorted(r.pop("samples"))
        cpu = r.pop("cpu")
        if s:
            r["n"] = len(s)
            r["p50_ms"] = round(s[len(s) // 2], 1)
            r["p95_ms"] = round(s[max(0, round(0.95 * len(s)) - 1)], 1)
            r["max_ms"] = round(s[-1], 1)
            r["server_cpu_ms"] = round(sum(cpu) / len(cpu), 1)
    return rows


def report(result: dict[str, Any]) -> None:
    rows = [r for r in result["urls"] if "p95_ms" in r]
    rows.sort(key=lambda r: -r["p95_ms"])
    over = [r for r in rows if r["p95_ms"] > TARGET_MS]
    print(f"\n== {result['database']}, {result['responses']:,} responses; load "
          f"{result['load_before_crawl']} -> {result['load_after_crawl']}")  # fmt: skip
    print(f"{'p50 ms':>9} {'p95 ms':>9} {'cpu ms':>8} {'st':>4}  url")
    for r in rows:
        flag = "  > 300 ms" if r["p95_ms"] > TARGET_MS else ""
        print(f"{r['p50_ms']:>9} {r['p95_ms']:>9} {r['server_cpu_ms']:>8} {r['status']:>4}  "
              f"{r['url']}{flag}")  # fmt: skip
    odd = [r for r in result["urls"] if r["status"] not in (200, 405)]
    forms = [r for r in result["urls"] if r["status"] == 405]
    print(f"\n{len(rows)} URLs measured, {len(over)} over {TARGET_MS:.0f} ms; "
          f"{len(forms)} routes answer 405 to GET (form targets)")  # fmt: skip
    for r in odd:
        print(f"  status {r['status']}: {r['url']}")
    outside: dict[str, int] = {}
    for item in result["routes"]:
        if item["done"] == "not a staff page":
            head = item["route"].split("/")[1] or item["route"]
            outside[head] = outside.get(head, 0) + 1
        elif item["done"] != "crawled":
            print(f"  {item['route']}: {item['done']}")
    # /api/ routes are crawled from the OpenAPI schema (GET operations) instead.
    print("  not staff pages (routes): " + ", ".join(f"/{k}/ {v}" for k, v in outside.items()))


if __name__ == "__main__":
    main()
