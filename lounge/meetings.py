"""Annual meetings: every lounge member meets its account manager at least once a calendar year.

The planner (managers: their portfolio; admins: every member) sorts the members into

* **held**: a meeting was held this calendar year;
* **scheduled**: none held yet, but one is scheduled this year;
* **overdue**: neither, and either no meeting was held in the last 12 months (or ever), or fewer
  than :data:`OVERDUE_WORKING_DAYS` working days are left in the year;
* **due**: neither, otherwise (there is still time this year).

For overdue and due members it proposes dates: the meeting days (working days, Sunday to
Thursday, that are neither a public holiday nor an eve, as :mod:`lounge.calendar` says) from
tomorrow on, overdue members first, one member a day for each manager, on the days the manager
has no meeting yet, so that a manager's meetings spread over the manager's free days.

A meeting records its time (stored UTC, entered and shown in Israel time), place or video link,
attendees of both sides (the customer's contacts and free text), agenda, minutes, and the action
items agreed (owner, due date, done). Scheduling, moving and cancelling it tell the customer's
contacts on the channels they chose for service messages, with the link to the meeting's
``.ics`` (see :func:`ics`): same UID for the meeting's whole life, SEQUENCE raised on every
change sent, METHOD:CANCEL for a cancellation.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass

import icalendar
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from db.models import (
    ActionItem,
    ActionOwner,
    Contact,
    Customer,
    ManagerAssignment,
    Meeting,
    MeetingState,
    Topic,
    User,
    VipStatus,
    utcnow,
)
from lounge import access, calendar, i18n
from lounge.access import NotFound, Viewer
from lounge.company import COMPANY
from lounge.i18n import _
from lounge.notify import fanout, outbox
from lounge.notify.outbox import Message
from lounge.notify.templates import language_for, render
from lounge.settings import TIMEZONE
from lounge.surveys import invitations

#: Who plans and records meetings: account managers (their portfolio) and admins.
PLANNERS = access.PORTFOLIO_ROLES
#: Who sees meetings: the planners and the customer itself.
READERS = access.COMMERCIAL_ROLES
#: A member without a meeting this year is overdue once fewer working days than this are left.
OVERDUE_WORKING_DAYS = 20
#: A proposed meeting starts at this local time.
PROPOSED_TIME = dt.time(10, 0)
DURATIONS = (30, 45, 60, 90, 120, 180)
PRODID = "-//Business Lounge//Annual meetings//EN"
_URL = re.compile(r"^https://[^\s<>\"']+$")

OVERDUE, DUE, SCHEDULED, HELD = "overdue", "due", "scheduled", "held"


class MeetingError(ValueError):
    """What the form holds cannot be stored; the messages say what, in the reader's language."""

    def __init__(self, messages: list[str]) -> None:
        super().__init__("; ".join(messages))
        self.messages = messages


@dataclass(frozen=True)
class MeetingForm:
    """What the meeting form sends, as text; checked by :func:`_checked`."""

    day: str
    time: str
    duration_minutes: object = 60
    place: str = ""
    video_link: str = ""
    contact_ids: tuple[object, ...] = ()
    our_attendees: str = ""
    their_attendees: str = ""
    agenda: str = ""
    minutes: str = ""

    @classmethod
    def sent(cls, values: Mapping[str, object]) -> MeetingForm:
        """The form as a browser sent it, by field name (day, time, duration, place, link,
        contacts, theirs, ours, agenda, minutes); a value of the wrong type counts as empty."""

        def text(name: str) -> str:
            value = values.get(name)
            return value if isinstance(value, str) else ""

        chosen = values.get("contacts")
        return cls(
            day=text("day"),
            time=text("time"),
            duration_minutes=text("duration"),
            place=text("place"),
            video_link=text("link"),
            contact_ids=tuple(chosen) if isinstance(chosen, list) else (),
            our_attendees=text("ours"),
            their_attendees=text("theirs"),
            agenda=text("agenda"),
            minutes=text("minutes"),
        )


