"""Annual meetings: proposed dates, the planner, the calendar file, the messages, access."""

from __future__ import annotations

import datetime as dt

import icalendar
import pytest
from sqlalchemy import select

from db.models import (
    ActionItem,
    Channel,
    Contact,
    ContactChannel,
    Meeting,
    MeetingState,
    Notification,
    Topic,
    VipStatus,
)
from db.session import Database
from lounge import calendar, meetings, users
from lounge.access import SYSTEM, AccessDenied, NotFound
from lounge.meetings import DUE, HELD, OVERDUE, SCHEDULED, MeetingError, MeetingForm
from lounge.settings import TIMEZONE
from tests.factories import add_customer, signed_up

D = dt.date
BASE = "https://lounge.example"


# --- proposed dates (unit) -------------------------------------------------------------------


def test_proposals_skip_weekends_holidays_and_eves_around_the_autumn_holidays():
    # 2025: Rosh Hashanah 23-24 Sep (eve 22), Yom Kippur 2 Oct (eve 1), Sukkot 7 Oct (eve 6)
    assert meetings.propose_days(D(2025, 9, 20), set(), 7) == [
        D(2025, 9, 21),
        D(2025, 9, 25),
        D(2025, 9, 28),
        D(2025, 9, 29),
        D(2025, 9, 30),
        D(2025, 10, 5),
        D(2025, 10, 8),  # an intermediate day of Sukkot is a working day
    ]


def test_proposals_skip_pesach_and_the_managers_busy_days():
    # 2026: Pesach 2 Apr (eve 1 Apr), its seventh day 8 Apr (eve 7 Apr); 31 Mar is taken
    assert meetings.propose_days(D(2026, 3, 29), {D(2026, 3, 31)}, 5) == [
        D(2026, 3, 30),
        D(2026, 4, 5),
        D(2026, 4, 6),
        D(2026, 4, 9),
        D(2026, 4, 12),
    ]


@pytest.mark.parametrize("year", [2025, 2026, 2027])
def test_no_proposal_ever_falls_on_a_friday_a_saturday_a_holiday_or_an_eve(year: int):
    days = meetings.propose_days(D(year - 1, 12, 31), set(), 200)
    assert days[-1].year == year
    for day in days:
        assert day.weekday() not in (4, 5), day
        assert not calendar.is_holiday(day), day
        assert not calendar.is_eve(day), day


def test_working_days_left_in_the_year():
    # 27-31 Dec 2026: Sunday to Thursday
    assert meetings.working_days_left(D(2026, 12, 27)) == 5
    assert meetings.working_days_left(D(2026, 12, 31)) == 1


# --- a customer, its contacts, a manager -----------------------------------------------------


def _member(session, customer_id: str, manager: str = "am@power.example") -> None:
    add_customer(session, customer_id, f"S{customer_id}")
    session.add(VipStatus(customer_id=customer_id, is_vip=True, since=D(2024, 1, 1), rule="site"))
    for name, language, email, phone in (
        ("Dana Cohen", "he", f"dana@{customer_id.lower()}.example", None),
        ("Omer Levi", "en", None, "+972502345678"),
    ):
        contact = Contact(
            customer_id=customer_id, name=name, language=language, email=email, phone=phone
        )
        contact.channels = [
            ContactChannel(topic=Topic.SERVICE, channel="email" if email else "sms")
        ]
        session.add(contact)
    session.flush()


@pytest.fixture
def people(db: Database):
    """C1 and C2 members of am@power.example's portfolio; C3 of nobody's; a client of C1."""
    with db.session() as session:
        for customer in ("C1", "C2", "C3"):
            _member(session, customer)
        manager = signed_up(session, "am@power.example", "account_manager")
        other = signed_up(session, "other@power.example", "account_manager")
        client = signed_up(session, "boss@c1.example", "client", "C1")
        stranger = signed_up(session, "boss@c2.example", "client", "C2")
        users.assign_manager(session, "am@power.example", ["C1", "C2"], "test")
        users.assign_manager(session, "other@power.example", ["C3"], "test")
    return {"manager": manager, "other": other, "client": client, "stranger": stranger}


def _form(day: D, **changes) -> MeetingForm:
    values = {"day": day.isoformat(), "time": "10:30", "place": "Head office, Haifa"} | changes
    return MeetingForm(**values)


def _next_meeting_day(after: D) -> D:
    return meetings.propose_days(after, set(), 1)[0]


def _contact_ids(db: Database, customer_id: str) -> tuple[int, ...]:
    with db.session() as session:
        return tuple(session.scalars(select(Contact.id).where(Contact.customer_id == customer_id)))


# --- planner ---------------------------------------------------------------------------------


def _held(session, customer_id: str, day: D) -> None:
    session.add(
        Meeting(
            customer_id=customer_id,
            uid=f"held-{customer_id}-{day}",
            starts_at=dt.datetime.combine(day, dt.time(10), TIMEZONE),
            state=MeetingState.HELD,
            place="Office",
        )
    )


