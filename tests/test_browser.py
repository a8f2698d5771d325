"""The lounge in a real browser (headless Chromium through dash_duo).

A user signs in, meets their page, switches to Hebrew and finds it right to
left; an account manager opens a customer from the portfolio; an admin
imports a file. SQLite only: the database layer is tested on both backends
elsewhere, these tests are about what the browser shows.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import socket
import time
from pathlib import Path

import pytest
from dash.testing.errors import TestingTimeoutError
from dash.testing.wait import until
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

from db import migrate
from db.models import Customer, Site
from db.session import Database
from lounge import ingest, localtime, reporting
from tests.web_fixtures import PASSWORD, earlier_invoice, seed

pytestmark = pytest.mark.browser


@pytest.fixture
def lounge(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    url = f"sqlite:///{tmp_path / 'browser.db'}"
    monkeypatch.setenv("LOUNGE_DATABASE_URL", url)
    database = Database(url)
    migrate.upgrade(database.engine)
    world = seed(database)
    database.dispose()
    from app import create_app

    return create_app({"database_url": url, "login_rate_limit": "1000 per minute"}), world


def _free_port() -> int:
    """A port nobody listens on: several test runs may share this machine."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _sign_in(dash_duo, app, email: str, password: str = PASSWORD) -> None:
    # "/" is the sign-in page, not a Dash page
    dash_duo.start_server(app, navigate=False, port=_free_port())
    dash_duo._url = dash_duo.server.url  # so that dash_duo.server_url works without navigating
    dash_duo.driver.set_window_size(1400, 1000)
    _submit_sign_in(dash_duo, email, password)


def _submit_sign_in(dash_duo, email: str, password: str = PASSWORD) -> None:
    """Sign in through the form, and wait for its answer: a page opened before the sign-in's
    redirect has arrived is overtaken by it (the test then waits on the home page)."""
    dash_duo.driver.get(dash_duo.server_url + "/login")
    dash_duo.driver.find_element(By.ID, "email").send_keys(email)
    dash_duo.driver.find_element(By.ID, "password").send_keys(password)
    dash_duo.driver.find_element(By.ID, "login-submit").click()
    WebDriverWait(dash_duo.driver, 30).until(lambda driver: "/login" not in driver.current_url)


def _click(dash_duo, element_id: str) -> None:
    """Click through the page's JavaScript: the pay button may sit below the fold."""
    element = dash_duo.driver.find_element(By.ID, element_id)
    dash_duo.driver.execute_script("arguments[0].click()", element)


def _direction(dash_duo) -> tuple[str, str]:
    script = "return [document.documentElement.lang, getComputedStyle(document.body).direction]"
    lang, direction = dash_duo.driver.execute_script(script)
    return lang, direction


def test_client_signs_in_sees_status_and_switches_to_hebrew(dash_duo, lounge):
    app, _world = lounge
    _sign_in(dash_duo, app, "client@a.test")
    dash_duo.wait_for_text_to_equal("#overview-name", "Acme Steel Works", timeout=20)
    dash_duo.wait_for_contains_text("#overview-status", "Lounge member")
    assert "one site used at least 1,000,000 kWh" in dash_duo.find_element("#overview-why").text
    assert _direction(dash_duo) == ("en", "ltr")

    hebrew = dash_duo.driver.find_element(By.XPATH, "//button[.//span[@lang='he']]")
    hebrew.click()
    dash_duo.wait_for_contains_text("#overview-status", "חבר", timeout=20)
    assert _direction(dash_duo) == ("he", "rtl")
    assert "סקירה" in dash_duo.find_element("#shell-nav-overview").text
    dash_duo.driver.refresh()  # remembered for the user, not just this page
    dash_duo.wait_for_contains_text("#overview-status", "חבר", timeout=20)
    assert _direction(dash_duo) == ("he", "rtl")


def test_client_cannot_open_another_customer(dash_duo, lounge):
    app, world = lounge
    _sign_in(dash_duo, app, "client@a.test")
    dash_duo.wait_for_element("#overview-name", timeout=20)
    dash_duo.driver.get(dash_duo.server_url + f"/overview?customer={world.other}")
    dash_duo.wait_for_element("#not-found", timeout=20)
    assert world.other_name not in dash_duo.driver.page_source


