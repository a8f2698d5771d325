"""The outbox: messages written with the change that caused them, sent by workers exactly once.

Why this shape:
- Whatever issues messages calls :func:`enqueue` inside its own transaction, so a classification
  run and its welcome messages commit together or not at all.
- A worker claims a batch with one ``UPDATE ... WHERE id IN (SELECT ... FOR UPDATE SKIP LOCKED)``:
  on PostgreSQL two workers never take the same row and never wait for each other; SQLite runs
  the statement atomically under its single writer lock (it renders no row lock). The claim is a
  lease: a worker that dies leaves rows in ``sending`` whose lease runs out, and the next worker
  takes them.
- Sending happens outside any transaction (no database lock is held across the network), and
  every send carries the row's ``key``; providers recognise a key they have already accepted (the
  gateway's idempotency key, the Message-ID at the mail server), so a message resent after a
  worker died between the provider's acceptance and the worker's record is still delivered once.
- A failure that may pass (a 4xx answer, a refused connection) is retried with exponential backoff
  up to :data:`MAX_ATTEMPTS`; one that cannot (a refused address), or the last attempt, marks the
  message failed with the reason, and when every electronic message of that contact for that cause
  has failed, a letter takes over (post is the fallback of last resort).
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Update, and_, exists, insert, or_, select, update
from sqlalchemy.orm import Session, aliased

from db.models import Channel, Contact, Delivery, Notification, utcnow
from db.session import Database
from lounge.notify import sms
from lounge.notify.email import SendFailed

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
FIRST_RETRY = dt.timedelta(minutes=1)
LEASE = dt.timedelta(minutes=2)
ELECTRONIC = (Channel.EMAIL, Channel.SMS)


@dataclass(frozen=True)
class Message:
    """One message to one recipient over one channel, as an issuer hands it to :func:`enqueue`."""

    topic: str
    kind: str
    source: str
    channel: Channel
    language: str
    recipient: str
    subject: str
    body: str
    html: str | None = None
    link: str | None = None
    customer_id: str | None = None
    contact_id: int | None = None
    user_id: int | None = None
    #: Why this message cannot be sent at all (it is recorded as failed, for staff to see).
    failure: str | None = None
    #: The PDF it carries, from :func:`lounge.notify.attachments.attach`.
    attachment: dict[str, Any] | None = None


@dataclass(frozen=True)
class Receipt:
    """What a provider answered: its id for the message, and whether it reports delivery."""

    provider_id: str
    delivered: bool = False


#: Sends one claimed message; returns the provider's receipt or raises :class:`SendFailed`.
Sender = Callable[[Notification], Receipt]


def enqueue(session: Session, messages: Iterable[Message]) -> int:
    """Write ``messages`` in the caller's transaction; in-app ones are delivered on writing."""
    now = utcnow()
    rows = []
    for message in messages:
        in_app = message.channel is Channel.IN_APP
        if message.failure:
            log.warning(
                "%s to %s cannot be sent: %s", message.kind, message.recipient, message.failure
            )
        fields = {k: v for k, v in message.__dict__.items() if k != "failure"}
        rows.append(
            fields
            | {
                "channel": str(message.channel),
                "key": str(uuid.uuid4()),
                "sms_parts": sms.segment(message.body).count
                if message.channel is Channel.SMS
                else None,
                "status": Delivery.FAILED
                if message.failure
                else Delivery.DELIVERED
                if in_app
                else Delivery.QUEUED,
                "last_error": message.failure,
                "attempts": 0,
                "next_attempt_at": now,
                "created_at": now,
                "delivered_at": now if in_app else None,
            }
        )
    if rows:
        session.execute(insert(Notification), rows)
    return len(rows)


