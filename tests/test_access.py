"""The access rule, per role and per list function: another customer's rows never show.

Every list query goes through :func:`lounge.access.restrict`; these call each
list function of the domain as each role of the small world (tests/web_fixtures.py:
customer CA with its client and account manager, customer CB with its
invoices and payment) and compare the customers whose rows come back.
Asking for the other customer by id is NotFound, as if it did not exist.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import AuditLog, Customer, Invoice, Site, User
from db.session import Database
from lounge import access, billing, contracts, customers, membership
from lounge.access import AccessDenied, NotFound, Viewer
from tests.web_fixtures import World

ROLES = ("client@a.test", "manager@a.test", "demand@a.test", "admin@a.test")
BOTH = {"CA", "CB"}

Listing = Callable[[Session, Viewer], set[str]]

#: list function -> what each role gets: the customers of its rows, or an exception
LISTS: dict[str, tuple[Listing, dict[str, set[str] | type[Exception]]]] = {
    "invoices": (
        lambda s, v: {row.customer_id for row in billing.list_invoices(s, v)},
        {"client": {"CA"}, "manager": {"CA"}, "demand": AccessDenied, "admin": BOTH},
    ),
    "debts": (
        lambda s, v: {row.customer_id for row in billing.debts(s, v).rows},
        {"client": {"CA"}, "manager": {"CA"}, "demand": AccessDenied, "admin": BOTH},
    ),
    "payments": (
        lambda s, v: {row.customer_id for row in billing.list_payments(s, v)},
        {"client": set(), "manager": set(), "demand": AccessDenied, "admin": {"CB"}},
    ),
    "portfolio": (
        lambda s, v: {row.customer_id for row in membership.memberships(s, v)},
        {"client": AccessDenied, "manager": {"CA"}, "demand": AccessDenied, "admin": BOTH},
    ),
    "portfolio events": (
        lambda s, v: {event.customer_id for event, _name in membership.events(s, v)},
        {"client": AccessDenied, "manager": {"CA"}, "demand": AccessDenied, "admin": {"CA"}},
    ),
    "customers": (
        lambda s, v: {customer.id for customer in s.scalars(access.visible_customers(v))},
        {"client": {"CA"}, "manager": {"CA"}, "demand": BOTH, "admin": BOTH},
    ),
    "sites": (
        lambda s, v: {site.customer_id for site in s.scalars(access.visible_sites(v))},
        {"client": {"CA"}, "manager": {"CA"}, "demand": BOTH, "admin": BOTH},
    ),
}

#: functions for one customer, asked for the other customer CB
OF_ONE: dict[str, Callable[[Session, Viewer], object]] = {
    "invoices": lambda s, v: billing.list_invoices(s, v, customer_id="CB"),
    "payments": lambda s, v: billing.list_payments(s, v, customer_id="CB"),
    "debts": lambda s, v: billing.debts(s, v, customer_id="CB"),
    "contracts": lambda s, v: contracts.contracts(s, v, "CB", dt.date(2026, 1, 1)),
    "membership": lambda s, v: membership.membership(s, v, "CB"),
    "events": lambda s, v: membership.events(s, v, "CB"),
    "profile": lambda s, v: customers.profile(s, v, "CB"),
}


def viewer(session: Session, email: str) -> Viewer:
    return Viewer.of(session.scalars(select(User).where(User.email == email)).one())


@pytest.mark.parametrize("name", LISTS)
def test_each_list_shows_each_role_its_customers_only(db: Database, world: World, name: str):
    listing, expected = LISTS[name]
    with db.session() as session:
        for email in ROLES:
            role = email.split("@")[0]
            wanted = expected[role]
            if isinstance(wanted, set):
                assert listing(session, viewer(session, email)) == wanted, (name, role)
            else:
                with pytest.raises(wanted):
                    listing(session, viewer(session, email))


@pytest.mark.parametrize("name", OF_ONE)
def test_another_customers_id_is_not_found(db: Database, world: World, name: str):
    with db.session() as session:
        for email in ("client@a.test", "manager@a.test"):
            with pytest.raises(NotFound):
                OF_ONE[name](session, viewer(session, email))


def test_restrict_finds_the_customer_of_the_rows(db: Database, world: World):
    with db.session() as session:
        client = viewer(session, "client@a.test")
        invoices = session.scalars(access.restrict(select(Invoice.customer_id), client)).all()
        sites = session.scalars(access.restrict(select(Site.id).order_by(Site.id), client)).all()
        names = session.scalars(access.restrict(select(Customer.name), client)).all()
    assert (set(invoices), sites, names) == ({"CA"}, ["SA1", "SA2"], ["Acme Steel Works"])
    with pytest.raises(TypeError):
        access.restrict(select(AuditLog.id), client)  # rows of no customer