@dataclass(frozen=True)
class PlanRow:
    customer_id: str
    name: str
    manager: str
    status: str
    last_held: dt.date | None
    next_meeting: Meeting | None
    proposed: dt.datetime | None


# --- dates -----------------------------------------------------------------------------------


def is_meeting_day(day: dt.date) -> bool:
    """A day a meeting may be proposed on: a working day that is not an eve."""
    return calendar.is_working_day(day) and not calendar.is_eve(day)


def propose_days(after: dt.date, busy: set[dt.date], count: int) -> list[dt.date]:
    """The first ``count`` meeting days after ``after`` not in ``busy`` (one meeting a day)."""
    days: list[dt.date] = []
    day = after
    while len(days) < count:
        day += dt.timedelta(days=1)
        if is_meeting_day(day) and day not in busy:
            days.append(day)
    return days


def working_days_left(today: dt.date) -> int:
    """Working days from ``today`` (inclusive) to the end of its year."""
    day, left = today, 0
    while day.year == today.year:
        left += calendar.is_working_day(day)
        day += dt.timedelta(days=1)
    return left


def local(instant: dt.datetime) -> dt.datetime:
    return instant.astimezone(TIMEZONE)


def _year_start(today: dt.date) -> dt.datetime:
    return dt.datetime(today.year, 1, 1, tzinfo=TIMEZONE)


# --- reading ---------------------------------------------------------------------------------


def get_meeting(session: Session, viewer: Viewer, meeting_id: object) -> Meeting:
    """The meeting ``meeting_id`` if the viewer may see it (its customer's), else not found."""
    access.require(viewer, *READERS)
    try:
        wanted = int(str(meeting_id))
    except ValueError:
        raise NotFound(meeting_id) from None
    query = access.restrict(
        select(Meeting)
        .where(Meeting.id == wanted)
        .options(selectinload(Meeting.contacts), selectinload(Meeting.actions)),
        viewer,
    )
    meeting = session.scalars(query).one_or_none()
    if meeting is None:
        raise NotFound(meeting_id)
    return meeting


def customer_name(session: Session, meeting: Meeting) -> str:
    """The name of the customer of a meeting the caller already holds (read through access)."""
    customer = session.get(Customer, meeting.customer_id)
    return customer.name if customer else ""


def meetings_of(session: Session, viewer: Viewer, customer_id: object) -> list[Meeting]:
    """The customer's meetings, newest first."""
    access.require(viewer, *READERS)
    customer = access.get_customer(session, viewer, customer_id)
    query = (
        select(Meeting)
        .where(Meeting.customer_id == customer.id)
        .options(selectinload(Meeting.actions))
        .order_by(Meeting.starts_at.desc())
    )
    return list(session.scalars(query))


def upcoming(
    session: Session, viewer: Viewer, customer_id: object, today: dt.date
) -> Meeting | None:
    """The customer's next scheduled meeting (from the start of ``today``), if any."""
    access.require(viewer, *READERS)
    customer = access.get_customer(session, viewer, customer_id)
    start_of_today = dt.datetime.combine(today, dt.time(), TIMEZONE)
    return session.scalars(
        select(Meeting)
        .where(
            Meeting.customer_id == customer.id,
            Meeting.state == MeetingState.SCHEDULED,
            Meeting.starts_at >= start_of_today,
        )
        .options(selectinload(Meeting.contacts))
        .order_by(Meeting.starts_at)
        .limit(1)
    ).one_or_none()


def actions(
    session: Session, viewer: Viewer, customer_id: object | None = None, open_only: bool = True
) -> list[tuple[ActionItem, str]]:
    """Action items with their customer's name: one customer's, or all the viewer's (planners).

    Oldest due date first, so that the overdue ones lead.
    """
    access.require(viewer, *READERS)
    query = access.restrict(
        select(ActionItem, Customer.name).join(Customer, Customer.id == ActionItem.customer_id),
        viewer,
    )
    if customer_id is not None or viewer.is_client:
        customer = access.get_customer(session, viewer, customer_id or viewer.customer_id)
        query = query.where(ActionItem.customer_id == customer.id)
    else:
        access.require(viewer, *PLANNERS)
    if open_only:
        query = query.where(ActionItem.done_at.is_(None))
    query = query.order_by(ActionItem.due_date, ActionItem.id)
    return [(item, name) for item, name in session.execute(query).all()]


