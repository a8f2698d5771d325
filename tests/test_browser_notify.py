"""The bell and the inbox in a real browser, in Hebrew: the count shows on every page, opening a
message marks it read and the count goes, another user's message never shows."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By
from sqlalchemy import select

from db.models import Channel, User
from db.session import Database
from lounge.notify import outbox
from lounge.notify.outbox import Message
from tests.test_browser import _direction, _sign_in, lounge  # noqa: F401 - a fixture

pytestmark = pytest.mark.browser


def _note(user_id: int, subject: str, body: str) -> Message:
    return Message(
        topic="membership",
        kind="welcome",
        source="test",
        channel=Channel.IN_APP,
        language="he",
        recipient="",
        subject=subject,
        body=body,
        link="/overview",
        user_id=user_id,
    )


def test_the_bell_counts_and_the_inbox_opens_in_hebrew(dash_duo, lounge):  # noqa: F811
    app, _world = lounge
    database = Database(app.server.config["LOUNGE_SETTINGS"].database_url)
    with database.session() as session:
        users = {u.email: u for u in session.scalars(select(User))}
        users["client@a.test"].language = "he"
        outbox.enqueue(
            session,
            [
                _note(users["client@a.test"].id, "ברוכים הבאים לטרקלין העסקי", "שלום רב"),
                _note(users["client@b.test"].id, "Zebra private note", "not yours"),
            ],
        )
    database.dispose()
    _sign_in(dash_duo, app, "client@a.test")
    dash_duo.wait_for_text_to_equal("#shell-bell-count", "1", timeout=20)
    assert _direction(dash_duo) == ("he", "rtl")

    dash_duo.driver.find_element(By.ID, "shell-bell").click()
    dash_duo.wait_for_contains_text("#inbox-list", "ברוכים הבאים לטרקלין העסקי", timeout=20)
    assert "Zebra" not in dash_duo.driver.page_source
    dash_duo.driver.find_element(By.CSS_SELECTOR, "#inbox-list .accordion-button").click()
    dash_duo.wait_for_contains_text("#inbox-list", "שלום רב", timeout=10)
    dash_duo.wait_for_text_to_equal("#shell-bell-count", "", timeout=10)
    dash_duo.driver.refresh()  # read for good, not just on this page
    dash_duo.wait_for_contains_text("#inbox-list", "ברוכים הבאים", timeout=20)
    assert dash_duo.find_element("#shell-bell-count").text == ""
    assert dash_duo.driver.find_elements(By.CSS_SELECTOR, "#inbox-list [title='לא נקרא']") == []


def test_a_client_adds_a_contact_and_a_bad_number_is_refused_in_its_words(dash_duo, lounge):  # noqa: F811
    app, _world = lounge
    _sign_in(dash_duo, app, "client@a.test")
    dash_duo.wait_for_text_to_equal("#overview-name", "Acme Steel Works", timeout=20)
    dash_duo.driver.get(dash_duo.server_url + "/contacts")
    dash_duo.wait_for_element("#contact-add", timeout=20).click()
    dash_duo.wait_for_element("#contact-name", timeout=10).send_keys("Noa Peretz")
    dash_duo.find_element("#contact-phone").send_keys("12345")
    dash_duo.driver.find_element(
        By.CSS_SELECTOR, "#contact-channels-membership input[value='sms']"
    ).click()
    dash_duo.find_element("#contact-save").click()
    dash_duo.wait_for_contains_text(
        "#contact-refused", "phone '12345' is not a valid Israeli or international number"
    )
    phone = dash_duo.find_element("#contact-phone")
    phone.clear()
    phone.send_keys("050-234-5678")
    dash_duo.find_element("#contact-save").click()
    dash_duo.wait_for_contains_text("#contacts-grid", "+972502345678", timeout=10)
    assert "Noa Peretz" in dash_duo.find_element("#contacts-grid").text
