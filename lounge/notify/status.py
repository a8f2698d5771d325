"""What staff see of the outbox: every message of the customers they serve, and how it went.

Per message and recipient: queued, sending, sent, delivered (where the channel reports it),
failed with the reason, and how many attempts it took. In-app messages addressed to staff users
are the users' own business and stay in their inboxes; this view lists what reached customers.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TypeVarTuple

from sqlalchemy import Select, exists, func, or_, select
from sqlalchemy.orm import Session

from db.models import (
    Channel,
    Contact,
    Customer,
    Meeting,
    Notification,
    NotificationStep,
    User,
    VipEvent,
)
from lounge import access, i18n, meetings
from lounge.access import Viewer
from lounge.notify import (
    assignment,
    attachments,
    contacts,
    demand,
    letters,
    membership,
    service,
)
from lounge.notify.letters import STAFF
from lounge.notify.templates import TEMPLATES, Rendered, language_for, render
from lounge.surveys import invitations

Columns = TypeVarTuple("Columns")

#: Who a template preview is addressed to, in each language (invented, realistic).
SAMPLE_PEOPLE = {
    "en": ("Dana Cohen", "Ofek Industries Ltd.", "Avi Levi"),
    "he": ("דנה כהן", "אופק תעשיות בע״מ", "אבי לוי"),
}
#: What a preview describes, in the year to 30 Nov 2026: an entry by a site of 1,234,567 kWh,
#: or an exit 12,346 kWh short of the site rule.
SAMPLE_EVENTS = {
    event: VipEvent(
        event=event,
        rule="site",
        effective_date=dt.date(2026, 12, 1),
        window_end=dt.date(2026, 12, 1),
        window_wh=4_321_000_000,
        max_site_wh=site_wh,
    )
    for event, site_wh in (("enter", 1_234_567_000), ("exit", 987_654_000))
}
EXITS = ("farewell", "manager_exited")
#: The meeting a meeting message's preview is about.
SAMPLE_MEETING = Meeting(
    id=1,
    starts_at=dt.datetime(2026, 12, 6, 8, 0, tzinfo=dt.UTC),
    place="",
    video_link="https://meet.example/lounge",
    agenda="",
)


def sample_facts(kind: str, language: str) -> dict[str, str]:
    """A preview's facts, made by the same code as a real message's, in ``language``."""
    name, customer, manager = SAMPLE_PEOPLE.get(language, SAMPLE_PEOPLE["en"])
    if kind in service.KINDS_OF_MESSAGE:
        return service.sample_facts(kind, language, name, customer)
    if kind in assignment.KINDS_OF_MESSAGE:
        return assignment.sample_facts(kind, language, name, customer, manager)
    if kind in demand.KINDS_OF_MESSAGE:
        return demand.sample_facts(kind, language, name, customer)
    if kind in invitations.KINDS_OF_MESSAGE:
        return invitations.sample_facts(kind, language, name, customer)
    event = SAMPLE_EVENTS["exit" if kind in EXITS else "enter"]
    people = Customer(name=customer), User(full_name=manager), "https://lounge.example"
    with i18n.use(language):
        if kind.startswith("meeting_"):
            filled = meetings.facts(SAMPLE_MEETING, *people)
        else:
            filled = membership.facts(event, *people)
    return filled | {"name": name}


def _to_customers(query: Select[*Columns], viewer: Viewer) -> Select[*Columns]:
    """``query`` narrowed to messages for customers the viewer serves (staff only): to their
    contacts and to their own users' inboxes, not to staff's."""
    access.require(viewer, *STAFF)
    customers_user = exists().where(
        User.id == Notification.user_id, User.customer_id == Notification.customer_id
    )
    return query.join(Customer, Customer.id == Notification.customer_id).where(
        access.customer_scope(viewer),
        or_(Notification.channel != Channel.IN_APP, customers_user),
    )


def messages(
    session: Session,
    viewer: Viewer,
    *,
    status: str | None = None,
    channel: str | None = None,
    limit: int = 1000,
) -> list[tuple[Notification, str]]:
    """Newest first, with the customer's name; ``status`` and ``channel`` narrow the list."""
    query = _to_customers(select(Notification, Customer.name), viewer)
    if status:
        query = query.where(Notification.status == status)
    if channel:
        query = query.where(Notification.channel == channel)
    query = query.order_by(Notification.id.desc()).limit(limit)
    return [(message, name) for message, name in session.execute(query).all()]


def counts(session: Session, viewer: Viewer) -> dict[str, int]:
    """How many messages stand in each status (the tiles above the list)."""
    query = _to_customers(select(Notification.status, func.count()), viewer)
    return {status: count for status, count in session.execute(query.group_by(Notification.status))}


def preview(viewer: Viewer, kind: str, language: str) -> Rendered:
    """``kind`` as a reader of ``language`` would get it, filled with sample facts."""
    access.require(viewer, *STAFF)
    if kind not in TEMPLATES:
        raise access.NotFound(kind)
    used = language_for(kind, language)
    return render(kind, used, sample_facts(kind, used))


@dataclass(frozen=True)
class MessageDetail:
    """One message as staff read it: where it went, every step it took, what it said."""

    message: Notification
    customer: str
    steps: list[NotificationStep]
    contact: Contact | None
    #: The viewer may change the contact (:data:`lounge.notify.contacts.EDITORS`).
    may_edit_contact: bool
    #: A PDF to download: the letter itself, or the e-mail's attachment.
    has_pdf: bool


def _one(session: Session, viewer: Viewer, notification_id: object) -> tuple[Notification, str]:
    try:
        wanted = int(str(notification_id))
    except ValueError:
        raise access.NotFound(notification_id) from None
    query = _to_customers(select(Notification, Customer.name), viewer)
    found = session.execute(query.where(Notification.id == wanted)).first()
    if found is None:
        raise access.NotFound(notification_id)
    return found[0], found[1]


def detail(session: Session, viewer: Viewer, notification_id: object) -> MessageDetail:
    """Message ``notification_id`` of a customer the viewer serves (else not found)."""
    message, customer = _one(session, viewer, notification_id)
    steps = session.scalars(
        select(NotificationStep)
        .where(NotificationStep.notification_id == message.id)
        .order_by(NotificationStep.at, NotificationStep.id)
    ).all()
    contact = session.get(Contact, message.contact_id) if message.contact_id else None
    return MessageDetail(
        message=message,
        customer=customer,
        steps=list(steps),
        contact=contact,
        may_edit_contact=contact is not None and viewer.role in contacts.EDITORS,
        has_pdf=message.channel == Channel.POST or message.attachment is not None,
    )


def pdf(session: Session, viewer: Viewer, notification_id: object) -> tuple[bytes, str]:
    """The PDF of message ``notification_id`` and its file name: the letter as printed, or the
    attachment the e-mail carries."""
    message, _customer = _one(session, viewer, notification_id)
    if message.channel == Channel.POST:
        return letters.letters_pdf([message]), f"letter-N-{message.id}.pdf"
    attachment = attachments.render(message)
    if attachment is None:
        raise access.NotFound(notification_id)
    return attachment.content, f"N-{message.id}-{attachment.filename}"