def is_overdue(item: ActionItem, today: dt.date) -> bool:
    return item.done_at is None and item.due_date < today


def planner(session: Session, viewer: Viewer, today: dt.date) -> list[PlanRow]:
    """Every member the viewer serves, with its meeting status and, where needed, a proposal."""
    access.require(viewer, *PLANNERS)
    members = session.execute(
        access.restrict(
            select(Customer, User)
            .join(VipStatus, VipStatus.customer_id == Customer.id)
            .outerjoin(ManagerAssignment, ManagerAssignment.customer_id == Customer.id)
            .outerjoin(User, User.id == ManagerAssignment.manager_id)
            .where(VipStatus.is_vip),
            viewer,
        ).order_by(Customer.name)
    ).all()
    ids = [customer.id for customer, _manager in members]
    meetings: dict[str, list[Meeting]] = defaultdict(list)
    for meeting in session.scalars(
        select(Meeting)
        .where(Meeting.customer_id.in_(ids), Meeting.state != MeetingState.CANCELLED)
        .order_by(Meeting.starts_at)
    ):
        meetings[meeting.customer_id].append(meeting)
    busy = _busy_days(session, {manager.id for _c, manager in members if manager}, today)
    year_start = _year_start(today)
    year_ago = dt.datetime.combine(today - dt.timedelta(days=365), dt.time(), TIMEZONE)
    late_in_year = working_days_left(today) < OVERDUE_WORKING_DAYS
    rows: list[PlanRow] = []
    for customer, manager in members:
        mine = meetings[customer.id]
        held = [m for m in mine if m.state == MeetingState.HELD]
        planned = [m for m in mine if m.state == MeetingState.SCHEDULED]
        next_meeting = next((m for m in planned if local(m.starts_at).date() >= today), None)
        last = held[-1] if held else None
        if last and last.starts_at >= year_start:
            status = HELD
        elif any(m.starts_at >= year_start for m in planned):
            status = SCHEDULED
        elif late_in_year or last is None or last.starts_at < year_ago:
            status = OVERDUE
        else:
            status = DUE
        rows.append(
            PlanRow(
                customer.id,
                customer.name,
                (manager.full_name or manager.email) if manager else "",
                status,
                local(last.starts_at).date() if last else None,
                next_meeting,
                None,
            )
        )
    return _with_proposals(rows, [(c, m) for c, m in members], busy, today)


def _busy_days(session: Session, manager_ids: set[int], today: dt.date) -> dict[int, set[dt.date]]:
    """The days each manager already has a scheduled meeting on, from today."""
    busy: dict[int, set[dt.date]] = defaultdict(set)
    start = dt.datetime.combine(today, dt.time(), TIMEZONE)
    for organiser, starts_at in session.execute(
        select(ManagerAssignment.manager_id, Meeting.starts_at)
        .join(Meeting, Meeting.customer_id == ManagerAssignment.customer_id)
        .where(
            ManagerAssignment.manager_id.in_(manager_ids),
            Meeting.state == MeetingState.SCHEDULED,
            Meeting.starts_at >= start,
        )
    ):
        busy[organiser].add(local(starts_at).date())
    return busy


