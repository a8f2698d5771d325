"""Region views for staff: sites, customers and energy per region.

Only demand-management staff and administrators see regions; the role is
checked here, in the domain, so a region callback called by a client (or an
account manager) raises :class:`access.AccessDenied` whatever the page shows.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import Subquery, func, select
from sqlalchemy.orm import Session

from db.models import ConsumptionMonthly, Customer, Site, VipStatus
from lounge import access
from lounge.access import Viewer
from lounge.classification import Window
from lounge.consumption.periods import months_before


def _window_energy(window: Window) -> Subquery:
    """Energy per site in the window, as a subquery (site_id, wh)."""
    return (
        select(ConsumptionMonthly.site_id, func.sum(ConsumptionMonthly.wh).label("wh"))
        .where(ConsumptionMonthly.month >= window.start, ConsumptionMonthly.month < window.end)
        .group_by(ConsumptionMonthly.site_id)
        .subquery()
    )


@dataclass(frozen=True)
class RegionSummary:
    region: str
    sites: int
    customers: int
    vip_customers: int
    wh: int


def regions(session: Session, viewer: Viewer, window: Window) -> list[RegionSummary]:
    """Sites, customers, members and window energy per region, for the visible customers."""
    access.require(viewer, *access.REGION_ROLES)
    energy = _window_energy(window)
    rows = session.execute(
        access.restrict(
            select(
                Site.region,
                func.count(Site.id),
                func.count(func.distinct(Site.customer_id)),
                func.count(func.distinct(VipStatus.customer_id)),
                func.coalesce(func.sum(energy.c.wh), 0),
            )
            .join(Customer, Customer.id == Site.customer_id)
            .outerjoin(energy, energy.c.site_id == Site.id)
            .outerjoin(
                VipStatus, (VipStatus.customer_id == Site.customer_id) & VipStatus.is_vip.is_(True)
            )
            .group_by(Site.region)
            .order_by(Site.region),
            viewer,
        )
    ).all()
    return [RegionSummary(r, int(s), int(c), int(v), int(wh)) for r, s, c, v, wh in rows]


def region_monthly(session: Session, viewer: Viewer, end: dt.date, count: int = 24) -> pd.DataFrame:
    """Energy per region and month (columns region, month, wh) for the visible customers."""
    access.require(viewer, *access.REGION_ROLES)
    months = months_before(end, count)
    rows = session.execute(
        access.restrict(
            select(Site.region, ConsumptionMonthly.month, func.sum(ConsumptionMonthly.wh))
            .join(Site, Site.id == ConsumptionMonthly.site_id)
            .join(Customer, Customer.id == Site.customer_id)
            .where(ConsumptionMonthly.month >= months[0], ConsumptionMonthly.month < end)
            .group_by(Site.region, ConsumptionMonthly.month)
            .order_by(ConsumptionMonthly.month, Site.region),
            viewer,
        )
    ).all()
    frame = pd.DataFrame(rows, columns=["region", "month", "wh"])
    frame["wh"] = frame["wh"].astype("int64")
    return frame


@dataclass(frozen=True)
class SiteRow:
    site_id: str
    site_name: str
    customer_id: str
    customer_name: str
    region: str
    supplier: str | None
    wh: int
    vip: bool


def sites_by_region(
    session: Session, viewer: Viewer, window: Window, region: str | None = None
) -> list[SiteRow]:
    """Every visible site with its window energy and whether its customer is a member."""
    access.require(viewer, *access.REGION_ROLES)
    energy = _window_energy(window)
    query = (
        select(
            Site.id,
            Site.name,
            Customer.id,
            Customer.name,
            Site.region,
            Site.supplier,
            func.coalesce(energy.c.wh, 0),
            func.coalesce(VipStatus.is_vip, False),
        )
        .join(Customer, Customer.id == Site.customer_id)
        .outerjoin(energy, energy.c.site_id == Site.id)
        .outerjoin(VipStatus, VipStatus.customer_id == Customer.id)
        .order_by(Site.region, Site.id)
    )
    if region:
        query = query.where(Site.region == region)
    query = access.restrict(query, viewer)
    return [
        SiteRow(sid, sname, cid, cname, reg, sup, int(wh), bool(vip))
        for sid, sname, cid, cname, reg, sup, wh, vip in session.execute(query)
    ]
