"""One message to a contact on every channel they chose for its topic.

Whatever issues messages (entry and exit, meetings, requests, demand notices) builds one message
and hands it here with the contact, so the rule is written once: a channel counts only with its
address (a text message needs a phone), a contact who chose nothing that can reach them but has a
postal address gets a letter, and one who cannot be reached at all is recorded as a failed
message for staff to see. Targeting previews use the same rule on plain rows
(:func:`addresses`, :func:`chosen_channels`), so a preview names exactly the channels used.
A user of the lounge gets the same text in the inbox behind the bell (:func:`to_user`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from typing import Any

from db.models import Channel, Contact, User
from lounge.notify.outbox import Message
from lounge.notify.templates import Rendered

NO_CHANNEL = "no e-mail, phone or postal address"


def addresses(
    name: str, email: str | None, phone: str | None, postal_address: str | None
) -> dict[Channel, str | None]:
    """Where each channel reaches a contact (None: it cannot)."""
    return {
        Channel.EMAIL: email,
        Channel.SMS: phone,
        Channel.POST: f"{name}\n{postal_address}" if postal_address else None,
    }


def chosen_channels(where: dict[Channel, str | None], chosen: Iterable[str]) -> list[Channel]:
    """The channels chosen that have an address; a letter for one who chose none that can."""
    channels = [Channel(choice) for choice in chosen if where.get(Channel(choice))]
    if not channels and where[Channel.POST]:
        channels = [Channel.POST]  # a contact who can be reached no other way gets a letter
    return channels


def to_contact(
    contact: Contact,
    text: Rendered,
    topic: str,
    kind: str,
    source: str,
    link: str,
    attachment: dict[str, Any] | None = None,
) -> list[Message]:
    """``text`` (a message of ``kind`` on ``topic`` caused by ``source``) for each channel
    ``contact`` chose for the topic; an e-mail carries ``attachment`` (a document to render at
    sending, see :mod:`lounge.notify.attachments`), a text message or letter does not."""
    base = Message(
        topic=topic,
        kind=kind,
        source=source,
        channel=Channel.POST,
        language=text.language,
        recipient="",
        subject=text.subject,
        body=text.text,
        link=link,
        customer_id=contact.customer_id,
        contact_id=contact.id,
    )
    where = addresses(contact.name, contact.email, contact.phone, contact.postal_address)
    chosen = chosen_channels(
        where, [choice.channel for choice in contact.channels if choice.topic == topic]
    )
    if not chosen:
        return [replace(base, recipient=contact.name, failure=NO_CHANNEL)]
    return [
        replace(
            base,
            channel=channel,
            recipient=where[channel] or "",
            body=text.sms if channel is Channel.SMS else text.text,
            html=text.html if channel is Channel.EMAIL else None,
            attachment=attachment if channel is Channel.EMAIL else None,
        )
        for channel in chosen
    ]


def user_name(user: User) -> str:
    """How a user of the lounge is addressed: the full name, else the e-mail."""
    return user.full_name or user.email


def to_user(
    user: User,
    text: Rendered,
    topic: str,
    kind: str,
    source: str,
    link: str,
    customer_id: str | None,
) -> Message:
    """``text`` in ``user``'s lounge inbox (the bell), opening ``link`` (a path of the lounge);
    ``customer_id`` is the customer the message is about."""
    return Message(
        topic=topic,
        kind=kind,
        source=source,
        channel=Channel.IN_APP,
        language=text.language,
        recipient=user_name(user),
        subject=text.subject,
        body=text.text,
        link=link,
        customer_id=customer_id,
        user_id=user.id,
    )
