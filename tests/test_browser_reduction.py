"""The measured load reduction in a real browser: a client on a phone in Hebrew finds a past
warning on its notices page, opens its reduction and sees baseline against actual load, its own
site only, and the files to download; staff see every site the warning reached."""

from __future__ import annotations

import datetime as dt

import pytest
from selenium.webdriver.common.by import By
from sqlalchemy import select

from db.models import Notice, NoticeKind, NoticeState, NoticeTarget, User
from db.session import Database
from lounge import ingest, localtime
from lounge.settings import TIMEZONE
from tests.test_browser import (  # noqa: F401 - lounge is a fixture
    PHONE,
    _direction,
    _no_sideways_scroll,
    _settled,
    _sign_in,
    lounge,
)
from tests.test_browser_requests import _as

pytestmark = pytest.mark.browser


def _past_warning(database: Database) -> int:
    """Hourly data of SA1 over the 70 days up to three days ago, halved in that day's 10:00-12:00
    window, and a completed warning over that window reaching SA1 and the other customer's SB1."""
    day = localtime.today() - dt.timedelta(days=3)
    start = dt.datetime.combine(day, dt.time(10), TIMEZONE)
    rows = []
    for n in range(70 * 24 + 24):
        at = dt.datetime.combine(day - dt.timedelta(days=70), dt.time(), TIMEZONE) + dt.timedelta(
            hours=n
        )
        at = at.astimezone(dt.UTC)
        kwh = 50 if start <= at < start + dt.timedelta(hours=2) else 100
        end = at + dt.timedelta(hours=1)
        rows.append(f"SA1,{at:%Y-%m-%dT%H:%M:%SZ},{end:%Y-%m-%dT%H:%M:%SZ},{kwh}")
    data = ("site_id,start,end,kwh\n" + "\n".join(rows) + "\n").encode()
    with database.session() as session:
        ingest.import_file(session, "readings", data, "hours.csv", "test")
        notice = Notice(
            kind=NoticeKind.PEAK_WARNING,
            state=NoticeState.COMPLETED,
            level=2,
            reason="heat",
            starts_at=start.astimezone(dt.UTC),
            ends_at=(start + dt.timedelta(hours=2)).astimezone(dt.UTC),
            created_by="demand@a.test",
        )
        session.add(notice)
        session.flush()
        for site, customer in (("SA1", "CA"), ("SB1", "CB")):
            session.add(
                NoticeTarget(
                    notice_id=notice.id, site_id=site, customer_id=customer, region="South"
                )
            )
        client = session.scalars(select(User).where(User.email == "client@a.test")).one()
        client.language = "he"
        return notice.id


def test_a_client_on_a_phone_in_hebrew_sees_its_sites_reduction(dash_duo, lounge):  # noqa: F811
    app, world = lounge
    notice_id = _past_warning(Database(app.server.config["LOUNGE_SETTINGS"].database_url))

    _sign_in(dash_duo, app, "client@a.test")
    dash_duo.driver.set_window_size(*PHONE)
    dash_duo.wait_for_element("#shell-toggler", timeout=30)
    dash_duo.driver.get(dash_duo.server_url + "/notices")
    _settled(dash_duo, f"#past-event-{notice_id}")
    dash_duo.driver.execute_script(
        "arguments[0].click()", dash_duo.find_element(f"#past-event-{notice_id}")
    )
    _settled(dash_duo, "#reduction-view")
    assert _direction(dash_duo) == ("he", "rtl")
    # every hour 100 kWh on the similar days and before the event (no adjustment); the two
    # hours of the event 50: a baseline of 200 kWh, 100 kWh actual, 50 kW less, half of it
    kpis = [dash_duo.find_element(f"#reduction-kpi-{n}").text for n in range(4)]
    assert "200" in kpis[0] and "100" in kpis[1] and "50.0" in kpis[2] and "50.0%" in kpis[3]
    dash_duo.wait_for_contains_text("#reduction-view", "SA1", timeout=20)  # the grid's rows
    view = dash_duo.find_element("#reduction-view").text
    assert "SB1" not in view and world.other_name not in view
    assert dash_duo.driver.find_elements(By.CSS_SELECTOR, "#reduction-chart .js-plotly-plot")
    href = dash_duo.find_element("#reduction-download-pdf").get_attribute("href")
    assert href.endswith(f"/download/load-reduction/{notice_id}.pdf")
    _no_sideways_scroll(dash_duo, "/load-reduction")

    _as(dash_duo, "demand@a.test", (1400, 1000))
    dash_duo.driver.get(dash_duo.server_url + f"/load-reduction/{notice_id}")
    _settled(dash_duo, "#reduction-view")
    dash_duo.wait_for_contains_text("#reduction-view", "SA1", timeout=20)
    view = dash_duo.find_element("#reduction-view").text
    assert "SB1" in view  # SB1 has no interval data: named as left out
