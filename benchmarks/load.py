"""Fifty people using the lounge at once, through HTTP as their browsers would (locust).

35 clients, 8 account managers, 5 demand-management staff and 2 administrators
each open every page of their role, one after another, 1 to 3 s apart; clients
also show every report kind. A page costs what it costs a browser: the page, the
Dash pages router callback, then every callback the page fires on load (found
in ``/_dash-dependencies`` and fed the values of the rendered layout).

Start a server on the demo data first (`make run`, or gunicorn with
``LOUNGE_DATABASE_URL`` naming PostgreSQL for the second backend), then::

    .venv/bin/python -m benchmarks.load --headless -u 50 -r 10 -t 2m \\
        --host http://127.0.0.1:8050

(``python -m`` rather than the ``locust`` command: locust 2.47 imports a name that
only urllib3 2 exports, and selenium 4.2 of the test tools pins urllib3 1.26; this
module lends it the 1.26 one before locust loads.)

At the end it prints p50/p95/p99 per kind of request and overall, and the
errors. Demo logins share the password ``lounge-demo-2026`` (LOUNGE_DEMO_PASSWORD).
"""

from __future__ import annotations

from gevent import monkey

monkey.patch_all()  # before anything imports ssl, as locust itself would

import json  # noqa: E402
import os  # noqa: E402
import re  # noqa: E402
import sys  # noqa: E402
from typing import Any  # noqa: E402

import urllib3.util  # noqa: E402
import urllib3.util.ssl_  # noqa: E402

if not hasattr(urllib3.util, "create_urllib3_context"):
    urllib3.util.create_urllib3_context = urllib3.util.ssl_.create_urllib3_context

from locust import FastHttpUser, between, events, task  # noqa: E402

from benchmarks import replay  # noqa: E402

PASSWORD = os.environ.get("LOUNGE_DEMO_PASSWORD", "lounge-demo-2026")
CLIENT_PAGES = ("/overview", "/contracts", "/consumption", "/billing", "/reports")


class LoungeUser(FastHttpUser):
    abstract = True
    wait_time = between(1, 3)
    emails: tuple[str, ...] = ()
    pages: tuple[str, ...] = ()
    _next = 0

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
    pages = ("/portfolio",)


class DemandStaff(LoungeUser):
    weight = 5
    emails = ("demand@demo.lounge",)
    pages = ("/regions",)


class Administrator(LoungeUser):
    weight = 2
    emails = ("admin@demo.lounge",)
    pages = ("/admin", "/portfolio", "/regions")


@events.quitting.add_listener
def _summary(environment: Any, **_kwargs: Any) -> None:
    stats = environment.stats
    print(f"\n{'request':<40}{'count':>8}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'errors':>8}")
    for entry in sorted(stats.entries.values(), key=lambda e: e.name) + [stats.total]:
        print(
            f"{(entry.method or '') + ' ' + entry.name:<40}{entry.num_requests:>8}"
            f"{entry.get_response_time_percentile(0.5):>9.0f}"
            f"{entry.get_response_time_percentile(0.95):>9.0f}"
            f"{entry.get_response_time_percentile(0.99):>9.0f}{entry.num_failures:>8}"
        )
    for error in stats.errors.values():
        print(f"error x{error.occurrences}: {error.method} {error.name}: {error.error}")


if __name__ == "__main__":
    from locust.main import main

    sys.argv[1:1] = ["-f", __file__]
    sys.exit(main())
