"""Contacts in the lounge: a client keeps its own, an account manager those of the portfolio.

Edits go through the same checks as the contacts import (one list of rules, one set of
messages), so a number refused in a file is refused on screen with the same words.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from db.models import CONTACT_CHANNELS, Contact, ContactChannel, Topic
from lounge import access
from lounge.access import NotFound, Viewer
from lounge.ingest import contacts as rules
from lounge.ingest.registry import empty, too_long

#: Who edits contacts: the customer itself and the staff who serve it commercially.
EDITORS = access.COMMERCIAL_ROLES


@dataclass(frozen=True)
class ContactForm:
    """What the contact form sends: plain text, checked here before anything is stored."""

    name: str
    role: str
    email: str
    phone: str
    postal_address: str
    language: str
    #: (topic, channel) pairs chosen.
    channels: frozenset[tuple[str, str]]


class ContactError(ValueError):
    """The form holds something that cannot be stored; the messages say what."""

    def __init__(self, messages: list[str]) -> None:
        super().__init__("; ".join(messages))
        self.messages = messages


def contacts(session: Session, viewer: Viewer, customer_id: object) -> list[Contact]:
    customer = access.get_customer(session, viewer, customer_id)
    access.require(viewer, *EDITORS)
    query = (
        select(Contact)
        .where(Contact.customer_id == customer.id)
        .options(selectinload(Contact.channels))
        .order_by(Contact.name, Contact.id)
    )
    return list(session.scalars(query))


def _row(customer_id: str, form: ContactForm) -> dict[str, str]:
    """The form as an import row, with one channels column per topic."""
    row = {
        "customer_id": customer_id,
        "name": form.name.strip(),
        "role": form.role,
        "email": form.email.strip(),
        "phone": form.phone.strip(),
        "postal_address": " | ".join(
            line.strip() for line in form.postal_address.splitlines() if line.strip()
        ),
        "language": form.language,
        "channels": "",
    }
    for topic, column in rules.TOPIC_COLUMNS.items():
        row[column] = " ".join(c for t, c in sorted(form.channels) if t == topic)
    return row


def save(
    session: Session,
    viewer: Viewer,
    customer_id: object,
    contact_id: object | None,
    form: ContactForm,
) -> Contact:
    """Add a contact (``contact_id`` None) or change one of the customer's; all or nothing."""
    customer = access.get_customer(session, viewer, customer_id)
    access.require(viewer, *EDITORS)
    row = _row(customer.id, form)
    problems = [message for check in rules.checks({customer.id}) if (message := check(row))] + [
        too_long(field.column, field.max_length)
        for field in rules.FIELDS
        if len(row[field.column]) > field.max_length
    ]
    if not row["name"]:
        problems.insert(0, empty("name"))
    if problems:
        raise ContactError(problems)
    if contact_id is None:
        contact = Contact(customer_id=customer.id)
        session.add(contact)
    else:
        contact = _one(session, customer.id, contact_id)
    values = rules.values_of(row)
    for field in rules.STORED[1:]:  # all but the customer, which the form cannot change
        setattr(contact, field.attribute, values.get(field.attribute))
    contact.role = contact.role or "other"
    contact.language = contact.language or "he"
    contact.channels = [
        ContactChannel(topic=topic, channel=channel)
        for topic, channel in sorted(form.channels)
        if topic in set(Topic) and channel in CONTACT_CHANNELS
    ]
    session.flush()
    return contact


def delete(session: Session, viewer: Viewer, customer_id: object, contact_id: object) -> None:
    customer = access.get_customer(session, viewer, customer_id)
    access.require(viewer, *EDITORS)
    session.delete(_one(session, customer.id, contact_id))
    session.flush()


def _one(session: Session, customer_id: str, contact_id: object) -> Contact:
    """The customer's contact ``contact_id``: another customer's is not found."""
    try:
        wanted = int(str(contact_id))
    except ValueError:
        raise NotFound(contact_id) from None
    contact = session.scalar(
        select(Contact).where(Contact.id == wanted, Contact.customer_id == customer_id)
    )
    if contact is None:
        raise NotFound(contact_id)
    return contact
