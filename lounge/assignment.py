"""Who looks after a customer: the automatic choice on entry, an admin's reassignment, the history.

A customer entering the lounge without a manager gets one in the classification run's own
transaction (so the welcome names them). The rule, :func:`choose`:

1. candidates are the active account managers;
2. those already serving a customer with a site in one of the entering customer's regions are
   preferred, unless they carry more than :data:`BALANCE_SLACK` members above the lightest
   manager (a region is not worth an unbalanced desk);
3. among the preferred, the fewest lounge members first, then the fewest open requests (the load),
   then the lowest user id (a tie is always broken the same way).

Every assignment is kept in ``assignment_history``; the current one stays in
``manager_assignment``, which the access rule reads.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db.models import (
    AssignmentHistory,
    AssignmentReason,
    Customer,
    ManagerAssignment,
    Role,
    ServiceRequest,
    Site,
    User,
    VipStatus,
    utcnow,
)
from lounge import access
from lounge.access import Viewer
from lounge.requests.kinds import OPEN_STATES

#: How many members more than the lightest manager a manager of the region may carry and
#: still be preferred.
BALANCE_SLACK = 2
#: Who reads a customer's assignment history (its manager, through the access rule; admins).
READERS = access.PORTFOLIO_ROLES


class AssignmentError(ValueError):
    """The manager chosen cannot take the customer (not an active account manager)."""


@dataclass(frozen=True)
class Desk:
    """A manager as the rule weighs them."""

    manager_id: int
    members: int
    open_requests: int
    regions: frozenset[str]


@dataclass(frozen=True)
class Assigned:
    """One assignment made: the row kept in the history, with the customer and both managers."""

    history: AssignmentHistory
    customer: Customer
    manager: User
    previous: User | None


def choose(desks: Iterable[Desk], regions: Iterable[str]) -> int | None:
    """The manager (user id) a customer with sites in ``regions`` gets; None without managers."""
    desks = list(desks)
    if not desks:
        return None
    wanted = set(regions)
    lightest = min(desk.members for desk in desks)
    local = [
        desk for desk in desks if desk.regions & wanted and desk.members <= lightest + BALANCE_SLACK
    ]
    best = min(local or desks, key=lambda d: (d.members, d.open_requests, d.manager_id))
    return best.manager_id


def desks(session: Session) -> dict[int, Desk]:
    """Every active account manager with their members, open requests and regions: one query
    for each (never one per manager)."""
    managers = session.scalars(
        select(User.id).where(User.role == Role.ACCOUNT_MANAGER, User.is_active)
    ).all()
    members = Counter(
        dict(
            session.execute(
                select(ManagerAssignment.manager_id, func.count())
                .join(VipStatus, VipStatus.customer_id == ManagerAssignment.customer_id)
                .where(VipStatus.is_vip)
                .group_by(ManagerAssignment.manager_id)
            ).all()
        )
    )
    requests = Counter(
        dict(
            session.execute(
                select(ManagerAssignment.manager_id, func.count())
                .join(ServiceRequest, ServiceRequest.customer_id == ManagerAssignment.customer_id)
                .where(ServiceRequest.state.in_(OPEN_STATES))
                .group_by(ManagerAssignment.manager_id)
            ).all()
        )
    )
    regions: dict[int, set[str]] = {}
    for manager_id, region in session.execute(
        select(ManagerAssignment.manager_id, Site.region)
        .join(Site, Site.customer_id == ManagerAssignment.customer_id)
        .distinct()
    ):
        regions.setdefault(manager_id, set()).add(region)
    return {
        manager_id: Desk(
            manager_id,
            members[manager_id],
            requests[manager_id],
            frozenset(regions.get(manager_id, ())),
        )
        for manager_id in managers
    }


def _record(
    session: Session,
    customer: Customer,
    manager: User,
    previous: User | None,
    reason: AssignmentReason,
    actor: str,
) -> Assigned:
    [history] = _write(session, [customer.id], manager, reason, actor)
    return Assigned(history, customer, manager, previous)


def assign_many(
    session: Session, customer_ids: list[str], manager: User, actor: str
) -> list[AssignmentHistory]:
    """Give ``customer_ids`` to ``manager`` by hand (the command line, the demo), kept in the
    history like any assignment."""
    return _write(session, customer_ids, manager, AssignmentReason.REASSIGNED, actor)


def _write(
    session: Session,
    customer_ids: list[str],
    manager: User,
    reason: AssignmentReason,
    actor: str,
) -> list[AssignmentHistory]:
    """The current manager of each customer set, and the change kept in the history."""
    before = dict(
        session.execute(
            select(ManagerAssignment.customer_id, ManagerAssignment.manager_id).where(
                ManagerAssignment.customer_id.in_(customer_ids)
            )
        ).all()
    )
    now = utcnow()
    rows = []
    for customer_id in customer_ids:
        current = session.get(ManagerAssignment, customer_id)
        if current is None:
            session.add(
                ManagerAssignment(customer_id=customer_id, manager_id=manager.id, assigned_at=now)
            )
        else:
            current.manager_id, current.assigned_at = manager.id, now
        rows.append(
            AssignmentHistory(
                customer_id=customer_id,
                manager_id=manager.id,
                previous_id=before.get(customer_id),
                reason=reason,
                actor=actor,
                at=now,
            )
        )
    session.add_all(rows)
    session.flush()
    return rows


def assign_unserved_members(session: Session, actor: str) -> list[Assigned]:
    """Give every lounge member without a manager one (by :func:`choose`), heaviest decisions
    in id order; each choice counts for the next. Called by the classification run."""
    session.flush()
    waiting = session.scalars(
        select(Customer)
        .join(VipStatus, VipStatus.customer_id == Customer.id)
        .outerjoin(ManagerAssignment, ManagerAssignment.customer_id == Customer.id)
        .where(VipStatus.is_vip, ManagerAssignment.customer_id.is_(None))
        .order_by(Customer.id)
    ).all()
    if not waiting:
        return []
    weighed = desks(session)
    regions_of: dict[str, set[str]] = {}
    for customer_id, region in session.execute(
        select(Site.customer_id, Site.region)
        .where(Site.customer_id.in_([c.id for c in waiting]))
        .distinct()
    ):
        regions_of.setdefault(customer_id, set()).add(region)
    made = []
    for customer in waiting:
        regions = regions_of.get(customer.id, set())
        chosen = choose(weighed.values(), regions)
        if chosen is None:
            break  # no manager at all: the admin assigns by hand
        desk = weighed[chosen]
        weighed[chosen] = Desk(chosen, desk.members + 1, desk.open_requests, desk.regions | regions)
        manager = session.get(User, chosen)
        assert manager is not None
        made.append(_record(session, customer, manager, None, AssignmentReason.ENTRY, actor))
    return made


def managers(session: Session, viewer: Viewer) -> list[tuple[int, str]]:
    """The active account managers an admin can assign: (user id, name), by name."""
    access.require(viewer, Role.ADMIN)
    rows = session.execute(
        select(User.id, User.full_name, User.email).where(
            User.role == Role.ACCOUNT_MANAGER, User.is_active
        )
    ).all()
    return sorted(((i, name or email) for i, name, email in rows), key=lambda r: r[1].casefold())


def reassign(session: Session, viewer: Viewer, customer_id: object, manager_id: object) -> Assigned:
    """An admin gives ``customer_id`` to the manager ``manager_id`` (kept in the history)."""
    access.require(viewer, Role.ADMIN)
    customer = access.get_customer(session, viewer, customer_id)
    try:
        wanted = int(str(manager_id))
    except ValueError:
        raise AssignmentError(manager_id) from None
    manager = session.get(User, wanted)
    if manager is None or manager.role != Role.ACCOUNT_MANAGER or not manager.is_active:
        raise AssignmentError(manager_id)
    current = session.get(ManagerAssignment, customer.id)
    previous = session.get(User, current.manager_id) if current else None
    if previous is not None and previous.id == manager.id:
        raise AssignmentError(manager_id)
    return _record(session, customer, manager, previous, AssignmentReason.REASSIGNED, viewer.email)


def history(session: Session, viewer: Viewer, customer_id: object) -> list[AssignmentHistory]:
    """The customer's assignments, newest first (its manager or an admin)."""
    access.require(viewer, *READERS)
    customer = access.get_customer(session, viewer, customer_id)
    return list(
        session.scalars(
            select(AssignmentHistory)
            .where(AssignmentHistory.customer_id == customer.id)
            .order_by(AssignmentHistory.at.desc(), AssignmentHistory.id.desc())
        )
    )


def names(session: Session, user_ids: Iterable[int | None]) -> dict[int, str]:
    """Users' display names (name, else e-mail) for the ids given."""
    wanted = {i for i in user_ids if i is not None}
    rows = session.execute(
        select(User.id, User.full_name, User.email).where(User.id.in_(wanted))
    ).all()
    return {i: name or email for i, name, email in rows}
