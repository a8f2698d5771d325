"""The in-app inbox: each user sees and opens only their own messages; forged ids get nothing."""

from __future__ import annotations

import datetime as dt

import pytest

from db.models import Role
from db.session import Database
from lounge import admin, users
from lounge.access import SYSTEM, NotFound, Viewer
from lounge.notify import inbox
from tests.factories import add_customer, import_readings, month_reads, signed_up


@pytest.fixture
def people(db: Database) -> dict[str, Viewer]:
    with db.session() as session:
        add_customer(session, "C1", "S1")
        add_customer(session, "C2", "S2")
        found = {
            "client": signed_up(session, "dana@c1.example", Role.CLIENT, "C1", "he"),
            "other": signed_up(session, "omer@c2.example", Role.CLIENT, "C2", "en"),
            "manager": signed_up(session, "avi@power.example", Role.ACCOUNT_MANAGER, None, "en"),
        }
        users.assign_manager(session, "avi@power.example", ["C1", "C2"], "test")
    import_readings(db, *month_reads("S1", 2025, {m: "100000" for m in range(1, 13)}))
    with db.session() as session:
        admin.run_classification(session, SYSTEM, dt.date(2026, 1, 15))
    return found


def test_the_member_and_its_manager_are_told_in_app_and_nobody_else(db, people):
    with db.session() as session:
        [welcome] = inbox.messages(session, people["client"])
        assert (welcome.kind, welcome.language, welcome.link) == ("welcome", "he", "/overview")
        assert welcome.subject == "ברוכים הבאים לטרקלין העסקי"
        [note] = inbox.messages(session, people["manager"])
        assert (note.kind, note.link) == ("manager_entered", "/customer/C1")
        assert note.subject == "Customer C1 has joined the lounge"
        assert inbox.messages(session, people["other"]) == []
        assert inbox.unread_count(session, people["client"]) == 1


def test_opening_marks_read_and_another_users_id_is_not_found(db, people):
    with db.session() as session:
        [welcome] = inbox.messages(session, people["client"])
        for forged in (welcome.id, str(welcome.id), "1 or 1=1", None, 10**9):
            with pytest.raises(NotFound):
                inbox.open_message(session, people["other"], forged)
        with pytest.raises(NotFound):
            inbox.open_message(session, people["manager"], welcome.id)
        opened = inbox.open_message(session, people["client"], str(welcome.id))
        assert opened.read_at is not None
    with db.session() as session:
        assert inbox.unread_count(session, people["client"]) == 0
        assert inbox.unread_count(session, people["manager"]) == 1
        assert inbox.mark_all_read(session, people["manager"]) == 1
        assert inbox.unread_count(session, people["manager"]) == 0
