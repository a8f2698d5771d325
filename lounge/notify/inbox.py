"""The in-app inbox: what the bell counts and the inbox page lists, for the signed-in user only.

Every function takes the viewer and reads only rows addressed to that user, so a forged id of
someone else's message is not found, the same as one that does not exist.
"""

from __future__ import annotations

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from db.models import Channel, Delivery, Notification, utcnow
from lounge.access import NotFound, Viewer
from lounge.notify import outbox


def _mine(viewer: Viewer) -> Select[Notification]:
    return select(Notification).where(
        Notification.user_id == viewer.user_id, Notification.channel == Channel.IN_APP
    )


def unread_count(session: Session, viewer: Viewer) -> int:
    query = _mine(viewer).where(Notification.read_at.is_(None))
    return session.scalar(select(func.count()).select_from(query.subquery())) or 0


def messages(session: Session, viewer: Viewer, limit: int = 200) -> list[Notification]:
    """Newest first."""
    return list(
        session.scalars(
            _mine(viewer)
            .order_by(Notification.created_at.desc(), Notification.id.desc())
            .limit(limit)
        )
    )


def open_message(session: Session, viewer: Viewer, notification_id: object) -> Notification:
    """The viewer's message ``notification_id``, marked read on the first opening."""
    try:
        wanted = int(str(notification_id))
    except ValueError:
        raise NotFound(notification_id) from None
    message = session.scalar(_mine(viewer).where(Notification.id == wanted))
    if message is None:
        raise NotFound(notification_id)
    if message.read_at is None:
        _read(session, [message], viewer)
    return message


def mark_all_read(session: Session, viewer: Viewer) -> int:
    unread = session.scalars(_mine(viewer).where(Notification.read_at.is_(None))).all()
    _read(session, list(unread), viewer)
    return len(unread)


def _read(session: Session, messages: list[Notification], viewer: Viewer) -> None:
    """An in-app message counts as delivered when its reader has read it."""
    now = utcnow()
    for message in messages:
        message.read_at = message.delivered_at = now
        message.status = Delivery.DELIVERED
    outbox.add_steps(
        session,
        [
            outbox.step(m.id, Delivery.DELIVERED, actor=viewer.email, detail="read", at=now)
            for m in messages
        ],
    )
