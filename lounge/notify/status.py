"""What staff see of the outbox: every message of the customers they serve, and how it went.

Per message and recipient: queued, sending, sent, delivered (where the channel reports it),
failed with the reason, and how many attempts it took. In-app messages addressed to staff users
are the users' own business and stay in their inboxes; this view lists what reached customers.
"""

from __future__ import annotations

import datetime as dt
from typing import TypeVarTuple

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from db.models import Channel, Customer, Notification, User, VipEvent
from lounge import access, i18n
from lounge.access import Viewer
from lounge.notify import demand, membership, service
from lounge.notify.letters import STAFF
from lounge.notify.templates import TEMPLATES, Rendered, language_for, render

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


def sample_facts(kind: str, language: str) -> dict[str, str]:
    """A preview's facts, made by the same code as a real message's, in ``language``."""
    name, customer, manager = SAMPLE_PEOPLE.get(language, SAMPLE_PEOPLE["en"])
    if kind in service.KINDS_OF_MESSAGE:
        return service.sample_facts(kind, language, name, customer)
    if kind in demand.KINDS_OF_MESSAGE:
        return demand.sample_facts(kind, language, name, customer)
    event = SAMPLE_EVENTS["exit" if kind in EXITS else "enter"]
    with i18n.use(language):
        filled = membership.facts(
            event, Customer(name=customer), User(full_name=manager), "https://lounge.example"
        )
    return filled | {"name": name}


def _to_customers(query: Select[*Columns], viewer: Viewer) -> Select[*Columns]:
    """``query`` narrowed to messages for customers the viewer serves (staff only)."""
    access.require(viewer, *STAFF)
    return query.join(Customer, Customer.id == Notification.customer_id).where(
        access.customer_scope(viewer), Notification.channel != Channel.IN_APP
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
