"""Demo annual meetings: a year of history with minutes and action items, and what is coming.

Every member with a manager is drawn into one of four stories: met last year and this year
already; met last year, with a meeting scheduled in the coming weeks; met last year but not yet
this year (due, or overdue when that was more than 12 months ago); never met (overdue). The demo
client's retail chain met last year (minutes; one action done, one overdue, one still open) and
has its next meeting scheduled, with two of its contacts invited. A manager never has two
meetings on one day, and every date is a meeting day of :mod:`lounge.meetings` (never a
weekend, a holiday or an eve). Past meetings sent their invitations back then; nothing is
written to the outbox.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import (
    ActionItem,
    ActionOwner,
    Contact,
    Customer,
    ManagerAssignment,
    Meeting,
    MeetingState,
    User,
    VipStatus,
)
from lounge import meetings
from lounge.settings import TIMEZONE

#: Agenda, minutes and two actions (ours, the customer's), in the customer's language.
TEXTS = {
    "en": (
        "Consumption of the year, tariffs, contracts ending, the coming summer peak.",
        "Reviewed the year's consumption by site. The customer asked about moving two sites to a "
        "time-of-use tariff and about the capacity of the main connection. Agreed to follow up "
        "as below.",
        ("Send a time-of-use tariff offer for two sites", "Give access to the main meter room"),
    ),
    "he": (
        "צריכת השנה, תעריפים, חוזים שמסתיימים, שיא הקיץ הקרוב.",
        "סקרנו את צריכת השנה לפי אתר. הלקוח שאל על מעבר של שני אתרים לתעריף תעו״ז ועל "
        "הגדלת חיבור ראשי. סוכם על המשך טיפול כמפורט.",
        ("לשלוח הצעת תעריף תעו״ז לשני אתרים", "לאפשר גישה לחדר המונים הראשי"),
    ),
}
PLACES = {
    "en": ("Customer's offices", "Lounge Electric, Haifa head office"),
    "he": ("משרדי הלקוח", "חברת החשמל לאונג', הנהלה ראשית חיפה"),
}
VIDEO = "https://meet.lounge-electric.example/{slug}"
STORIES = ("met_both_years", "scheduled", "met_last_year", "never")
WEIGHTS = (0.35, 0.25, 0.25, 0.15)


class _Diary:
    """Each manager's taken days, so that demo meetings never share a manager's day."""

    def __init__(self) -> None:
        self.busy: dict[int, set[dt.date]] = defaultdict(set)

    def day(self, manager_id: int, after: dt.date) -> dt.date:
        day = meetings.propose_days(after, self.busy[manager_id], 1)[0]
        self.busy[manager_id].add(day)
        return day


def _meeting(
    customer: Customer,
    manager: User,
    day: dt.date,
    state: MeetingState,
    rng: np.random.Generator,
    today: dt.date,
) -> Meeting:
    language = "he" if customer.language == "he" else "en"
    agenda, minutes, (ours, theirs) = TEXTS[language]
    video = rng.random() < 0.3
    start = dt.datetime.combine(day, dt.time(int(rng.choice([9, 10, 11, 13, 14]))), TIMEZONE)
    meeting = Meeting(
        customer_id=customer.id,
        organiser_id=manager.id,
        uid=f"meeting-demo-{customer.id}-{day:%Y%m%d}@business-lounge",
        sequence=0,
        starts_at=start,
        duration_minutes=int(rng.choice([45, 60, 90])),
        place="" if video else str(rng.choice(PLACES[language])),
        video_link=VIDEO.format(slug=customer.id.lower()) if video else "",
        state=state,
        our_attendees=manager.full_name,
        agenda=agenda,
        minutes=minutes if state == MeetingState.HELD else "",
        created_at=start - dt.timedelta(days=21),
        updated_at=start - dt.timedelta(days=21),
    )
    if state == MeetingState.HELD:
        # ours: due a month later, done when it fell due (or overdue); theirs: due in two months
        ours_due, theirs_due = day + dt.timedelta(days=30), day + dt.timedelta(days=60)
        late = ours_due < today and rng.random() < 0.3
        meeting.actions = [
            ActionItem(
                customer_id=customer.id,
                text=ours,
                owner=ActionOwner.US,
                due_date=ours_due,
                done_at=None
                if late or ours_due >= today
                else dt.datetime.combine(ours_due, dt.time(12), TIMEZONE),
            ),
            ActionItem(
                customer_id=customer.id,
                text=theirs,
                owner=ActionOwner.CUSTOMER,
                due_date=theirs_due,
                done_at=dt.datetime.combine(theirs_due, dt.time(12), TIMEZONE)
                if theirs_due < today and rng.random() < 0.7
                else None,
            ),
        ]
    return meeting


def _chain_actions(meeting: Meeting, today: dt.date) -> None:
    """The demo client's actions: one done, one of ours overdue, one of its own still open."""
    held = meeting.starts_at.astimezone(TIMEZONE).date()
    done, theirs = (item.text for item in meeting.actions)
    if meeting.agenda == TEXTS["he"][0]:
        ours_late = "לשלוח סיכום צריכה לפי רצועות תעו״ז לכל האתרים"
    else:
        ours_late = "Send a summary of consumption by time-of-use band for every site"
    meeting.actions = [
        ActionItem(
            customer_id=meeting.customer_id,
            text=done,
            owner=ActionOwner.US,
            due_date=held + dt.timedelta(days=20),
            done_at=dt.datetime.combine(held + dt.timedelta(days=15), dt.time(12), TIMEZONE),
        ),
        ActionItem(
            customer_id=meeting.customer_id,
            text=ours_late,
            owner=ActionOwner.US,
            due_date=today - dt.timedelta(days=10),
        ),
        ActionItem(
            customer_id=meeting.customer_id,
            text=theirs,
            owner=ActionOwner.CUSTOMER,
            due_date=today + dt.timedelta(days=40),
        ),
    ]


