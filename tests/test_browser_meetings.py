"""The meeting planner in a real browser: a manager schedules a member's meeting on the proposed
date, records minutes and an action item; the client sees the meeting and the action, in Hebrew
on a phone."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from db.models import Meeting, User
from db.session import Database
from lounge import localtime, meetings
from lounge.settings import TIMEZONE
from tests.test_browser import (
    PHONE,
    _direction,
    _no_sideways_scroll,
    _settled,
    _sign_in,
    _submit_sign_in,
    lounge,  # noqa: F401 - a fixture
)

pytestmark = pytest.mark.browser


def _sign_in_again(dash_duo, email: str) -> None:
    dash_duo.driver.delete_all_cookies()
    _submit_sign_in(dash_duo, email)


def test_a_manager_schedules_records_and_the_client_sees_it(dash_duo, lounge):  # noqa: F811
    app, _world = lounge
    database = Database(app.server.config["LOUNGE_SETTINGS"].database_url)
    with database.session() as session:
        session.scalars(select(User).where(User.email == "client@a.test")).one().language = "he"
    _sign_in(dash_duo, app, "manager@a.test")
    dash_duo.driver.get(dash_duo.server_url + "/meetings")
    _settled(dash_duo, "#meetings-grid .ag-row")
    row = "#meetings-grid .ag-row[row-id='CA']"
    dash_duo.wait_for_contains_text(row, "Overdue", timeout=20)  # never met
    proposed = meetings.propose_days(localtime.today(), set(), 1)[0]
    assert meetings.is_meeting_day(proposed)
    dash_duo.find_element(f"{row} .ag-cell").click()
    dash_duo.wait_for_contains_text("#meetings-form-title", "Acme Steel Works", timeout=20)
    assert dash_duo.find_element("#meetings-day").get_attribute("value") == proposed.isoformat()
    assert dash_duo.find_element("#meetings-time").get_attribute("value") == "10:00"
    dash_duo.find_element("#meetings-place").send_keys("Ashdod plant")
    dash_duo.find_element("#meetings-agenda").send_keys("Summer peak plan")
    dash_duo.find_element("#meetings-schedule").click()

    dash_duo.wait_for_text_to_equal("#meeting-customer", "Acme Steel Works", timeout=20)
    _settled(dash_duo, "#meeting-done")
    dash_duo.find_element("#meeting-action-text").send_keys("Send the load-shifting study")
    dash_duo.find_element("#meeting-action-add").click()
    dash_duo.wait_for_contains_text("#meeting-done", "Send the load-shifting study", timeout=20)
    dash_duo.find_element("#meeting-minutes").send_keys("Agreed on a study of load shifting.")
    dash_duo.find_element("#meeting-save").click()
    dash_duo.wait_for_contains_text("#meeting-result", "Saved.", timeout=20)
    dash_duo.driver.set_window_size(*PHONE)
    _no_sideways_scroll(dash_duo, "/meeting")
    with database.session() as session:
        meeting = session.scalars(select(Meeting)).one()
        assert meeting.minutes == "Agreed on a study of load shifting."
        start = meeting.starts_at.astimezone(TIMEZONE)
        assert (start.date(), start.hour) == (proposed, 10)
        assert [item.text for item in meeting.actions] == ["Send the load-shifting study"]
    database.dispose()

    _sign_in_again(dash_duo, "client@a.test")
    dash_duo.driver.set_window_size(*PHONE)
    dash_duo.wait_for_element("#overview-name", timeout=20)
    dash_duo.driver.get(dash_duo.server_url + "/meetings")
    _settled(dash_duo, "#meetings-actions")
    assert _direction(dash_duo) == ("he", "rtl")
    assert "Ashdod plant" in dash_duo.find_element("#meetings-next").text
    assert "10:00" in dash_duo.find_element("#meetings-next-when").text
    agreed = dash_duo.find_element("#meetings-actions").text
    assert "Send the load-shifting study" in agreed and "Lounge" not in agreed
    assert "הפגישה הבאה שלכם" in dash_duo.driver.page_source
    _no_sideways_scroll(dash_duo, "/meetings")
