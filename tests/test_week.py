"""The manager's week: each section from its own module, narrowed to the manager's customers."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from db.models import RequestState, ServiceRequest, User
from lounge import calendar, localtime, week
from lounge.access import AccessDenied, Viewer


def _viewer(db, email: str) -> Viewer:
    with db.session() as session:
        return Viewer.of(session.scalars(select(User).where(User.email == email)).one())


def test_the_week_holds_the_manager_s_customers_only(db, world):
    today = localtime.today()
    with db.session() as session:
        for customer, due in (("CA", today - dt.timedelta(days=3)), ("CB", today), ("CA", today)):
            session.add(
                ServiceRequest(customer_id=customer, kind="general", subject="s", due_date=due)
            )
        session.add(
            ServiceRequest(
                customer_id="CA",
                kind="general",
                subject="done",
                due_date=today - dt.timedelta(days=9),
                state=RequestState.CLOSED,
            )
        )
    manager = _viewer(db, "manager@a.test")
    with db.session() as session:
        found = week.week(session, manager, today)
    assert found.days == calendar.working_week(today)
    assert [line.customer_id for line in found.breached] == ["CA"]  # the closed one is not
    assert [line.customer_id for line in found.due_today] == ["CA"]  # CB is not theirs
    assert all(line.href == "/customer/CA" for line in found.breached + found.due_today)
    # CA is a member never met: its annual meeting is overdue (or due)
    assert [line.customer_id for line in found.meetings] == ["CA"]
    assert found.notices == () and found.surveys == ()  # built apart: empty until they exist
    assert "CB" not in {line.customer_id for line in found.debts + found.movements}


@pytest.mark.parametrize("email", ["client@a.test", "demand@a.test"])
def test_only_the_portfolio_s_roles_have_a_week(db, world, email):
    with db.session() as session, pytest.raises(AccessDenied):
        week.week(session, _viewer(db, email), localtime.today())
