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

from db.models import Channel, Customer, Notification, Role
from lounge import access, i18n
from lounge.access import Viewer
from lounge.classification import SITE_THRESHOLD_WH, TOTAL_THRESHOLD_WH
from lounge.company import COMPANY
from lounge.i18n import _
from lounge.labels import RULES, label
from lounge.notify.letters import STAFF
from lounge.notify.templates import TEMPLATES, Rendered, language_for, render

Columns = TypeVarTuple("Columns")

#: Who a template preview is addressed to, in each language (invented, realistic).
SAMPLE_PEOPLE = {
    "en": {"name": "Dana Cohen", "customer": "Ofek Industries Ltd.", "manager": "Avi Levi"},
    "he": {"name": "דנה כהן", "customer": "אופק תעשיות בע״מ", "manager": "אבי לוי"},
}


def sample_facts(language: str) -> dict[str, str]:
    """The facts a preview is filled with, written as that language writes them."""
    with i18n.use(language):
        return SAMPLE_PEOPLE.get(language, SAMPLE_PEOPLE["en"]) | {
            "company": _(COMPANY.name),
            "reason": label(RULES, "site"),
            "figure": i18n.format_kwh(1_234_567_000),
            "window_end": i18n.format_date(dt.date(2026, 11, 30)),
            "effective": i18n.format_date(dt.date(2026, 12, 1)),
            "total": i18n.format_kwh(4_321_000_000),
            "largest": i18n.format_kwh(987_654_000),
            "site_threshold": i18n.format_kwh(SITE_THRESHOLD_WH),
            "total_threshold": i18n.format_kwh(TOTAL_THRESHOLD_WH),
            "gap": i18n.format_kwh(12_346_000),
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
    used = language_for(kind, language)
    return render(kind, used, sample_facts(used))