def test_manager_lands_on_the_week_and_a_line_opens_the_customer(dash_duo, lounge):
    app, world = lounge
    _sign_in(dash_duo, app, "manager@a.test")
    dash_duo.wait_for_contains_text("#week-meetings", "Acme Steel Works", timeout=20)
    assert world.other_name not in dash_duo.find_element("#week-meetings").text
    _click(dash_duo, "week-meetings-0")
    dash_duo.wait_for_text_to_equal("#customer-name", "Acme Steel Works", timeout=20)
    dash_duo.find_element("#customer-note-text").send_keys("Call before Pesach")
    _click(dash_duo, "customer-note-add")
    dash_duo.wait_for_contains_text("#customer-notes", "Call before Pesach", timeout=20)


def test_manager_opens_a_customer_from_the_portfolio(dash_duo, lounge):
    app, world = lounge
    _sign_in(dash_duo, app, "manager@a.test")
    dash_duo.wait_for_element("#week-span", timeout=20)
    dash_duo.driver.get(dash_duo.server_url + "/portfolio")
    dash_duo.wait_for_contains_text("#portfolio-grid", "Acme Steel Works", timeout=20)
    assert world.other_name not in dash_duo.find_element("#portfolio-grid").text
    cell = dash_duo.driver.find_element(
        By.XPATH, "//div[@id='portfolio-grid']//div[@col-id='name' and text()='Acme Steel Works']"
    )
    cell.click()
    dash_duo.wait_for_text_to_equal("#overview-name", "Acme Steel Works", timeout=20)


def test_admin_imports_a_file_and_sees_every_bad_row(dash_duo, lounge, tmp_path):
    app, _world = lounge
    _sign_in(dash_duo, app, "admin@a.test")
    dash_duo.wait_for_element("#admin-upload", timeout=20)
    bad = tmp_path / "bad.csv"
    bad.write_text("customer_id,name,tax_id\nC9,,123\nC10,Ok Ltd,\n")
    upload = dash_duo.driver.find_element(By.CSS_SELECTOR, "#admin-upload input[type=file]")
    upload.send_keys(str(bad))
    dash_duo.wait_for_contains_text("#admin-import-rejected", "line 2: name is empty", timeout=20)
    assert "line 3: tax_id is empty" in dash_duo.find_element("#admin-import-rejected").text
    good = tmp_path / "good.csv"
    good.write_text("customer_id,name,tax_id\nC9,Nine Ltd,123456789\n")
    upload.send_keys(str(good))
    dash_duo.wait_for_contains_text("#admin-import-ok", "1 new", timeout=20)


_WATCH_PROGRESS = """
window.sawProgress = false;
const bar = document.getElementById("admin-import-running");
new MutationObserver(() => {
    if (getComputedStyle(bar).display !== "none") { window.sawProgress = true; }
}).observe(bar, {attributes: true});
"""


def test_admin_chooses_the_same_file_again_after_fixing_what_it_needs(dash_duo, lounge, tmp_path):
    app, _world = lounge
    _sign_in(dash_duo, app, "admin@a.test")
    dash_duo.wait_for_element("#admin-upload", timeout=20)
    sites = dash_duo.driver.find_element(By.CSS_SELECTOR, "#admin-import-kind input[value='sites']")
    dash_duo.driver.execute_script("arguments[0].click()", sites)
    dash_duo.driver.execute_script(_WATCH_PROGRESS)
    upload = dash_duo.driver.find_element(By.CSS_SELECTOR, "#admin-upload input[type=file]")
    path = tmp_path / "sites.csv"
    path.write_text("site_id,customer_id,name,region\nS9,C9,Nine Plant,South\n")
    upload.send_keys(str(path))
    dash_duo.wait_for_contains_text("#admin-import-rejected", "C9", timeout=30)
    assert dash_duo.driver.execute_script("return window.sawProgress") is True
    # the missing customer arrives some other way; the very same file now imports
    with Database(os.environ["LOUNGE_DATABASE_URL"]).session() as session:
        session.add(Customer(id="C9", name="Nine Ltd", tax_id="510000099"))
    upload = dash_duo.driver.find_element(By.CSS_SELECTOR, "#admin-upload input[type=file]")
    upload.send_keys(str(path))
    dash_duo.wait_for_contains_text("#admin-import-ok", "1 new", timeout=30)
    dash_duo.driver.find_element(
        By.XPATH, "//a[contains(@class,'nav-link')][.='Audit log']"
    ).click()
    dash_duo.wait_for_contains_text("#admin-audit", "import.sites.rejected", timeout=20)
    assert "import.sites" in dash_duo.find_element("#admin-audit").text


