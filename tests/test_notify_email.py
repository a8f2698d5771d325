"""E-mail through a real SMTP server on localhost (aiosmtpd), and its failures classified."""

from __future__ import annotations

from collections.abc import Iterator
from email import message_from_bytes
from email.header import decode_header, make_header
from email.message import Message

import pytest
from aiosmtpd.controller import Controller

from lounge.notify.email import Attachment, Email, SendFailed, SmtpServer, send
from tests.factories import free_port


class Recorder:
    """Keeps every message; answers 550 for addresses at refused.example, 451 at busy.example."""

    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        if address.endswith("@refused.example"):
            return "550 5.1.1 No such user"
        if address.endswith("@busy.example"):
            return "451 4.3.0 Try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        self.messages.append(message_from_bytes(envelope.content))
        return "250 Message accepted"


@pytest.fixture
def smtp() -> Iterator[tuple[SmtpServer, Recorder]]:
    recorder = Recorder()
    controller = Controller(recorder, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield SmtpServer("127.0.0.1", controller.port, "lounge@power.example"), recorder
    finally:
        controller.stop()


def _email(to: str = "dana@client.example", **changes: object) -> Email:
    fields: dict[str, object] = {
        "to": to,
        "to_name": "דנה כהן",
        "subject": "ברוכים הבאים לטרקלין העסקי",
        "text": "שלום דנה",
        "html": "<p dir='rtl'>שלום דנה</p>",
        "key": "outbox-17",
        "attachments": (Attachment("welcome.pdf", b"%PDF-1.4 test"),),
    }
    return Email(**(fields | changes))  # type: ignore[arg-type]


def _header(message: Message, name: str) -> str:
    """A header as a reader shows it (encoded words decoded, folding undone)."""
    return str(make_header(decode_header(message[name])))


def test_a_message_arrives_with_text_html_the_pdf_and_its_key_as_message_id(smtp) -> None:
    server, recorder = smtp
    sent_id = send(server, _email())
    [message] = recorder.messages
    assert message["Message-ID"] == sent_id == "<outbox-17@power.example>"
    assert (_header(message, "Subject"), _header(message, "To")) == (
        "ברוכים הבאים לטרקלין העסקי",
        "דנה כהן <dana@client.example>",
    )
    parts = {part.get_content_type(): part for part in message.walk()}
    assert "שלום דנה" in parts["text/plain"].get_payload(decode=True).decode()
    assert "dir='rtl'" in parts["text/html"].get_payload(decode=True).decode()
    pdf = parts["application/pdf"]
    assert pdf.get_filename() == "welcome.pdf"
    assert pdf.get_payload(decode=True) == b"%PDF-1.4 test"


def test_a_refused_address_is_a_permanent_failure(smtp) -> None:
    server, recorder = smtp
    with pytest.raises(SendFailed) as failure:
        send(server, _email(to="nobody@refused.example"))
    assert failure.value.permanent
    assert "550" in failure.value.reason
    assert recorder.messages == []


def test_a_temporary_refusal_can_be_retried(smtp) -> None:
    server, _ = smtp
    with pytest.raises(SendFailed) as failure:
        send(server, _email(to="someone@busy.example"))
    assert not failure.value.permanent
    assert "451" in failure.value.reason


def test_an_unreachable_server_can_be_retried() -> None:
    server = SmtpServer("127.0.0.1", free_port(), "lounge@power.example", timeout_s=2)
    with pytest.raises(SendFailed) as failure:
        send(server, _email())
    assert not failure.value.permanent
    assert "unreachable" in failure.value.reason


def test_a_long_hebrew_subject_is_folded_and_reads_back_whole(smtp) -> None:
    server, recorder = smtp
    subject = "ברוכים הבאים לטרקלין העסקי של חברת החשמל, עם כל מה שהחברות בו מציעה לכם השנה"
    send(server, _email(subject=subject, attachments=()))
    [message] = recorder.messages
    assert _header(message, "Subject") == subject
    assert message.get_content_type() == "multipart/alternative"


def test_attachments_keep_their_names_and_bytes_a_hebrew_name_too(smtp) -> None:
    server, recorder = smtp
    files = (Attachment("חברות.pdf", b"%PDF-1.4 a" * 5000), Attachment("b.pdf", b"%PDF-1.4 b"))
    send(server, _email(attachments=files))
    [message] = recorder.messages
    got = [p for p in message.walk() if p.get_content_type() == "application/pdf"]
    assert [(p.get_filename(), p.get_payload(decode=True)) for p in got] == [
        (f.filename, f.content) for f in files
    ]
    assert not message.defects
