"""Surveys in a real browser: a client in Hebrew on a phone sees the overview's reminder, answers
its survey in the lounge, and a contact answers by the message's link without signing in."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By
from sqlalchemy import select

from db.models import Contact, RequestState, Survey, User
from db.session import Database
from lounge.access import Viewer
from lounge.requests import workflow
from lounge.requests.workflow import RequestForm
from lounge.surveys import invitations
from tests.test_browser import (
    PHONE,
    _direction,
    _no_sideways_scroll,
    _settled,
    _sign_in,
    lounge,  # noqa: F401 - a fixture
)

pytestmark = pytest.mark.browser


def test_a_client_answers_in_hebrew_and_a_contact_by_the_link(dash_duo, lounge):  # noqa: F811
    app, _world = lounge
    database = Database(app.server.config["LOUNGE_SETTINGS"].database_url)
    with database.session() as session:
        client = session.scalars(select(User).where(User.email == "client@a.test")).one()
        client.language = "he"
        session.add(Contact(customer_id="CA", name="נועה", email="noa@a.test", language="he"))
        session.flush()
        you = Viewer.of(client)
        admin = Viewer.of(session.scalars(select(User).where(User.role == "admin")).first())
        made = workflow.open_request(session, you, "CA", RequestForm("general", "", "Q"), "")
        workflow.change_state(session, admin, made.id, RequestState.RESOLVED, "", "")
        workflow.change_state(session, you, made.id, RequestState.CLOSED, "", "")
        mine = session.scalar(select(Survey.id).where(Survey.user_id == client.id))
        theirs = session.scalar(select(Survey.id).where(Survey.contact_id.is_not(None)))
    _sign_in(dash_duo, app, "client@a.test")
    dash_duo.driver.set_window_size(*PHONE)
    dash_duo.wait_for_element("#overview-surveys", timeout=20)
    dash_duo.find_element("#overview-surveys a").click()
    _settled(dash_duo, f"#surveys-card-{mine}")
    assert _direction(dash_duo) == ("he", "rtl")
    assert "איך" in dash_duo.driver.page_source or "מרוצים" in dash_duo.driver.page_source
    card = dash_duo.find_element(f"#surveys-card-{mine}")
    card.find_elements(By.CSS_SELECTOR, "input[type=radio]")[3].click()  # 4
    card.find_element(By.TAG_NAME, "textarea").send_keys("שירות טוב")
    card.find_element(By.TAG_NAME, "button").click()
    dash_duo.wait_for_contains_text(f"#surveys-card-{mine}", "תודה", timeout=20)
    _no_sideways_scroll(dash_duo, "/surveys")

    dash_duo.driver.delete_all_cookies()  # the contact opens the link without signing in
    secret = app.server.config["SECRET_KEY"]
    dash_duo.driver.get(invitations.link(dash_duo.server_url, secret, theirs))
    dash_duo.wait_for_element("#survey-form", timeout=20)
    assert _direction(dash_duo) == ("he", "rtl")
    dash_duo.find_element("label[for=score-2]").click()
    dash_duo.find_element("#comment").send_keys("לקח זמן")
    dash_duo.find_element("#survey-send").click()
    dash_duo.wait_for_element("#survey-done", timeout=20)
    with database.session() as session:
        answered = {
            s.id: (s.score, s.comment, s.answered_via) for s in session.scalars(select(Survey))
        }
    assert answered[mine] == (4, "שירות טוב", "lounge")
    assert answered[theirs] == (2, "לקח זמן", "link")
    database.dispose()
