"""How a message reaches one contact: on each channel the contact chose for the message's topic.

Every feature that tells a customer's contacts something (membership, requests, ...) builds one
message and hands it here, so the rule is written once: a channel counts only with its address
(a text message needs a phone), a contact who chose nothing but has a postal address gets a
letter, and one who cannot be reached at all is recorded as a failed message for staff to see.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from db.models import Channel, Contact
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


def _addresses(contact: Contact) -> dict[Channel, str | None]:
    return addresses(contact.name, contact.email, contact.phone, contact.postal_address)


def chosen_channels(where: dict[Channel, str | None], chosen: Iterable[str]) -> list[Channel]:
    """The channels chosen that have an address; a letter for one who chose none that can."""
    channels = [Channel(choice) for choice in chosen if where.get(Channel(choice))]
    if not channels and where[Channel.POST]:
        channels = [Channel.POST]  # a contact who can be reached no other way gets a letter
    return channels


def channels_for(contact: Contact, topic: str) -> list[Channel]:
    """The channels a message on ``topic`` reaches ``contact`` over (none: unreachable)."""
    chosen = [choice.channel for choice in contact.channels if choice.topic == topic]
    return chosen_channels(_addresses(contact), chosen)


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