def test_planner_statuses_and_proposals_for_the_managers_portfolio(db, people):
    today = D(2026, 6, 10)
    with db.session() as session:
        _held(session, "C1", D(2026, 2, 3))  # held this year
        _held(session, "C2", D(2025, 9, 1))  # within 12 months, none this year yet: due
        _held(session, "C3", D(2025, 3, 1))
        rows = meetings.planner(session, people["manager"], today)
    assert [(r.customer_id, r.status) for r in rows] == [("C2", DUE), ("C1", HELD)]
    assert rows[0].proposed == dt.datetime(2026, 6, 11, 10, tzinfo=TIMEZONE)
    assert rows[1].proposed is None
    with db.session() as session:
        everyone = {r.customer_id: r.status for r in meetings.planner(session, SYSTEM, today)}
    assert everyone == {"C1": HELD, "C2": DUE, "C3": OVERDUE}  # C3: none in 12 months


def test_late_in_the_year_every_member_without_a_meeting_is_overdue(db, people):
    with db.session() as session:
        _held(session, "C2", D(2025, 12, 20))
        rows = {
            r.customer_id: r for r in meetings.planner(session, people["manager"], D(2026, 12, 7))
        }
    # 19 working days are left from Monday 7 December 2026
    assert rows["C2"].status == OVERDUE and rows["C1"].status == OVERDUE
    # one a day, on the manager's free meeting days
    assert {rows["C1"].proposed.date(), rows["C2"].proposed.date()} == {
        D(2026, 12, 8),
        D(2026, 12, 9),
    }


def test_a_scheduled_meeting_takes_the_managers_day_and_the_customer_is_scheduled(db, people):
    today = D(2026, 6, 10)
    with db.session() as session:
        meetings.schedule(session, people["manager"], "C1", _form(D(2026, 6, 11)), BASE)
        rows = {r.customer_id: r for r in meetings.planner(session, people["manager"], today)}
    assert rows["C1"].status == SCHEDULED
    assert rows["C1"].next_meeting is not None
    assert rows["C2"].proposed == dt.datetime(2026, 6, 14, 10, tzinfo=TIMEZONE)  # 11 Jun is taken


def test_client_and_other_roles_have_no_planner(db, people):
    with db.session() as session:
        with pytest.raises(AccessDenied):
            meetings.planner(session, people["client"], D(2026, 6, 10))


# --- scheduling, messages, calendar ----------------------------------------------------------


def _service_messages(db: Database) -> list[Notification]:
    with db.session() as session:
        found = session.scalars(select(Notification).order_by(Notification.id)).all()
        session.expunge_all()
        return list(found)


def _parsed(data: bytes) -> tuple[icalendar.Calendar, icalendar.Event]:
    cal = icalendar.Calendar.from_ical(data)
    return cal, next(iter(cal.walk("VEVENT")))


def test_schedule_update_cancel_keep_the_uid_raise_the_sequence_and_tell_the_contacts(db, people):
    day = _next_meeting_day(dt.date.today() + dt.timedelta(days=30))
    manager = people["manager"]
    with db.session() as session:
        meeting = meetings.schedule(
            session,
            manager,
            "C1",
            _form(day, agenda="Consumption review", contact_ids=_contact_ids(db, "C1")),
            BASE,
        )
        meeting_id = meeting.id
        first = meetings.ics(session, manager, meeting_id)
    invites = _service_messages(db)
    assert sorted((m.kind, m.channel, m.recipient) for m in invites) == [
        ("meeting_scheduled", Channel.EMAIL, "dana@c1.example"),
        ("meeting_scheduled", Channel.SMS, "+972502345678"),
    ]
    assert all(m.topic == Topic.SERVICE for m in invites)
    hebrew = next(m for m in invites if m.channel == Channel.EMAIL)
    assert hebrew.language == "he" and "10:30" in hebrew.body
    assert f"{BASE}/download/meeting/{meeting_id}.ics" in hebrew.body

    cal, event = _parsed(first)
    assert cal["METHOD"] == "REQUEST"
    assert event["SEQUENCE"] == 0
    assert event.decoded("DTSTART") == dt.datetime.combine(day, dt.time(10, 30), TIMEZONE)
    assert "DTSTART;TZID=Asia/Jerusalem:" in first.decode()
    [zone] = cal.walk("VTIMEZONE")
    assert zone["TZID"] == "Asia/Jerusalem"
    assert str(event["ATTENDEE"]) == "mailto:dana@c1.example"  # the one invited with e-mail
    assert str(event["ORGANIZER"]) == "mailto:am@power.example"

    later = _next_meeting_day(day)
    with db.session() as session:
        meetings.update(session, manager, meeting_id, _form(later, time="14:00"), BASE)
        second = meetings.ics(session, manager, meeting_id)
    _cal, moved = _parsed(second)
    assert moved["UID"] == event["UID"] and moved["SEQUENCE"] == 1
    assert moved.decoded("DTSTART") == dt.datetime.combine(later, dt.time(14), TIMEZONE)
    updates = [m for m in _service_messages(db) if m.kind == "meeting_updated"]
    assert len(updates) == 2 and all("14:00" in m.body for m in updates)

    with db.session() as session:  # the same values again: nothing to tell
        meetings.update(session, manager, meeting_id, _form(later, time="14:00"), BASE)
        meetings.cancel(session, manager, meeting_id, BASE)
        third = meetings.ics(session, manager, meeting_id)
    cal, gone = _parsed(third)
    assert cal["METHOD"] == "CANCEL" and gone["STATUS"] == "CANCELLED"
    assert gone["UID"] == event["UID"] and gone["SEQUENCE"] == 2
    kinds = [m.kind for m in _service_messages(db)]
    assert kinds.count("meeting_updated") == 2 and kinds.count("meeting_cancelled") == 2


