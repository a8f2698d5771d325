"""Letters: staff of the customer see, print and mark them; the PDF has one letter a page,
the address in the window, each in its reader's language."""

from __future__ import annotations

import datetime as dt
import io

import pdfplumber
import pytest

from db.models import Contact, ContactChannel, Delivery, Role, Topic
from db.session import Database
from lounge import admin, users
from lounge.access import SYSTEM, AccessDenied, Viewer
from lounge.notify import letters, status
from tests.factories import add_customer, import_readings, month_reads, signed_up


@pytest.fixture
def staff(db: Database) -> dict[str, Viewer]:
    """C1 and C2 enter the lounge; each has one contact who wants letters, in he and en."""
    with db.session() as session:
        for customer, name, language in (("C1", "דנה כהן", "he"), ("C2", "Omer Levi", "en")):
            add_customer(session, customer, f"{customer}-S")
            contact = Contact(
                customer_id=customer,
                name=name,
                language=language,
                postal_address=f"12 Herzl St\nHaifa 330311{customer[-1]}",
            )
            contact.channels = [ContactChannel(topic=Topic.MEMBERSHIP, channel="post")]
            session.add(contact)
        viewers = {
            "manager": signed_up(session, "avi@power.example", Role.ACCOUNT_MANAGER),
            "demand": signed_up(session, "dm@power.example", Role.DEMAND_STAFF),
            "client": signed_up(session, "dana@c1.example", Role.CLIENT, "C1"),
        }
        signed_up(session, "gil@power.example", Role.ACCOUNT_MANAGER)
        users.assign_manager(session, "avi@power.example", ["C1"], "test")
        # C2 has its manager already: the run assigns no one (it would, to the lightest desk)
        users.assign_manager(session, "gil@power.example", ["C2"], "test")
    for site in ("C1-S", "C2-S"):
        import_readings(db, *month_reads(site, 2025, {m: "100000" for m in range(1, 13)}))
    with db.session() as session:
        admin.run_classification(session, SYSTEM, dt.date(2026, 1, 15))
    return viewers


def test_a_manager_sees_the_letters_of_the_portfolio_and_a_client_none(db, staff):
    with db.session() as session:
        assert [m.customer_id for m in letters.queued(session, staff["manager"])] == ["C1"]
        assert [m.customer_id for m in letters.queued(session, staff["demand"])] == ["C1", "C2"]
        with pytest.raises(AccessDenied):
            letters.queued(session, staff["client"])
        with pytest.raises(AccessDenied):
            letters.batch_pdf(session, staff["client"], [1, 2])


def test_the_batch_has_one_letter_a_page_in_each_readers_language(db, staff):
    with db.session() as session:
        ids = [m.id for m in letters.queued(session, staff["demand"])]
        document = pdfplumber.open(io.BytesIO(letters.batch_pdf(session, staff["demand"], ids)))
    assert len(document.pages) == 2
    hebrew, english = (page.extract_text() for page in document.pages)
    assert "Welcome to the Business Lounge" in english and "Omer Levi" in english
    assert "Welcome" not in hebrew and "Haifa 3303111" in hebrew
    assert f"Ref. N-{ids[1]}" in english


def test_marking_posted_takes_only_the_viewers_waiting_letters(db, staff):
    with db.session() as session:
        ids = [m.id for m in letters.queued(session, staff["demand"])]
        assert letters.mark_posted(session, staff["manager"], [*ids, "x", -1]) == 1  # C1 only
        assert letters.mark_posted(session, staff["manager"], ids) == 0  # nothing twice
        [left] = letters.queued(session, staff["demand"])
        assert left.customer_id == "C2" and left.status == Delivery.QUEUED


def test_staff_see_each_message_of_their_customers_with_its_status(db, staff):
    with db.session() as session:
        rows = status.messages(session, staff["manager"])
        # the client's user's inbox too (delivered once read), not the manager's own
        assert [(m.customer_id, m.channel, m.status) for m, _name in rows] == [
            ("C1", "in_app", Delivery.SENT),
            ("C1", "post", Delivery.QUEUED),
        ]
        assert status.counts(session, staff["demand"]) == {Delivery.QUEUED: 2, Delivery.SENT: 1}
        assert status.messages(session, staff["demand"], status=Delivery.FAILED) == []
        with pytest.raises(AccessDenied):
            status.messages(session, staff["client"])


def test_staff_preview_every_template_in_both_languages(staff):
    welcome = status.preview(staff["manager"], "welcome", "he")
    assert welcome.language == "he" and welcome.subject == "ברוכים הבאים לטרקלין העסקי"
    assert "אבי לוי" in welcome.text and "1,234,567" in welcome.text and 'dir="rtl"' in welcome.html
    farewell = status.preview(staff["demand"], "farewell", "en")
    assert farewell.sms.startswith("Ofek Industries") and "12,346 kWh short" in farewell.sms
    with pytest.raises(AccessDenied):
        status.preview(staff["client"], "welcome", "en")