def test_a_file_over_the_limit_is_refused_in_the_browser_with_a_message(dash_duo, lounge, tmp_path):
    from app import create_app

    app = create_app(
        {
            "database_url": os.environ["LOUNGE_DATABASE_URL"],
            "login_rate_limit": "1000 per minute",
            "max_upload_mb": 1,
        }
    )
    _sign_in(dash_duo, app, "admin@a.test")
    dash_duo.wait_for_element("#admin-upload", timeout=20)
    assert not dash_duo.find_element("#admin-upload-too-big").is_displayed()
    big = tmp_path / "big.csv"
    big.write_text("customer_id,name,tax_id\n" + "CX,New Co,777\n" * 80_000)  # 1.1 MB
    upload = dash_duo.driver.find_element(By.CSS_SELECTOR, "#admin-upload input[type=file]")
    upload.send_keys(str(big))
    dash_duo.wait_for_contains_text("#admin-upload-too-big", "up to 1 MB", timeout=20)
    assert dash_duo.find_element("#admin-upload-too-big").is_displayed()


def test_demand_staff_sees_regions(dash_duo, lounge):
    app, _world = lounge
    _sign_in(dash_duo, app, "demand@a.test")
    dash_duo.wait_for_contains_text("#regions-summary", "South", timeout=20)
    assert "Haifa" in dash_duo.find_element("#regions-summary").text


def test_page_has_no_browser_errors(dash_duo, lounge):
    app, _world = lounge
    _sign_in(dash_duo, app, "client@a.test")
    dash_duo.wait_for_element("#overview-status", timeout=20)
    errors = [entry for entry in dash_duo.get_logs() or [] if entry["level"] == "SEVERE"]
    assert errors == []


def _quarter_hours(site: str, day: dt.date, days: int) -> bytes:
    rows = ["site_id,start,end,kwh"]
    start = dt.datetime.combine(day, dt.time())
    for n in range(days * 96):
        begin = start + dt.timedelta(minutes=15 * n)
        end = begin + dt.timedelta(minutes=15)
        rows.append(f"{site},{begin:%Y-%m-%dT%H:%M},{end:%Y-%m-%dT%H:%M},{5 + n % 96 / 10:.1f}")
    return ("\n".join(rows) + "\n").encode()


@pytest.fixture
def metered(lounge):
    """The world plus a site of CA with three days of quarter-hour readings last month."""
    app, world = lounge
    database = Database(app.server.extensions["lounge.database"].url)
    day = localtime.add_months(localtime.first_of_month(localtime.today()), -1) + dt.timedelta(3)
    with database.session() as session:
        session.add(Site(id="SA3", customer_id="CA", name="Acme Eilat Store", region="South"))
        session.flush()
        ingest.import_file(session, "readings", _quarter_hours("SA3", day, 3), "q.csv", "test")
    database.dispose()
    return app, world, day


