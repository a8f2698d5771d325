"""How a message reaches one contact: on each channel the contact chose for the message's topic.

Every feature that tells a customer's contacts something (membership, requests, ...) builds one
message and hands it here, so the rule is written once: a channel counts only with its address
(a text message needs a phone), a contact who chose nothing but has a postal address gets a
letter, and one who cannot be reached at all is recorded as a failed message for staff to see.
"""

from __future__ import annotations

from dataclasses import replace

from db.models import Channel, Contact
from lounge.notify.outbox import Message
from lounge.notify.templates import Rendered

NO_CHANNEL = "no e-mail, phone or postal address"


def _addresses(contact: Contact) -> dict[Channel, str | None]:
    return {
        Channel.EMAIL: contact.email,
        Channel.SMS: contact.phone,
        Channel.POST: f"{contact.name}\n{contact.postal_address}"
        if contact.postal_address
        else None,
    }


def channels_for(contact: Contact, topic: str) -> list[Channel]:
    """The channels a message on ``topic`` reaches ``contact`` over (none: unreachable)."""
    addresses = _addresses(contact)
    chosen = [
        Channel(choice.channel)
        for choice in contact.channels
        if choice.topic == topic and addresses.get(Channel(choice.channel))
    ]
    if not chosen and addresses[Channel.POST]:
        chosen = [Channel.POST]  # a contact who can be reached no other way gets a letter
    return chosen


def contact_messages(base: Message, contact: Contact, text: Rendered) -> list[Message]:
    """``base`` (topic, kind, source, customer, ...) to ``contact`` over the chosen channels."""
    addresses = _addresses(contact)
    chosen = channels_for(contact, base.topic)
    base = replace(
        base,
        language=text.language,
        subject=text.subject,
        body=text.text,
        contact_id=contact.id,
    )
    if not chosen:
        return [replace(base, channel=Channel.POST, recipient=contact.name, failure=NO_CHANNEL)]
    return [
        replace(
            base,
            channel=channel,
            recipient=addresses[channel] or "",
            body=text.sms if channel is Channel.SMS else text.text,
            html=text.html if channel is Channel.EMAIL else None,
        )
        for channel in chosen
    ]
