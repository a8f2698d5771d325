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
from email.policy import default
from email.utils import encode_rfc2231, formataddr, formatdate
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


CRLF = b"\r\n"


def _base64(content: bytes) -> bytes:
    """``content`` in base64 lines of 76 characters with CRLF ends, as it travels."""
    return base64.encodebytes(content).rstrip(b"\n").replace(b"\n", CRLF)


#: An attachment's base64, kept for the next message (contacts of one customer who read one
#: language share a PDF).
_encoded_attachment = lru_cache(maxsize=16)(_base64)


def _header(value: str) -> str:
    """A header value, in RFC 2047 encoded words where it is not plain ASCII."""
    return value if value.isascii() else Header(value, "utf-8").encode(linesep="\r\n")


def _part(headers: list[str], body: bytes) -> bytes:
    return CRLF.join(line.encode() for line in headers) + CRLF + CRLF + body


def _text(text: str, subtype: str) -> bytes:
    return _part(
        [f'Content-Type: text/{subtype}; charset="utf-8"', "Content-Transfer-Encoding: base64"],
        _base64(text.encode()),
    )


def _multipart(subtype: str, boundary: str, parts: list[bytes]) -> bytes:
    """The parts between boundaries; a boundary starting ``=_`` cannot occur in base64."""
    body = b"".join(b"--" + boundary.encode() + CRLF + part + CRLF for part in parts)
    body += b"--" + boundary.encode() + b"--"
    return _part([f'Content-Type: multipart/{subtype}; boundary="{boundary}"'], body)


def as_bytes(email: Email, sender: str) -> bytes:
    """``email`` as it goes over SMTP, CRLF line ends: multipart/alternative of the text and
    the HTML, within multipart/mixed with the attachments where there are some; every body in
    base64.

    Written here rather than by :mod:`email`'s generator: :class:`~email.message.EmailMessage`
    took 5 ms a message and ``compat32`` 1.5 ms (each header folded through ``Header``, each line
    of a PDF written on its own), most of the sender's time; this takes a tenth of that, and the
    tests read every message back with :mod:`email`'s own parser."""
    texts = [_text(email.text, "plain")] + ([_text(email.html, "html")] if email.html else [])
    body = _multipart("alternative", f"=_alt_{email.key}", texts)
    if email.attachments:
        files = [
            _part(
                [
                    f"Content-Type: {attachment.mime_type}",
                    "Content-Transfer-Encoding: base64",
                    "Content-Disposition: attachment; "
                    + (
                        f'filename="{attachment.filename}"'
                        if attachment.filename.isascii()
                        else "filename*=" + encode_rfc2231(attachment.filename, "utf-8")
                    ),
                ],
                _encoded_attachment(attachment.content),
            )
            for attachment in email.attachments
        ]
        body = _multipart("mixed", f"=_mixed_{email.key}", [body, *files])
    to = formataddr((email.to_name, email.to), "utf-8")
    headers = [
        f"From: {sender}",
        f"To: {to}",
        f"Subject: {_header(email.subject)}",
        f"Date: {formatdate(localtime=False)}",
        f"Message-ID: {message_id(email.key, sender)}",
        "MIME-Version: 1.0",
    ]
    return CRLF.join(line.encode() for line in headers) + CRLF + body + CRLF


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