def test_client_pays_an_invoice_and_gets_a_receipt(dash_duo, lounge):
    app, _world = lounge
    _sign_in(dash_duo, app, "client@a.test")
    dash_duo.wait_for_element("#overview-name", timeout=20)
    dash_duo.driver.get(dash_duo.server_url + "/billing")
    dash_duo.wait_for_contains_text("#billing-invoices", "INV-A-1", timeout=20)
    box = dash_duo.driver.find_element(By.CSS_SELECTOR, "#billing-invoices .ag-checkbox-input")
    box.click()
    dash_duo.wait_for_text_to_equal("#billing-amount", "1180.00", timeout=10)  # a callback fills it
    dash_duo.driver.find_element(By.ID, "billing-card").send_keys("4000 0000 0000 0002")
    dash_duo.driver.find_element(By.ID, "billing-expiry").send_keys("12/39")
    dash_duo.driver.find_element(By.ID, "billing-cvc").send_keys("123")
    _click(dash_duo, "billing-pay")
    dash_duo.wait_for_contains_text("#billing-pay-failed", "declined", timeout=20)
    assert dash_duo.driver.find_element(By.ID, "billing-card").get_attribute("value") == ""

    dash_duo.driver.find_element(By.ID, "billing-card").send_keys("4242 4242 4242 4242")
    dash_duo.driver.find_element(By.ID, "billing-cvc").send_keys("123")
    _click(dash_duo, "billing-pay")
    dash_duo.wait_for_contains_text("#billing-pay-ok", "Receipt", timeout=20)
    link = dash_duo.driver.find_element(By.CSS_SELECTOR, "#billing-pay-ok a")
    assert link.get_attribute("href").endswith(".pdf")
    dash_duo.wait_for_contains_text("#billing-open", "₪0.00", timeout=10)


def test_consumption_tabs_and_zoom_to_quarter_hours(dash_duo, metered):
    app, _world, day = metered
    _sign_in(dash_duo, app, "client@a.test")
    dash_duo.wait_for_element("#overview-name", timeout=20)
    dash_duo.driver.get(dash_duo.server_url + "/consumption")
    dash_duo.wait_for_element("#consumption-series", timeout=20)
    tabs = dash_duo.driver.find_elements(By.CSS_SELECTOR, "#consumption-tabs .nav-link")
    tabs[1].click()
    dash_duo.wait_for_element("#consumption-tou", timeout=20)
    assert "Not metered by band" in dash_duo.find_element("#consumption-content").text
    tabs[6].click()
    dash_duo.wait_for_contains_text("#consumption-zoom", "one per", timeout=20)
    script = (
        "const g = document.querySelector('#consumption-zoom .js-plotly-plot');"
        f"Plotly.relayout(g, {{'xaxis.range[0]': '{day:%Y-%m-%d} 00:00',"
        f" 'xaxis.range[1]': '{day + dt.timedelta(days=1):%Y-%m-%d} 00:00'}});"
    )
    dash_duo.driver.execute_script(script)
    dash_duo.wait_for_contains_text("#consumption-zoom", "96 points, one per reading", timeout=20)


def test_reports_page_shows_the_report_and_links_its_files(dash_duo, lounge):
    app, _world = lounge
    _sign_in(dash_duo, app, "manager@a.test")
    dash_duo.wait_for_element("#week-span", timeout=20)  # the manager lands on the week
    dash_duo.driver.get(dash_duo.server_url + "/reports?customer=CA")
    dash_duo.wait_for_contains_text("#report-view", "Acme Steel Works", timeout=20)
    assert "SA1" in dash_duo.find_element("#report-section-0").text
    href = dash_duo.driver.find_element(By.ID, "reports-download-xlsx").get_attribute("href")
    assert "/download/report.xlsx?kind=consumption&customer=CA" in href


def test_contracts_page_lists_contracts_with_status(dash_duo, lounge):
    app, _world = lounge
    _sign_in(dash_duo, app, "client@a.test")
    dash_duo.wait_for_element("#overview-name", timeout=20)
    dash_duo.driver.get(dash_duo.server_url + "/contracts")
    dash_duo.wait_for_contains_text("#contracts-grid", "K-INV-A-1", timeout=20)
    assert "Active" in dash_duo.find_element("#contracts-grid").text
    xlsx = dash_duo.driver.find_element(By.ID, "contracts-download-xlsx").get_attribute("href")
    assert xlsx.endswith("/download/contracts.xlsx?customer=CA")


