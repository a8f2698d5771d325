"""One message to a contact on every channel they chose for its topic.

Whatever issues messages (entry and exit, meetings, requests) builds one message and hands it
here with the contact; this picks the channels the contact chose for the message's topic and
that have an address, falls back to a letter when none has, and records a message that cannot
be sent at all as failed, for staff to see.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from db.models import Channel, Contact
from lounge.notify.outbox import Message
from lounge.notify.templates import Rendered

NO_CHANNEL = "no e-mail, phone or postal address"


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
    addresses = {
        Channel.EMAIL: contact.email,
        Channel.SMS: contact.phone,
        Channel.POST: f"{contact.name}\n{contact.postal_address}"
        if contact.postal_address
        else None,
    }
    chosen = [
        Channel(choice.channel)
        for choice in contact.channels
        if choice.topic == topic and addresses.get(Channel(choice.channel))
    ]
    if not chosen and addresses[Channel.POST]:
        chosen = [Channel.POST]  # a contact who can be reached no other way gets a letter
    if not chosen:
        return [replace(base, recipient=contact.name, failure=NO_CHANNEL)]
    return [
        replace(
            base,
            channel=channel,
            recipient=addresses[channel] or "",
            body=text.sms if channel is Channel.SMS else text.text,
            html=text.html if channel is Channel.EMAIL else None,
            attachment=attachment if channel is Channel.EMAIL else None,
        )
        for channel in chosen
    ]