def test_a_meeting_on_a_rest_day_or_without_a_place_is_refused_with_reasons(db, people):
    with db.session() as session:
        with pytest.raises(MeetingError) as refused:
            meetings.schedule(
                session,
                people["manager"],
                "C1",
                _form(D(2026, 9, 21), place="", video_link="http://x y", time="25:00"),
                BASE,
            )
    text = " ".join(refused.value.messages)
    assert "not a working day" in text  # Yom Kippur 2026
    assert "https://" in text and "hours and minutes" in text
    assert _service_messages(db) == []


def test_minutes_and_actions_are_recorded_and_followed_up(db, people):
    manager = people["manager"]
    with db.session() as session:
        meeting = meetings.schedule(session, manager, "C1", _form(D(2026, 3, 3)), BASE)
        meetings.update(
            session, manager, meeting.id, _form(D(2026, 3, 3), minutes="We agreed."), BASE, True
        )
        late = meetings.add_action(
            session, manager, meeting.id, "Send tariff offer", "us", "2026-04-01"
        )
        meetings.add_action(session, manager, meeting.id, "Meter access", "customer", "2099-01-01")
        meetings.set_done(session, manager, late.id, True)
        assert session.get(Meeting, meeting.id).state == MeetingState.HELD
    with db.session() as session:
        open_items = meetings.actions(session, people["client"])
        assert [item.text for item, _name in open_items] == ["Meter access"]
        everything = meetings.actions(session, people["client"], open_only=False)
        assert len(everything) == 2
        with pytest.raises(MeetingError):
            meetings.add_action(session, manager, meeting.id, "", "them", "soon")
        future = meetings.schedule(session, manager, "C2", _form(D(2099, 3, 3)), BASE)
        with pytest.raises(MeetingError, match="once it has started"):
            meetings.update(session, manager, future.id, _form(D(2099, 3, 3)), BASE, True)


# --- access ----------------------------------------------------------------------------------


def test_a_manager_reaches_only_the_portfolios_meetings_and_a_client_only_its_own(db, people):
    with db.session() as session:
        own = meetings.schedule(session, people["manager"], "C1", _form(D(2026, 3, 3)), BASE)
        theirs = meetings.schedule(session, SYSTEM, "C3", _form(D(2026, 3, 4)), BASE)
        item = meetings.add_action(session, SYSTEM, theirs.id, "Their action", "us", "2026-05-01")
        own_id, their_id, item_id = own.id, theirs.id, item.id
    with db.session() as session:
        for viewer in (people["manager"], people["stranger"]):
            with pytest.raises(NotFound):
                meetings.ics(session, viewer, their_id)
        with pytest.raises(NotFound):
            meetings.schedule(session, people["manager"], "C3", _form(D(2026, 3, 5)), BASE)
        with pytest.raises(NotFound):
            meetings.set_done(session, people["manager"], item_id, True)
        with pytest.raises(NotFound):
            meetings.actions(session, people["client"], "C3")
        with pytest.raises(AccessDenied):  # a client reads its meeting but never changes it
            meetings.cancel(session, people["client"], own_id, BASE)
        with pytest.raises(AccessDenied):
            meetings.schedule(session, people["client"], "C1", _form(D(2026, 3, 5)), BASE)
        with pytest.raises(NotFound):  # contacts of another customer cannot be invited
            meetings.update(
                session,
                people["manager"],
                own_id,
                _form(D(2026, 3, 3), contact_ids=_contact_ids(db, "C3")),
                BASE,
            )
        assert meetings.ics(session, people["client"], own_id).startswith(b"BEGIN:VCALENDAR")
        assert session.scalar(select(ActionItem.done_at).where(ActionItem.id == item_id)) is None
