"""A customer's card: who they are and who looks after them."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db.models import Contact, ManagerAssignment, Site, User
from lounge import access
from lounge.access import Viewer


@dataclass(frozen=True)
class Profile:
    customer_id: str
    name: str
    tax_id: str
    segment: str | None
    language: str
    sites: int
    contacts: int
    manager_name: str | None
    manager_email: str | None


def profile(session: Session, viewer: Viewer, customer_id: object) -> Profile:
    customer = access.get_customer(session, viewer, customer_id)
    manager = session.execute(
        select(User.full_name, User.email)
        .join(ManagerAssignment, ManagerAssignment.manager_id == User.id)
        .where(ManagerAssignment.customer_id == customer.id)
    ).first()
    sites = session.scalar(select(func.count()).where(Site.customer_id == customer.id)) or 0
    contacts = session.scalar(select(func.count()).where(Contact.customer_id == customer.id)) or 0
    return Profile(
        customer_id=customer.id,
        name=customer.name,
        tax_id=customer.tax_id,
        segment=customer.segment,
        language=customer.language,
        sites=sites,
        contacts=contacts,
        manager_name=(manager[0] or manager[1]) if manager else None,
        manager_email=manager[1] if manager else None,
    )