def _with_proposals(
    rows: list[PlanRow],
    members: list[tuple[Customer, User | None]],
    busy: dict[int, set[dt.date]],
    today: dt.date,
) -> list[PlanRow]:
    """A proposed date for each overdue or due member: its manager's free meeting days, in turn,
    overdue members first."""
    manager_of = {customer.id: manager.id if manager else 0 for customer, manager in members}
    waiting: dict[int, list[PlanRow]] = defaultdict(list)
    for row in sorted(rows, key=lambda r: (r.status != OVERDUE, r.last_held or dt.date.min)):
        if row.status in (OVERDUE, DUE):
            waiting[manager_of[row.customer_id]].append(row)
    proposed: dict[str, dt.datetime] = {}
    for manager_id, queue in waiting.items():
        days = propose_days(today, busy.get(manager_id, set()), len(queue))
        for row, day in zip(queue, days, strict=True):
            proposed[row.customer_id] = dt.datetime.combine(day, PROPOSED_TIME, TIMEZONE)
    order = {OVERDUE: 0, DUE: 1, SCHEDULED: 2, HELD: 3}
    result = [
        PlanRow(**{**row.__dict__, "proposed": proposed.get(row.customer_id)}) for row in rows
    ]
    return sorted(
        result, key=lambda r: (order[r.status], r.proposed or _far(), i18n.sort_key(r.name))
    )


def _far() -> dt.datetime:
    return dt.datetime.max.replace(tzinfo=dt.UTC)


# --- writing ---------------------------------------------------------------------------------


def _checked(session: Session, customer_id: str, form: MeetingForm) -> dict[str, object]:
    """The form's values ready to store, or :class:`MeetingError` naming every problem."""
    problems: list[str] = []
    try:
        day = dt.date.fromisoformat(str(form.day))
    except ValueError:
        day = None
        problems.append(_("Choose the meeting's date."))
    try:
        at = dt.time.fromisoformat(str(form.time))
    except ValueError:
        at = None
        problems.append(_("Give the meeting's time as hours and minutes, e.g. 10:30."))
    if day is not None and not calendar.is_working_day(day):
        problems.append(
            _("{date} is not a working day (Sunday to Thursday, not a holiday).").format(
                date=i18n.format_date(day)
            )
        )
    try:
        duration = int(str(form.duration_minutes))
    except ValueError:
        duration = 0
    if not 15 <= duration <= 8 * 60:
        problems.append(_("A meeting lasts from 15 minutes to 8 hours."))
    place, link = str(form.place).strip(), str(form.video_link).strip()
    if not place and not link:
        problems.append(_("Give a place or a video link."))
    if link and not _URL.match(link):
        problems.append(_("A video link starts with https:// and holds no spaces."))
    if len(place) > 300 or len(link) > 500:
        problems.append(_("The place or the link is too long."))
    wanted = set()
    for contact_id in form.contact_ids:
        if not str(contact_id).isdigit():
            raise NotFound(contact_id)
        wanted.add(int(str(contact_id)))
    contacts = list(
        session.scalars(
            select(Contact).where(Contact.id.in_(wanted), Contact.customer_id == customer_id)
        )
    )
    if len(contacts) != len(wanted):
        raise NotFound(form.contact_ids)
    if problems:
        raise MeetingError(problems)
    assert day is not None and at is not None
    return {
        "starts_at": dt.datetime.combine(day, at.replace(second=0, microsecond=0), TIMEZONE),
        "duration_minutes": duration,
        "place": place,
        "video_link": link,
        "contacts": contacts,
        "our_attendees": str(form.our_attendees).strip(),
        "their_attendees": str(form.their_attendees).strip(),
        "agenda": str(form.agenda).strip(),
        "minutes": str(form.minutes).strip(),
    }


def schedule(
    session: Session, viewer: Viewer, customer_id: object, form: MeetingForm, base_url: str
) -> Meeting:
    """A new scheduled meeting with the customer; its contacts are invited (same transaction)."""
    access.require(viewer, *PLANNERS)
    customer = access.get_customer(session, viewer, customer_id)
    values = _checked(session, customer.id, form)
    meeting = Meeting(
        customer_id=customer.id,
        organiser_id=viewer.user_id or None,
        uid=f"meeting-{uuid.uuid4()}@business-lounge",
        sequence=0,
        state=MeetingState.SCHEDULED,
        **values,
    )
    session.add(meeting)
    session.flush()
    _tell(session, meeting, "meeting_scheduled", base_url)
    return meeting


