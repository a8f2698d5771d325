"""Whom a notice reaches: the sites its targeting selects, their customers and contacts, and the
load at stake, shown in a preview before anything is sent.

The targeting picks sites by place (regions, and sites named one by one; neither means every
region), narrowed by the customer's segment, the site's type, and membership of the lounge. The
load at stake of a site is its mean demand in the event window on the ten most recent similar
days before the event (:mod:`lounge.demand.similar`, the rule the baseline uses too), read
from the quarter-hour profiles of the daily rollup (the hourly profile where a day has
no quarter hours), for all sites in one query and one array computation.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Select, false, or_, select
from sqlalchemy.orm import Session

from db.models import (
    ConsumptionDaily,
    Contact,
    ContactChannel,
    Customer,
    Notice,
    NoticeKind,
    Site,
    Topic,
    VipStatus,
)
from lounge import access, localtime, rollups
from lounge.access import Viewer
from lounge.consumption.periods import driver_days
from lounge.demand import similar
from lounge.notify import fanout
from lounge.settings import TIMEZONE

#: The rows the load at stake reads, as the driver hands them over.
_PROFILE_ROWS = np.dtype(
    [("site_id", object), ("day", object), ("quarter", object), ("hourly", object)]
)


@dataclass(frozen=True)
class Targeting:
    """The staff's choice of whom a notice is for (empty tuples: no narrowing by that)."""

    regions: tuple[str, ...] = ()
    site_ids: tuple[str, ...] = ()
    segments: tuple[str, ...] = ()
    site_types: tuple[str, ...] = ()
    members_only: bool = False

    @classmethod
    def of(cls, notice: Notice) -> Targeting:
        return cls(
            tuple(notice.regions or ()),
            tuple(notice.site_ids or ()),
            tuple(notice.segments or ()),
            tuple(notice.site_types or ()),
            bool(notice.members_only),
        )

    @property
    def is_empty(self) -> bool:
        return not (self.regions or self.site_ids or self.segments or self.site_types)


def topic_of(kind: str) -> Topic:
    """The topic a contact chose channels for: warnings for peak load, outages for the rest."""
    return Topic.WARNINGS if kind == NoticeKind.PEAK_WARNING else Topic.OUTAGES


def sites_query(targeting: Targeting) -> Select[str, str, str]:
    """(site id, customer id, region) of every site ``targeting`` selects."""
    query = select(Site.id, Site.customer_id, Site.region)
    if targeting.is_empty:
        return query.where(false())
    places = []
    if targeting.regions:
        places.append(Site.region.in_(targeting.regions))
    if targeting.site_ids:
        places.append(Site.id.in_(targeting.site_ids))
    if places:
        query = query.where(or_(*places))
    if targeting.segments:
        query = query.where(
            Site.customer_id.in_(
                select(Customer.id).where(Customer.segment.in_(targeting.segments))
            )
        )
    if targeting.site_types:
        query = query.where(Site.site_type.in_(targeting.site_types))
    if targeting.members_only:
        query = query.where(
            Site.customer_id.in_(select(VipStatus.customer_id).where(VipStatus.is_vip.is_(True)))
        )
    return query


