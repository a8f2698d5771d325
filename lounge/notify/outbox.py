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
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from itertools import islice
from typing import Any

from sqlalchemy import (
    Table,
    Update,
    and_,
    bindparam,
    case,
    exists,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.orm import Session, aliased

from db.models import Channel, Contact, Delivery, Notification, NotificationStep, utcnow
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
    #: When the provider accepted it (the worker stamps it; recording waits for the batch).
    at: dt.datetime | None = None


#: Sends one claimed message; returns the provider's receipt or raises :class:`SendFailed`.
Sender = Callable[[Notification], Receipt]


def enqueue(session: Session, messages: Iterable[Message]) -> int:
    """Write ``messages`` in the caller's transaction; in-app ones are sent on writing (and
    delivered when read, :func:`lounge.notify.inbox.open_message`)."""
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
                else Delivery.SENT
                if in_app
                else Delivery.QUEUED,
                "last_error": message.failure,
                "attempts": 0,
                "next_attempt_at": now,
                "created_at": now,
                "sent_at": now if in_app else None,
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
        .returning(Notification)  # the rows themselves: no second query for them
        .execution_options(synchronize_session=False, populate_existing=True)
    ).all()
    session.commit()
    return sorted(claimed, key=lambda message: message.id)


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


def step(
    notification_id: int,
    status: str,
    *,
    attempt: int | None = None,
    actor: str | None = None,
    detail: str | None = None,
    at: dt.datetime | None = None,
) -> dict[str, object]:
    """One row of a message's history (:class:`db.models.NotificationStep`)."""
    return {
        "notification_id": notification_id,
        "status": str(status),
        "attempt": attempt,
        "actor": actor,
        "detail": detail[:500] if detail else None,
        "at": at or utcnow(),
    }


def add_steps(session: Session, steps: list[dict[str, object]]) -> None:
    if steps:
        session.execute(insert(NotificationStep), steps)


_TABLE: Table = Notification.__table__  # type: ignore[assignment]
#: The record of sends, one statement for a whole batch (executemany). A delivery report that
#: came in while the worker was still sending (``delivered_at`` set) makes the message delivered.
_SENT = (
    update(_TABLE)
    .where(
        _TABLE.c.id == bindparam("b_id"),
        _TABLE.c.worker == bindparam("b_worker"),
        _TABLE.c.status == Delivery.SENDING,
    )
    .values(
        status=case(
            (_TABLE.c.delivered_at.is_not(None), Delivery.DELIVERED.value),
            else_=bindparam("b_status"),
        ),
        provider_id=bindparam("b_provider"),
        sent_at=bindparam("b_at"),
        delivered_at=func.coalesce(_TABLE.c.delivered_at, bindparam("b_delivered")),
        lease_until=None,
        last_error=None,
    )
)


def record_sent(session: Session, message: Notification, worker: str, receipt: Receipt) -> None:
    record_all_sent(session, worker, [(message, receipt)])
    session.commit()


def record_all_sent(
    session: Session, worker: str, sent: list[tuple[Notification, Receipt]]
) -> None:
    """Record the sends of a batch in the caller's transaction: two statements for any number.

    The history tells every send, even one whose claim ran out meanwhile (it did happen)."""
    if not sent:
        return
    now = utcnow()
    session.execute(
        _SENT,
        [
            {
                "b_id": message.id,
                "b_worker": worker,
                "b_status": Delivery.DELIVERED if receipt.delivered else Delivery.SENT,
                "b_provider": receipt.provider_id,
                "b_at": receipt.at or now,
                "b_delivered": (receipt.at or now) if receipt.delivered else None,
            }
            for message, receipt in sent
        ],
    )
    add_steps(
        session,
        [
            step(
                message.id,
                Delivery.DELIVERED if receipt.delivered else Delivery.SENT,
                attempt=message.attempts,
                actor=worker,
                detail=receipt.provider_id,
                at=receipt.at or now,
            )
            for message, receipt in sent
        ],
    )


def retry_delay(attempts: int) -> dt.timedelta:
    """1, 2, 4, 8 ... minutes after the attempts made so far."""
    return FIRST_RETRY * 2 ** max(attempts - 1, 0)


def record_failure(
    session: Session, message: Notification, worker: str, failure: SendFailed
) -> None:
    """Retry later, or give up and let a letter take over when nothing electronic is left."""
    final = failure.permanent or message.attempts >= MAX_ATTEMPTS
    status = Delivery.FAILED if final else Delivery.QUEUED
    values: dict[str, object] = {
        "last_error": failure.reason[:500],
        "lease_until": None,
        "status": status,
    }
    if not final:
        values["next_attempt_at"] = utcnow() + retry_delay(message.attempts)
    still_mine = session.scalar(_mine(message, worker).values(**values).returning(Notification.id))
    attempt = step(
        message.id, status, attempt=message.attempts, actor=worker, detail=failure.reason
    )
    add_steps(session, [attempt])
    if still_mine is not None and final:
        fall_back_to_post(session, message)
    session.commit()


def fall_back_to_post(session: Session, failed: Notification) -> None:
    """A letter instead, once every electronic message of ``failed``'s contact for its cause
    has failed (and the contact has a postal address)."""
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
    connections: int = 1,
    prepare: Callable[[Sequence[Notification]], None] | None = None,
) -> int:
    """Send every due message of the channels in ``senders``; returns how many were tried.

    ``prepare`` is handed each claimed batch before its first message is sent, to start work
    the senders will need (the e-mails' PDFs,
    :func:`lounge.notify.attachments.rendering_ahead`).

    With ``connections`` above one, that many messages of a batch are sent at once (each thread
    keeps its own SMTP connection, :func:`lounge.notify.channels.email_sender`). Outcomes are
    recorded and committed ``connections`` at a time, as they come in: a worker killed meanwhile
    can leave at most the messages in flight sent but unrecorded (the same window one connection
    has with one message), and the next worker resends only those, under the same keys."""
    tried = 0

    def attempt(message: Notification) -> Receipt | SendFailed:
        try:
            receipt = senders[Channel(message.channel)](message)
        except SendFailed as failure:
            return failure
        return receipt if receipt.at else replace(receipt, at=utcnow())

    with (
        database.sessions() as session,  # commits per claim and per group of outcomes
        ThreadPoolExecutor(connections, thread_name_prefix="send") as pool,
    ):
        while claimed := claim(session, worker, senders, batch, lease=lease):
            if prepare is not None:
                prepare(claimed)
            outcomes = pool.map(attempt, claimed) if connections > 1 else map(attempt, claimed)
            done = zip(claimed, outcomes, strict=True)  # in order, each as soon as it is tried
            while group := list(islice(done, connections)):
                sent: list[tuple[Notification, Receipt]] = []
                for message, outcome in group:
                    if isinstance(outcome, SendFailed):
                        log.warning("message %s failed: %s", message.id, outcome.reason)
                        record_failure(session, message, worker, outcome)
                    else:
                        sent.append((message, outcome))
                record_all_sent(session, worker, sent)
                session.commit()
            tried += len(claimed)
    return tried
