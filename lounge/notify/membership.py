"""Entry and exit: the messages a classification run writes for the events it recorded.

The customer's contacts hear on the channels they chose for membership news, each in their own
language; the account manager is told in the lounge. Messages are written for the events of one
run only, in that run's transaction, so running the classification again (which records no new
event) sends nothing again.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from db.models import (
    Contact,
    Customer,
    ManagerAssignment,
    Notification,
    Role,
    Topic,
    User,
    VipEvent,
)
from lounge import i18n, labels
from lounge.classification import SITE_THRESHOLD_WH, TOTAL_THRESHOLD_WH
from lounge.company import COMPANY
from lounge.i18n import _
from lounge.notify import attachments, fanout, outbox
from lounge.notify.outbox import Message
from lounge.notify.templates import Rendered, language_for, render


def facts(event: VipEvent, customer: Customer, manager: User | None, link: str) -> dict[str, str]:
    """The figures of ``event`` as the active language writes them."""
    gap = min(SITE_THRESHOLD_WH - event.max_site_wh, TOTAL_THRESHOLD_WH - event.window_wh)
    largest = i18n.format_kwh(event.max_site_wh)
    return {
        "customer": customer.name,
        "company": _(COMPANY.name),
        "manager": manager.full_name or manager.email if manager else _("the lounge team"),
        "reason": labels.label(labels.RULES, event.rule),
        "figure": largest if event.rule == "site" else i18n.format_kwh(event.window_wh),
        # the window's end is stored exclusive (the first day after it)
        "window_end": i18n.format_date(event.window_end - dt.timedelta(days=1)),
        "effective": i18n.format_date(event.effective_date),
        "total": i18n.format_kwh(event.window_wh),
        "largest": largest,
        "site_threshold": i18n.format_kwh(SITE_THRESHOLD_WH),
        "total_threshold": i18n.format_kwh(TOTAL_THRESHOLD_WH),
        "gap": i18n.format_kwh(max(gap, 0)),
        "link": link,
    }


def _facts_in(
    kind: str, wanted: str, event: VipEvent, customer: Customer, manager: User | None, link: str
) -> tuple[str, dict[str, str]]:
    """The language ``kind`` goes out in to a reader of ``wanted`` (English if that one is not
    whole), and the facts of ``event`` written in it."""
    language = language_for(kind, wanted)
    with i18n.use(language):
        return language, facts(event, customer, manager, link)


def _rendered(
    kind: str,
    wanted: str,
    name: str,
    event: VipEvent,
    customer: Customer,
    manager: User | None,
    link: str,
) -> Rendered:
    """``kind`` for ``event`` in the reader's language (English if that one is not whole)."""
    language, filled = _facts_in(kind, wanted, event, customer, manager, link)
    return render(kind, language, filled | {"name": name})


def _in_app(
    kind: str, user: User, event: VipEvent, customer: Customer, manager: User | None, link: str
) -> Message:
    note = _rendered(kind, user.language, fanout.user_name(user), event, customer, manager, link)
    path = f"/customer/{customer.id}" if user.role == Role.ACCOUNT_MANAGER else "/overview"
    return fanout.to_user(
        user, note, Topic.MEMBERSHIP, kind, f"vip_event:{event.id}", path, customer.id
    )


def _contact_messages(
    event: VipEvent, contact: Contact, customer: Customer, manager: User | None, link: str
) -> list[Message]:
    kind = "welcome" if event.event == "enter" else "farewell"
    language, filled = _facts_in(kind, contact.language, event, customer, manager, link)
    text = render(kind, language, filled | {"name": contact.name})
    # the e-mail carries "membership and why" as a PDF (a letter says it in full)
    attachment = attachments.attach("membership", filled)
    return fanout.to_contact(
        contact, text, Topic.MEMBERSHIP, kind, f"vip_event:{event.id}", link, attachment
    )


def _last_told(session: Session, customer_ids: set[str]) -> dict[str, str]:
    """What each customer was last told of its membership ("welcome" or "farewell")."""
    told = session.execute(
        select(Notification.customer_id, Notification.kind)
        .where(
            Notification.customer_id.in_(customer_ids),
            Notification.kind.in_(("welcome", "farewell")),
        )
        .order_by(Notification.id)
    ).all()
    return {customer_id or "": kind for customer_id, kind in told}


def _news(session: Session, since_run_id: int) -> list[VipEvent]:
    """The events of run ``since_run_id`` and the runs after it, less those that would tell a
    customer again what it was last told: a backdated run replays later dates and records their
    events anew, and those were announced when they first happened."""
    events = session.scalars(
        select(VipEvent)
        .where(VipEvent.run_id >= since_run_id)
        .order_by(VipEvent.effective_date, VipEvent.id)
    ).all()
    told = _last_told(session, {event.customer_id for event in events})
    news = []
    for event in events:
        kind = "welcome" if event.event == "enter" else "farewell"
        if told.get(event.customer_id) != kind:
            news.append(event)
            told[event.customer_id] = kind
    return news


def announce(session: Session, since_run_id: int, base_url: str) -> int:
    """Write the messages of the events recorded from run ``since_run_id`` on (a run and the
    later dates it replayed); returns how many."""
    events = _news(session, since_run_id)
    if not events:
        return 0
    customer_ids = {event.customer_id for event in events}
    customers = {
        c.id: c for c in session.scalars(select(Customer).where(Customer.id.in_(customer_ids)))
    }
    managers = dict(
        session.execute(
            select(ManagerAssignment.customer_id, User)
            .join(User, User.id == ManagerAssignment.manager_id)
            .where(ManagerAssignment.customer_id.in_(customer_ids))
        ).all()
    )
    contacts: dict[str, list[Contact]] = {}
    for contact in session.scalars(
        select(Contact)
        .where(Contact.customer_id.in_(customer_ids))
        .options(selectinload(Contact.channels))
        .order_by(Contact.id)
    ):
        contacts.setdefault(contact.customer_id, []).append(contact)
    clients: dict[str, list[User]] = {}
    for user in session.scalars(
        select(User).where(User.customer_id.in_(customer_ids), User.is_active).order_by(User.id)
    ):
        clients.setdefault(user.customer_id or "", []).append(user)
    link = base_url.rstrip("/")
    messages: list[Message] = []
    for event in events:
        customer, manager = customers[event.customer_id], managers.get(event.customer_id)
        for contact in contacts.get(event.customer_id, []):
            messages.extend(_contact_messages(event, contact, customer, manager, link))
        entered = event.event == "enter"
        for user in clients.get(event.customer_id, []):
            kind = "welcome" if entered else "farewell"
            messages.append(_in_app(kind, user, event, customer, manager, link))
        if manager is not None:
            kind = "manager_entered" if entered else "manager_exited"
            messages.append(_in_app(kind, manager, event, customer, manager, link))
    return outbox.enqueue(session, messages)