def write(session: Session, rng: np.random.Generator, today: dt.date, chain_id: str) -> None:
    """The meetings of every member with a manager (see the module's stories)."""
    members = session.execute(
        select(Customer, User)
        .join(VipStatus, VipStatus.customer_id == Customer.id)
        .join(ManagerAssignment, ManagerAssignment.customer_id == Customer.id)
        .join(User, User.id == ManagerAssignment.manager_id)
        .where(VipStatus.is_vip)
        .order_by(Customer.id)
    ).all()
    diary = _Diary()
    last_year = dt.date(today.year - 1, 1, 1)
    this_year = dt.date(today.year, 1, 1)
    for customer, manager in members:
        story = "chain" if customer.id == chain_id else str(rng.choice(STORIES, p=WEIGHTS))
        if story == "never":
            continue
        # last year's meeting: within the last 12 months for most, earlier for some (overdue)
        recent = story != "met_last_year" or rng.random() < 0.6
        earliest = max(last_year, today - dt.timedelta(days=360)) if recent else last_year
        offset = int(rng.integers(0, 120))
        held = diary.day(manager.id, earliest + dt.timedelta(days=offset) - dt.timedelta(days=1))
        if held >= this_year:  # early in the year: last year's meeting stays in last year
            held = diary.day(manager.id, dt.date(today.year - 1, 9, 1))
        if story == "chain":
            held = diary.day(manager.id, today - dt.timedelta(days=150))
        past = _meeting(customer, manager, held, MeetingState.HELD, rng, today)
        if story == "chain":
            _chain_actions(past, today)
        session.add(past)
        if story == "met_both_years" and today > this_year + dt.timedelta(days=20):
            span = max((today - this_year).days - 10, 1)
            day = diary.day(manager.id, this_year + dt.timedelta(days=int(rng.integers(0, span))))
            if day < today:
                session.add(_meeting(customer, manager, day, MeetingState.HELD, rng, today))
        if story in ("scheduled", "chain"):
            after = today + dt.timedelta(days=int(rng.integers(2, 25)))
            upcoming = _meeting(
                customer, manager, diary.day(manager.id, after), MeetingState.SCHEDULED, rng, today
            )
            upcoming.contacts = list(
                session.scalars(select(Contact).where(Contact.customer_id == customer.id).limit(2))
            )
            session.add(upcoming)
    session.flush()
