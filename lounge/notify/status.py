"""What staff see of the outbox: every message of the customers they serve, and how it went.

Per message and recipient: queued, sending, sent, delivered (where the channel reports it),
failed with the reason, and how many attempts it took. In-app messages addressed to staff users
are the users' own business and stay in their inboxes; this view lists what reached customers.
"""

from __future__ import annotations

from typing import TypeVarTuple

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from db.models import Channel, Customer, Notification, Role
from lounge import access
from lounge.access import Viewer
from lounge.notify.letters import STAFF
from lounge.notify.templates import TEMPLATES, Rendered, language_for, render

Columns = TypeVarTuple("Columns")

#: Facts a template preview is filled with (realistic, invented).
SAMPLE_FACTS = {
    "name": "Dana Cohen",
    "customer": "Ofek Industries Ltd.",
    "company": "Lounge Electric Company Ltd.",
    "manager": "Avi Levi",
    "reason": "one site used at least 1,000,000 kWh",
    "figure": "1,234,567 kWh",
    "window_end": "30 Nov 2026",
    "effective": "1 Dec 2026",
    "total": "4,321,000 kWh",
    "largest": "987,654 kWh",
    "site_threshold": "1,000,000 kWh",
    "total_threshold": "5,000,000 kWh",
    "gap": "12,346 kWh",
    "link": "https://lounge.example",
}


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
    access.require(viewer, *STAFF, Role.ADMIN)
    if kind not in TEMPLATES:
        raise access.NotFound(kind)
    return render(kind, language_for(kind, language), SAMPLE_FACTS)
