"""The VIP fault desk: every open fault, lounge members' first, each with what the desk needs to
act on it at once: the site, its contract, its recent load, the account manager and the contacts.

The desk sees faults only (:func:`lounge.access.visible_requests`), and of the customer only what
a fault needs: no invoices, payments or debts, no other kind of request.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import (
    ConsumptionDaily,
    ConsumptionMonthly,
    Contact,
    Contract,
    ManagerAssignment,
    RequestKind,
    Role,
    Site,
    User,
)
from lounge import access
from lounge.access import NotFound, Viewer
from lounge.requests import workflow
from lounge.requests.workflow import Listed

#: Who works the queue.
DESK_ROLES = (Role.FAULT_DESK, Role.ADMIN)
#: Days of load shown (the latest days with interval data).
LOAD_DAYS = 7


@dataclass(frozen=True)
class Load:
    """Energy of one day (peak demand known) or one month (billing reads: no peak)."""

    period: dt.date
    wh: int
    peak_w: int | None
    monthly: bool


@dataclass(frozen=True)
class FaultCard:
    listed: Listed
    site: Site | None
    contract: Contract | None
    load: list[Load]
    manager: User | None
    contacts: list[Contact]


def queue(session: Session, viewer: Viewer, today: dt.date) -> list[Listed]:
    """Open faults: members' first, then the oldest first within each group."""
    access.require(viewer, *DESK_ROLES)
    faults = workflow.requests(session, viewer, today, state="open", kind=RequestKind.FAULT)
    return sorted(faults, key=lambda f: (not f.request.priority, f.request.opened_at))


def _load(session: Session, site_id: str) -> list[Load]:
    days = session.execute(
        select(ConsumptionDaily.day, ConsumptionDaily.wh, ConsumptionDaily.peak_w)
        .where(ConsumptionDaily.site_id == site_id)
        .order_by(ConsumptionDaily.day.desc())
        .limit(LOAD_DAYS)
    ).all()
    if days:
        return [Load(day, wh, peak, False) for day, wh, peak in reversed(days)]
    months = session.execute(
        select(ConsumptionMonthly.month, ConsumptionMonthly.wh)
        .where(ConsumptionMonthly.site_id == site_id)
        .order_by(ConsumptionMonthly.month.desc())
        .limit(3)
    ).all()
    return [Load(month, wh, None, True) for month, wh in reversed(months)]


def card(session: Session, viewer: Viewer, request_id: object, today: dt.date) -> FaultCard:
    """What the desk sees of one fault; any other kind of request is not found."""
    access.require(viewer, *access.REQUEST_STAFF_ROLES)
    request = workflow.get_request(session, viewer, request_id)
    if request.kind != RequestKind.FAULT:
        raise NotFound(request_id)
    site = session.get(Site, request.site_id) if request.site_id else None
    contract = None
    if site is not None:
        contract = session.scalar(
            select(Contract)
            .where(
                Contract.site_id == site.id,
                Contract.start_date <= today,
                (Contract.end_date.is_(None)) | (Contract.end_date >= today),
            )
            .order_by(Contract.start_date.desc())
        )
    manager = session.scalar(
        select(User)
        .join(ManagerAssignment, ManagerAssignment.manager_id == User.id)
        .where(ManagerAssignment.customer_id == request.customer_id)
    )
    contacts = list(
        session.scalars(
            select(Contact)
            .where(Contact.customer_id == request.customer_id)
            .order_by(Contact.name, Contact.id)
        )
    )
    customer_name = site.customer.name if site else request.customer_id
    listed = Listed(
        request,
        customer_name,
        site.name if site else "",
        workflow.sla.status(request, today),
    )
    return FaultCard(
        listed, site, contract, _load(session, site.id) if site else [], manager, contacts
    )
