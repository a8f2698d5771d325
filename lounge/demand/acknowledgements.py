"""What customers see of notices, their acknowledgements, and who has not acknowledged yet.

A customer sees the notices that touch its own sites (issued, updated, and for a week after
their end the cancelled and completed ones), and only its own acknowledgement. It acknowledges
with the lounge's button (a client user) or with the signed link in a message (a contact,
without signing in), and may say how much load it will reduce. Staff see the acknowledgements
per customer and per region; account managers those of their portfolio, and who has not
acknowledged yet (:func:`unacknowledged`, for the manager's week).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from db.models import (
    Contact,
    Customer,
    Notice,
    NoticeAcknowledgement,
    NoticeState,
    NoticeTarget,
    Role,
    Site,
)
from lounge import access, audit
from lounge.access import Viewer
from lounge.demand import links
from lounge.demand.rules import NoticeRefused
from lounge.i18n import _

#: States a customer sees a notice in (never a draft or a scheduled one).
SHOWN = (NoticeState.ISSUED, NoticeState.UPDATED, NoticeState.CANCELLED, NoticeState.COMPLETED)
OPEN = (NoticeState.ISSUED, NoticeState.UPDATED)
#: How long an ended, cancelled or completed notice stays on the customer's panel.
RECENT = dt.timedelta(days=7)
#: Roles that follow acknowledgements: demand staff and admins all, managers their portfolio.
FOLLOWERS = (Role.DEMAND_STAFF, Role.ADMIN, Role.ACCOUNT_MANAGER)
MAX_PLANNED_KW = 1_000_000


@dataclass(frozen=True)
class CustomerNotice:
    """A notice as one customer sees it: its own sites only, and its own acknowledgement."""

    notice_id: int
    kind: str
    state: str
    level: int | None
    reason: str | None
    starts_at: dt.datetime
    ends_at: dt.datetime
    reduction_kw: int | None
    reduction_pct: int | None
    note: str
    revision: int
    customer_id: str
    customer: str
    sites: tuple[str, ...]
    acknowledged_at: dt.datetime | None
    planned_kw: int | None

    @property
    def can_acknowledge(self) -> bool:
        return self.state in OPEN


def _acknowledged_target() -> ColumnElement[bool]:
    """Joins a target to its customer's acknowledgement of the notice."""
    return and_(
        NoticeAcknowledgement.notice_id == NoticeTarget.notice_id,
        NoticeAcknowledgement.customer_id == NoticeTarget.customer_id,
    )


def _customer_notices(
    session: Session,
    customer_id: str,
    now: dt.datetime,
    notice_id: int | None = None,
    since: dt.datetime | None = None,
) -> list[CustomerNotice]:
    """The notices the customer sees: those of the panel (from a week before ``now``), one
    (``notice_id``), or those that started in [``since``, ``now``) (a year's history)."""
    query = (
        select(
            Notice,
            Customer.name,
            NoticeAcknowledgement.at,
            NoticeAcknowledgement.planned_kw,
            Site.name,
        )
        .join(NoticeTarget, NoticeTarget.notice_id == Notice.id)
        .join(Site, Site.id == NoticeTarget.site_id)
        .join(Customer, Customer.id == NoticeTarget.customer_id)
        .outerjoin(NoticeAcknowledgement, _acknowledged_target())
        .where(NoticeTarget.customer_id == customer_id, Notice.state.in_(SHOWN))
        .order_by(Notice.starts_at, Notice.id, Site.name)
    )
    if notice_id is not None:
        query = query.where(Notice.id == notice_id)
    elif since is not None:
        query = query.where(Notice.starts_at >= since, Notice.starts_at < now)
    else:
        query = query.where(Notice.ends_at >= now - RECENT)
    found: dict[int, CustomerNotice] = {}
    for notice, name, at, planned, site in session.execute(query).all():
        if notice.id in found:
            previous = found[notice.id]
            found[notice.id] = _with_site(previous, site)
            continue
        found[notice.id] = CustomerNotice(
            notice.id,
            notice.kind,
            notice.state,
            notice.level,
            notice.reason,
            notice.starts_at,
            notice.ends_at,
            notice.reduction_kw,
            notice.reduction_pct,
            notice.note,
            notice.revision,
            customer_id,
            name,
            (site,),
            at,
            planned,
        )
    return list(found.values())


