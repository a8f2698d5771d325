"""A peak-load warning in a real browser: demand staff target a region, preview, save and issue
it; the client, on a phone in Hebrew, sees it on its outage panel and acknowledges it with the
reduction it plans; staff then see the acknowledgement."""

from __future__ import annotations

import pytest
from dash.testing.wait import until
from selenium.webdriver.common.by import By
from sqlalchemy import select

from db.models import Notice, NoticeAcknowledgement, NoticeState, User
from db.session import Database
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


def _click(dash_duo, selector: str) -> None:
    dash_duo.driver.execute_script("arguments[0].click()", dash_duo.find_element(selector))


def test_staff_issue_a_warning_and_a_client_acknowledges_it_in_hebrew(dash_duo, lounge):  # noqa: F811
    app, world = lounge
    database = Database(app.server.config["LOUNGE_SETTINGS"].database_url)
    with database.session() as session:
        client = session.scalars(select(User).where(User.email == "client@a.test")).one()
        client.language = "he"

    _sign_in(dash_duo, app, "demand@a.test")
    dash_duo.wait_for_element("#shell-toggler", timeout=30)
    dash_duo.driver.get(dash_duo.server_url + "/demand")
    _settled(dash_duo, "#demand-save")
    dash_duo.select_dcc_dropdown("#demand-regions", value="South")
    dash_duo.find_element("#demand-kw").send_keys("200")
    _click(dash_duo, "#demand-preview")
    dash_duo.wait_for_contains_text("#demand-preview-summary", "Messages", timeout=30)
    assert "Acme" in dash_duo.find_element("#demand-preview-box").text
    _click(dash_duo, "#demand-save")
    dash_duo.wait_for_contains_text("#demand-save-feedback", "Saved as notice", timeout=30)
    dash_duo.wait_for_contains_text("#demand-detail-title", "Draft", timeout=30)
    _click(dash_duo, "#demand-issue")
    dash_duo.wait_for_element("#demand-done", timeout=30)
    with database.session() as session:
        notice = session.scalars(select(Notice)).one()
        assert notice.state == NoticeState.ISSUED and notice.reduction_kw == 200
        notice_id = notice.id

    _as(dash_duo, "client@a.test", PHONE)
    dash_duo.driver.get(dash_duo.server_url + "/notices")
    card = f"#notices-card-{notice_id}"
    _settled(dash_duo, card)
    assert _direction(dash_duo) == ("he", "rtl")
    assert "התרעת עומס שיא" in dash_duo.find_element(card).text
    assert world.other_site_name not in dash_duo.find_element("#notices-panel").text
    _no_sideways_scroll(dash_duo, "/notices")
    dash_duo.driver.find_element(By.CSS_SELECTOR, f"{card} input").send_keys("150")
    _click(dash_duo, f"{card} button")
    dash_duo.wait_for_contains_text(card, "קבלת ההודעה אושרה", timeout=30)
    with database.session() as session:
        acks = session.scalars(select(NoticeAcknowledgement)).all()
        assert [(a.customer_id, a.planned_kw) for a in acks] == [(world.own, 150)]

    _as(dash_duo, "demand@a.test")
    dash_duo.driver.get(dash_duo.server_url + "/demand")
    _settled(dash_duo, "#demand-pick")
    dash_duo.select_dcc_dropdown("#demand-pick", index=0)
    dash_duo.wait_for_element("#demand-ack-regions", timeout=30)
    until(lambda: "150" in dash_duo.find_element("#demand-ack-regions").text, timeout=30)
