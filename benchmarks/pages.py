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
import math
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

from selenium import webdriver
from selenium.common.exceptions import TimeoutException
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import Select, WebDriverWait
from sqlalchemy import func, select
from werkzeug.serving import make_server

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from db import demo, migrate  # noqa: E402 - after the path set-up for a plain run
from db.models import Meeting, Notice, NoticeKind, ServiceRequest  # noqa: E402
from db.session import Database  # noqa: E402
from lounge import localtime, reporting  # noqa: E402

#: Longest wait for one page; a page that takes longer is reported as failed.
TIMEOUT_S = 30

CLIENT, MANAGER = "client@demo.lounge", "manager@demo.lounge"
DEMAND, ADMIN, DESK = "demand@demo.lounge", "admin@demo.lounge", "desk@demo.lounge"


def _pages(database: Database) -> tuple[tuple[str, str, str], ...]:
    """(role's e-mail, page address, CSS selector of its content): every page of every role,
    pages of one record opened on a record of the demo chain (its latest meeting and request,
    the latest warning over with its measured reduction)."""
    chain = demo.CHAIN_ID
    with database.session() as session:
        meeting = session.scalar(select(func.max(Meeting.id)).where(Meeting.customer_id == chain))
        request = session.scalar(
            select(func.max(ServiceRequest.id)).where(ServiceRequest.customer_id == chain)
        )
        notice = session.scalar(
            select(func.max(Notice.id)).where(
                Notice.kind == NoticeKind.PEAK_WARNING, Notice.ends_at < dt.datetime.now(dt.UTC)
            )
        )
    return (
        (CLIENT, "/overview", "#overview-name"),
        (CLIENT, "/contracts", "#contracts-grid .ag-row"),
        (CLIENT, "/consumption", "#consumption-series"),
        (CLIENT, "/billing", "#billing-invoices .ag-row"),
        (CLIENT, "/contacts", "#contacts-grid .ag-row"),
        (CLIENT, "/inbox", "#inbox-list, #inbox-empty"),
        (CLIENT, "/requests", "#requests-list"),
        (CLIENT, f"/requests/{request}", "#request-status"),
        (CLIENT, "/notices", "#notices-panel"),
        (CLIENT, "/surveys", "#surveys-mine, #surveys-none"),
        (MANAGER, "/week", "#week-span"),
        (MANAGER, "/portfolio", "#portfolio-grid .ag-row"),
        (MANAGER, f"/overview?customer={chain}", "#overview-name"),
        (MANAGER, f"/customer/{chain}", "#customer-timeline-list"),
        (MANAGER, "/meetings", "#meetings-grid .ag-row"),
        (MANAGER, f"/meeting?id={meeting}", "#meeting-state"),
        (MANAGER, "/requests", "#requests-list"),
        (MANAGER, "/notices", "#notices-followed, #notices-none"),
        (MANAGER, "/notifications", "#outbox-grid .ag-row"),
        (MANAGER, "/surveys", "#surveys-chart .main-svg"),
        (DESK, "/fault-desk", "#fault-desk-queue"),
        (DEMAND, "/regions", "#regions-summary"),
        (DEMAND, "/demand", "#demand-list .ag-row"),
        (DEMAND, "/vens", "#vens-box"),
        (DEMAND, f"/load-reduction/{notice}", "#reduction-chart .main-svg"),
        (ADMIN, "/admin", "#admin-upload"),
        (ADMIN, "/surveys", "#surveys-chart .main-svg"),
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


def _measurements(
    base: str, pages: tuple[tuple[str, str, str], ...]
) -> dict[str, tuple[str, Callable[[webdriver.Chrome], float]]]:
    """Name -> (who signs in, what to time)."""
    found: dict[str, tuple[str, Callable[[webdriver.Chrome], float]]] = {
        "baseline: sign-in page": (
            "",
            lambda d: _open(d, base, "/login", "#login-submit"),
        )
    }
    for email, path, selector in pages:
        name = f"{path} ({email.split('@')[0]})"
        found[name] = (email, lambda d, p=path, s=selector: _open(d, base, p, s))
    for kind in reporting.KINDS:
        found[f"/reports {kind} (client)"] = (
            CLIENT,
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
        pages = _pages(database)
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
            measurements = _measurements(base, pages)
            for _round in range(args.rounds):
                for name, (email, measure) in measurements.items():
                    if email:
                        _sign_in(driver, base, email)
                    else:  # signed out: the sign-in page sends a signed-in user home
                        driver.delete_all_cookies()
                    try:
                        seconds = measure(driver)
                    except TimeoutException:
                        seconds = math.inf
                        print(f"{name}: no content within {TIMEOUT_S} s", flush=True)
                    timings.setdefault(name, []).append(seconds)
        finally:
            driver.quit()
            server.shutdown()

    baseline = statistics.median(timings["baseline: sign-in page"])
    print(f"\n{'page':<44}{'median s':>10}{'max s':>8}{'ratio':>8}")
    for name, seconds in timings.items():
        median = statistics.median(seconds)
        print(f"{name:<44}{median:>10.2f}{max(seconds):>8.2f}{median / baseline:>8.1f}")
    print(f"\n{dt.datetime.now():%Y-%m-%d %H:%M}, {args.rounds} rounds, target: every page <= 2 s")


if __name__ == "__main__":
    main()
