"""A request's whole life in a real browser: a client opens a fault on a phone in Hebrew; the
account manager and the fault desk move it through its states with notes; the client answers,
sees the timeline and the comments, and closes it."""

from __future__ import annotations

import pytest
from dash.testing.wait import until
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select
from sqlalchemy import select

from db.models import ServiceRequest, User
from db.session import Database
from lounge import users
from tests.test_browser import (  # noqa: F401 - lounge is a fixture
    PHONE,
    _direction,
    _no_sideways_scroll,
    _settled,
    _sign_in,
    lounge,
)
from tests.web_fixtures import PASSWORD

pytestmark = pytest.mark.browser


def _as(dash_duo, email: str, width: tuple[int, int] = (1400, 1000)) -> None:
    """Sign in as someone else on the running server."""
    driver = dash_duo.driver
    driver.delete_all_cookies()
    driver.set_window_size(*width)
    driver.get(dash_duo.server_url + "/login")
    driver.find_element(By.ID, "email").send_keys(email)
    driver.find_element(By.ID, "password").send_keys(PASSWORD)
    driver.find_element(By.ID, "login-submit").click()
    dash_duo.wait_for_element("#shell-toggler", timeout=30)


def _entries(dash_duo) -> int:
    return len(dash_duo.find_elements("#request-timeline > li"))


def _move(dash_duo, request_id: int, state: str, note: str = "") -> None:
    dash_duo.driver.get(f"{dash_duo.server_url}/requests/{request_id}")
    _settled(dash_duo, "#request-state")
    before = _entries(dash_duo)
    Select(dash_duo.find_element("#request-state")).select_by_value(state)
    if note:
        dash_duo.find_element("#request-note").send_keys(note)
    dash_duo.driver.execute_script("arguments[0].click()", dash_duo.find_element("#request-move"))
    until(lambda: _entries(dash_duo) == before + 1, timeout=20)


def _comment(dash_duo, text: str) -> None:
    dash_duo.find_element("#request-comment").send_keys(text)
    dash_duo.driver.execute_script("arguments[0].click()", dash_duo.find_element("#request-send"))
    dash_duo.wait_for_contains_text("#request-live", text, timeout=20)


def _upload(dash_duo, path) -> None:
    dash_duo.find_element("#request-upload input[type=file]").send_keys(str(path))


def test_a_fault_from_opening_to_closing(dash_duo, lounge, tmp_path):  # noqa: F811
    app, _world = lounge
    database = Database(app.server.config["LOUNGE_SETTINGS"].database_url)
    with database.session() as session:
        client = session.scalars(select(User).where(User.email == "client@a.test")).one()
        client.language = "he"
        users.create_user(
            session, email="desk@a.test", role="fault_desk", password=PASSWORD, actor="test"
        )

    # the client, on a phone, in Hebrew: a new fault at its plant
    _sign_in(dash_duo, app, "client@a.test")
    dash_duo.driver.set_window_size(*PHONE)
    dash_duo.wait_for_element("#shell-toggler", timeout=30)
    dash_duo.driver.get(dash_duo.server_url + "/requests")
    _settled(dash_duo, "#requests-list")
    assert _direction(dash_duo) == ("he", "rtl")
    _no_sideways_scroll(dash_duo, "/requests")
    dash_duo.find_element("#requests-new").click()
    dash_duo.wait_for_element("#requests-new-kind", timeout=10)
    # the form follows the kind: a billing question asks for an invoice, a fault for a site
    Select(dash_duo.find_element("#requests-new-kind")).select_by_value("billing")
    dash_duo.wait_for_style_to_equal("#requests-new-site-row", "display", "none", timeout=10)
    assert dash_duo.find_element("#requests-new-invoice-row").is_displayed()
    Select(dash_duo.find_element("#requests-new-kind")).select_by_value("fault")
    dash_duo.wait_for_element("#requests-new-site option[value='SA1']", timeout=10)
    Select(dash_duo.find_element("#requests-new-site")).select_by_value("SA1")
    Select(dash_duo.find_element("#requests-new-subtype")).select_by_value("no_supply")
    dash_duo.find_element("#requests-new-subject").send_keys("אין חשמל במפעל")
    dash_duo.find_element("#requests-new-description").send_keys("הקו הראשי נפל ב-07:40")
    dash_duo.find_element("#requests-new-send").click()
    dash_duo.wait_for_contains_text("#request-status", "התקבלה", timeout=30)
    assert "חבר בטרקלין" in dash_duo.find_element("#request-status").text  # a member's fault
    _no_sideways_scroll(dash_duo, "/requests/<id>")
    # a photo of the panel goes with it; a program dressed as a PDF does not
    photo, fake = tmp_path / "לוח חשמל.png", tmp_path / "report.pdf"
    photo.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(64))
    fake.write_bytes(b"MZ\x90\x00 not a pdf")
    _upload(dash_duo, photo)
    dash_duo.wait_for_contains_text("#request-files", "לוח חשמל.png", timeout=20)
    _upload(dash_duo, fake)
    dash_duo.wait_for_contains_text("#request-refused", "PDF", timeout=20)
    assert "report.pdf" not in dash_duo.find_element("#request-files").text
    with database.session() as session:
        [request_id] = session.scalars(select(ServiceRequest.id)).all()

    # the account manager takes it, the fault desk works it and asks for access
    _as(dash_duo, "manager@a.test")
    _move(dash_duo, request_id, "assigned")
    _move(dash_duo, request_id, "in_progress", "A crew is on its way")
    _as(dash_duo, "desk@a.test")
    dash_duo.wait_for_contains_text("#fault-desk-queue", "אין חשמל במפעל", timeout=20)
    _move(dash_duo, request_id, "waiting_for_customer", "Please open the gate")
    dash_duo.driver.execute_script(
        "arguments[0].click()", dash_duo.find_element("#request-comment-internal")
    )
    _comment(dash_duo, "Gate key with the guard")

    # the client answers: the request is back in progress
    _as(dash_duo, "client@a.test", PHONE)
    dash_duo.driver.get(f"{dash_duo.server_url}/requests/{request_id}")
    _settled(dash_duo, "#request-live")
    assert "Please open the gate" in dash_duo.find_element("#request-live").text
    assert "Gate key" not in dash_duo.driver.page_source  # the desk's internal note
    _comment(dash_duo, "השער פתוח")
    dash_duo.wait_for_contains_text("#request-status", "בטיפול", timeout=20)

    # the desk resolves it; the client confirms and closes it
    _as(dash_duo, "desk@a.test")
    _move(dash_duo, request_id, "resolved", "Cable replaced")
    _as(dash_duo, "client@a.test", PHONE)
    _move(dash_duo, request_id, "closed")
    dash_duo.wait_for_contains_text("#request-status", "נסגרה", timeout=20)
    timeline = dash_duo.find_element("#request-live").text
    for said in ("A crew is on its way", "Please open the gate", "השער פתוח", "Cable replaced"):
        assert said in timeline
    assert [e.text for e in dash_duo.find_elements("#request-timeline .badge")] == [
        "התקבלה",
        "שובצה",
        "בטיפול",
        "ממתינה ללקוח",
        "בטיפול",
        "טופלה",
        "נסגרה",
    ]
    assert not dash_duo.find_element("#request-comment-box").is_displayed()  # closed
    dash_duo.driver.get(dash_duo.server_url + "/requests")
    dash_duo.wait_for_contains_text("#requests-items", "נסגרה", timeout=20)
