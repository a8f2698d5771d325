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
from collections.abc import Iterator  # noqa: E402
from typing import Any  # noqa: E402

import urllib3.util  # noqa: E402
import urllib3.util.ssl_  # noqa: E402

if not hasattr(urllib3.util, "create_urllib3_context"):
    urllib3.util.create_urllib3_context = urllib3.util.ssl_.create_urllib3_context

from locust import FastHttpUser, between, events, task  # noqa: E402

PASSWORD = os.environ.get("LOUNGE_DEMO_PASSWORD", "lounge-demo-2026")
REPORT_KINDS = ("consumption", "tou", "yoy", "billing", "debts")
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
        layout = self.open(path)
        if path == "/reports":
            for kind in REPORT_KINDS:
                self.show_report(kind, layout)

    def open(self, path: str) -> dict[str, dict[str, Any]]:
        """The page as a browser loads it; returns the layout's props by component id."""
        self.client.get(path, name=path)
        routed = self.callback(
            ".._pages_content.children..._pages_store.data..",
            {"_pages_location.pathname": path, "_pages_location.search": ""},
            {},
            f"router {path}",
        )
        tree = routed.get("_pages_content", {}).get("children") if routed else None
        props = dict(_components(tree))
        for spec in self.dependencies:
            ids = [item["id"] for item in spec["inputs"] + spec["state"]]
            if spec.get("prevent_initial_call") or spec["output"].startswith(".._pages"):
                continue
            if not ids or any(i.startswith("{") or i not in props for i in ids):
                continue
            self.callback(spec["output"], _values(spec["inputs"], props), props, path)
        return props

    def show_report(self, kind: str, props: dict[str, dict[str, Any]]) -> None:
        spec = next(d for d in self.dependencies if d["output"].startswith("..reports-result"))
        values = _values(spec["inputs"], props) | {"reports-show.n_clicks": 1}
        values["reports-kind.value"] = kind
        self.callback(spec["output"], values, props, f"report {kind}", spec)

    def callback(
        self,
        output: str,
        inputs: dict[str, Any],
        props: dict[str, dict[str, Any]],
        name: str,
        spec: dict[str, Any] | None = None,
    ) -> dict[str, Any] | None:
        spec = spec or next((d for d in self.dependencies if d["output"] == output), None)
        if spec is None:
            return None
        parts = [p.rsplit(".", 1) for p in output.strip(".").split("...")]
        outputs = [{"id": i, "property": p} for i, p in parts]
        body = {
            "output": output,
            "outputs": outputs if output.startswith("..") else outputs[0],
            "inputs": [_item(i, inputs) for i in spec["inputs"]],
            "state": [_item(s, _values(spec["state"], props)) for s in spec["state"]],
            "changedPropIds": list(inputs)[:1],
        }
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


def _components(tree: Any) -> Iterator[tuple[str, dict[str, Any]]]:
    if isinstance(tree, list):
        for child in tree:
            yield from _components(child)
    elif isinstance(tree, dict) and "props" in tree:
        props = tree["props"]
        if isinstance(props.get("id"), str):
            yield props["id"], props
        for value in props.values():
            yield from _components(value)


def _values(items: list[dict[str, str]], props: dict[str, dict[str, Any]]) -> dict[str, Any]:
    return {f"{i['id']}.{i['property']}": props.get(i["id"], {}).get(i["property"]) for i in items}


def _item(item: dict[str, str], values: dict[str, Any]) -> dict[str, Any]:
    key = f"{item['id']}.{item['property']}"
    return {"id": item["id"], "property": item["property"], "value": values.get(key)}


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
