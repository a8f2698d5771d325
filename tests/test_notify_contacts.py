"""Contacts in the lounge: a client edits its own, an account manager the portfolio's; the
import's rules apply; another customer's ids get nothing."""

from __future__ import annotations

import pytest

from db.models import Contact, Role
from db.session import Database
from lounge.access import AccessDenied, NotFound, Viewer
from lounge.notify import contacts
from lounge.notify.contacts import ContactError, ContactForm
from tests.factories import add_customer

CLIENT = Viewer(1, "dana@c1.example", Role.CLIENT, "C1")
MANAGER = Viewer(2, "avi@power.example", Role.ACCOUNT_MANAGER)
DEMAND = Viewer(3, "dm@power.example", Role.DEMAND_STAFF)


def _form(**changes: object) -> ContactForm:
    fields: dict[str, object] = {
        "name": "Dana Cohen",
        "role": "finance",
        "email": "dana@c1.example",
        "phone": "050-234-5678",
        "postal_address": "12 Herzl St\nHaifa 3303112",
        "language": "he",
        "channels": frozenset({("membership", "email"), ("warnings", "sms")}),
    }
    return ContactForm(**(fields | changes))  # type: ignore[arg-type]


@pytest.fixture
def other_contact(db: Database) -> int:
    with db.session() as session:
        add_customer(session, "C1", "S1")
        add_customer(session, "C2", "S2")
        contact = Contact(customer_id="C2", name="Omer Levi")
        session.add(contact)
        session.flush()
        return contact.id


def test_a_client_adds_changes_and_removes_its_own_contacts(db: Database, other_contact: int):
    with db.session() as session:
        saved = contacts.save(session, CLIENT, "C1", None, _form())
        assert (saved.phone, saved.postal_address) == (
            "+972502345678",
            "12 Herzl St\nHaifa 3303112",
        )
        assert {(c.topic, c.channel) for c in saved.channels} == {
            ("membership", "email"),
            ("warnings", "sms"),
        }
        contacts.save(session, CLIENT, "C1", str(saved.id), _form(email="", channels=frozenset()))
        [kept] = contacts.contacts(session, CLIENT, "C1")
        assert kept.email is None and kept.channels == []
        contacts.delete(session, CLIENT, "C1", saved.id)
        assert contacts.contacts(session, CLIENT, "C1") == []


def test_the_imports_rules_apply_with_their_words(db: Database, other_contact: int):
    with db.session() as session, pytest.raises(ContactError) as refused:
        contacts.save(session, CLIENT, "C1", None, _form(name=" ", phone="12345", role="boss"))
    assert refused.value.messages == [
        "name is empty",
        "role 'boss' is not one of: owner, finance, operations, energy_manager, other",
        "phone '12345' is not a valid Israeli or international number",
    ]


def test_another_customers_ids_get_nothing(db: Database, other_contact: int):
    with db.session() as session:
        for forged in ("C2", "nope", None):
            with pytest.raises(NotFound):
                contacts.contacts(session, CLIENT, forged)
            with pytest.raises(NotFound):
                contacts.save(session, CLIENT, forged, None, _form())
        for forged_contact in (other_contact, str(other_contact), "x", -1):
            with pytest.raises(NotFound):
                contacts.save(session, CLIENT, "C1", forged_contact, _form())
            with pytest.raises(NotFound):
                contacts.delete(session, CLIENT, "C1", forged_contact)
        with pytest.raises(NotFound):  # C1 is not in this manager's (empty) portfolio
            contacts.contacts(session, MANAGER, "C1")
        with pytest.raises(AccessDenied):  # demand staff see sites, not the customer's people
            contacts.save(session, DEMAND, "C1", None, _form())
        assert [c.name for c in contacts.contacts(session, Viewer(0, "a", Role.ADMIN), "C2")] == [
            "Omer Levi"
        ]
