"""What a manager sees of one customer beyond what the client sees: notes and one timeline.

Notes are the staff's (author and time kept; the client never reads them). The timeline puts
together, newest first, the messages sent to the customer's contacts, its meetings, its requests'
opening and changes of state, notices (none until they exist), its entries and exits, and its
changes of manager. Only the customer's manager and admins read either.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import (
    AssignmentHistory,
    Channel,
    CustomerNote,
    Meeting,
    Notification,
    RequestEvent,
    ServiceRequest,
    Survey,
    SurveySubject,
    User,
    VipEvent,
    utcnow,
)
from lounge import access, assignment, localtime
from lounge.access import Viewer
from lounge.i18n import _, ngettext
from lounge.labels import CHANNELS, EVENTS, MEETING_STATES, label
from lounge.notify import service
from lounge.requests.kinds import KINDS, STATES

#: Who reads and writes notes and the timeline: the customer's manager, admins.
ROLES = access.PORTFOLIO_ROLES
NOTE_MAX = 4000
#: How many lines the timeline shows at most (newest first).
TIMELINE_LIMIT = 200


class NoteError(ValueError):
    """A note that cannot be saved (empty or too long)."""


@dataclass(frozen=True)
class Entry:
    """One line of the timeline."""

    at: dt.datetime
    #: contact, meeting, request, survey, membership, assignment
    kind: str
    title: str
    detail: str
    href: str | None = None


def notes(session: Session, viewer: Viewer, customer_id: object) -> list[CustomerNote]:
    """The customer's notes, newest first."""
    access.require(viewer, *ROLES)
    customer = access.get_customer(session, viewer, customer_id)
    return list(
        session.scalars(
            select(CustomerNote)
            .where(CustomerNote.customer_id == customer.id)
            .order_by(CustomerNote.at.desc(), CustomerNote.id.desc())
        )
    )


def add_note(session: Session, viewer: Viewer, customer_id: object, text: object) -> CustomerNote:
    """Write a note on the customer in the viewer's name."""
    access.require(viewer, *ROLES)
    customer = access.get_customer(session, viewer, customer_id)
    body = text.strip() if isinstance(text, str) else ""
    if not body:
        raise NoteError(_("Write the note first."))
    if len(body) > NOTE_MAX:
        raise NoteError(_("A note holds at most {count} characters.").format(count=NOTE_MAX))
    author = session.get(User, viewer.user_id)
    note = CustomerNote(
        customer_id=customer.id,
        author_id=author.id if author else None,
        author_name=(author.full_name or author.email) if author else viewer.email,
        text=body,
        at=utcnow(),
    )
    session.add(note)
    session.flush()
    return note


def _day_start(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), localtime.TIMEZONE)


def timeline(session: Session, viewer: Viewer, customer_id: object) -> list[Entry]:
    """The customer's contacts, meetings, requests, answered surveys, membership events and
    changes of manager, newest first: one query per kind."""
    access.require(viewer, *ROLES)
    customer = access.get_customer(session, viewer, customer_id)
    entries: list[Entry] = []
    sent: dict[tuple[str, str], list[Notification]] = {}
    for message in session.scalars(
        select(Notification)
        .where(Notification.customer_id == customer.id, Notification.channel != Channel.IN_APP)
        .order_by(Notification.id.desc())
        .limit(TIMELINE_LIMIT * 4)
    ):
        sent.setdefault((message.source, message.kind), []).append(message)
    for group in sent.values():  # one line per message, whoever and however it reached
        first = group[-1]
        reached = sorted({label(CHANNELS, m.channel) for m in group})
        entries.append(
            Entry(
                first.sent_at or first.created_at,
                "contact",
                first.subject,
                ngettext("{count} recipient", "{count} recipients", len(group)).format(
                    count=len(group)
                )
                + " · "
                + ", ".join(reached),
            )
        )
    for meeting in session.scalars(
        select(Meeting).where(Meeting.customer_id == customer.id).order_by(Meeting.starts_at)
    ):
        entries.append(
            Entry(
                meeting.starts_at,
                "meeting",
                _("Meeting ({state})").format(state=label(MEETING_STATES, meeting.state)),
                meeting.place or meeting.video_link,
                f"/meeting?id={meeting.id}",
            )
        )
    for event, request in session.execute(
        select(RequestEvent, ServiceRequest)
        .join(ServiceRequest, ServiceRequest.id == RequestEvent.request_id)
        .where(ServiceRequest.customer_id == customer.id, RequestEvent.state.is_not(None))
        .order_by(RequestEvent.at)
    ).all():
        entries.append(
            Entry(
                event.at,
                "request",
                f"{service.number(request.id)} {_(KINDS[request.kind].label)}: {request.subject}",
                f"{label(STATES, event.state)} · {event.actor_name}",
                f"/requests/{request.id}",
            )
        )
    for vip in session.scalars(select(VipEvent).where(VipEvent.customer_id == customer.id)):
        entries.append(
            Entry(_day_start(vip.effective_date), "membership", label(EVENTS, vip.event), "")
        )
    for survey in session.scalars(
        select(Survey).where(Survey.customer_id == customer.id, Survey.answered_at.is_not(None))
    ):
        entries.append(
            Entry(
                survey.answered_at or survey.sent_at,
                "survey",
                (
                    _("Survey after a meeting: {score} of 5")
                    if survey.subject == SurveySubject.MEETING
                    else _("Survey after a request: {score} of 5")
                ).format(score=survey.score),
                survey.comment,
                f"/meeting?id={survey.subject_id}"
                if survey.subject == SurveySubject.MEETING
                else f"/requests/{survey.subject_id}",
            )
        )
    changes = session.scalars(
        select(AssignmentHistory).where(AssignmentHistory.customer_id == customer.id)
    ).all()
    names = assignment.names(session, [c.manager_id for c in changes])
    for change in changes:
        entries.append(
            Entry(
                change.at,
                "assignment",
                _("Account manager: {name}").format(name=names.get(change.manager_id, "")),
                change.actor,
            )
        )
    entries.sort(key=lambda e: e.at, reverse=True)
    return entries[:TIMELINE_LIMIT]