def claim(
    session: Session,
    worker: str,
    channels: Iterable[Channel],
    limit: int,
    now: dt.datetime | None = None,
    lease: dt.timedelta = LEASE,
) -> list[Notification]:
    """Take up to ``limit`` due messages for ``worker`` and commit the claim."""
    now = now or utcnow()
    due = or_(
        and_(Notification.status == Delivery.QUEUED, Notification.next_attempt_at <= now),
        and_(Notification.status == Delivery.SENDING, Notification.lease_until < now),
    )
    ids = (
        select(Notification.id)
        .where(Notification.channel.in_([str(channel) for channel in channels]), due)
        .order_by(Notification.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    claimed = session.scalars(
        update(Notification)
        .where(Notification.id.in_(ids.scalar_subquery()))
        .values(
            status=Delivery.SENDING,
            worker=worker,
            lease_until=now + lease,
            attempts=Notification.attempts + 1,
        )
        .returning(Notification.id)
    ).all()
    session.commit()
    if not claimed:
        return []
    return list(
        session.scalars(
            select(Notification).where(Notification.id.in_(claimed)).order_by(Notification.id)
        )
    )


def _mine(message: Notification, worker: str) -> Update:
    """The record of a send applies only while the claim is still this worker's.

    The session's copies of the batch are not refreshed from it (``synchronize_session``): the
    worker never reads them again, and matching each update against the whole batch in memory
    cost more than the send."""
    return (
        update(Notification)
        .where(
            Notification.id == message.id,
            Notification.worker == worker,
            Notification.status == Delivery.SENDING,
        )
        .execution_options(synchronize_session=False)
    )


def record_sent(session: Session, message: Notification, worker: str, receipt: Receipt) -> None:
    now = utcnow()
    session.execute(
        _mine(message, worker).values(
            status=Delivery.DELIVERED if receipt.delivered else Delivery.SENT,
            provider_id=receipt.provider_id,
            sent_at=now,
            delivered_at=now if receipt.delivered else None,
            lease_until=None,
            last_error=None,
        )
    )
    session.commit()


def retry_delay(attempts: int) -> dt.timedelta:
    """1, 2, 4, 8 ... minutes after the attempts made so far."""
    return FIRST_RETRY * 2 ** max(attempts - 1, 0)


def record_failure(
    session: Session, message: Notification, worker: str, failure: SendFailed
) -> None:
    """Retry later, or give up and let a letter take over when nothing electronic is left."""
    final = failure.permanent or message.attempts >= MAX_ATTEMPTS
    values: dict[str, object] = {"last_error": failure.reason[:500], "lease_until": None}
    if final:
        values["status"] = Delivery.FAILED
    else:
        values["status"] = Delivery.QUEUED
        values["next_attempt_at"] = utcnow() + retry_delay(message.attempts)
    still_mine = session.scalar(_mine(message, worker).values(**values).returning(Notification.id))
    if still_mine is not None and final:
        _fall_back_to_post(session, message)
    session.commit()


def _fall_back_to_post(session: Session, failed: Notification) -> None:
    if failed.contact_id is None:
        return
    contact = session.get(Contact, failed.contact_id)
    if contact is None or not contact.postal_address:
        return
    sibling = aliased(Notification)
    pending_or_done = exists().where(
        sibling.source == failed.source,
        sibling.contact_id == failed.contact_id,
        or_(sibling.channel == Channel.POST, sibling.status != Delivery.FAILED),
    )
    if session.scalar(select(pending_or_done)):
        return
    enqueue(
        session,
        [
            Message(
                topic=failed.topic,
                kind=failed.kind,
                source=failed.source,
                channel=Channel.POST,
                language=failed.language,
                recipient=f"{contact.name}\n{contact.postal_address}",
                subject=failed.subject,
                body=failed.body,
                customer_id=failed.customer_id,
                contact_id=failed.contact_id,
            )
        ],
    )
    session.execute(
        update(Notification)
        .where(Notification.source == failed.source, Notification.channel == Channel.POST)
        .where(Notification.contact_id == failed.contact_id)
        .values(fallback_for_id=failed.id)
    )


def drain(
    database: Database,
    senders: Mapping[Channel, Sender],
    worker: str,
    batch: int = 50,
    lease: dt.timedelta = LEASE,
) -> int:
    """Send every due message of the channels in ``senders``; returns how many were tried."""
    tried = 0
    with database.sessions() as session:  # commits per claim and per record, not per block
        while claimed := claim(session, worker, senders, batch, lease=lease):
            for message in claimed:
                try:
                    receipt = senders[Channel(message.channel)](message)
                except SendFailed as failure:
                    log.warning("message %s failed: %s", message.id, failure.reason)
                    record_failure(session, message, worker, failure)
                else:
                    record_sent(session, message, worker, receipt)
                tried += 1
    return tried