def _with_site(notice: CustomerNotice, site: str) -> CustomerNotice:
    return replace(notice, sites=(*notice.sites, site))


def for_customer(
    session: Session, viewer: Viewer, customer_id: object, now: dt.datetime
) -> list[CustomerNotice]:
    """Current and upcoming notices touching the customer's sites (and recent ended ones)."""
    customer = access.get_customer(session, viewer, customer_id)
    return _customer_notices(session, customer.id, now)


def history(
    session: Session, viewer: Viewer, customer_id: object, since: dt.datetime, until: dt.datetime
) -> list[CustomerNotice]:
    """The notices that reached the customer's sites and started in [since, until), with its
    acknowledgement (a meeting pack's year), oldest first."""
    customer = access.get_customer(session, viewer, customer_id)
    return _customer_notices(session, customer.id, until, since=since)


def _planned(planned_kw: object) -> int | None:
    if planned_kw is None or planned_kw == "":
        return None
    if isinstance(planned_kw, bool) or not isinstance(planned_kw, int | float):
        raise NoticeRefused(_("Give the reduction as a whole number of kW."))
    if planned_kw != int(planned_kw) or not 0 <= planned_kw <= MAX_PLANNED_KW:
        raise NoticeRefused(_("Give the reduction as a whole number of kW."))
    return int(planned_kw)


def _record(
    session: Session,
    notice_id: int,
    customer_id: str,
    planned_kw: int | None,
    via: str,
    now: dt.datetime,
    user_id: int | None = None,
    contact_id: int | None = None,
) -> CustomerNotice:
    shown = _customer_notices(session, customer_id, now, notice_id)
    if not shown:
        raise access.NotFound(notice_id)
    if not shown[0].can_acknowledge:
        raise NoticeRefused(_("This notice is no longer open for acknowledgement."))
    values = {
        "planned_kw": planned_kw,
        "revision": shown[0].revision,
        "via": via,
        "user_id": user_id,
        "contact_id": contact_id,
        "at": now,
    }
    existing = session.get(NoticeAcknowledgement, (notice_id, customer_id))
    if existing is None:
        try:
            with session.begin_nested():
                session.add(
                    NoticeAcknowledgement(notice_id=notice_id, customer_id=customer_id, **values)
                )
        except IntegrityError:  # acknowledged at the same moment by another hand
            existing = session.get(NoticeAcknowledgement, (notice_id, customer_id))
            if existing is None:  # not a race: a row the database refuses (an unknown user)
                raise
    if existing is not None:
        for key, value in values.items():
            setattr(existing, key, value)
    session.flush()
    return _customer_notices(session, customer_id, now, notice_id)[0]


def acknowledge(
    session: Session, viewer: Viewer, notice_id: object, planned_kw: object, now: dt.datetime
) -> CustomerNotice:
    """A client acknowledges a notice touching its sites, saying how much it will reduce."""
    access.require(viewer, Role.CLIENT)
    if not isinstance(notice_id, int) or isinstance(notice_id, bool) or not viewer.customer_id:
        raise access.NotFound(notice_id)
    planned = _planned(planned_kw)
    shown = _record(
        session, notice_id, viewer.customer_id, planned, "lounge", now, user_id=viewer.user_id
    )
    audit.record(
        session,
        viewer.email,
        "notice.acknowledge",
        f"notice:{notice_id}",
        customer=viewer.customer_id,
        planned_kw=planned,
    )
    return shown


def _read_link(session: Session, secret: str, token: str) -> links.AckToken | None:
    def customer_of(contact_id: int) -> str | None:
        return session.scalar(select(Contact.customer_id).where(Contact.id == contact_id))

    return links.read(secret, token, customer_of)


def by_link(
    session: Session, secret: str, token: str, now: dt.datetime
) -> tuple[links.AckToken, CustomerNotice] | None:
    """What a signed link names (None for a forged one or a notice it does not touch)."""
    named = _read_link(session, secret, token)
    if named is None:
        return None
    shown = _customer_notices(session, named.customer_id, now, named.notice_id)
    return (named, shown[0]) if shown else None


