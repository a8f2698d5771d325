"""Who may see what. Every read of customer data takes the viewer.

The rule is written once, in :func:`customer_scope`; every list query goes
through :func:`restrict` (as NetBox restricts a query set to a user) and every
single object is fetched through :func:`get_customer` / :func:`get_site`, so a
page or callback cannot forget the check. A customer the viewer may not see is
reported as not found, never as forbidden, so that ids cannot be probed. What a
role may do at all (the portfolio, the regions) is checked here too, with
:func:`require`, by the domain functions themselves, not by the pages.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeVarTuple

from sqlalchemy import ColumnElement, Select, false, select, true
from sqlalchemy.orm import InstrumentedAttribute, Session

from db.models import Customer, ManagerAssignment, RequestKind, Role, ServiceRequest, Site, User


class AccessDenied(Exception):
    """The viewer's role may not do this at all."""


class NotFound(AccessDenied):
    """No such object, or one the viewer may not see (indistinguishable on purpose)."""


@dataclass(frozen=True)
class Viewer:
    user_id: int
    email: str
    role: Role
    customer_id: str | None = None

    @classmethod
    def of(cls, user: User) -> Viewer:
        return cls(user.id, user.email, Role(user.role), user.customer_id)

    @property
    def is_client(self) -> bool:
        return self.role is Role.CLIENT


#: Roles that see every customer (demand staff need all sites by region).
ALL_CUSTOMER_ROLES = (Role.ADMIN, Role.DEMAND_STAFF)
#: Roles that see a customer's commercial data (contracts, invoices, payments);
#: demand staff work with sites and load, not with money.
COMMERCIAL_ROLES = (Role.CLIENT, Role.ACCOUNT_MANAGER, Role.ADMIN)
#: Roles that list many customers' membership: the portfolio and its export.
PORTFOLIO_ROLES = (Role.ACCOUNT_MANAGER, Role.ADMIN)
#: Roles that see every site by region.
REGION_ROLES = (Role.DEMAND_STAFF, Role.ADMIN)
#: Roles that handle customers' requests (the fault desk only faults: :func:`visible_requests`).
REQUEST_STAFF_ROLES = (Role.ACCOUNT_MANAGER, Role.ADMIN, Role.FAULT_DESK)
#: The command line acts as an administrator.
SYSTEM = Viewer(0, "system", Role.ADMIN)

Columns = TypeVarTuple("Columns")


def customer_scope(
    viewer: Viewer, column: InstrumentedAttribute[str] = Customer.id
) -> ColumnElement[bool]:
    """A condition on a customer id ``column`` true exactly for the customers the viewer may see.

    Clients see their own customer; account managers their portfolio; demand
    staff and admins every customer (demand staff need all sites by region). The fault desk
    sees no customer as such: only faults, through :func:`visible_requests`.
    """
    if viewer.role in ALL_CUSTOMER_ROLES:
        return true()
    if viewer.role is Role.FAULT_DESK:
        return false()
    if viewer.role is Role.ACCOUNT_MANAGER:
        return column.in_(
            select(ManagerAssignment.customer_id).where(
                ManagerAssignment.manager_id == viewer.user_id
            )
        )
    if viewer.customer_id is None:
        return column.is_(None)
    return column == viewer.customer_id


def restrict(statement: Select[*Columns], viewer: Viewer) -> Select[*Columns]:
    """``statement`` narrowed to the rows the viewer may see: the one access rule for lists.

    As NetBox's ``RestrictedQuerySet.restrict(user)``, the query is written
    without any access condition and passed through here. The rows belong to
    the customer of the first entity selected that is ``Customer`` or has a
    ``customer_id`` (an invoice, a payment, a site, ...): no join is needed
    for the rule, and no list can apply it to the wrong column.
    """
    if viewer.role in ALL_CUSTOMER_ROLES:
        return statement
    return statement.where(customer_scope(viewer, _owner(statement)))


def _owner(statement: Select[*tuple[Any, ...]]) -> InstrumentedAttribute[str]:
    for description in statement.column_descriptions:
        entity = description["entity"]
        if entity is Customer:
            return Customer.id
        if entity is not None and isinstance(
            getattr(entity, "customer_id", None), InstrumentedAttribute
        ):
            owner: InstrumentedAttribute[str] = entity.customer_id
            return owner
    raise TypeError(f"no customer to restrict by in {statement}")


def visible_customers(viewer: Viewer) -> Select[Customer]:
    return restrict(select(Customer), viewer)


def visible_sites(viewer: Viewer) -> Select[Site]:
    return restrict(select(Site), viewer)


def visible_requests(viewer: Viewer) -> Select[ServiceRequest]:
    """The requests the viewer may see: the customer rule for the customer and the staff who serve
    it commercially; the fault desk sees every customer's faults and nothing else; demand staff
    none (they work with sites and load, not with customers' requests)."""
    if viewer.role is Role.FAULT_DESK:
        return select(ServiceRequest).where(ServiceRequest.kind == RequestKind.FAULT)
    if viewer.role not in COMMERCIAL_ROLES:
        return select(ServiceRequest).where(false())
    return restrict(select(ServiceRequest), viewer)


def get_customer(session: Session, viewer: Viewer, customer_id: object) -> Customer:
    if not isinstance(customer_id, str) or not customer_id:
        raise NotFound(customer_id)
    customer = session.scalars(
        visible_customers(viewer).where(Customer.id == customer_id)
    ).one_or_none()
    if customer is None:
        raise NotFound(customer_id)
    return customer


def get_site(session: Session, viewer: Viewer, site_id: object) -> Site:
    if not isinstance(site_id, str) or not site_id:
        raise NotFound(site_id)
    site = session.scalars(visible_sites(viewer).where(Site.id == site_id)).one_or_none()
    if site is None:
        raise NotFound(site_id)
    return site


def get_commercial_customer(session: Session, viewer: Viewer, customer_id: object) -> Customer:
    """A customer whose contracts and money the viewer may see."""
    require(viewer, *COMMERCIAL_ROLES)
    return get_customer(session, viewer, customer_id)


def require(viewer: Viewer, *roles: Role) -> None:
    if viewer.role not in roles:
        raise AccessDenied(f"{viewer.role} may not do this")


def home_customer(viewer: Viewer) -> str | None:
    """The customer a page shows when none is asked for (a client's own)."""
    return viewer.customer_id if viewer.is_client else None
