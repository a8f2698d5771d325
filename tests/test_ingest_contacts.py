"""Contacts import: all or nothing, repeatable, phones checked and stored in E.164, channels per
topic, and every bad row named by its line."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from db.models import Contact
from db.session import Database
from tests.factories import add_customer, cli, csv_bytes, import_bytes, problems, rejected

HEADER = "customer_id,name,role,email,phone,postal_address,language,channels,warnings_channels"
GOOD = (
    "C1,Dana Cohen,finance,dana@c1.example,050-234-5678,,he,email sms,sms",
    'C1,Omer Levi,owner,,,"12 Herzl St | Haifa 3303112",en,post,',
    "C2,Rana Haddad,energy_manager,rana@c2.example,+44 20 7946 0958,,ar,email,",
)


def _customers(db: Database) -> None:
    with db.session() as session:
        add_customer(session, "C1", "S1")
        add_customer(session, "C2", "S2")


def _contacts(db: Database) -> dict[str, Contact]:
    with db.session() as session:
        query = select(Contact).options(selectinload(Contact.channels))
        return {contact.name: contact for contact in session.scalars(query)}


def test_contacts_import_with_channels_per_topic_and_again_changes_nothing(db: Database):
    _customers(db)
    summary = import_bytes(db, "contacts", csv_bytes(HEADER, *GOOD))
    assert (summary.inserted, summary.replaced, summary.unchanged) == (3, 0, 0)
    contacts = _contacts(db)
    dana = contacts["Dana Cohen"]
    assert (dana.phone, dana.role, dana.language) == ("+972502345678", "finance", "he")
    chosen = {(c.topic, c.channel) for c in dana.channels}
    assert ("membership", "email") in chosen and ("membership", "sms") in chosen
    assert ("warnings", "sms") in chosen and ("warnings", "email") not in chosen
    assert contacts["Omer Levi"].postal_address == "12 Herzl St\nHaifa 3303112"
    assert contacts["Rana Haddad"].phone == "+442079460958"
    again = import_bytes(db, "contacts", csv_bytes(HEADER, *GOOD))
    assert (again.inserted, again.replaced, again.unchanged) == (0, 0, 3)
    changed = import_bytes(
        db, "contacts", csv_bytes("customer_id,name,email", "C1,Dana Cohen,dana@new.example")
    )
    assert (changed.inserted, changed.replaced) == (0, 1)
    kept = _contacts(db)["Dana Cohen"]
    assert kept.email == "dana@new.example" and kept.phone == "+972502345678"  # others kept
    assert {(c.topic, c.channel) for c in kept.channels} == chosen


def test_bad_rows_are_named_by_line_and_nothing_is_written(db: Database):
    _customers(db)
    refusal = rejected(
        db,
        "contacts",
        csv_bytes(
            HEADER,
            "C1,Dana Cohen,finance,dana@c1.example,12345,,he,email,",
            "C1,Omer Levi,boss,,,,en,sms,",
            "C9,Gil Katz,,gil@c9.example,,,he,email,",
            "C2,Rana Haddad,,not-an-address,,,he,fax,",
            "C2,Eli Dahan,,,03-555-1234,,he,sms,",
            "C1,Dana Cohen,,dana@c1.example,,,he,email,",
        ),
    )
    assert problems(refusal) == sorted(
        [
            (2, "phone '12345' is not a valid Israeli or international number"),
            (3, "role 'boss' is not one of: owner, finance, operations, energy_manager, other"),
            (3, "channel sms needs phone"),
            (4, "unknown customer 'C9'"),
            (5, "email 'not-an-address' is not an e-mail address"),
            (5, "channel 'fax' is not one of: email, sms, post"),
            (6, "phone '03-555-1234' cannot receive text messages"),
            (7, "customer_id / name 'C1 / Dana Cohen' already appears on line 2"),
        ]
    )
    assert _contacts(db) == {}


def test_the_command_line_imports_contacts(db: Database, tmp_path, monkeypatch):
    _customers(db)
    monkeypatch.setenv("LOUNGE_DATABASE_URL", db.url)
    path = tmp_path / "contacts.csv"
    path.write_bytes(csv_bytes(HEADER, *GOOD))
    result = cli("import", "contacts", str(path))
    assert result.exit_code == 0, result.output
    assert "3 new" in result.output
    assert len(_contacts(db)) == 3
