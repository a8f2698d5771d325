"""What the portfolio shows of each customer beyond its membership: open debt, open requests,
last and next meeting, main contact. One query per kind for the whole portfolio, never one per
customer; each through the access rule."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db.models import Contact, ContactRole, Meeting, MeetingState, ServiceRequest
from lounge import access, billing, localtime
from lounge.access import Viewer
from lounge.requests.kinds import OPEN_STATES

#: Which contact is the main one: the first of these roles the customer has, else its first.
MAIN_ROLES = (ContactRole.OWNER, ContactRole.ENERGY_MANAGER, ContactRole.FINANCE)


@dataclass(frozen=True)
class Extras:
    open_debt: Decimal = billing.ZERO
    open_requests: int = 0
    last_meeting: dt.date | None = None
    next_meeting: dt.date | None = None
    main_contact: str = ""


def _meetings(
    session: Session, viewer: Viewer, today: dt.date
) -> dict[str, tuple[dt.date | None, dt.date | None]]:
    start = dt.datetime.combine(today, dt.time(), localtime.TIMEZONE)
    found: dict[str, list[dt.date | None]] = {}
    for customer_id, state, first, last in session.execute(
        access.restrict(
            select(
                Meeting.customer_id,
                Meeting.state,
                func.min(Meeting.starts_at),
                func.max(Meeting.starts_at),
            )
            .where(
                (Meeting.state == MeetingState.HELD)
                | ((Meeting.state == MeetingState.SCHEDULED) & (Meeting.starts_at >= start))
            )
            .group_by(Meeting.customer_id, Meeting.state),
            viewer,
        )
    ):
        pair = found.setdefault(customer_id, [None, None])
        if state == MeetingState.HELD:
            pair[0] = localtime.local_day(last)
        else:
            pair[1] = localtime.local_day(first)
    return {key: (pair[0], pair[1]) for key, pair in found.items()}


def _main_contacts(session: Session, viewer: Viewer) -> dict[str, str]:
    rank = {str(role): i for i, role in enumerate(MAIN_ROLES)}
    best: dict[str, tuple[int, int, str]] = {}
    for customer_id, contact_id, name, role in session.execute(
        access.restrict(select(Contact.customer_id, Contact.id, Contact.name, Contact.role), viewer)
    ):
        key = (rank.get(role, len(rank)), contact_id, name)
        if customer_id not in best or key < best[customer_id]:
            best[customer_id] = key
    return {customer_id: key[2] for customer_id, key in best.items()}


def extras(session: Session, viewer: Viewer, today: dt.date) -> dict[str, Extras]:
    """Each visible customer's extras (a customer without any is absent: :class:`Extras()`)."""
    access.require(viewer, *access.PORTFOLIO_ROLES)
    debts = {
        t.customer_id: t.aging.open for t in billing.debts(session, viewer, as_of=today).by_customer
    }
    requests = dict(
        session.execute(
            access.restrict(
                select(ServiceRequest.customer_id, func.count())
                .where(ServiceRequest.state.in_(OPEN_STATES))
                .group_by(ServiceRequest.customer_id),
                viewer,
            )
        ).all()
    )
    meetings = _meetings(session, viewer, today)
    contacts = _main_contacts(session, viewer)
    result = {}
    for customer_id in set(debts) | set(requests) | set(meetings) | set(contacts):
        last, upcoming = meetings.get(customer_id, (None, None))
        result[customer_id] = Extras(
            debts.get(customer_id, billing.ZERO),
            requests.get(customer_id, 0),
            last,
            upcoming,
            contacts.get(customer_id, ""),
        )
    return result
