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


class Mailer:
    """One SMTP connection reused across messages, opened on first use and again after a drop.

    A worker sends a batch over one connection instead of one per message (the handshake, TLS
    and login dominate a small message). A connection the server closed while idle fails at the
    envelope, before any message is handed over, so opening a new one and sending again cannot
    duplicate anything.
    """

    def __init__(self, server: SmtpServer) -> None:
        self.server = server
        self._smtp: smtplib.SMTP | None = None

    def _connect(self) -> smtplib.SMTP:
        server = self.server
        # A fixed HELO name: smtplib would otherwise look up this host's FQDN on every connection.
        smtp = smtplib.SMTP(server.host, server.port, "localhost", timeout=server.timeout_s)
        if server.starttls:
            smtp.starttls(context=ssl.create_default_context())
        if server.user:
            smtp.login(server.user, server.password or "")
        return smtp

    def send(self, email: Email) -> str:
        """Hand ``email`` over; returns its Message-ID or raises :class:`SendFailed`."""
        message = build(email, self.server.sender)
        try:
            try:
                self._smtp = self._smtp or self._connect()
                self._smtp.send_message(message)
            except smtplib.SMTPServerDisconnected:
                self.close()
                self._smtp = self._connect()
                self._smtp.send_message(message)
        except smtplib.SMTPRecipientsRefused as exc:
            code, answer = next(iter(exc.recipients.values()))
            raise SendFailed(_answer(code, answer), permanent=code >= 500) from exc
        except smtplib.SMTPResponseException as exc:
            self.close()
            permanent = exc.smtp_code >= 500
            raise SendFailed(_answer(exc.smtp_code, exc.smtp_error), permanent=permanent) from exc
        except (smtplib.SMTPException, OSError) as exc:
            self.close()
            reason = f"SMTP server {self.server.host}:{self.server.port} unreachable: {exc}"
            raise SendFailed(reason, permanent=False) from exc
        return str(message["Message-ID"])

    def close(self) -> None:
        if self._smtp is not None:
            try:
                self._smtp.quit()
            except (smtplib.SMTPException, OSError):
                pass
            self._smtp = None


def send(server: SmtpServer, email: Email) -> str:
    """Hand one ``email`` to ``server`` over a connection of its own."""
    mailer = Mailer(server)
    try:
        return mailer.send(email)
    finally:
        mailer.close()


def _answer(code: int, answer: bytes | str) -> str:
    text = answer.decode(errors="replace") if isinstance(answer, bytes) else answer
    return f"SMTP {code} {text}"
