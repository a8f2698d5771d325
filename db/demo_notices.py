"""Demo notices: a past heat warning that ended (some customers acknowledged, some promised a
reduction), a planned outage announced and cancelled, a warning for tomorrow that the chain has
acknowledged and the factory not yet, an upcoming planned outage, a scheduled warning and a
draft; their messages as if sent back then.

Written through :mod:`lounge.demand` itself, at the times of the plan, so targets, load at stake,
recipients, acknowledgements and the audit log are what the lounge makes of real notices.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ColumnElement, case, select, update
from sqlalchemy.orm import Session

from db.models import Channel, Delivery, NoticeKind, NoticeTarget, Notification, Role, Site, User
from lounge import localtime, settings
from lounge.access import Viewer
from lounge.demand import acknowledgements, notices
from lounge.demand.links import Links
from lounge.demand.notices import Change, Draft
from lounge.demand.targeting import Targeting
from lounge.settings import TIMEZONE


def _at(day: dt.date, hour: int) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), TIMEZONE).astimezone(dt.UTC)


def _first(session: Session, condition: ColumnElement[bool]) -> User:
    return session.scalars(select(User).where(condition).order_by(User.id).limit(1)).one()


def _sent_back_then(session: Session, notice_id: int, at: dt.datetime, now: dt.datetime) -> None:
    """The messages of the notice's last step went out at ``at`` (in the past)."""
    if at >= now:
        return
    session.execute(
        update(Notification)
        .where(Notification.source.like(f"notice:{notice_id}:%"), Notification.sent_at.is_(None))
        .values(
            created_at=at,
            sent_at=at,
            status=case(
                (Notification.channel == Channel.IN_APP, Delivery.DELIVERED), else_=Delivery.SENT
            ),
            attempts=case((Notification.channel == Channel.IN_APP, 0), else_=1),
        )
    )


def _ack(session: Session, links: Links, notice_id: int, customer: str, kw: int | None, at):
    token = links.ack(notice_id, customer, None).rsplit("/", 1)[1]
    acknowledgements.acknowledge_by_link(session, links.secret, token, kw, at)


def _others(session: Session, notice_id: int, count: int, *skip: str) -> list[str]:
    """The first ``count`` customers the notice reached, other than ``skip``."""
    return list(
        session.scalars(
            select(NoticeTarget.customer_id)
            .where(NoticeTarget.notice_id == notice_id, NoticeTarget.customer_id.not_in(skip))
            .distinct()
            .order_by(NoticeTarget.customer_id)
            .limit(count)
        )
    )


def write(session: Session, today: dt.date, chain: str, factory: str) -> int:
    """The demo's notices; returns how many."""
    config = settings.load()
    links = Links(config.public_url, config.secret_key)
    # the real clock on the real day (the scheduled warning then goes out tomorrow morning)
    now = dt.datetime.now(dt.UTC) if today == localtime.today() else _at(today, 10)
    staff = Viewer.of(_first(session, User.role == Role.DEMAND_STAFF))
    client = Viewer.of(_first(session, User.customer_id == chain))
    regions = sorted(set(session.scalars(select(Site.region).where(Site.customer_id == chain))))
    factory_regions = session.scalars(select(Site.region).where(Site.customer_id == factory)).all()
    home = regions[:1]
    days = dt.timedelta
    # 1. a heat warning 20 days ago, acknowledged by some, completed
    past = today - days(20)
    heat = notices.create(
        session,
        staff,
        Draft(
            NoticeKind.PEAK_WARNING,
            _at(past, 14),
            _at(past, 18),
            Targeting(regions=tuple(home)),
            level=2,
            reason="heat",
            reduction_pct=15,
        ),
    ).id
    notices.issue(session, staff, heat, links, _at(past - days(1), 9))
    _sent_back_then(session, heat, _at(past - days(1), 9), now)
    _ack(session, links, heat, chain, 300, _at(past - days(1), 11))
    for n, customer in enumerate(_others(session, heat, 6, chain)):
        _ack(session, links, heat, customer, [None, 120, 40][n % 3], _at(past - days(1), 12 + n))
    notices.complete(session, staff, heat, 0, links, _at(past, 18))
    _sent_back_then(session, heat, _at(past, 18), now)
    # 2. planned works announced 16 days ago for 9 days ago, then cancelled
    works_day = today - days(9)
    works = notices.create(
        session,
        staff,
        Draft(
            NoticeKind.PLANNED_OUTAGE,
            _at(works_day, 8),
            _at(works_day, 12),
            Targeting(regions=tuple(factory_regions[:1])),
            note="Replacement of a 161 kV transformer.",
        ),
    ).id
    notices.issue(session, staff, works, links, _at(today - days(16), 10))
    _sent_back_then(session, works, _at(today - days(16), 10), now)
    _ack(session, links, works, factory, None, _at(today - days(15), 8))
    notices.cancel(session, staff, works, 0, links, _at(today - days(12), 15))
    _sent_back_then(session, works, _at(today - days(12), 15), now)
    # 3. a level-3 warning for tomorrow, updated once; the chain acknowledged, the factory not
    tomorrow = today + days(1)
    warning = notices.create(
        session,
        staff,
        Draft(
            NoticeKind.PEAK_WARNING,
            _at(tomorrow, 13),
            _at(tomorrow, 17),
            Targeting(regions=tuple(sorted({*home, *factory_regions[:1]}))),
            level=3,
            reason="heat",
            reduction_kw=250,
        ),
    ).id
    issued_at = min(now - days(hours=2), _at(tomorrow, 9))
    notices.issue(session, staff, warning, links, issued_at)
    _sent_back_then(session, warning, issued_at, now)
    notices.change(
        session,
        staff,
        warning,
        0,
        Change(_at(tomorrow, 14), _at(tomorrow, 18), level=3, reduction_kw=250),
        links,
        issued_at + days(minutes=30),
    )
    _sent_back_then(session, warning, issued_at + days(minutes=30), now)
    acknowledgements.acknowledge(session, client, warning, 250, issued_at + days(hours=1))
    for n, customer in enumerate(_others(session, warning, 3, chain, factory)):
        _ack(session, links, warning, customer, 60 * n or None, issued_at + days(hours=1 + n))
    # 4. planned works in eight days, announced today
    soon = today + days(8)
    planned = notices.create(
        session,
        staff,
        Draft(
            NoticeKind.PLANNED_OUTAGE,
            _at(soon, 7),
            _at(soon, 11),
            Targeting(regions=tuple(home), members_only=True),
            note="Maintenance of the substation feeding the area.",
        ),
    ).id
    notices.issue(session, staff, planned, links, now)
    # 5. a warning scheduled for the day after tomorrow, and a draft
    later = today + days(2)
    scheduled = notices.create(
        session,
        staff,
        Draft(
            NoticeKind.PEAK_WARNING,
            _at(later, 13),
            _at(later, 17),
            Targeting(regions=tuple(regions)),
            level=1,
            reason="heat",
            reduction_pct=10,
        ),
    ).id
    notices.schedule(session, staff, scheduled, _at(tomorrow, 8), now)
    notices.create(
        session,
        staff,
        Draft(
            NoticeKind.POSSIBLE_OUTAGE,
            _at(today + days(3), 16),
            _at(today + days(3), 20),
            Targeting(regions=tuple(factory_regions[:1])),
        ),
    )
    return 6
