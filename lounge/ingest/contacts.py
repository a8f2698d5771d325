"""Import of contacts: the people at each customer who receive notices, and how.

A contact is known by its customer and name (the source systems have no contact id): a new pair
is added, a known one gets the file's values, and an empty optional cell keeps what is stored.
``channels`` ("email sms", "post", ...) applies to every topic; a ``<topic>_channels`` column
(membership, warnings, outages, service) overrides it for that topic. A channel needs its
address: e-mail an address, SMS a mobile number, post a postal address (lines separated by
``|``). Phone numbers are checked against the numbering plans and stored in E.164. Any bad row
rejects the whole file, naming its line.
"""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from db.models import CONTACT_CHANNELS, Contact, ContactChannel, ContactRole, Customer, Topic
from lounge import chunks
from lounge.i18n import _
from lounge.ingest.csvtable import read_csv_table
from lounge.ingest.problems import ImportRejected
from lounge.ingest.registry import Field, RowCheck, field_errors, rows_of
from lounge.ingest.summary import ImportSummary, record_batch
from lounge.notify import phones
from lounge.settings import KNOWN_LANGUAGES

KIND = "contacts"
TOPIC_COLUMNS = {topic: f"{topic}_channels" for topic in Topic}
#: The columns stored on the contact itself; the channel columns below go to its choices.
STORED = (
    Field("customer_id", "customer_id", 40),
    Field("name", "name", 200),
    Field("role", "role", 20, required=False),
    Field("email", "email", 254, required=False),
    Field("phone", "phone", 30, required=False),
    Field("postal_address", "postal_address", 300, required=False),
    Field("language", "language", 5, required=False),
)
FIELDS = (
    *STORED,
    Field("channels", "channels", 40, required=False),
    *(Field(column, column, 40, required=False) for column in TOPIC_COLUMNS.values()),
)
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
ROLES = tuple(role.value for role in ContactRole)
Row = dict[str, str]


def _channels(text: str) -> list[str]:
    return [word for word in re.split(r"[\s,;]+", text.strip().lower()) if word]


def _choices(row: Row) -> dict[Topic, list[str]] | None:
    """The channels per topic the row asks for, or None when it names none (keep stored)."""
    if not row["channels"] and not any(row[column] for column in TOPIC_COLUMNS.values()):
        return None
    return {
        topic: _channels(row[column] or row["channels"]) for topic, column in TOPIC_COLUMNS.items()
    }


def checks(known: set[str]) -> list[RowCheck]:
    """The rules a contact row must meet (the lounge's contact form uses them too)."""

    def customer(row: Row) -> str | None:
        if row["customer_id"] and row["customer_id"] not in known:
            return _("unknown customer '{value}'").format(value=row["customer_id"])
        return None

    def role(row: Row) -> str | None:
        if row["role"] and row["role"] not in ROLES:
            return _("role '{value}' is not one of: {allowed}").format(
                value=row["role"], allowed=", ".join(ROLES)
            )
        return None

    def language(row: Row) -> str | None:
        if row["language"] and row["language"] not in KNOWN_LANGUAGES:
            return _("language '{value}' is not one of: {allowed}").format(
                value=row["language"], allowed=", ".join(KNOWN_LANGUAGES)
            )
        return None

    def email(row: Row) -> str | None:
        if row["email"] and not EMAIL.match(row["email"]):
            return _("email '{value}' is not an e-mail address").format(value=row["email"])
        return None

    def phone(row: Row) -> str | None:
        if not row["phone"]:
            return None
        try:
            phones.normalize(row["phone"])
        except phones.InvalidPhone:
            return _("phone '{value}' is not a valid Israeli or international number").format(
                value=row["phone"]
            )
        return None

    def channels(row: Row) -> str | None:
        chosen = _choices(row) or {}
        every = {channel for names in chosen.values() for channel in names}
        unknown = sorted(every - set(CONTACT_CHANNELS))
        if unknown:
            return _("channel '{value}' is not one of: {allowed}").format(
                value=unknown[0], allowed=", ".join(CONTACT_CHANNELS)
            )
        needs = {"email": "email", "sms": "phone", "post": "postal_address"}
        for channel in sorted(every):
            if not row[needs[channel]]:
                return _("channel {channel} needs {column}").format(
                    channel=channel, column=needs[channel]
                )
        if (
            "sms" in every
            and not phone(row)
            and not phones.can_receive_sms(phones.normalize(row["phone"]))
        ):
            return _("phone '{value}' cannot receive text messages").format(value=row["phone"])
        return None

    return [customer, role, language, email, phone, channels]


def values_of(row: Row) -> dict[str, str]:
    """The stored values of a checked row (E.164 phone, address lines), empty cells left out."""
    values = {
        field.attribute: row[field.column]
        for field in STORED
        if row[field.column] or field.required
    }
    if "phone" in values:
        values["phone"] = phones.normalize(values["phone"])
    if "postal_address" in values:
        values["postal_address"] = "\n".join(
            line.strip() for line in values["postal_address"].split("|") if line.strip()
        )
    return values


def _write(session: Session, rows: list[tuple[int, Row]]) -> tuple[int, int, int]:
    """Upsert by (customer, name); returns (inserted, updated, unchanged)."""
    customers = {row["customer_id"] for _line, row in rows}
    stored: dict[tuple[str, str], Contact] = {}
    for chunk in chunks.chunked(sorted(customers)):
        query = (
            select(Contact)
            .where(Contact.customer_id.in_(chunk))
            .options(selectinload(Contact.channels))
        )
        stored |= {(c.customer_id, c.name): c for c in session.scalars(query)}
    inserted = updated = 0
    for _line, row in rows:
        values = values_of(row)
        choices = _choices(row)
        wanted = (
            None
            if choices is None
            else {(topic.value, channel) for topic, names in choices.items() for channel in names}
        )
        contact = stored.get((row["customer_id"], row["name"]))
        if contact is None:
            contact = Contact(**values)
            session.add(contact)
            inserted += 1
        else:
            current = {(c.topic, c.channel) for c in contact.channels}
            changed = any(getattr(contact, k) != v for k, v in values.items())
            if not changed and (wanted is None or wanted == current):
                continue
            for name, value in values.items():
                setattr(contact, name, value)
            updated += 1
        if wanted is not None:
            contact.channels = [
                ContactChannel(topic=topic, channel=channel) for topic, channel in sorted(wanted)
            ]
    session.flush()
    return inserted, updated, len(rows) - inserted - updated


def import_contacts(session: Session, data: bytes, filename: str, actor: str) -> ImportSummary:
    required = tuple(f.column for f in FIELDS if f.required)
    optional = tuple(f.column for f in FIELDS if not f.required)
    table = read_csv_table(data, filename, required, optional)
    rows = rows_of(table, FIELDS)
    wanted = {row["customer_id"] for _line, row in rows}
    known = {
        found for (found,) in chunks.rows_in(session, select(Customer.id), Customer.id, wanted)
    }
    errors = field_errors(rows, FIELDS, checks(known), key_columns=2)
    if errors:
        raise ImportRejected(filename, errors)
    inserted, updated, unchanged = _write(session, rows)
    summary = ImportSummary(KIND, filename, len(rows), inserted, updated, unchanged)
    record_batch(session, summary, actor)
    return summary
