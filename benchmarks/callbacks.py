"""CPU time of every page's requests, in one process: what to profile before a load test.

Each demo role signs in through Flask's test client and opens every page of its
role as a browser would (``benchmarks.replay``: the page, the Dash pages router
callback, every callback fired on load; every report kind on Reports). Each
request is timed with ``time.process_time`` (the server's CPU time: a busy
machine slows it far less than wall time) and wall time. The baseline, in the
same rounds, is the sign-in page (plain Flask, no database). Medians per kind of
request are printed with the ratio of CPU time to the baseline's.

``--profile NAME`` runs cProfile over every request whose name contains NAME
(e.g. ``"router /overview"``, ``"report billing"``) and prints the 30 costliest
functions by cumulative time.

Usage::

    .venv/bin/python -m benchmarks.callbacks                  # temporary SQLite with demo data
    .venv/bin/python -m benchmarks.callbacks --database-url URL   # a database with demo data
    .venv/bin/python -m benchmarks.callbacks --profile "report billing" --rounds 3
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import io
import json
import pstats
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import replay  # noqa: E402 - after the path set-up for a plain run
from db import demo, migrate  # noqa: E402
from db.session import Database  # noqa: E402
from lounge import localtime  # noqa: E402

BASE = "http://localhost"
#: Who opens which pages (the demo logins); clients also show every report.
ROLES = (
    (
        "client@demo.lounge",
        ("/overview", "/contracts", "/consumption", "/billing", "/reports", "/contacts", "/inbox"),
    ),
    ("manager@demo.lounge", ("/portfolio", "/notifications")),
    ("demand@demo.lounge", ("/regions",)),
    ("admin@demo.lounge", ("/admin",)),
)


class Timings:
    def __init__(self, profile: str | None) -> None:
        self.cpu: dict[str, list[float]] = {}
        self.wall: dict[str, list[float]] = {}
        self.profile = profile
        self.profiler = cProfile.Profile()

    @contextmanager
    def timed(self, name: str) -> Iterator[None]:
        profiling = bool(self.profile and self.profile in name)
        if profiling:
            self.profiler.enable()
        cpu, wall = time.process_time(), time.perf_counter()
        yield
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        if profiling:
            self.profiler.disable()
        self.cpu.setdefault(name, []).append(cpu)
        self.wall.setdefault(name, []).append(wall)


def _sign_in(client: Any, email: str) -> list[dict[str, Any]]:
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    form = {"csrf_token": token.group(1) if token else "", "email": email}
    answer = client.post("/login", data=form | {"password": demo.PASSWORD})
    if answer.status_code != 302:
        sys.exit(f"sign-in of {email} answered {answer.status_code}")
    dependencies: list[dict[str, Any]] = client.get("/_dash-dependencies").get_json()
    return dependencies


def _post(client: Any, timings: Timings, name: str, body: dict[str, Any]) -> dict[str, Any]:
    with timings.timed(name):
        answer = client.post("/_dash-update-component", json=body, headers={"Origin": BASE})
    if answer.status_code == 204:
        return {}
    if answer.status_code != 200:
        print(f"  {name}: {answer.status_code}", file=sys.stderr)
        return {}
    return dict(json.loads(answer.get_data(as_text=True)).get("response", {}))


def _round(app: Any, timings: Timings) -> None:
    with timings.timed("baseline: GET /login"):
        app.server.test_client().get("/login")
    for email, pages in ROLES:
        client = app.server.test_client()
        dependencies = _sign_in(client, email)
        for path in pages:
            with timings.timed(f"GET {path}"):
                client.get(path)
            props = replay.rendered(_post(client, timings, *replay.router_call(dependencies, path)))
            for name, body in replay.load_calls(dependencies, props, path):
                _post(client, timings, name, body)
            if path == "/reports":
                for kind in replay.REPORT_KINDS:
                    _post(client, timings, *replay.report_call(dependencies, props, kind))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="a database with the demo data (default: a new one)")
    parser.add_argument("--customers", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--profile", help="cProfile the requests whose name contains this")
    parser.add_argument("--self-time", action="store_true", help="profile: sort by own time")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as scratch:
        url = args.database_url or f"sqlite:///{Path(scratch) / 'callbacks.db'}"
        if not args.database_url:
            database = Database(url)
            migrate.upgrade(database.engine)
            print(f"generating demo data ({args.customers} customers)...", flush=True)
            today = localtime.today()
            demo.generate(database, customers=args.customers, seed=args.seed, today=today)
            database.dispose()

        from app import create_app

        app = create_app({"database_url": url, "login_rate_limit": "100000 per minute"})
        timings = Timings(args.profile)
        _round(app, Timings(None))  # warm-up: imports, first queries, caches
        for _ in range(args.rounds):
            _round(app, timings)

    baseline = statistics.median(timings.cpu["baseline: GET /login"])
    print(f"\n{'request':<40}{'cpu ms':>9}{'wall ms':>9}{'ratio':>8}")
    for name in sorted(timings.cpu, key=lambda n: -statistics.median(timings.cpu[n])):
        cpu, wall = statistics.median(timings.cpu[name]), statistics.median(timings.wall[name])
        print(f"{name:<40}{cpu * 1000:>9.1f}{wall * 1000:>9.1f}{cpu / baseline:>8.1f}")
    total = sum(sum(v) for v in timings.cpu.values()) / args.rounds
    print(f"\nCPU per round (every page of every role once): {total:.2f} s")
    print(f"{dt.datetime.now():%Y-%m-%d %H:%M}, {args.rounds} rounds, medians")
    if args.profile:
        out = io.StringIO()
        sort = "tottime" if args.self_time else "cumulative"
        pstats.Stats(timings.profiler, stream=out).sort_stats(sort).print_stats(30)
        print(out.getvalue())


if __name__ == "__main__":
    main()