def _window_quarters(
    days: list[dt.date], starts_at: dt.datetime, ends_at: dt.datetime
) -> tuple[np.ndarray, np.ndarray]:
    """First and end quarter hour (of each day's profile) of the event's wall-clock window on
    each of ``days``; a window past midnight is cut at the end of its first day."""
    local_start = starts_at.astimezone(TIMEZONE)
    span = ends_at - starts_at
    first, end = [], []
    for day in days:
        midnight = localtime.local_midnight_s(day)
        start_s = int(dt.datetime.combine(day, local_start.time(), TIMEZONE).timestamp())
        day_end_s = localtime.local_midnight_s(day + dt.timedelta(days=1))
        end_s = min(start_s + int(span.total_seconds()), day_end_s)
        first.append((start_s - midnight) // rollups.QUARTER_S)
        end.append(-(-(end_s - midnight) // rollups.QUARTER_S))
    return np.array(first, dtype=np.int64), np.array(end, dtype=np.int64)


def load_at_stake(
    session: Session, sites: Select[str], starts_at: dt.datetime, ends_at: dt.datetime
) -> dict[str, int]:
    """Mean demand in W of each of ``sites`` (a query of site ids) in the event window on the
    ten most recent similar days with data; sites without interval data are left out."""
    days = similar.similar_days(localtime.local_day(starts_at), similar.SIMILAR_DAYS)
    if not days:
        return {}
    query = select(
        ConsumptionDaily.site_id,
        ConsumptionDaily.day,
        ConsumptionDaily.quarter_wh,
        ConsumptionDaily.hourly_wh,
    ).where(
        ConsumptionDaily.site_id.in_(sites.scalar_subquery()),
        ConsumptionDaily.day.in_(days),
        or_(ConsumptionDaily.quarter_wh.is_not(None), ConsumptionDaily.hourly_wh.is_not(None)),
    )
    table = rollups.fetch_records(session.connection(), query, _PROFILE_ROWS)
    rows = list(
        zip(
            table["site_id"].tolist(),
            driver_days(table["day"].tolist()).tolist(),
            table["quarter"].tolist(),
            table["hourly"].tolist(),
            strict=True,
        )
    )
    if not rows:
        return {}
    site_ids = [row[0] for row in rows]
    day_index = {day: index for index, day in enumerate(days)}
    row_day = np.array([day_index[row[1]] for row in rows], dtype=np.int64)
    first, end = _window_quarters(days, starts_at, ends_at)
    profiles = np.zeros((len(rows), rollups.MAX_QUARTERS), dtype=np.float64)
    quarter = np.array([row[2] is not None for row in rows])
    if quarter.any():
        decoded, _lengths = rollups.decode_quarters([row[2] for row in rows if row[2] is not None])
        profiles[quarter] = decoded
    if (~quarter).any():  # a wall-clock hour's energy spread evenly over its quarter hours
        hourly = rollups.decode_hourly([row[3] for row in rows if row[2] is None])
        spread = np.repeat(hourly, rollups.QUARTERS_PER_HOUR, axis=1) / rollups.QUARTERS_PER_HOUR
        profiles[~quarter, : spread.shape[1]] = spread
    slots = np.arange(rollups.MAX_QUARTERS)
    inside = (slots >= first[row_day, None]) & (slots < end[row_day, None])
    hours = (end - first)[row_day] * rollups.QUARTER_S / 3600
    demand = np.where(hours > 0, (profiles * inside).sum(axis=1) / np.maximum(hours, 1e-9), 0)
    means = pd.Series(demand).groupby(pd.Series(site_ids)).mean()
    return {str(site): int(round(value)) for site, value in means.items()}


@dataclass(frozen=True)
class CustomerLine:
    """One customer of a preview: its sites, contacts, the channels reached and its load."""

    customer_id: str
    name: str
    region: str
    sites: int
    contacts: int
    channels: tuple[str, ...]
    load_w: int


@dataclass(frozen=True)
class RegionLine:
    region: str
    customers: int
    sites: int
    load_w: int


@dataclass(frozen=True)
class Preview:
    customers: list[CustomerLine]
    regions: list[RegionLine]
    sites: int
    contacts: int
    #: Messages per channel, as the notice would write them.
    messages: dict[str, int]
    #: Contacts with no way to reach them (recorded as failed messages).
    unreachable: int
    load_w: int
    #: Sites with interval data behind the load at stake.
    measured_sites: int


def reachable(
    session: Session, customer_ids: list[str], topic: str
) -> dict[str, tuple[int, Counter[str], int]]:
    """Per customer: its contacts, messages per channel on ``topic`` and contacts that cannot be
    reached, by the one rule of :mod:`lounge.notify.fanout`, from two plain queries."""
    chosen: dict[int, list[str]] = {}
    for contact_id, channel in session.execute(
        select(ContactChannel.contact_id, ContactChannel.channel)
        .join(Contact, Contact.id == ContactChannel.contact_id)
        .where(Contact.customer_id.in_(customer_ids), ContactChannel.topic == topic)
    ):
        chosen.setdefault(contact_id, []).append(channel)
    found: dict[str, tuple[int, Counter[str], int]] = {}
    for contact_id, customer_id, name, email, phone, post in session.execute(
        select(
            Contact.id,
            Contact.customer_id,
            Contact.name,
            Contact.email,
            Contact.phone,
            Contact.postal_address,
        ).where(Contact.customer_id.in_(customer_ids))
    ):
        channels = fanout.chosen_channels(
            fanout.addresses(name, email, phone, post), chosen.get(contact_id, [])
        )
        contacts, counts, lost = found.get(customer_id, (0, Counter(), 0))
        counts.update(str(channel) for channel in channels)
        found[customer_id] = (contacts + 1, counts, lost + (not channels))
    return found


def preview(
    session: Session,
    viewer: Viewer,
    targeting: Targeting,
    kind: str,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
) -> Preview:
    """Who the notice would reach and the load at stake, before anything is sent."""
    access.require(viewer, *access.REGION_ROLES)
    sites = access.restrict(sites_query(targeting), viewer)
    site_rows = session.execute(sites).all()
    loads = load_at_stake(session, select(sites.subquery().c.id), starts_at, ends_at)
    per_customer: dict[str, list[Any]] = {}  # region, sites, load
    per_region: dict[str, list[Any]] = {}  # customers, sites, load
    for site_id, customer_id, region in site_rows:
        load = loads.get(site_id, 0)
        mine = per_customer.setdefault(customer_id, [region, 0, 0])
        mine[1] += 1
        mine[2] += load
        area = per_region.setdefault(region, [set(), 0, 0])
        area[0].add(customer_id)
        area[1] += 1
        area[2] += load
    names = dict(
        session.execute(
            select(Customer.id, Customer.name).where(Customer.id.in_(list(per_customer)))
        ).all()
    )
    reached = reachable(session, list(per_customer), topic_of(kind))
    lines = []
    total: Counter[str] = Counter()
    unreachable = 0
    contacts = 0
    for customer_id, (region, sites_count, load) in per_customer.items():
        people, counts, lost = reached.get(customer_id, (0, Counter(), 0))
        total.update(counts)
        unreachable += lost
        contacts += people
        lines.append(
            CustomerLine(
                customer_id,
                names.get(customer_id, customer_id),
                region,
                sites_count,
                people,
                tuple(sorted(counts)),
                load,
            )
        )
    return Preview(
        customers=sorted(lines, key=lambda line: (-line.load_w, line.name)),
        regions=[
            RegionLine(region, len(area[0]), area[1], area[2])
            for region, area in sorted(per_region.items())
        ],
        sites=len(site_rows),
        contacts=contacts,
        messages=dict(total),
        unreachable=unreachable,
        load_w=sum(line.load_w for line in lines),
        measured_sites=len(loads),
    )


@dataclass(frozen=True)
class Choices:
    """What the targeting form offers: the regions, segments and site types in the data."""

    regions: list[str]
    segments: list[str]
    site_types: list[str]


def choices(session: Session, viewer: Viewer) -> Choices:
    access.require(viewer, *access.REGION_ROLES)
    regions = session.scalars(select(Site.region).distinct().order_by(Site.region)).all()
    segments = session.scalars(
        select(Customer.segment)
        .where(Customer.segment.is_not(None))
        .distinct()
        .order_by(Customer.segment)
    ).all()
    types = session.scalars(
        select(Site.site_type)
        .where(Site.site_type.is_not(None))
        .distinct()
        .order_by(Site.site_type)
    ).all()
    return Choices(list(regions), [s for s in segments if s], [t for t in types if t])
