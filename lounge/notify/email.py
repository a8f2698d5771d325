"""E-mail over real SMTP: one message, plain text and HTML, the PDF attached where there is one.

Sending is one function that either returns or raises :class:`SendFailed` saying whether trying
again can help (a 4xx answer, a refused connection, a time-out) or not (a 5xx answer: the address
is refused). The outbox worker decides what to do with that; this module knows only SMTP.

The ``Message-ID`` is derived from the outbox row's idempotency key, so a message sent again after
a crash carries the same id and mail systems and readers can recognise the copy.
"""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formataddr, formatdate


@dataclass(frozen=True)
class SmtpServer:
    """Where and how to hand mail over (``LOUNGE_SMTP_*`` settings)."""

    host: str
    port: int
    sender: str
    starttls: bool = False
    user: str | None = None
    password: str | None = None
    timeout_s: float = 10.0


@dataclass(frozen=True)
class Attachment:
    filename: str
    content: bytes
    mime_type: str = "application/pdf"


@dataclass(frozen=True)
class Email:
    to: str
    to_name: str
    subject: str
    text: str
    html: str
    #: The outbox row's idempotency key; becomes the Message-ID.
    key: str
    attachments: tuple[Attachment, ...] = field(default=())


class SendFailed(Exception):
    """A send that did not happen; ``permanent`` when trying again cannot help."""

    def __init__(self, reason: str, *, permanent: bool) -> None:
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent


def message_id(key: str, sender: str) -> str:
    domain = sender.rpartition("@")[2] or "lounge.invalid"
    return f"<{key}@{domain}>"


def build(email: Email, sender: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = formataddr((email.to_name, email.to))
    message["Subject"] = email.subject
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = message_id(email.key, sender)
    message.set_content(email.text)
    if email.html:
        message.add_alternative(email.html, subtype="html")
    for attachment in email.attachments:
        maintype, _, subtype = attachment.mime_type.partition("/")
        message.add_attachment(
            attachment.content, maintype=maintype, subtype=subtype, filename=attachment.filename
        )
    return message


def send(server: SmtpServer, email: Email) -> str:
    """Hand ``email`` to ``server``; returns its Message-ID or raises :class:`SendFailed`."""
    message = build(email, server.sender)
    try:
        with smtplib.SMTP(server.host, server.port, timeout=server.timeout_s) as smtp:
            if server.starttls:
                smtp.starttls(context=ssl.create_default_context())
            if server.user:
                smtp.login(server.user, server.password or "")
            smtp.send_message(message)
    except smtplib.SMTPRecipientsRefused as exc:
        code, answer = next(iter(exc.recipients.values()))
        raise SendFailed(_answer(code, answer), permanent=code >= 500) from exc
    except smtplib.SMTPResponseException as exc:
        raise SendFailed(
            _answer(exc.smtp_code, exc.smtp_error), permanent=exc.smtp_code >= 500
        ) from exc
    except (smtplib.SMTPException, OSError) as exc:
        reason = f"SMTP server {server.host}:{server.port} unreachable: {exc}"
        raise SendFailed(reason, permanent=False) from exc
    return str(message["Message-ID"])


def _answer(code: int, answer: bytes | str) -> str:
    text = answer.decode(errors="replace") if isinstance(answer, bytes) else answer
    return f"SMTP {code} {text}"
