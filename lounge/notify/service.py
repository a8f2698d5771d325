"""Requests and faults: the messages a change of a request's state writes.

Every change of state (opening included: "received") tells the customer's contacts on the
channels they chose for service messages, each in their own language, and the customer's users
in the lounge. A fault of a lounge member is told at once to the account manager and the fault
desk in the lounge; any other request a client opens, to the account manager. The messages are
written in the transaction of the change (the caller's session), as everything in the outbox.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from db.models import (
    Contact,
    Customer,
    ManagerAssignment,
    Role,
    ServiceRequest,
    Site,
    Topic,
    User,
)
from lounge import i18n, labels
from lounge.company import COMPANY
from lounge.i18n import _
from lounge.notify import fanout, outbox
from lounge.notify.outbox import Message
from lounge.notify.templates import Rendered, language_for, render
from lounge.requests.kinds import KINDS, STATES

#: The templates this module writes (the notifications page previews them too).
KINDS_OF_MESSAGE = ("request_update", "manager_member_fault", "manager_new_request")


def number(request_id: int) -> str:
    """How a request is named to people: R-00042."""
    return f"R-{request_id:05d}"


@dataclass(frozen=True)
class About:
    """What every message about one request says, before it is put in a language."""

    request_id: int
    kind: str
    subtype: str | None
    subject: str
    state: str
    due: dt.date
    customer: str
    site: str
    note: str
    link: str


def facts(about: About) -> dict[str, str]:
    """The facts of ``about`` as the active language writes them."""
    kind = labels.label(KINDS[about.kind].subtypes, about.subtype) if about.subtype else ""
    kind = kind or _(KINDS[about.kind].label)
    return {
        "number": number(about.request_id),
        "kind": kind,
        "subject": about.subject,
        "state": labels.label(STATES, about.state),
        "due": i18n.format_date(about.due),
        "customer": about.customer,
        "site": about.site or "—",
        "company": _(COMPANY.name),
        "note": "\n\n" + _("Note from the lounge: {note}").format(note=about.note)
        if about.note
        else "",
        "link": about.link,
    }


def sample_facts(kind: str, language: str, name: str, customer: str) -> dict[str, str]:
    """A preview's facts: a member's fault at a store, made by the same code as a real one's."""
    about = About(
        42,
        "fault",
        "no_supply",
        "Store 12 has no power" if language == "en" else "אין חשמל בסניף 12",
        "in_progress",
        dt.date(2026, 12, 3),
        customer,
        "Store 12" if language == "en" else "סניף 12",
        "",
        "https://lounge.example/requests/42",
    )
    with i18n.use(language):
        return facts(about) | {"name": name}


def _rendered(kind: str, wanted: str, name: str, about: About) -> Rendered:
    """``kind`` about ``about`` in the reader's language (English if that one is not whole)."""
    language = language_for(kind, wanted)
    with i18n.use(language):
        filled = facts(about) | {"name": name}
    return render(kind, language, filled)


def _about(session: Session, request: ServiceRequest, note: str, base_url: str) -> About:
    customer = session.get(Customer, request.customer_id)
    site = session.get(Site, request.site_id) if request.site_id else None
    return About(
        request.id,
        request.kind,
        request.subtype,
        request.subject,
        request.state,
        request.due_date,
        customer.name if customer else request.customer_id,
        site.name if site else "",
        note,
        f"{base_url.rstrip('/')}/requests/{request.id}",
    )


def _in_app(kind: str, user: User, about: About, source: str, customer_id: str) -> Message:
    text = _rendered(kind, user.language, fanout.user_name(user), about)
    link = f"/requests/{about.request_id}"
    return fanout.to_user(user, text, Topic.SERVICE, kind, source, link, customer_id)


def state_changed(
    session: Session, request: ServiceRequest, event_id: int, note: str, base_url: str
) -> int:
    """Tell the customer's contacts and users that ``request`` entered its current state."""
    about = _about(session, request, note, base_url)
    source = f"request_event:{event_id}"
    messages: list[Message] = []
    contacts = session.scalars(
        select(Contact)
        .where(Contact.customer_id == request.customer_id)
        .options(selectinload(Contact.channels))
        .order_by(Contact.id)
    )
    for contact in contacts:
        text = _rendered("request_update", contact.language, contact.name, about)
        messages.extend(
            fanout.to_contact(contact, text, Topic.SERVICE, "request_update", source, about.link)
        )
    clients = session.scalars(
        select(User)
        .where(User.customer_id == request.customer_id, User.is_active)
        .order_by(User.id)
    )
    for user in clients:
        messages.append(_in_app("request_update", user, about, source, request.customer_id))
    return outbox.enqueue(session, messages)


def opened(
    session: Session, request: ServiceRequest, event_id: int, opener_id: int, base_url: str
) -> int:
    """The messages of a new request: "received" to the customer, and word to the staff."""
    count = state_changed(session, request, event_id, "", base_url)
    about = _about(session, request, "", base_url)
    source = f"request_event:{event_id}"
    manager = session.scalar(
        select(User)
        .join(ManagerAssignment, ManagerAssignment.manager_id == User.id)
        .where(ManagerAssignment.customer_id == request.customer_id)
    )
    staff: list[tuple[str, User]] = []
    if request.priority:
        desk = session.scalars(
            select(User).where(User.role == Role.FAULT_DESK, User.is_active).order_by(User.id)
        )
        staff = [("manager_member_fault", user) for user in [manager, *desk] if user]
    elif manager is not None and manager.id != opener_id:
        staff = [("manager_new_request", manager)]
    messages = [
        _in_app(kind, user, about, source, request.customer_id)
        for kind, user in staff
        if user.is_active
    ]
    return count + outbox.enqueue(session, messages)
