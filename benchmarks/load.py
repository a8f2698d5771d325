"""Fifty people using the lounge at once, through HTTP as their browsers would (locust).

35 clients, 8 account managers, 5 demand-management staff and 2 administrators
each open every page of their role, one after another, 1 to 3 s apart; clients
also show every report kind. A page costs what it costs a browser: the page, the
Dash pages router callback, then every callback the page fires on load (found
in ``/_dash-dependencies`` and fed the values of the rendered layout;
``benchmarks.replay``).

**Everything in one command** (``serve``): fills the database with the demo data
when it has no customers (a temporary SQLite file by default; PostgreSQL: name an
empty database of your own), serves it with gunicorn (``gunicorn.conf.py``) on a
free port, lets the users sign in and warm up, then measures ``--duration``
seconds. With ``--import-rows N`` a second phase follows: the same load while
``python -m lounge import readings`` imports N 15-minute readings of 100 new sites
(``benchmarks.import_readings`` writes the file) at the CPU priority the
Administration page gives its import jobs, measured from the import's start to its
end. Each phase prints p50/p95/p99 and errors per kind of request and overall,
requests per second, and the CPU the server spent per request (the
machine's other work slows wall times, much less CPU times)::

    .venv/bin/python -m benchmarks.load serve --duration 120 --import-rows 1000000
    createdb -h 127.0.0.1 -U postgres lounge_perf
    .venv/bin/python -m benchmarks.load serve --import-rows 1000000 \
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/lounge_perf

**Against a running server** (`make run`, or gunicorn with ``LOUNGE_DATABASE_URL``),
locust's own command line::

    .venv/bin/python -m benchmarks.load --headless -u 50 -r 10 -t 2m \
        --host http://127.0.0.1:8050

(``python -m`` rather than the ``locust`` command: locust 2.47 imports a name that
only urllib3 2 exports, and selenium 4.2 of the test tools pins urllib3 1.26; this
module lends it the 1.26 one before locust loads.)

Demo logins share the password ``lounge-demo-2026`` (LOUNGE_DEMO_PASSWORD).
"""

from __future__ import annotations

from gevent import monkey

monkey.patch_all()  # before anything imports ssl, as locust itself would

import argparse  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import re  # noqa: E402
import socket  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import urllib.request  # noqa: E402
from collections.abc import Iterator  # noqa: E402
from contextlib import contextmanager  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import urllib3.util  # noqa: E402
import urllib3.util.ssl_  # noqa: E402

if not hasattr(urllib3.util, "create_urllib3_context"):
    urllib3.util.create_urllib3_context = urllib3.util.ssl_.create_urllib3_context

import gevent  # noqa: E402
import psutil  # noqa: E402
from locust import FastHttpUser, between, events, task  # noqa: E402
from locust.env import Environment  # noqa: E402
from locust.stats import RequestStats  # noqa: E402

from benchmarks import replay  # noqa: E402

PASSWORD = os.environ.get("LOUNGE_DEMO_PASSWORD", "lounge-demo-2026")
CLIENT_PAGES = (
    "/overview",
    "/contracts",
    "/consumption",
    "/billing",
    "/reports",
    "/contacts",
    "/inbox",
    "/requests",
    "/notices",
    "/surveys",
)


class LoungeUser(FastHttpUser):
    abstract = True
    wait_time = between(1, 3)
    emails: tuple[str, ...] = ()
    pages: tuple[str, ...] = ()
    _next = 0
    signed_in = 0  # users past on_start, for ``serve`` to know when the load is on

    def on_start(self) -> None:
        email = self.emails[LoungeUser._next % len(self.emails)]
        LoungeUser._next += 1
        page = self.client.get("/login", name="/login").text
        token = re.search(r'name="csrf_token" value="([^"]+)"', page or "")
        form = {"csrf_token": token.group(1) if token else "", "email": email}
        form["password"] = PASSWORD
        with self.client.post(
            "/login", data=form, name="sign in", allow_redirects=False, catch_response=True
        ) as response:
            if response.status_code != 302:
                response.failure(f"sign-in of {email} answered {response.status_code}")
        self.dependencies = self.client.get("/_dash-dependencies", name="dependencies").json()
        self.cursor = 0
        LoungeUser.signed_in += 1

    @task
    def next_page(self) -> None:
        path = self.pages[self.cursor % len(self.pages)]
        self.cursor += 1
        props = self.open(path)
        if path == "/reports":
            for kind in replay.REPORT_KINDS:
                self.post(*replay.report_call(self.dependencies, props, kind))

    def open(self, path: str) -> replay.Props:
        """The page as a browser loads it; returns the layout's props by component id."""
        self.client.get(path, name=path)
        props = replay.rendered(self.post(*replay.router_call(self.dependencies, path)))
        for call in replay.load_calls(self.dependencies, props, path):
            self.post(*call)
        return props

    def post(self, name: str, body: dict[str, Any]) -> dict[str, Any] | None:
        with self.client.post(
            "/_dash-update-component", json=body, name=name, catch_response=True
        ) as response:
            if response.status_code == 204:
                response.success()
                return None
            if response.status_code != 200:
                response.failure(f"{name}: {response.status_code}")
                return None
            return dict(json.loads(response.text or "{}").get("response", {}))


