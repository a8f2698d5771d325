"""Demo notices: a past heat warning that ended (some customers acknowledged, some promised a
reduction), a planned outage announced and cancelled, a warning for tomorrow that the chain has
acknowledged and the factory not yet, an upcoming planned outage, a scheduled warning and a
draft; their messages as if sent back then.

Written through :mod:`lounge.demand` itself, at the times of the plan, so targets, load at stake,
recipients, acknowledgements and the audit log are what the lounge makes of real notices.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

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


@dataclass(frozen=True)
class _Plan:
    """Demand staff's steps at the plan's times, each step's messages sent back then."""

    session: Session
    staff: Viewer
    links: Links
    now: dt.datetime

    def draft(
        self, kind: str, day: dt.date, hours: tuple[int, int], targeting: Targeting, **fields: Any
    ) -> int:
        """A notice on ``day`` from ``hours[0]`` to ``hours[1]`` o'clock, Israel time."""
        window = _at(day, hours[0]), _at(day, hours[1])
        return notices.create(
            self.session, self.staff, Draft(kind, *window, targeting, **fields)
        ).id

    def issue(self, notice_id: int, at: dt.datetime) -> None:
        notices.issue(self.session, self.staff, notice_id, self.links, at)
        _sent_back_then(self.session, notice_id, at, self.now)

    def change(self, notice_id: int, new: Change, at: dt.datetime) -> None:
        notices.change(self.session, self.staff, notice_id, 0, new, self.links, at)
        _sent_back_then(self.session, notice_id, at, self.now)

    def cancel(self, notice_id: int, at: dt.datetime) -> None:
        notices.cancel(self.session, self.staff, notice_id, 0, self.links, at)
        _sent_back_then(self.session, notice_id, at, self.now)

    def complete(self, notice_id: int, at: dt.datetime) -> None:
        notices.complete(self.session, self.staff, notice_id, 0, self.links, at)
        _sent_back_then(self.session, notice_id, at, self.now)

    def ack(self, notice_id: int, customer: str, kw: int | None, at: dt.datetime) -> None:
        """The customer acknowledges by the link of a message."""
        token = self.links.ack(notice_id, customer, None).rsplit("/", 1)[1]
        acknowledgements.acknowledge_by_link(self.session, self.links.secret, token, kw, at)


def write(session: Session, today: dt.date, chain: str, factory: str) -> int:
    """The demo's notices; returns how many."""
    config = settings.load()
    # the real clock on the real day (the scheduled warning then goes out tomorrow morning)
    now = dt.datetime.now(dt.UTC) if today == localtime.today() else _at(today, 10)
    staff = Viewer.of(_first(session, User.role == Role.DEMAND_STAFF))
    plan = _Plan(session, staff, Links(config.public_url, config.secret_key), now)
    client = Viewer.of(_first(session, User.customer_id == chain))
    regions = sorted(set(session.scalars(select(Site.region).where(Site.customer_id == chain))))
    factory_regions = session.scalars(select(Site.region).where(Site.customer_id == factory)).all()
    home = regions[:1]
    days = dt.timedelta
    peak, planned_outage = NoticeKind.PEAK_WARNING, NoticeKind.PLANNED_OUTAGE
    # 1. a heat warning 20 days ago, acknowledged by some, completed
    past = today - days(20)
    heat = plan.draft(
        peak,
        past,
        (14, 18),
        Targeting(regions=tuple(home)),
        level=2,
        reason="heat",
        reduction_pct=15,
    )
    plan.issue(heat, _at(past - days(1), 9))
    plan.ack(heat, chain, 300, _at(past - days(1), 11))
    for n, customer in enumerate(_others(session, heat, 6, chain)):
        plan.ack(heat, customer, [None, 120, 40][n % 3], _at(past - days(1), 12 + n))
    plan.complete(heat, _at(past, 18))
    # 2. planned works announced 16 days ago for 9 days ago, then cancelled
    works = plan.draft(
        planned_outage,
        today - days(9),
        (8, 12),
        Targeting(regions=tuple(factory_regions[:1])),
        note="Replacement of a 161 kV transformer.",
    )
    plan.issue(works, _at(today - days(16), 10))
    plan.ack(works, factory, None, _at(today - days(15), 8))
    plan.cancel(works, _at(today - days(12), 15))
    # 3. a level-3 warning for tomorrow, updated once; the chain acknowledged, the factory not
    tomorrow = today + days(1)
    both_regions = Targeting(regions=tuple(sorted({*home, *factory_regions[:1]})))
    warning = plan.draft(
        peak, tomorrow, (13, 17), both_regions, level=3, reason="heat", reduction_kw=250
    )
    issued_at = min(now - days(hours=2), _at(tomorrow, 9))
    plan.issue(warning, issued_at)
    later_window = Change(_at(tomorrow, 14), _at(tomorrow, 18), level=3, reduction_kw=250)
    plan.change(warning, later_window, issued_at + days(minutes=30))
    acknowledgements.acknowledge(session, client, warning, 250, issued_at + days(hours=1))
    for n, customer in enumerate(_others(session, warning, 3, chain, factory)):
        plan.ack(warning, customer, 60 * n or None, issued_at + days(hours=1 + n))
    # 4. planned works in eight days, announced today (to members only)
    planned = plan.draft(
        planned_outage,
        today + days(8),
        (7, 11),
        Targeting(regions=tuple(home), members_only=True),
        note="Maintenance of the substation feeding the area.",
    )
    plan.issue(planned, now)
    # 5. a warning scheduled for the day after tomorrow, and a draft
    scheduled = plan.draft(
        peak,
        today + days(2),
        (13, 17),
        Targeting(regions=tuple(regions)),
        level=1,
        reason="heat",
        reduction_pct=10,
    )
    notices.schedule(session, staff, scheduled, _at(tomorrow, 8), now)
    plan.draft(
        NoticeKind.POSSIBLE_OUTAGE,
        today + days(3),
        (16, 20),
        Targeting(regions=tuple(factory_regions[:1])),
    )
    return 6
