"""A classification run tells the customer's contacts and account manager of entries and exits,
in each one's language and on the channels they chose, and a rerun tells nobody again."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from db.models import Channel, Contact, ContactChannel, Delivery, Notification, Topic
from db.session import Database
from lounge import admin, users
from lounge.access import SYSTEM
from lounge.notify import templates
from tests.factories import add_customer, import_readings, month_reads

D = dt.date


def _member_with_contacts(db: Database) -> None:
    """C1 uses 1,200,000 kWh at one site in 2025; four contacts, one of them unreachable."""
    with db.session() as session:
        add_customer(session, "C1", "S1")
        people = [
            ("Dana Cohen", "he", "dana@c1.example", None, None, ("email",)),
            ("Omer Levi", "en", None, "+972502345678", None, ("sms",)),
            ("Rana Haddad", "ar", None, None, "5 Herzl St\nHaifa 3303112", ("post",)),
            ("Gil Katz", "he", None, None, None, ("email",)),
        ]
        for name, language, email, phone, address, channels in people:
            contact = Contact(
                customer_id="C1",
                name=name,
                language=language,
                email=email,
                phone=phone,
                postal_address=address,
            )
            contact.channels = [
                ContactChannel(topic=topic, channel=channel)
                for topic in Topic
                for channel in channels
            ]
            session.add(contact)
        users.create_user(
            session,
            email="am@power.example",
            role="account_manager",
            password="a long enough password",
            full_name="Avi Manager",
            language="he",
            actor="test",
        )
        users.assign_manager(session, "am@power.example", ["C1"], "test")
    import_readings(db, *month_reads("S1", 2025, {m: "100000" for m in range(1, 13)}))


def _messages(db: Database) -> list[Notification]:
    with db.session() as session:
        return list(session.scalars(select(Notification).order_by(Notification.id)))


def _classify(db: Database, as_of: dt.date) -> None:
    with db.session() as session:
        admin.run_classification(session, SYSTEM, as_of)


def test_an_entry_welcomes_each_contact_in_their_language_on_their_channels(db: Database):
    _member_with_contacts(db)
    _classify(db, D(2026, 1, 15))
    by_recipient = {m.recipient: m for m in _messages(db)}
    email = by_recipient["dana@c1.example"]
    assert (email.channel, email.language, email.kind, email.status) == (
        Channel.EMAIL,
        "he",
        "welcome",
        Delivery.QUEUED,
    )
    assert email.subject == "ברוכים הבאים לטרקלין העסקי"
    assert "Avi Manager" in email.body and "1,200,000" in email.body
    assert "31 בדצמ׳ 2025" in email.body  # the window's last day, not the first after it
    assert email.html and 'dir="rtl"' in email.html
    text = by_recipient["+972502345678"]
    assert (text.channel, text.language, text.sms_parts) == (Channel.SMS, "en", 1)
    assert text.body.startswith("Customer C1 has joined the Business Lounge")
    assert text.body.endswith("http://127.0.0.1:8050")
    letter = by_recipient["Rana Haddad\n5 Herzl St\nHaifa 3303112"]
    assert (letter.channel, letter.language) == (Channel.POST, "en")  # no Arabic catalog yet
    unreachable = by_recipient["Gil Katz"]
    assert (unreachable.status, unreachable.last_error) == (
        Delivery.FAILED,
        "no e-mail, phone or postal address",
    )
    manager = next(m for m in _messages(db) if m.channel == Channel.IN_APP)
    assert (manager.kind, manager.status, manager.language) == (
        "manager_entered",
        Delivery.SENT,
        "he",
    )
    assert len(_messages(db)) == 5


def test_a_rerun_writes_nothing_and_an_exit_sends_the_figures(db: Database):
    _member_with_contacts(db)
    _classify(db, D(2026, 1, 15))
    before = len(_messages(db))
    _classify(db, D(2026, 1, 20))
    assert len(_messages(db)) == before
    _classify(db, D(2027, 2, 1))  # the window is 2026, without readings: the customer leaves
    farewells = [m for m in _messages(db)[before:]]
    kinds = sorted((m.kind, m.channel) for m in farewells)
    assert kinds == [
        ("farewell", Channel.EMAIL),
        ("farewell", Channel.POST),
        ("farewell", Channel.POST),
        ("farewell", Channel.SMS),
        ("manager_exited", Channel.IN_APP),
    ]
    english = next(m for m in farewells if m.channel == Channel.SMS)
    assert "1,000,000 kWh short" in english.body


def test_a_template_missing_in_a_language_goes_out_wholly_in_english(monkeypatch, caplog):
    monkeypatch.setitem(
        templates.TEMPLATES,
        "untranslated",
        templates.Template("A subject nobody translated", "Text {x}", "SMS {x}"),
    )
    assert templates.language_for("untranslated", "he") == "en"
    assert "no complete 'he' translation" in caplog.text
    assert templates.language_for("welcome", "he") == "he"


@pytest.mark.parametrize("kind", sorted(templates.TEMPLATES))
def test_every_template_is_whole_in_hebrew(kind: str):
    assert templates.language_for(kind, "he") == "he"


def test_a_backdated_run_does_not_tell_anyone_again_what_they_were_told(db: Database):
    _member_with_contacts(db)
    _classify(db, D(2026, 1, 15))  # enters
    _classify(db, D(2027, 2, 1))  # leaves: no readings in 2026
    told = len(_messages(db))
    # dated before the latest run: replays 2027-02-01; the exit now happens on 2026-06-01
    _classify(db, D(2026, 6, 1))
    assert len(_messages(db)) == told