def acknowledge_by_link(
    session: Session, secret: str, token: str, planned_kw: object, now: dt.datetime
) -> CustomerNotice:
    """Acknowledge with the signed link of a message, without signing in."""
    named = _read_link(session, secret, token)
    if named is None:
        raise access.NotFound(token)
    planned = _planned(planned_kw)
    shown = _record(
        session,
        named.notice_id,
        named.customer_id,
        planned,
        "link",
        now,
        contact_id=named.contact_id,
    )
    audit.record(
        session,
        f"contact:{named.contact_id}",
        "notice.acknowledge",
        f"notice:{named.notice_id}",
        customer=named.customer_id,
        planned_kw=planned,
        via="link",
    )
    return shown


@dataclass(frozen=True)
class CustomerAck:
    customer_id: str
    customer: str
    regions: str
    sites: int
    load_w: int
    acknowledged_at: dt.datetime | None
    planned_kw: int | None
    via: str | None


def by_customer(session: Session, viewer: Viewer, notice_id: object) -> list[CustomerAck]:
    """Each targeted customer the viewer follows, and its acknowledgement (if any)."""
    access.require(viewer, *FOLLOWERS)
    if not isinstance(notice_id, int) or isinstance(notice_id, bool):
        raise access.NotFound(notice_id)
    rows = session.execute(
        access.restrict(
            select(
                NoticeTarget.customer_id,
                Customer.name,
                func.min(NoticeTarget.region),
                func.max(NoticeTarget.region),
                func.count(),
                func.coalesce(func.sum(NoticeTarget.load_w), 0),
                NoticeAcknowledgement.at,
                NoticeAcknowledgement.planned_kw,
                NoticeAcknowledgement.via,
            )
            .join(Customer, Customer.id == NoticeTarget.customer_id)
            .outerjoin(NoticeAcknowledgement, _acknowledged_target())
            .where(NoticeTarget.notice_id == notice_id)
            .group_by(
                NoticeTarget.customer_id,
                Customer.name,
                NoticeAcknowledgement.at,
                NoticeAcknowledgement.planned_kw,
                NoticeAcknowledgement.via,
            )
            .order_by(Customer.name, NoticeTarget.customer_id),
            viewer,
        )
    ).all()
    return [
        CustomerAck(
            cid,
            name,
            low if low == high else f"{low}, {high}",
            int(sites),
            int(load or 0),
            at,
            planned,
            via,
        )
        for cid, name, low, high, sites, load, at, planned, via in rows
    ]


@dataclass(frozen=True)
class RegionAck:
    region: str
    customers: int
    acknowledged: int
    planned_kw: int
    load_w: int


def by_region(session: Session, viewer: Viewer, notice_id: object) -> list[RegionAck]:
    """Per region of the notice: customers targeted, acknowledged, reduction planned, load."""
    access.require(viewer, *FOLLOWERS)
    if not isinstance(notice_id, int) or isinstance(notice_id, bool):
        raise access.NotFound(notice_id)
    acked = (
        select(NoticeAcknowledgement.customer_id, NoticeAcknowledgement.planned_kw)
        .where(NoticeAcknowledgement.notice_id == notice_id)
        .subquery()
    )
    per_customer = access.restrict(
        select(
            NoticeTarget.region,
            NoticeTarget.customer_id,
            func.coalesce(func.sum(NoticeTarget.load_w), 0).label("load_w"),
        )
        .where(NoticeTarget.notice_id == notice_id)
        .group_by(NoticeTarget.region, NoticeTarget.customer_id),
        viewer,
    ).subquery()
    rows = session.execute(
        select(
            per_customer.c.region,
            func.count(),
            func.count(acked.c.customer_id),
            func.coalesce(func.sum(acked.c.planned_kw), 0),
            func.coalesce(func.sum(per_customer.c.load_w), 0),
        )
        .outerjoin(acked, acked.c.customer_id == per_customer.c.customer_id)
        .group_by(per_customer.c.region)
        .order_by(per_customer.c.region)
    ).all()
    return [RegionAck(r, int(c), int(a), int(p), int(w)) for r, c, a, p, w in rows]


