"""The outbox on both databases: sending, retry with backoff, failure, and the fallback to post."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from db.models import Channel, Contact, Delivery, Notification
from db.session import Database
from lounge.notify import outbox
from lounge.notify.channels import senders
from lounge.notify.email import SmtpServer
from lounge.notify.outbox import MAX_ATTEMPTS, Message
from lounge.notify.sandbox import SmsSandbox, serve_mail
from tests.factories import add_customer, free_port


@pytest.fixture
def mail(tmp_path: Path) -> Iterator[tuple[SmtpServer, Path]]:
    controller = serve_mail(tmp_path / "mail", free_port())
    try:
        yield SmtpServer("127.0.0.1", controller.port, "lounge@power.example"), tmp_path / "mail"
    finally:
        controller.stop()


def _contact(db: Database, address: str | None = "12 Herzl St\nHaifa 3303112") -> int:
    with db.session() as session:
        add_customer(session, "C1", "S1")
        contact = Contact(customer_id="C1", name="Dana Cohen", postal_address=address)
        session.add(contact)
        session.flush()
        return contact.id


def _message(channel: Channel, recipient: str, contact_id: int | None = None) -> Message:
    return Message(
        topic="membership",
        kind="welcome",
        source="vip_event:1",
        channel=channel,
        language="he",
        recipient=recipient,
        subject="ברוכים הבאים",
        body="שלום, הצטרפתם לטרקלין העסקי.",
        customer_id="C1",
        contact_id=contact_id,
    )


def _rows(db: Database) -> list[Notification]:
    with db.session() as session:
        return list(session.scalars(select(Notification).order_by(Notification.id)))


def test_email_and_sms_are_sent_once_and_in_app_is_sent_on_writing(db, mail, tmp_path):
    server, folder = mail
    contact = _contact(db)
    gateway = SmsSandbox(tmp_path / "sms")
    with db.session() as session:
        outbox.enqueue(
            session,
            [
                _message(Channel.EMAIL, "dana@client.example", contact),
                _message(Channel.SMS, "+972502345678", contact),
                _message(Channel.IN_APP, "Dana Cohen"),
            ],
        )
    assert outbox.drain(db, senders(server, gateway), "w1") == 2
    assert outbox.drain(db, senders(server, gateway), "w1") == 0
    email, text, in_app = _rows(db)
    assert (email.status, email.attempts, email.provider_id) == (
        Delivery.SENT,
        1,
        f"<{email.key}@power.example>",
    )
    assert (text.status, text.sms_parts) == (Delivery.SENT, 1)  # until the gateway reports
    assert (in_app.status, in_app.attempts) == (Delivery.SENT, 0)  # until it is read
    assert len(list(folder.glob("*.eml"))) == 1
    [sent_text] = gateway.messages()
    assert (sent_text["to"], sent_text["encoding"], sent_text["parts"]) == (
        "+972502345678",
        "UCS-2",
        1,
    )


def test_an_unreachable_server_is_retried_with_backoff_then_fails_and_a_letter_takes_over(db):
    contact = _contact(db)
    down = SmtpServer("127.0.0.1", free_port(), "lounge@power.example", timeout_s=2)
    with db.session() as session:
        outbox.enqueue(session, [_message(Channel.EMAIL, "dana@client.example", contact)])
    delays = []
    for attempt in range(1, MAX_ATTEMPTS + 1):
        assert outbox.drain(db, senders(down, SmsSandbox(Path("/nonexistent"))), "w1") == 1
        row = _rows(db)[0]
        assert row.attempts == attempt
        assert "unreachable" in (row.last_error or "")
        if attempt < MAX_ATTEMPTS:
            assert row.status == Delivery.QUEUED
            delays.append(row.next_attempt_at - row.created_at)
            with db.session() as session:  # the wait passes
                session.get(Notification, row.id).next_attempt_at = row.created_at
    assert [round(d / dt.timedelta(minutes=1)) for d in delays] == [1, 2, 4, 8]
    failed, letter = _rows(db)
    assert failed.status == Delivery.FAILED
    assert (letter.channel, letter.status, letter.fallback_for_id) == (
        Channel.POST,
        Delivery.QUEUED,
        failed.id,
    )
    assert letter.recipient == "Dana Cohen\n12 Herzl St\nHaifa 3303112"
    assert (letter.subject, letter.body, letter.language) == (
        failed.subject,
        failed.body,
        "he",
    )


def test_a_refused_address_fails_at_once_but_no_letter_while_the_sms_may_still_arrive(db, tmp_path):
    contact = _contact(db)

    class Refusing:
        def send(self, to, text, key):
            from lounge.notify.email import SendFailed

            raise SendFailed("gateway: number not in service", permanent=True)

    with db.session() as session:
        outbox.enqueue(
            session,
            [
                _message(Channel.EMAIL, "dana@client.example", contact),
                _message(Channel.SMS, "+972502345678", contact),
            ],
        )
    down = SmtpServer("127.0.0.1", free_port(), "lounge@power.example", timeout_s=2)
    outbox.drain(db, {Channel.SMS: senders(down, Refusing())[Channel.SMS]}, "w1")
    email, text = _rows(db)
    assert (text.status, text.attempts, text.last_error) == (
        Delivery.FAILED,
        1,
        "gateway: number not in service",
    )
    assert email.status == Delivery.QUEUED  # not tried yet: no letter while it may arrive


def test_a_contact_without_a_postal_address_gets_no_letter(db):
    contact = _contact(db, address=None)
    down = SmtpServer("127.0.0.1", free_port(), "lounge@power.example", timeout_s=2)
    with db.session() as session:
        outbox.enqueue(session, [_message(Channel.EMAIL, "dana@client.example", contact)])
        session.flush()
        session.execute(
            Notification.__table__.update().values(attempts=MAX_ATTEMPTS - 1)  # last attempt
        )
    outbox.drain(db, senders(down, SmsSandbox(Path("/nonexistent"))), "w1")
    [row] = _rows(db)
    assert row.status == Delivery.FAILED


def test_a_claim_whose_lease_ran_out_is_taken_by_the_next_worker(db):
    _contact(db)
    with db.session() as session:
        outbox.enqueue(session, [_message(Channel.EMAIL, "dana@client.example")])
    with db.sessions() as session:
        [claimed] = outbox.claim(session, "dead-worker", [Channel.EMAIL], 10)
        assert outbox.claim(session, "w2", [Channel.EMAIL], 10) == []  # still leased
        later = claimed.lease_until + dt.timedelta(seconds=1)
        [again] = outbox.claim(session, "w2", [Channel.EMAIL], 10, now=later)
        assert (again.id, again.worker, again.attempts) == (claimed.id, "w2", 2)


def test_two_workers_drain_one_outbox_without_sending_anything_twice(db, tmp_path):
    """On PostgreSQL the claims skip each other's locked rows; on SQLite they take turns."""
    _contact(db)
    with db.session() as session:
        outbox.enqueue(
            session,
            [_message(Channel.SMS, f"+97250234{n:04d}") for n in range(200)],
        )
    gateway = SmsSandbox(tmp_path / "sms")
    sent: list[str] = []

    class Counting:
        def send(self, to, text, key):
            sent.append(key)
            return gateway.send(to, text, key)

    down = SmtpServer("127.0.0.1", free_port(), "lounge@power.example")
    workers = [
        threading.Thread(
            target=outbox.drain, args=(db, senders(down, Counting()), name), kwargs={"batch": 10}
        )
        for name in ("w1", "w2")
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(120)
    rows = _rows(db)
    assert len(sent) == len(set(sent)) == 200
    assert {row.status for row in rows} == {Delivery.SENT}
    assert {row.attempts for row in rows} == {1}
    assert {row.worker for row in rows} == {"w1", "w2"}
