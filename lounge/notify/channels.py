"""The senders a worker uses, one per channel, each turning an outbox row into a provider call.

In-app messages are delivered when written and letters are posted by staff, so only e-mail and
SMS have senders.
"""

from __future__ import annotations

import threading
from typing import Protocol

from db.models import Channel, Notification
from lounge.notify import attachments, email
from lounge.notify.outbox import Receipt, Sender


class SmsGateway(Protocol):
    """Anything that sends a text with an idempotency key (the sandbox, a real gateway)."""

    def send(self, to: str, text: str, key: str) -> Receipt: ...


def email_sender(server: email.SmtpServer) -> Sender:
    """Sends over one connection per sending thread, kept for as long as the sender lives (a
    worker's drain); the message, its PDF included, is built before the connection is used."""
    mailers = threading.local()

    def send(message: Notification) -> Receipt:
        built = as_email(message)
        mailer = getattr(mailers, "mailer", None)
        if mailer is None:
            mailer = mailers.mailer = email.Mailer(server)
        return Receipt(provider_id=mailer.send(built))

    return send


def as_email(message: Notification) -> email.Email:
    """The outbox row as an e-mail, with its PDF rendered (:mod:`lounge.notify.attachments`);
    a PDF that cannot be made fails this send as one that may pass (it is retried)."""
    try:
        attachment = attachments.render(message)
    except Exception as exc:  # a render's failure is the sending's, never the whole batch's
        reason = f"the attached PDF could not be made: {type(exc).__name__}: {exc}"
        raise email.SendFailed(reason, permanent=False) from exc
    return email.Email(
        to=message.recipient,
        to_name="",
        subject=message.subject,
        text=message.body,
        html=message.html or "",
        key=message.key,
        attachments=(attachment,) if attachment else (),
    )


def sms_sender(gateway: SmsGateway) -> Sender:
    def send(message: Notification) -> Receipt:
        return gateway.send(message.recipient, message.body, message.key)

    return send


def senders(server: email.SmtpServer, gateway: SmsGateway) -> dict[Channel, Sender]:
    return {Channel.EMAIL: email_sender(server), Channel.SMS: sms_sender(gateway)}