@pytest.fixture(scope="session")
def demo_lounge_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The demo data as of today, generated once per test session (the tests only read it)."""
    from db import demo

    url = f"sqlite:///{tmp_path_factory.mktemp('demo-lounge') / 'demo.db'}"
    database = Database(url)
    migrate.upgrade(database.engine)
    demo.generate(database, customers=len(demo.SPECIALS), today=localtime.today())
    database.dispose()
    return url


@pytest.fixture
def demo_lounge(demo_lounge_url: str, monkeypatch: pytest.MonkeyPatch):
    """The lounge over the demo data (its 40-site chain), where long reports froze the page."""
    monkeypatch.setenv("LOUNGE_DATABASE_URL", demo_lounge_url)
    from app import create_app

    return create_app({"database_url": demo_lounge_url, "login_rate_limit": "1000 per minute"})


#: Far above the 2 s the page takes, far below the 36 s freeze a 365-row HTML table caused.
FREEZE_SECONDS = 20


@pytest.mark.parametrize("kind", sorted(reporting.KINDS))
def test_every_report_of_the_demo_chain_shows_without_freezing(dash_duo, demo_lounge, kind):
    from db import demo

    _sign_in(dash_duo, demo_lounge, "client@demo.lounge", demo.PASSWORD)
    dash_duo.wait_for_element("#shell-nav-overview", timeout=60)
    start = time.monotonic()
    dash_duo.driver.get(dash_duo.server_url + "/reports")  # opens on the consumption report
    if kind != "consumption":
        dash_duo.wait_for_element("#report-view.report-consumption", timeout=60)
        start = time.monotonic()
        Select(dash_duo.driver.find_element(By.ID, "reports-kind")).select_by_value(kind)
    dash_duo.wait_for_element(f"#report-view.report-{kind} #report-section-0", timeout=60)
    # a frozen page runs no script until it thaws: this returns only after a freeze
    dash_duo.driver.execute_script("return document.readyState")
    assert time.monotonic() - start < FREEZE_SECONDS


#: An iPhone 12 to 15 held upright, in CSS pixels.
PHONE = (390, 844)
#: Every page of a role, with what shows once its content is there.
PHONE_PAGES = {
    "client@a.test": {
        "/overview": "#overview-name",
        "/contracts": "#contracts-grid .ag-row",
        "/consumption": "#consumption-content",
        "/billing": "#billing-invoices .ag-row",
        "/reports": "#report-section-0",
        "/meetings": "#meetings-actions",
        "/requests": "#requests-list",
        "/notices": "#notices-none",
    },
    "admin@a.test": {
        "/week": "#week-span",
        "/portfolio": "#portfolio-grid .ag-row",
        "/regions": "#regions-summary",
        "/demand": "#demand-list",
        "/vens": "#vens-none",
        "/fault-desk": "#fault-desk-empty",
        "/admin": "#admin-upload",
        "/meetings": "#meetings-grid .ag-row",
    },
}
#: Pages whose tabs each show different content, and where their tabs are.
PHONE_TABS = {"/consumption": "#consumption-tabs .nav-link", "/admin": "#admin-tabs .nav-link"}
_SIDEWAYS = (
    "const root = document.documentElement;"
    "return [root.scrollWidth, root.clientWidth, [...document.querySelectorAll('body *')]"
    ".filter(e => e.getBoundingClientRect().right > root.clientWidth + 1"
    " && !e.closest('.ag-root-wrapper, .table-responsive, .js-plotly-plot'))"
    ".slice(0, 3).map(e => e.outerHTML.slice(0, 120))]"
)
#: Boxes that hide what does not fit in them (not the 1 px boxes for screen readers);
#: grids and charts manage their own insides.
_CUT = (
    "return [...document.querySelectorAll('body *')].filter(e => {"
    " const overflow = getComputedStyle(e).overflowX;"
    " return (overflow === 'hidden' || overflow === 'clip') && e.clientWidth > 1"
    " && e.scrollWidth > e.clientWidth + 1"
    " && !e.closest('.ag-root-wrapper, .js-plotly-plot, .navbar-toggler');"
    "}).map(e => e.outerHTML.slice(0, 120))"
)


def _settled(dash_duo, ready: str) -> None:
    dash_duo.wait_for_element(ready, timeout=30)
    until(dash_duo._wait_for_callbacks, timeout=30, poll=0.2)


def _no_sideways_scroll(dash_duo, where: str) -> None:
    def fits() -> bool:
        scroll, client, _wide = dash_duo.driver.execute_script(_SIDEWAYS)
        return bool(scroll <= client and dash_duo.driver.execute_script(_CUT) == [])

    with contextlib.suppress(TestingTimeoutError):  # some inputs size themselves once drawn
        until(fits, timeout=5, poll=0.2)
    scroll, client, wide = dash_duo.driver.execute_script(_SIDEWAYS)
    assert scroll <= client, f"{where} scrolls sideways ({scroll} > {client} px): {wide}"
    cut = dash_duo.driver.execute_script(_CUT)
    assert cut == [], f"{where} cuts what does not fit"


def _open_menu(dash_duo) -> None:
    """Open the folded navigation with its toggler, the way a thumb does."""
    assert not dash_duo.find_element("#shell-sign-out").is_displayed()
    dash_duo.find_element("#shell-toggler").click()
    dash_duo.wait_for_class_to_equal("#shell-menu", "navbar-collapse collapse show", timeout=10)
    assert dash_duo.find_element("#shell-sign-out").is_displayed()
    assert dash_duo.find_element("#shell-user").is_displayed()


@pytest.mark.parametrize("language", ["en", "he"])
@pytest.mark.parametrize("email", sorted(PHONE_PAGES))
def test_no_page_scrolls_sideways_on_a_phone(dash_duo, lounge, email, language):
    app, _world = lounge
    _sign_in(dash_duo, app, email)
    dash_duo.driver.set_window_size(*PHONE)
    pages = PHONE_PAGES[email]
    _settled(dash_duo, "#shell-toggler")  # on the role's home page
    _open_menu(dash_duo)
    if language == "he":
        dash_duo.find_element(f"#shell-menu button:has(span[lang='{language}'])").click()
        dash_duo.wait_for_element(f"html[lang='{language}']", timeout=20)
        _settled(dash_duo, "#shell-toggler")
        _open_menu(dash_duo)
    # a link in the open menu moves to its page and folds the menu away
    second = list(pages)[1]
    dash_duo.find_element(f"#shell-nav-{second[1:]}").click()
    _settled(dash_duo, pages[second])
    dash_duo.wait_for_class_to_equal("#shell-menu", "navbar-collapse collapse", timeout=10)
    assert _direction(dash_duo)[0] == language
    for path, ready in pages.items():
        dash_duo.driver.get(dash_duo.server_url + path)
        _settled(dash_duo, ready)
        _no_sideways_scroll(dash_duo, path)
        for n, tab in enumerate(dash_duo.find_elements(PHONE_TABS.get(path, "#no-tabs"))):
            dash_duo.driver.execute_script("arguments[0].click()", tab)
            _settled(dash_duo, ready)
            _no_sideways_scroll(dash_duo, f"{path}, tab {n + 1}")


@pytest.mark.parametrize("language", ["en", "he"])
def test_bill_comparison_on_a_phone(dash_duo, lounge, language):
    """The client compares two bills of a contract at phone width, in both languages."""
    app, world = lounge
    database = Database(app.server.extensions["lounge.database"].url)
    earlier = earlier_invoice(database, world.own_invoice)
    database.dispose()
    _sign_in(dash_duo, app, "client@a.test")
    dash_duo.driver.set_window_size(*PHONE)
    _settled(dash_duo, "#shell-toggler")
    if language == "he":
        _open_menu(dash_duo)
        dash_duo.find_element("#shell-menu button:has(span[lang='he'])").click()
        dash_duo.wait_for_element("html[lang='he']", timeout=20)
    dash_duo.driver.get(dash_duo.server_url + "/billing")
    _settled(dash_duo, "#billcmp-summary")
    # the default pair: the newest invoice against the one before it (no year-earlier one)
    summary = dash_duo.find_element("#billcmp-summary").text
    assert "708.00" in summary and "1,180.00" in summary
    assert dash_duo.find_element("#billcmp-chart .js-plotly-plot")
    rows = dash_duo.driver.find_elements(By.CSS_SELECTOR, "#billcmp-table tbody tr")
    assert len(rows) >= 3  # the two totals and at least one cause
    assert str(earlier) != "" and _direction(dash_duo)[0] == language
    _no_sideways_scroll(dash_duo, "/billing with a comparison")
