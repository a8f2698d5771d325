"""Time to content of every page and report in headless Chromium, on the demo data.

Fills a temporary SQLite database with the demo data (``--customers``, default 20;
the 40-site demo chain is always there), serves the lounge in a thread, signs in
each demo role in headless Chromium and, for each page of that role (and each
report kind), measures from navigation (or the click that picks the report) until
the page's content is in the page and the browser answers a script again (a page
that freezes after the server answered is measured up to the end of the freeze).

The baseline, measured in the same rounds, is the sign-in page: a plain Flask page
with the same stylesheet, no Dash. Rounds interleave, medians are printed with the
ratio to the baseline. The issue's target: every page and report within 2 s.

Usage::

    .venv/bin/python -m benchmarks.pages               # 3 rounds
    .venv/bin/python -m benchmarks.pages --rounds 5 --customers 100
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import Select, WebDriverWait
from werkzeug.serving import make_server

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from db import demo, migrate  # noqa: E402 - after the path set-up for a plain run
from db.session import Database  # noqa: E402
from lounge import localtime, reporting  # noqa: E402

#: Longest wait for one page; a page that takes longer is reported as failed.
TIMEOUT_S = 120

#: (role's e-mail, page address, CSS selector of its content)
PAGES = (
    ("client@demo.lounge", "/overview", "#overview-name"),
    ("client@demo.lounge", "/contracts", "#contracts-grid .ag-row"),
    ("client@demo.lounge", "/consumption", "#consumption-series"),
    ("client@demo.lounge", "/billing", "#billing-invoices .ag-row"),
    ("manager@demo.lounge", "/portfolio", "#portfolio-grid .ag-row"),
    ("demand@demo.lounge", "/regions", "#regions-summary"),
    ("admin@demo.lounge", "/admin", "#admin-upload"),
    ("client@demo.lounge", "/inbox", "#inbox-list, #inbox-empty"),
    ("client@demo.lounge", "/contacts", "#contacts-grid .ag-row"),
    ("manager@demo.lounge", "/notifications", "#outbox-grid .ag-row"),
)


def _browser() -> webdriver.Chrome:
    options = webdriver.ChromeOptions()
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage"):
        options.add_argument(argument)
    driver = webdriver.Chrome(options=options)
    driver.set_window_size(1400, 1000)
    return driver


def _until_shown(driver: webdriver.Chrome, selector: str, start: float) -> float:
    WebDriverWait(driver, TIMEOUT_S, poll_frequency=0.05).until(
        expected_conditions.presence_of_element_located((By.CSS_SELECTOR, selector))
    )
    driver.execute_script("return document.readyState")  # answers only once the page thaws
    return time.perf_counter() - start


def _sign_in(driver: webdriver.Chrome, base: str, email: str) -> None:
    driver.delete_all_cookies()
    driver.get(base + "/login")
    driver.find_element(By.ID, "email").send_keys(email)
    driver.find_element(By.ID, "password").send_keys(demo.PASSWORD)
    driver.find_element(By.ID, "login-submit").click()
    WebDriverWait(driver, TIMEOUT_S).until(lambda d: "/login" not in d.current_url)


def _open(driver: webdriver.Chrome, base: str, path: str, selector: str) -> float:
    start = time.perf_counter()
    driver.get(base + path)
    return _until_shown(driver, selector, start)


def _report(driver: webdriver.Chrome, base: str, kind: str) -> float:
    """Open the reports page (it shows the consumption report), then time picking ``kind``."""
    driver.get(base + "/reports")
    _until_shown(driver, "#report-view.report-consumption", time.perf_counter())
    if kind == "consumption":  # pick another first, so that picking it shows something new
        Select(driver.find_element(By.ID, "reports-kind")).select_by_value("yoy")
        _until_shown(driver, "#report-view.report-yoy", time.perf_counter())
    start = time.perf_counter()
    Select(driver.find_element(By.ID, "reports-kind")).select_by_value(kind)
    return _until_shown(driver, f"#report-view.report-{kind} #report-section-0", start)


def _measurements(base: str) -> dict[str, tuple[str, Callable[[webdriver.Chrome], float]]]:
    """Name -> (who signs in, what to time)."""
    found: dict[str, tuple[str, Callable[[webdriver.Chrome], float]]] = {
        "baseline: sign-in page": (
            "",
            lambda d: _open(d, base, "/login", "#login-submit"),
        )
    }
    for email, path, selector in PAGES:
        found[path] = (email, lambda d, p=path, s=selector: _open(d, base, p, s))
    for kind in reporting.KINDS:
        found[f"/reports {kind}"] = (
            "client@demo.lounge",
            lambda d, k=kind: _report(d, base, k),
        )
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as scratch:
        url = f"sqlite:///{Path(scratch) / 'pages.db'}"
        database = Database(url)
        migrate.upgrade(database.engine)
        print(f"generating demo data ({args.customers} customers)...", flush=True)
        demo.generate(database, customers=args.customers, seed=args.seed, today=localtime.today())
        database.dispose()

        from app import create_app

        app = create_app({"database_url": url, "login_rate_limit": "100000 per minute"})
        logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no line per request
        server = make_server("127.0.0.1", 0, app.server, threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        base = f"http://127.0.0.1:{server.server_port}"
        driver = _browser()
        timings: dict[str, list[float]] = {}
        try:
            measurements = _measurements(base)
            for _round in range(args.rounds):
                for name, (email, measure) in measurements.items():
                    if email:
                        _sign_in(driver, base, email)
                    timings.setdefault(name, []).append(measure(driver))
        finally:
            driver.quit()
            server.shutdown()

    baseline = statistics.median(timings["baseline: sign-in page"])
    print(f"\n{'page':<28}{'median s':>10}{'max s':>8}{'ratio':>8}")
    for name, seconds in timings.items():
        median = statistics.median(seconds)
        print(f"{name:<28}{median:>10.2f}{max(seconds):>8.2f}{median / baseline:>8.1f}")
    print(f"\n{dt.datetime.now():%Y-%m-%d %H:%M}, {args.rounds} rounds, target: every page <= 2 s")


if __name__ == "__main__":
    main()
