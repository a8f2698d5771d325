"""Letters: the post channel, which staff print, put in window envelopes and mark as posted.

A letter is an outbox row on the ``post`` channel. Staff see the letters of the customers they
serve (an account manager their portfolio; administrators and demand staff all), download the
queued ones as one PDF and, once posted, mark them so; nothing else sends them.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from db.models import Channel, Customer, Delivery, Notification, Role, utcnow
from lounge import access, localtime
from lounge.access import Viewer
from lounge.notify import outbox
from reports.documents import LetterDocument
from reports.letters import build_letters

STAFF = (Role.ADMIN, Role.ACCOUNT_MANAGER, Role.DEMAND_STAFF)


def _visible(viewer: Viewer) -> Select[Notification]:
    access.require(viewer, *STAFF)
    return (
        select(Notification)
        .join(Customer, Customer.id == Notification.customer_id)
        .where(Notification.channel == Channel.POST, access.customer_scope(viewer))
    )


def queued(session: Session, viewer: Viewer) -> list[Notification]:
    """Letters waiting to be printed, oldest first."""
    query = _visible(viewer).where(Notification.status == Delivery.QUEUED)
    return list(session.scalars(query.order_by(Notification.id)))


def _chosen(session: Session, viewer: Viewer, ids: Sequence[object]) -> list[Notification]:
    wanted = {int(str(i)) for i in ids if str(i).isdigit()}
    query = _visible(viewer).where(
        Notification.id.in_(wanted), Notification.status == Delivery.QUEUED
    )
    return list(session.scalars(query.order_by(Notification.id)))


def batch_pdf(session: Session, viewer: Viewer, ids: Sequence[object]) -> bytes:
    """The queued letters ``ids`` the viewer may see, one a page (others are left out)."""
    return letters_pdf(_chosen(session, viewer, ids))


def letters_pdf(letters: Sequence[Notification]) -> bytes:
    """``letters`` (outbox rows the caller may show), one a page, dated today."""
    today = localtime.today()
    return build_letters(
        [
            LetterDocument(
                language=letter.language,
                recipient=tuple(letter.recipient.splitlines()),
                date=today,
                subject=letter.subject,
                body=letter.body,
                reference=f"N-{letter.id}",
            )
            for letter in letters
        ]
    )


def mark_posted(session: Session, viewer: Viewer, ids: Sequence[object]) -> int:
    """Record the letters ``ids`` as posted; returns how many were still waiting."""
    letters = _chosen(session, viewer, ids)
    now = utcnow()
    for letter in letters:
        letter.status = Delivery.SENT
        letter.sent_at = now
        letter.worker = viewer.email
    outbox.add_steps(
        session,
        [
            outbox.step(letter.id, Delivery.SENT, actor=viewer.email, detail="posted", at=now)
            for letter in letters
        ],
    )
    return len(letters)