def _editable(session: Session, viewer: Viewer, meeting_id: object) -> Meeting:
    access.require(viewer, *PLANNERS)
    return get_meeting(session, viewer, meeting_id)


def update(
    session: Session,
    viewer: Viewer,
    meeting_id: object,
    form: MeetingForm,
    base_url: str,
    held: bool = False,
) -> Meeting:
    """Change a meeting; ``held`` records that it took place (minutes are kept either way).

    When a scheduled meeting's time or place changes, the contacts get the update (the same
    UID, the next SEQUENCE). A cancelled meeting is not changed any more.
    """
    meeting = _editable(session, viewer, meeting_id)
    if meeting.state == MeetingState.CANCELLED:
        raise MeetingError([_("This meeting is cancelled; schedule a new one.")])
    values = _checked(session, meeting.customer_id, form)
    before = (local(meeting.starts_at), meeting.duration_minutes, meeting.place, meeting.video_link)
    for name, value in values.items():
        setattr(meeting, name, value)
    meeting.updated_at = utcnow()
    moved = before != (
        local(meeting.starts_at),
        meeting.duration_minutes,
        meeting.place,
        meeting.video_link,
    )
    if held:
        if meeting.starts_at > utcnow():
            raise MeetingError([_("A meeting can be recorded as held once it has started.")])
        meeting.state = MeetingState.HELD
        session.flush()
        invitations.after_meeting(session, meeting, base_url)  # once: a repeat invites nobody
    elif moved and meeting.state == MeetingState.SCHEDULED:
        meeting.sequence += 1
        session.flush()
        _tell(session, meeting, "meeting_updated", base_url)
    session.flush()
    return meeting


def cancel(session: Session, viewer: Viewer, meeting_id: object, base_url: str) -> Meeting:
    """Cancel a scheduled meeting; the contacts get the cancellation (METHOD:CANCEL)."""
    meeting = _editable(session, viewer, meeting_id)
    if meeting.state != MeetingState.SCHEDULED:
        raise MeetingError([_("Only a scheduled meeting can be cancelled.")])
    meeting.state = MeetingState.CANCELLED
    meeting.sequence += 1
    meeting.updated_at = utcnow()
    session.flush()
    _tell(session, meeting, "meeting_cancelled", base_url)
    return meeting


def add_action(
    session: Session, viewer: Viewer, meeting_id: object, text: object, owner: object, due: object
) -> ActionItem:
    meeting = _editable(session, viewer, meeting_id)
    problems = []
    words = str(text or "").strip()
    if not words or len(words) > 500:
        problems.append(_("Say what is to be done (up to 500 characters)."))
    if owner not in set(ActionOwner):
        problems.append(_("Choose who does it."))
    try:
        due_date = dt.date.fromisoformat(str(due))
    except ValueError:
        due_date = None
        problems.append(_("Choose the due date."))
    if problems:
        raise MeetingError(problems)
    assert due_date is not None
    item = ActionItem(
        meeting_id=meeting.id,
        customer_id=meeting.customer_id,
        text=words,
        owner=str(owner),
        due_date=due_date,
    )
    session.add(item)
    session.flush()
    return item


def set_done(session: Session, viewer: Viewer, action_id: object, done: bool) -> ActionItem:
    """Mark an action item done (or open again): planners of its customer only."""
    access.require(viewer, *PLANNERS)
    try:
        wanted = int(str(action_id))
    except ValueError:
        raise NotFound(action_id) from None
    item = session.scalars(
        access.restrict(select(ActionItem).where(ActionItem.id == wanted), viewer)
    ).one_or_none()
    if item is None:
        raise NotFound(action_id)
    item.done_at = (item.done_at or utcnow()) if done else None
    session.flush()
    return item


# --- messages --------------------------------------------------------------------------------


def ics_path(meeting: Meeting) -> str:
    return f"/download/meeting/{meeting.id}.ics"