@dataclass(frozen=True)
class Unacknowledged:
    notice_id: int
    kind: str
    level: int | None
    reason: str | None
    starts_at: dt.datetime
    ends_at: dt.datetime
    customer_id: str
    customer: str


def unacknowledged(
    session: Session, viewer: Viewer, now: dt.datetime | None = None
) -> list[Unacknowledged]:
    """Open notices not yet over, per customer the viewer follows that has not acknowledged:
    for an account manager, the customers of their portfolio (the manager's week)."""
    access.require(viewer, *FOLLOWERS)
    moment = now or dt.datetime.now(dt.UTC)
    rows = session.execute(
        access.restrict(
            _answers()
            .where(
                Notice.state.in_(OPEN),
                Notice.ends_at > moment,
                NoticeAcknowledgement.customer_id.is_(None),
            )
            .order_by(Notice.starts_at, Notice.id, Customer.name),
            viewer,
        )
    ).all()
    return [
        Unacknowledged(nid, kind, level, reason, start, end, cid, name)
        for cid, name, _at, _kw, nid, kind, _state, level, reason, start, end in rows
    ]


def _answers() -> Select[*tuple[Any, ...]]:
    """Each customer a notice reached (once, whatever its sites) with its acknowledgement, if
    any, and the notice: what the followers' lists are made of."""
    return (
        select(
            NoticeTarget.customer_id,
            Customer.name,
            NoticeAcknowledgement.at,
            NoticeAcknowledgement.planned_kw,
            Notice.id,
            Notice.kind,
            Notice.state,
            Notice.level,
            Notice.reason,
            Notice.starts_at,
            Notice.ends_at,
        )
        .join(Notice, Notice.id == NoticeTarget.notice_id)
        .join(Customer, Customer.id == NoticeTarget.customer_id)
        .outerjoin(NoticeAcknowledgement, _acknowledged_target())
        .distinct()
    )


@dataclass(frozen=True)
class CustomerAnswer:
    """One targeted customer of a notice and its acknowledgement, if any."""

    customer_id: str
    customer: str
    acknowledged_at: dt.datetime | None
    planned_kw: int | None


@dataclass(frozen=True)
class FollowedNotice:
    """A notice touching customers the viewer follows, with who has acknowledged and who not."""

    notice_id: int
    kind: str
    state: str
    level: int | None
    reason: str | None
    starts_at: dt.datetime
    ends_at: dt.datetime
    customers: tuple[CustomerAnswer, ...]

    @property
    def waiting(self) -> tuple[CustomerAnswer, ...]:
        return tuple(c for c in self.customers if c.acknowledged_at is None)

    @property
    def is_open(self) -> bool:
        return self.state in OPEN


def followed(
    session: Session, viewer: Viewer, now: dt.datetime | None = None
) -> list[FollowedNotice]:
    """Current, upcoming and recent notices (ended within :data:`RECENT`) touching customers the
    viewer follows (an account manager: the portfolio), each with every such customer and its
    acknowledgement; open notices first by start, then the others, latest first."""
    access.require(viewer, *FOLLOWERS)
    moment = now or dt.datetime.now(dt.UTC)
    rows = session.execute(
        access.restrict(
            _answers()
            .where(Notice.state.in_(SHOWN), Notice.ends_at >= moment - RECENT)
            .order_by(Notice.id, Customer.name, NoticeTarget.customer_id),
            viewer,
        )
    ).all()
    heads: dict[int, FollowedNotice] = {}
    answers: dict[int, list[CustomerAnswer]] = {}
    for customer_id, name, at, planned, notice_id, kind, state, level, reason, start, end in rows:
        if notice_id not in heads:
            heads[notice_id] = FollowedNotice(notice_id, kind, state, level, reason, start, end, ())
        answers.setdefault(notice_id, []).append(CustomerAnswer(customer_id, name, at, planned))
    found = [replace(head, customers=tuple(answers[n])) for n, head in heads.items()]
    current = sorted((f for f in found if f.is_open), key=lambda f: (f.starts_at, f.notice_id))
    past = sorted((f for f in found if not f.is_open), key=lambda f: (f.starts_at, f.notice_id))
    return current + past[::-1]
