"""The welcome e-mail carries "membership and why" as a PDF in the contact's language, built by
``reports/`` when it is sent, and read back from what a real SMTP server received."""

from __future__ import annotations

import datetime as dt
import io
import threading
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import pdfplumber
import pytest
from sqlalchemy import select, update

from db.models import Channel, Contact, ContactChannel, Delivery, Notification, Topic, utcnow
from db.session import Database
from lounge.notify import attachments, outbox
from lounge.notify.channels import senders
from lounge.notify.email import SmtpServer
from lounge.notify.sandbox import SmsSandbox, serve_mail
from tests.factories import free_port
from tests.test_notify_membership import _classify, _member_with_contacts


def _received(db: Database, tmp_path: Path) -> list[EmailMessage]:
    controller = serve_mail(tmp_path / "mail", free_port())
    try:
        server = SmtpServer("127.0.0.1", controller.port, "lounge@power.example")
        outbox.drain(db, senders(server, SmsSandbox(tmp_path / "sms")), "w1")
    finally:
        controller.stop()
    return _mails(tmp_path)


def _mails(tmp_path: Path) -> list[EmailMessage]:
    return [
        message_from_bytes(path.read_bytes(), policy=policy.default)  # type: ignore[misc]
        for path in sorted((tmp_path / "mail").glob("*.eml"))
    ]


def _pdf_text(message: EmailMessage) -> str:
    [part] = [p for p in message.iter_attachments() if p.get_content_type() == "application/pdf"]
    assert part.get_filename() == "membership.pdf"
    with pdfplumber.open(io.BytesIO(part.get_content())) as pdf:
        assert len(pdf.pages) == 1
        return "\n".join(page.extract_text() for page in pdf.pages)


def _welcome_in_english_and_hebrew(db: Database) -> None:
    _member_with_contacts(db)
    with db.session() as session:  # an English reader beside the Hebrew one
        contact = Contact(customer_id="C1", name="Noa Ben", language="en", email="noa@c1.example")
        contact.channels = [ContactChannel(topic=Topic.MEMBERSHIP, channel="email")]
        session.add(contact)
    _classify(db, dt.date(2026, 1, 15))


def test_the_welcome_email_carries_membership_and_why_in_the_readers_language(db, tmp_path):
    _welcome_in_english_and_hebrew(db)
    by_reader = {str(m["To"]): m for m in _received(db, tmp_path)}
    assert set(by_reader) == {"dana@c1.example", "noa@c1.example"}

    english = _pdf_text(by_reader["noa@c1.example"])
    assert "Your Business Lounge" in english and "Member since 15 Jan 2026" in english
    assert "Why Customer C1 is a member" in english
    assert "1,200,000 kWh" in english and "1,000,000 kWh" in english
    assert "A personal account manager: Avi Manager" in english
    assert "Noa Ben" not in english  # one document for the customer, not per person

    hebrew = _pdf_text(by_reader["dana@c1.example"])
    assert "Business Lounge" not in hebrew
    # pdfplumber reads Hebrew in visual order: each word's letters reversed
    assert "טרקלין"[::-1] in hebrew and "1,200,000" in hebrew
    assert by_reader["dana@c1.example"].get_body(("plain",)) is not None


def test_a_message_without_a_document_goes_without_a_pdf_and_a_text_carries_none(db, tmp_path):
    _member_with_contacts(db)
    _classify(db, dt.date(2026, 1, 15))
    with db.session() as session:
        texts = session.scalars(
            select(Notification).where(Notification.channel != Channel.EMAIL)
        ).all()
        assert all(m.attachment is None for m in texts)
        session.execute(update(Notification).values(attachment=None))
    [message] = _received(db, tmp_path)
    assert list(message.iter_attachments()) == []
    assert "1,200,000" in message.get_body(("plain",)).get_content()


@pytest.mark.parametrize("ahead", [False, True], ids=["rendered-in-place", "rendered-ahead"])
def test_a_pdf_that_cannot_be_made_fails_that_send_only_and_it_is_retried(
    db, tmp_path, monkeypatch, ahead
):
    _welcome_in_english_and_hebrew(db)
    build_report = attachments.build_report
    failures = []

    def fails_once_in_english(document):  # type: ignore[no-untyped-def]
        if document.language == "en" and not failures:
            failures.append(document)
            raise OSError("font file unreadable")
        return build_report(document)

    monkeypatch.setattr(attachments, "build_report", fails_once_in_english)
    controller = serve_mail(tmp_path / "mail", free_port())
    chosen = senders(
        SmtpServer("127.0.0.1", controller.port, "lounge@power.example"),
        SmsSandbox(tmp_path / "sms"),
    )

    def drain() -> None:
        if not ahead:
            outbox.drain(db, chosen, "w1", connections=2)
            return
        with attachments.rendering_ahead() as prepare:
            outbox.drain(db, chosen, "w1", connections=2, prepare=prepare)
        assert not [t for t in threading.enumerate() if t.name.startswith("render")]

    def english() -> Notification:
        with db.session() as session:
            return session.scalars(
                select(Notification).where(Notification.recipient == "noa@c1.example")
            ).one()

    try:
        drain()
        failed = english()
        assert failed.status == Delivery.QUEUED and failed.attempts == 1
        assert "PDF could not be made: OSError: font file unreadable" in (failed.last_error or "")
        assert failed.next_attempt_at > utcnow()  # backoff, like any failure that may pass
        sent = [str(m["To"]) for m in _mails(tmp_path)]
        assert sent == ["dana@c1.example"]  # the rest of the batch went out

        with db.session() as session:  # the backoff has run out
            session.execute(
                update(Notification)
                .where(Notification.id == failed.id)
                .values(next_attempt_at=utcnow())
            )
        drain()
    finally:
        controller.stop()
    assert english().status == Delivery.SENT and english().attempts == 2
    by_reader = {str(m["To"]): m for m in _mails(tmp_path)}
    assert set(by_reader) == {"dana@c1.example", "noa@c1.example"}
    assert "Member since 15 Jan 2026" in _pdf_text(by_reader["noa@c1.example"])