class Client(LoungeUser):
    weight = 35
    emails = ("client@demo.lounge", "client2@demo.lounge")
    pages = CLIENT_PAGES


class AccountManager(LoungeUser):
    weight = 8
    emails = tuple(f"manager{n}@demo.lounge" for n in ("", "2", "3", "4", "5"))
    pages = (
        "/week",
        "/portfolio",
        "/meetings",
        "/requests",
        "/notices",
        "/surveys",
        "/notifications",
        "/inbox",
    )


class DemandStaff(LoungeUser):
    weight = 5
    emails = ("demand@demo.lounge",)
    pages = ("/regions", "/demand", "/notices", "/vens", "/notifications")


class Administrator(LoungeUser):
    weight = 2
    emails = ("admin@demo.lounge",)
    pages = (
        "/admin",
        "/portfolio",
        "/meetings",
        "/surveys",
        "/regions",
        "/demand",
        "/notifications",
    )


ROLES = (Client, AccountManager, DemandStaff, Administrator)
ROOT = Path(__file__).resolve().parent.parent


@events.quitting.add_listener
def _summary(environment: Any, **_kwargs: Any) -> None:
    print_stats(environment.stats)


def print_stats(stats: RequestStats, seconds: float | None = None) -> None:
    print(f"\n{'request':<40}{'count':>8}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'errors':>8}")
    entries = [entry for entry in stats.entries.values() if entry.num_requests]
    for entry in sorted(entries, key=lambda e: e.name) + [stats.total]:
        print(
            f"{(entry.method or '') + ' ' + entry.name:<40}{entry.num_requests:>8}"
            f"{entry.get_response_time_percentile(0.5):>9.0f}"
            f"{entry.get_response_time_percentile(0.95):>9.0f}"
            f"{entry.get_response_time_percentile(0.99):>9.0f}{entry.num_failures:>8}"
        )
    for error in stats.errors.values():
        print(f"error x{error.occurrences}: {error.method} {error.name}: {error.error}")
    if seconds:
        print(f"{stats.total.num_requests / seconds:.1f} requests/s over {seconds:.0f} s")


# --- serve: a server of our own, measured in phases ----------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _prepare(url: str, customers: int) -> None:
    """The schema, and the demo data unless the database has customers already."""
    from db import demo, migrate
    from db.session import Database
    from lounge import localtime

    database = Database(url)
    try:
        migrate.upgrade(database.engine)
        with database.session() as session:
            present = demo.has_customers(session)
        if not present:
            print(f"generating demo data ({customers} customers)...", flush=True)
            demo.generate(database, customers=customers, seed=7, today=localtime.today())
    finally:
        database.dispose()


