"""A customer entering the lounge gets a manager (region first, then fewest members, then the
lightest load, ties by id); an admin reassigns; every assignment stays in the history; the
customer and the manager are told; notes and the timeline are the manager's only."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from db.models import (
    AssignmentHistory,
    Channel,
    Contact,
    ContactChannel,
    ManagerAssignment,
    Notification,
    ServiceRequest,
    Topic,
    User,
)
from db.session import Database
from lounge import admin, assignment, customer360, users
from lounge.access import SYSTEM, AccessDenied, NotFound, Viewer
from lounge.assignment import AssignmentError, Desk, choose
from lounge.customer360 import NoteError
from tests.factories import add_customer, import_readings, month_reads

D = dt.date


# --- the rule, on its own -------------------------------------------------------------------


def test_the_region_s_manager_is_preferred_when_not_much_busier():
    desks = [Desk(1, 3, 0, frozenset({"South"})), Desk(2, 1, 0, frozenset({"North"}))]
    assert choose(desks, {"South"}) == 1  # 3 members, within 2 of the lightest
    assert choose(desks, {"Haifa"}) == 2  # nobody serves Haifa: the lightest


def test_a_region_s_manager_with_too_many_members_loses_to_balance():
    desks = [Desk(1, 4, 0, frozenset({"South"})), Desk(2, 1, 0, frozenset({"North"}))]
    assert choose(desks, {"South"}) == 2


def test_ties_go_to_the_lighter_load_then_the_lower_id():
    assert choose([Desk(5, 2, 9, frozenset()), Desk(7, 2, 3, frozenset())], set()) == 7
    assert choose([Desk(7, 2, 3, frozenset()), Desk(5, 2, 3, frozenset())], set()) == 5
    assert choose([], {"North"}) is None


# --- in the classification run --------------------------------------------------------------


def _manager(session, email: str, name: str) -> User:
    return users.create_user(
        session,
        email=email,
        role="account_manager",
        password="a long enough password",
        full_name=name,
        language="en",
        actor="test",
    )


@pytest.fixture
def lounge(db: Database) -> Database:
    """M1 serves a North member; M2 serves nobody. N enters from the North, H from Haifa."""
    with db.session() as session:
        add_customer(session, "OLD", "S-OLD", region="North")
        add_customer(session, "N", "S-N", region="North")
        add_customer(session, "H", "S-H", region="Haifa")
        contact = Contact(customer_id="N", name="Dana", language="en", email="dana@n.example")
        contact.channels = [ContactChannel(topic=Topic.SERVICE, channel=Channel.EMAIL)]
        session.add(contact)
        _manager(session, "m1@power.example", "Manager One")
        _manager(session, "m2@power.example", "Manager Two")
        users.assign_manager(session, "m1@power.example", ["OLD"], "test")
    year = {m: "100000" for m in range(1, 13)}
    import_readings(db, *month_reads("S-OLD", 2025, year))
    with db.session() as session:
        admin.run_classification(session, SYSTEM, D(2026, 1, 1))  # OLD is a member
    import_readings(db, *month_reads("S-N", 2025, year), *month_reads("S-H", 2025, year))
    return db


def _managers(db: Database) -> dict[str, str]:
    with db.session() as session:
        rows = session.execute(
            select(ManagerAssignment.customer_id, User.email).join(
                User, User.id == ManagerAssignment.manager_id
            )
        ).all()
    return dict(rows)


def test_entering_customers_get_managers_in_the_run_s_transaction(lounge: Database):
    with lounge.session() as session:
        admin.run_classification(session, SYSTEM, D(2026, 1, 2))
    # H (Haifa) first by id: nobody serves Haifa, M2 has no member -> M2.
    # N (North): M1 serves the North with 1 member, M2 now has 1: both within the slack -> M1.
    assert _managers(lounge) == {
        "OLD": "m1@power.example",
        "H": "m2@power.example",
        "N": "m1@power.example",
    }
    with lounge.session() as session:
        history = session.execute(
            select(AssignmentHistory.customer_id, AssignmentHistory.reason).order_by(
                AssignmentHistory.id
            )
        ).all()
        told = session.execute(
            select(Notification.kind, Notification.recipient, Notification.customer_id).where(
                Notification.kind.in_(("manager_assigned", "welcome"))
            )
        ).all()
        welcome = session.scalars(
            select(Notification.body).where(
                Notification.kind == "welcome", Notification.customer_id == "N"
            )
        ).one()
    assert history[-2:] == [("H", "entry"), ("N", "entry")]
    assert ("manager_assigned", "Manager Two", "H") in told
    assert ("manager_assigned", "Manager One", "N") in told
    assert "Manager One" in welcome  # the welcome names the manager just chosen
    with lounge.session() as session:  # a rerun assigns nobody again
        admin.run_classification(session, SYSTEM, D(2026, 1, 2))
        assert len(session.scalars(select(AssignmentHistory)).all()) == len(history)


def test_open_requests_weigh_when_members_are_equal(lounge: Database):
    with lounge.session() as session:
        add_customer(session, "BUSY", "S-BUSY", region="South")
        users.assign_manager(session, "m2@power.example", ["BUSY"], "test")
        session.add(
            ServiceRequest(
                customer_id="OLD",
                kind="general",
                subject="x",
                due_date=D(2026, 1, 10),
            )
        )
        weighed = assignment.desks(session)
    one, two = sorted(weighed.values(), key=lambda d: d.manager_id)
    assert (one.members, one.open_requests) == (1, 1)
    assert (two.members, two.open_requests) == (0, 0)
    assert one.regions == {"North"} and two.regions == {"South"}


# --- reassignment ---------------------------------------------------------------------------


def _admin(session) -> Viewer:
    user = users.create_user(
        session,
        email="boss@power.example",
        role="admin",
        password="a long enough password",
        actor="test",
    )
    return Viewer.of(user)


def _viewer(session, email: str) -> Viewer:
    user = users.find_by_email(session, email)
    assert user is not None
    return Viewer.of(user)


def test_an_admin_reassigns_and_the_history_keeps_both(lounge: Database):
    with lounge.session() as session:
        admin.run_classification(session, SYSTEM, D(2026, 1, 2))
        boss = _admin(session)
        two = _viewer(session, "m2@power.example")
        admin.reassign_manager(session, boss, "N", two.user_id)
    assert _managers(lounge)["N"] == "m2@power.example"
    with lounge.session() as session:
        boss = _viewer(session, "boss@power.example")
        rows = assignment.history(session, boss, "N")
        names = assignment.names(session, [r.manager_id for r in rows] + [rows[0].previous_id])
        told = session.execute(
            select(Notification.kind, Notification.channel, Notification.recipient).where(
                Notification.source == f"assignment:{rows[0].id}"
            )
        ).all()
        # the manager now serving sees it; the one before no longer does
        assert [r.reason for r in rows] == ["reassigned", "entry"]
        assert names[rows[0].manager_id] == "Manager Two"
        assert names[rows[0].previous_id or 0] == "Manager One"
        assert assignment.history(session, _viewer(session, "m2@power.example"), "N")
        with pytest.raises(NotFound):
            assignment.history(session, _viewer(session, "m1@power.example"), "N")
    assert ("manager_assigned", "in_app", "Manager Two") in told
    assert ("manager_changed", "email", "dana@n.example") in told


def test_only_an_admin_reassigns_and_only_to_an_active_manager(lounge: Database):
    with lounge.session() as session:
        boss = _admin(session)
        one = _viewer(session, "m1@power.example")
        with pytest.raises(AccessDenied):
            admin.reassign_manager(session, one, "OLD", one.user_id)
        for wrong in (boss.user_id, "abc", 99999, one.user_id):  # not a manager / the same one
            with pytest.raises(AssignmentError):
                admin.reassign_manager(session, boss, "OLD", wrong)
        with pytest.raises(NotFound):
            admin.reassign_manager(session, boss, "NOPE", one.user_id)


# --- notes and the timeline -----------------------------------------------------------------


def test_notes_are_the_manager_s_and_never_the_client_s(lounge: Database):
    with lounge.session() as session:
        one = _viewer(session, "m1@power.example")
        two = _viewer(session, "m2@power.example")
        client = Viewer.of(
            users.create_user(
                session,
                email="c@old.example",
                role="client",
                customer_id="OLD",
                password="a long enough password",
                actor="test",
            )
        )
        note = customer360.add_note(session, one, "OLD", "  Call before Pesach  ")
        assert (note.text, note.author_name) == ("Call before Pesach", "Manager One")
        with pytest.raises(NoteError):
            customer360.add_note(session, one, "OLD", "   ")
        for outsider in (client, two):
            with pytest.raises(AccessDenied):
                customer360.notes(session, outsider, "OLD")
            with pytest.raises(AccessDenied):
                customer360.add_note(session, outsider, "OLD", "forged")
            with pytest.raises(AccessDenied):
                customer360.timeline(session, outsider, "OLD")
        assert [n.text for n in customer360.notes(session, one, "OLD")] == ["Call before Pesach"]


def test_the_timeline_holds_messages_membership_and_assignments(lounge: Database):
    with lounge.session() as session:
        admin.run_classification(session, SYSTEM, D(2026, 1, 2))
        one = _viewer(session, "m1@power.example")
        entries = customer360.timeline(session, one, "N")
    kinds = [e.kind for e in entries]
    assert {"contact", "membership", "assignment"} <= set(kinds)
    assert all(a.at >= b.at for a, b in zip(entries, entries[1:], strict=False))
