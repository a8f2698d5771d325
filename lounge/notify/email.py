"""E-mail over real SMTP: one message, plain text and HTML, the PDF attached where there is one.

Sending is one function that either returns or raises :class:`SendFailed` saying whether trying
again can help (a 4xx answer, a refused connection, a time-out) or not (a 5xx answer: the address
is refused). The outbox worker decides what to do with that; this module knows only SMTP.

The ``Message-ID`` is derived from the outbox row's idempotency key, so a message sent again after
a crash carries the same id and mail systems and readers can recognise the copy.
"""

from __future__ import annotations

import base64
import smtplib
import ssl
from dataclasses import dataclass, field
from email import message_from_bytes
from email.header import Header
from email.message import EmailMessage
from email.mime.base import MIMEBase
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.policy import compat32, default
from email.utils import formataddr, formatdate
from functools import lru_cache


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


#: Stands for an attachment's encoded content while the rest of the message is written.
_PLACEHOLDER = "lounge-attachment-{index}"
_SMTP_POLICY = compat32.clone(linesep="\r\n")


@lru_cache(maxsize=32)
def _encoded(content: bytes) -> bytes:
    """``content`` in base64 lines of 76 characters with CRLF ends, as it travels (kept for
    the next message: contacts of one customer who read one language share a PDF)."""
    return base64.encodebytes(content).rstrip(b"\n").replace(b"\n", b"\r\n")


def as_bytes(email: Email, sender: str) -> bytes:
    """``email`` as it goes over SMTP, CRLF line ends: multipart/alternative of the text and
    the HTML, within multipart/mixed with the attachments where there are some.

    Written with the ``compat32`` classes, whose headers are not parsed again on setting (the
    modern :class:`~email.message.EmailMessage` took 5 ms a message, most of the sender's time),
    and each attachment's base64 is spliced in whole rather than written line by line."""
    body = MIMEMultipart("alternative")
    body.attach(MIMEText(email.text, "plain", "utf-8"))
    if email.html:
        body.attach(MIMEText(email.html, "html", "utf-8"))
    message = body
    if email.attachments:
        message = MIMEMultipart("mixed")
        message.attach(body)
        for index, attachment in enumerate(email.attachments):
            part = MIMEBase(*attachment.mime_type.split("/", 1))
            part.set_payload(_PLACEHOLDER.format(index=index))
            part["Content-Transfer-Encoding"] = "base64"
            part.add_header("Content-Disposition", "attachment", filename=attachment.filename)
            message.attach(part)
    message["From"] = sender
    message["To"] = formataddr((email.to_name, email.to), "utf-8")
    message["Subject"] = Header(email.subject, "utf-8")  # type: ignore[assignment]  # compat32 folds it
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = message_id(email.key, sender)
    raw = message.as_bytes(policy=_SMTP_POLICY)
    for index, attachment in enumerate(email.attachments):
        raw = raw.replace(_PLACEHOLDER.format(index=index).encode(), _encoded(attachment.content))
    return raw


def build(email: Email, sender: str) -> EmailMessage:
    """``email`` as a message object (what :func:`as_bytes` sends, read back)."""
    return message_from_bytes(as_bytes(email, sender), policy=default)


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
        sender = self.server.sender
        message = as_bytes(email, sender)  # built before the connection is taken
        try:
            try:
                self._smtp = self._smtp or self._connect()
                self._smtp.sendmail(sender, [email.to], message)
            except smtplib.SMTPServerDisconnected:
                self.close()
                self._smtp = self._connect()
                self._smtp.sendmail(sender, [email.to], message)
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
        return message_id(email.key, sender)

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