@contextmanager
def _server(url: str, scratch: Path) -> Iterator[tuple[str, psutil.Process]]:
    """gunicorn as ``make run`` starts it, on free ports, its log in ``scratch``."""
    port = _free_port()
    env = os.environ | {
        "LOUNGE_DATABASE_URL": url,
        "LOUNGE_HOST": "127.0.0.1",
        "LOUNGE_PORT": str(port),
        "LOUNGE_SMTP_PORT": str(_free_port()),
        "LOUNGE_SANDBOX_DIR": str(scratch / "sandbox"),
    }
    gunicorn = Path(sys.executable).with_name("gunicorn")
    with (scratch / "gunicorn.log").open("wb") as log:
        process = subprocess.Popen(
            [str(gunicorn), "-c", "gunicorn.conf.py", "--access-logfile", "/dev/null"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        for _attempt in range(120):
            try:
                with urllib.request.urlopen(base + "/login", timeout=5):
                    break
            except OSError:
                if process.poll() is not None:
                    sys.exit(f"gunicorn stopped: see {scratch / 'gunicorn.log'}")
                time.sleep(0.5)
        yield base, psutil.Process(process.pid)
    finally:
        process.terminate()
        process.wait(timeout=60)


def _server_cpu(server: psutil.Process) -> float:
    """CPU seconds of the gunicorn master and its workers so far."""
    total = 0.0
    for process in [server, *server.children(recursive=True)]:
        try:
            times = process.cpu_times()
        except psutil.NoSuchProcess:
            continue
        total += times.user + times.system
    return total


def _measure(
    env: Environment, server: psutil.Process, title: str, until: Any, seconds: float
) -> None:
    """Statistics from now until ``until()`` is true and at least ``seconds`` have passed."""
    env.stats.reset_all()
    cpu, started = _server_cpu(server), time.monotonic()
    while time.monotonic() - started < seconds or not until():
        gevent.sleep(1)
    elapsed, cpu = time.monotonic() - started, _server_cpu(server) - cpu
    print(f"\n=== {title} ===")
    print_stats(env.stats, elapsed)
    requests = max(env.stats.total.num_requests, 1)
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    print(
        f"server CPU {cpu:.0f} s: {1000 * cpu / requests:.1f} ms per request, "
        f"{cpu / elapsed:.2f} of {psutil.cpu_count()} cores; load average {load}",
        flush=True,
    )


def serve(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.load serve", description=(__doc__ or "").splitlines()[0]
    )
    parser.add_argument("--database-url", help="default: a temporary SQLite file")
    parser.add_argument("--customers", type=int, default=300, help="demo customers, if empty")
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--spawn-rate", type=float, default=10)
    parser.add_argument("--warm-up", type=float, default=20, help="seconds, after sign-in")
    parser.add_argument("--duration", type=float, default=120, help="seconds measured")
    parser.add_argument("--import-rows", type=int, default=0, help="then the same while importing")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="lounge-load-") as tmp:
        scratch = Path(tmp)
        url = args.database_url or f"sqlite:///{scratch / 'load.db'}"
        _prepare(url, args.customers)
        files: dict[str, Path] = {}
        if args.import_rows:
            from benchmarks.import_readings import write_files

            files = write_files(scratch, args.import_rows, 100, "local")
            for kind in ("customers", "sites"):
                _lounge(url, "import", kind, str(files[kind]))
        with _server(url, scratch) as (base, server):
            print(f"{url.split('://')[0]}: serving at {base}", flush=True)
            env = Environment(user_classes=list(ROLES), host=base, events=events)
            runner = env.create_local_runner()
            runner.start(args.users, spawn_rate=args.spawn_rate)
            while LoungeUser.signed_in < args.users:
                gevent.sleep(1)
            gevent.sleep(args.warm_up)
            _measure(env, server, f"{args.users} users", lambda: True, args.duration)
            if files:
                started = time.monotonic()
                importing = _lounge(
                    url, "import", "readings", str(files["readings"]), wait=False, nice=True
                )
                _measure(
                    env,
                    server,
                    f"{args.users} users while importing {args.import_rows:,} readings",
                    lambda: importing.poll() is not None,
                    0,
                )
                print(
                    f"the import took {time.monotonic() - started:.0f} s and ended with "
                    f"status {importing.returncode}"
                )
            runner.quit()


def _lounge(
    url: str, *command: str, wait: bool = True, nice: bool = False
) -> subprocess.Popen[bytes]:
    """``python -m lounge COMMAND...`` on the database ``url``, its output shown; ``nice``:
    at the CPU priority of the Administration page's jobs (``jobs.JOB_NICENESS``)."""
    from lounge.web.jobs import JOB_NICENESS

    niceness = ["nice", "-n", str(JOB_NICENESS)] if nice else []
    process = subprocess.Popen(
        [*niceness, sys.executable, "-m", "lounge", *command],
        cwd=ROOT,
        env=os.environ | {"LOUNGE_DATABASE_URL": url},
    )
    if wait and process.wait() != 0:
        sys.exit(f"python -m lounge {' '.join(command)} failed")
    return process


if __name__ == "__main__":
    if sys.argv[1:2] == ["serve"]:
        serve(sys.argv[2:])
        sys.exit(0)

    from locust.main import main

    sys.argv[1:1] = ["-f", __file__]
    sys.exit(main())