def facts(meeting: Meeting, customer: Customer, manager: User | None, link: str) -> dict[str, str]:
    """What the meeting messages say, in the active language."""
    return {
        "customer": customer.name,
        "company": _(COMPANY.name),
        "manager": manager.full_name or manager.email if manager else _("the lounge team"),
        "when": when(meeting),
        "where": meeting.place or meeting.video_link,
        "agenda": meeting.agenda or "–",
        "ics": link + ics_path(meeting),
    }


def when(meeting: Meeting) -> str:
    """The meeting's day and local time, e.g. "Sunday, December 6, 2026, 10:00"."""
    return when_local(meeting.starts_at)


def when_local(instant: dt.datetime) -> str:
    start = local(instant)
    return f"{i18n.format_date(start.date(), 'full')}, {start:%H:%M}"


def default_start(today: dt.date) -> dt.datetime:
    """Where a meeting form starts when there is no proposal: the next meeting day at 10:00."""
    return dt.datetime.combine(propose_days(today, set(), 1)[0], PROPOSED_TIME, TIMEZONE)


def _tell(session: Session, meeting: Meeting, kind: str, base_url: str) -> None:
    """Write the message of ``kind`` to each of the customer's contacts (service topic)."""
    customer = session.get(Customer, meeting.customer_id)
    assert customer is not None
    manager = session.get(User, meeting.organiser_id) if meeting.organiser_id else None
    link = base_url.rstrip("/")
    messages: list[Message] = []
    for contact in session.scalars(
        select(Contact)
        .where(Contact.customer_id == meeting.customer_id)
        .options(selectinload(Contact.channels))
        .order_by(Contact.id)
    ):
        language = language_for(kind, contact.language)
        with i18n.use(language):
            filled = facts(meeting, customer, manager, link)
        text = render(kind, language, filled | {"name": contact.name})
        source = f"meeting:{meeting.id}:{meeting.sequence}"
        calendar_link = link + ics_path(meeting)
        messages.extend(
            fanout.to_contact(contact, text, Topic.SERVICE, kind, source, calendar_link)
        )
    outbox.enqueue(session, messages)


# --- calendar --------------------------------------------------------------------------------


def ics(session: Session, viewer: Viewer, meeting_id: object) -> bytes:
    """The meeting as an iCalendar file the viewer may have (its customer's or its planner's)."""
    meeting = get_meeting(session, viewer, meeting_id)
    organiser = session.get(User, meeting.organiser_id) if meeting.organiser_id else None
    return calendar_file(meeting, customer_name(session, meeting), organiser)


def calendar_file(meeting: Meeting, customer_name: str, organiser: User | None) -> bytes:
    """RFC 5545 text of one meeting, its time in Asia/Jerusalem with the zone's VTIMEZONE."""
    cancelled = meeting.state == MeetingState.CANCELLED
    cal = icalendar.Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("method", "CANCEL" if cancelled else "REQUEST")
    event = icalendar.Event()
    start = local(meeting.starts_at)
    event.add("uid", meeting.uid)
    event.add("sequence", meeting.sequence)
    event.add("dtstamp", meeting.updated_at.astimezone(dt.UTC))
    event.add("dtstart", start)
    event.add("dtend", start + dt.timedelta(minutes=meeting.duration_minutes))
    event.add("summary", f"{COMPANY.name} · {customer_name}")
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    if meeting.place:
        event.add("location", meeting.place)
    if meeting.video_link:
        event.add("url", meeting.video_link)
        if not meeting.place:
            event.add("location", meeting.video_link)
    if meeting.agenda:
        event.add("description", meeting.agenda)
    # an invitation (REQUEST) and its cancellation need an organiser: the manager, else the lounge
    event.add(
        "organizer",
        f"mailto:{organiser.email if organiser else COMPANY.email}",
        parameters={"CN": organiser.full_name or organiser.email if organiser else COMPANY.name},
    )
    for contact in meeting.contacts:
        if contact.email:
            event.add("attendee", f"mailto:{contact.email}", parameters={"CN": contact.name})
    cal.add_component(event)
    cal.add_missing_timezones(
        first_date=dt.date(start.year - 1, 1, 1), last_date=dt.date(start.year + 2, 1, 1)
    )
    return cal.to_ical()
