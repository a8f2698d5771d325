"""Consumption cuts for the screens, read from the rollups.

Every function takes the viewer and resolves customers and sites through the
access layer, so a forged id yields :class:`lounge.access.NotFound`.

Screens read the daily and monthly rollups built at import, never the raw
15-minute rows, so a cut over years of interval data costs a few thousand
rollup rows. The one exception is the interval zoom at its finest level (a
few days of one site), which reads the readings themselves: a handful of rows
by primary key. Results are integer Wh and W in pandas frames or small
dataclasses; the pages format and translate them.

A cut covers a :class:`Selection` of the customer's sites: all of them, one
site, or a group by region or site type. Monthly figures (series by month and
year, shares, VIP distance) include every site; daily figures (series by day,
time-of-use bands, load profiles, peaks, zoom) exist only where interval data
does, because billing reads are never spread over days.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Literal

import numpy as np
import pandas as pd
from sqlalchemy import (
    ColumnElement,
    DateTime,
    Subquery,
    cast,
    func,
    literal_column,
    select,
)
from sqlalchemy.orm import InstrumentedAttribute, Session

from db.models import ConsumptionDaily, ConsumptionMonthly, Customer, Reading, Site, VipStatus
from lounge import access, calendar, localtime, rollups, tou
from lounge.access import Viewer
from lounge.classification import Figures, Window
from lounge.i18n import N_
from lounge.settings import TIMEZONE


def _months(end: dt.date, count: int) -> list[dt.date]:
    """The ``count`` months before ``end`` (a first of month), oldest first."""
    return [localtime.add_months(end, -n) for n in range(count, 0, -1)]


def monthly(
    session: Session,
    viewer: Viewer,
    customer_id: object,
    end: dt.date,
    count: int = 24,
    site_id: object = None,
) -> pd.DataFrame:
    """Energy per month (columns month, wh, estimated_wh) for a customer or one of its sites.

    Months without data are present with zero, so charts show gaps honestly.
    """
    customer = access.get_customer(session, viewer, customer_id)
    months = _months(end, count)
    query = (
        select(
            ConsumptionMonthly.month,
            func.sum(ConsumptionMonthly.wh),
            func.sum(ConsumptionMonthly.estimated_wh),
        )
        .join(Site, Site.id == ConsumptionMonthly.site_id)
        .where(Site.customer_id == customer.id)
        .where(ConsumptionMonthly.month >= months[0], ConsumptionMonthly.month < end)
        .group_by(ConsumptionMonthly.month)
    )
    if site_id is not None:
        site = access.get_site(session, viewer, site_id)
        if site.customer_id != customer.id:
            raise access.NotFound(site_id)
        query = query.where(ConsumptionMonthly.site_id == site.id)
    found = {month: (int(wh), int(est)) for month, wh, est in session.execute(query)}
    return pd.DataFrame(
        {
            "month": months,
            "wh": [found.get(m, (0, 0))[0] for m in months],
            "estimated_wh": [found.get(m, (0, 0))[1] for m in months],
        }
    )


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
    energy = _window_energy(window)
    rows = session.execute(
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
        .where(access.customer_scope(viewer))
        .group_by(Site.region)
        .order_by(Site.region)
    ).all()
    return [RegionSummary(r, int(s), int(c), int(v), int(wh)) for r, s, c, v, wh in rows]


def region_monthly(session: Session, viewer: Viewer, end: dt.date, count: int = 24) -> pd.DataFrame:
    """Energy per region and month (columns region, month, wh) for the visible customers."""
    months = _months(end, count)
    rows = session.execute(
        select(Site.region, ConsumptionMonthly.month, func.sum(ConsumptionMonthly.wh))
        .join(Site, Site.id == ConsumptionMonthly.site_id)
        .join(Customer, Customer.id == Site.customer_id)
        .where(access.customer_scope(viewer))
        .where(ConsumptionMonthly.month >= months[0], ConsumptionMonthly.month < end)
        .group_by(Site.region, ConsumptionMonthly.month)
        .order_by(ConsumptionMonthly.month, Site.region)
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
        .where(access.customer_scope(viewer))
        .order_by(Site.region, Site.id)
    )
    if region:
        query = query.where(Site.region == region)
    return [
        SiteRow(sid, sname, cid, cname, reg, sup, int(wh), bool(vip))
        for sid, sname, cid, cname, reg, sup, wh, vip in session.execute(query)
    ]


# --- which sites a cut covers ---------------------------------------------------------

ONE_DAY = dt.timedelta(days=1)
_EPOCH_ORDINAL = dt.date(1970, 1, 1).toordinal()


@dataclass(frozen=True)
class Selection:
    """Which of a customer's sites a cut covers: all (the default), one site, or a group.

    Pages build it from what the user picked; every cut resolves it again
    through the access layer, so a forged site id is simply not found.
    """

    site_id: str | None = None
    region: str | None = None
    site_type: str | None = None


WHOLE_CUSTOMER = Selection()


@dataclass(frozen=True)
class ScopeSite:
    site_id: str
    name: str
    region: str
    site_type: str | None


@dataclass(frozen=True)
class Scope:
    """A visible customer and the sites of a selection (by id)."""

    customer_id: str
    selection: Selection
    sites: tuple[ScopeSite, ...]

    @property
    def site_ids(self) -> list[str]:
        return [site.site_id for site in self.sites]

    def covers(self, column: InstrumentedAttribute[str]) -> ColumnElement[bool]:
        """``column IN (the scope's site ids)``, as a subquery: no limit on the site count."""
        sites = select(Site.id).where(*_site_conditions(self.customer_id, self.selection))
        return column.in_(sites)


def _site_conditions(customer_id: str, selection: Selection) -> list[ColumnElement[bool]]:
    conditions = [Site.customer_id == customer_id]
    if selection.site_id is not None:
        conditions.append(Site.id == selection.site_id)
    if selection.region is not None:
        conditions.append(Site.region == selection.region)
    if selection.site_type is not None:
        conditions.append(Site.site_type == selection.site_type)
    return conditions


def scope(
    session: Session, viewer: Viewer, customer_id: object, selection: Selection = WHOLE_CUSTOMER
) -> Scope:
    """Resolve a selection for the viewer.

    The customer must be visible (else :class:`access.NotFound`); a site id
    that is not one of its sites is not found either. A region or site type
    with no sites gives an empty scope: every cut of it is zero.
    """
    customer = access.get_customer(session, viewer, customer_id)
    for value in (selection.site_id, selection.region, selection.site_type):
        if value is not None and not isinstance(value, str):
            raise access.NotFound(value)
    rows = session.execute(
        select(Site.id, Site.name, Site.region, Site.site_type)
        .where(*_site_conditions(customer.id, selection))
        .order_by(Site.id)
    ).all()
    if selection.site_id is not None and not rows:
        raise access.NotFound(selection.site_id)
    return Scope(customer.id, selection, tuple(ScopeSite(*row) for row in rows))


# --- periods ---------------------------------------------------------------------------

Period = Literal["day", "month", "year"]


def _month_list(start: dt.date, end: dt.date) -> list[dt.date]:
    """Firsts of the months [start, end); both must be firsts of months."""
    if start.day != 1 or end.day != 1:
        raise ValueError(f"a range of months runs from a first of month: {start} to {end}")
    return localtime.month_starts(start, end)[:-1] if start < end else []


def _day_list(start: dt.date, end: dt.date) -> list[dt.date]:
    return localtime.day_starts(start, end - ONE_DAY) if start < end else []


def _frame(rows: Iterable[Sequence[Any]], columns: list[str]) -> pd.DataFrame:
    """A query's rows as a frame. Plain tuples first: pandas probes every ``Row``
    object for attributes, which made a frame of a thousand rows ten times slower."""
    return pd.DataFrame([tuple(row) for row in rows], columns=columns)


def _month_of(days: np.ndarray, months: list[dt.date]) -> np.ndarray:
    """Index into ``months`` of each datetime64[D] day."""
    return np.searchsorted(np.array(months, "datetime64[M]"), days.astype("datetime64[M]"))


def _sums(
    session: Session,
    scope: Scope,
    model: type[ConsumptionDaily] | type[ConsumptionMonthly],
    bucket: InstrumentedAttribute[dt.date],
    start: dt.date,
    end: dt.date,
    by_site: bool = False,
) -> pd.DataFrame:
    """wh and estimated_wh per bucket (and site) of a scope over [start, end), one query."""
    keys = [model.site_id, bucket] if by_site else [bucket]
    result = session.execute(
        select(*keys, func.sum(model.wh), func.sum(model.estimated_wh))
        .where(scope.covers(model.site_id), bucket >= start, bucket < end)
        .group_by(*keys)
    )
    names = ["site_id", "bucket"] if by_site else ["bucket"]
    frame = _frame(result, [*names, "wh", "estimated_wh"])
    # PostgreSQL sums BIGINT as NUMERIC: back to exact integers
    return frame.astype({"wh": "int64", "estimated_wh": "int64"})


def series(
    session: Session,
    viewer: Viewer,
    customer_id: object,
    start: dt.date,
    end: dt.date,
    period: Period = "month",
    selection: Selection = WHOLE_CUSTOMER,
) -> pd.DataFrame:
    """Energy per day, month or year over [start, end): columns period, wh, estimated_wh.

    Every period is present (zero without data) so charts show gaps honestly;
    ``estimated_wh`` is the part from estimated readings, for the screen to
    mark. Months and years come from the monthly rollup (every site); for
    them ``start`` and ``end`` must be firsts of months, and a year is the sum
    of its months inside the range. Days come from the daily rollup, so they
    cover interval-metered sites only.
    """
    found = scope(session, viewer, customer_id, selection)
    if period == "day":
        periods = _day_list(start, end)
        sums = _sums(session, found, ConsumptionDaily, ConsumptionDaily.day, start, end)
    elif period in ("month", "year"):
        periods = _month_list(start, end)
        sums = _sums(session, found, ConsumptionMonthly, ConsumptionMonthly.month, start, end)
    else:
        raise ValueError(f"unknown period {period!r}")
    frame = (
        sums.set_index("bucket")[["wh", "estimated_wh"]]
        .reindex(pd.Index(periods, name="period"), fill_value=0)
        .reset_index()
    )
    if period == "year":
        frame["period"] = [month.replace(month=1) for month in frame["period"]]
        frame = frame.groupby("period", as_index=False).sum()
    return frame


def year_over_year(
    session: Session,
    viewer: Viewer,
    customer_id: object,
    year: int,
    selection: Selection = WHOLE_CUSTOMER,
) -> pd.DataFrame:
    """The months of ``year`` beside the same months a year earlier.

    Columns month (a first of month in ``year``), wh, estimated_wh,
    previous_wh, previous_estimated_wh. Months still to come are zero.
    """
    first, end = dt.date(year - 1, 1, 1), dt.date(year + 1, 1, 1)
    both = series(session, viewer, customer_id, first, end, "month", selection)
    previous, current = both.iloc[:12].reset_index(drop=True), both.iloc[12:].reset_index(drop=True)
    return pd.DataFrame(
        {
            "month": current["period"],
            "wh": current["wh"],
            "estimated_wh": current["estimated_wh"],
            "previous_wh": previous["wh"],
            "previous_estimated_wh": previous["estimated_wh"],
        }
    )


def site_shares(
    session: Session,
    viewer: Viewer,
    customer_id: object,
    start: dt.date,
    end: dt.date,
    selection: Selection = WHOLE_CUSTOMER,
) -> pd.DataFrame:
    """Each site's energy over the months [start, end) and its share of the scope's total.

    Columns site_id, name, region, site_type, wh, estimated_wh, share (0-1;
    0 when the total is 0); every site of the scope, biggest first.
    """
    found = scope(session, viewer, customer_id, selection)
    _month_list(start, end)  # the check every monthly cut makes
    sums = _sums(
        session, found, ConsumptionMonthly, ConsumptionMonthly.month, start, end, by_site=True
    )
    per_site = sums.groupby("site_id")[["wh", "estimated_wh"]].sum()
    frame = pd.DataFrame(
        [vars(site) for site in found.sites],
        columns=["site_id", "name", "region", "site_type"],
    ).join(per_site, on="site_id")
    frame[["wh", "estimated_wh"]] = frame[["wh", "estimated_wh"]].fillna(0).astype("int64")
    total = int(frame["wh"].sum())
    frame["share"] = frame["wh"] / total if total else 0.0
    return frame.sort_values(["wh", "site_id"], ascending=[False, True], ignore_index=True)


# --- daily rows: bands, profiles, peaks ----------------------------------------------------


def _driver_days(values: list[Any]) -> np.ndarray:
    """Dates as the driver hands them over, as datetime64[D].

    SQLite gives ISO text, which numpy parses fast; PostgreSQL gives ``date``
    objects, which numpy converts a hundred times slower than their ordinals.
    """
    if values and isinstance(values[0], dt.date):
        ordinals = np.fromiter(map(dt.date.toordinal, values), np.int64, len(values))
        return (ordinals - _EPOCH_ORDINAL).astype("datetime64[D]")
    return np.array(values, dtype="datetime64[D]")


_DAY_PROFILE = np.dtype([("day", object), ("hourly_wh", object)])


def _day_profiles(
    session: Session, scope: Scope, start: dt.date, end: dt.date
) -> tuple[np.ndarray, np.ndarray]:
    """The days in [start, end) with hourly profiles, and the scope's profile of each.

    Returns sorted distinct days (datetime64[D]) and their profiles summed
    over the scope's sites, shape (days, 24). Only two columns are read: over
    two years of 50 sites that is 36,500 rows, and every extra column costs
    a Python object per row.
    """
    query = select(ConsumptionDaily.day, ConsumptionDaily.hourly_wh).where(
        scope.covers(ConsumptionDaily.site_id),
        ConsumptionDaily.day >= start,
        ConsumptionDaily.day < end,
        ConsumptionDaily.hourly_wh.is_not(None),
    )
    table = rollups.fetch_records(session.connection(), query, _DAY_PROFILE)
    dates = _driver_days(table["day"].tolist())
    profiles = rollups.decode_hourly(table["hourly_wh"].tolist())
    order = np.argsort(dates, kind="stable")
    distinct, first = np.unique(dates[order], return_index=True)
    if not len(distinct):
        return distinct, profiles
    return distinct, np.add.reduceat(profiles[order], first, axis=0)


def _metered_sites(session: Session, scope: Scope, start: dt.date, end: dt.date) -> set[str]:
    """Sites of the scope with any interval data (a daily row) in [start, end).

    One primary-key probe per site, rather than a scan of its daily rows.
    """
    daily = ConsumptionDaily
    return set(
        session.scalars(
            select(Site.id).where(
                *_site_conditions(scope.customer_id, scope.selection),
                select(daily.site_id)
                .where(daily.site_id == Site.id, daily.day >= start, daily.day < end)
                .exists(),
            )
        )
    )


#: Column of energy that has no band: sites (or months) without interval data.
UNBANDED = "unbanded"
UNBANDED_LABEL = N_("Not metered by band")


@dataclass(frozen=True)
class TouBreakdown:
    """Energy per month and time-of-use band.

    ``months`` has columns month, one per band in :data:`tou.BANDS` order
    (peak, shoulder, offpeak) and ``unbanded``: energy without an hourly
    shape (billing reads), so that the row adds up to the month's total.
    ``unbanded_sites`` are the scope's sites that consumed in the range but
    have no interval data there, for the screen to name as not metered by
    band (a site with both keeps its billing part in ``unbanded``).
    """

    months: pd.DataFrame
    unbanded_sites: tuple[str, ...]


def time_of_use(
    session: Session,
    viewer: Viewer,
    customer_id: object,
    start: dt.date,
    end: dt.date,
    selection: Selection = WHOLE_CUSTOMER,
) -> TouBreakdown:
    """Time-of-use breakdown per month over the months [start, end).

    Bands are cut from the daily hourly profiles with the band table in force
    (:func:`tou.table`); each month's total comes from the monthly rollup.
    """
    found = scope(session, viewer, customer_id, selection)
    months = _month_list(start, end)
    monthly = _sums(
        session, found, ConsumptionMonthly, ConsumptionMonthly.month, start, end, by_site=True
    )
    total = monthly.groupby("bucket")["wh"].sum().reindex(months, fill_value=0).to_numpy()
    days, profiles = _day_profiles(session, found, start, end)
    banded = np.zeros((len(months), len(tou.BANDS)), dtype=np.int64)
    np.add.at(banded, _month_of(days, months), tou.band_totals(days, profiles))
    frame = pd.DataFrame(banded, columns=list(tou.BANDS))
    frame.insert(0, "month", months)
    frame[UNBANDED] = total - banded.sum(axis=1)
    consumed = set(monthly.loc[monthly["wh"] > 0, "site_id"])
    unbanded = consumed - _metered_sites(session, found, start, end)
    return TouBreakdown(frame, tuple(sorted(unbanded)))


def _lived_hours(days: np.ndarray) -> np.ndarray:
    """Real hours in each wall-clock slot of each of ``days`` (sorted datetime64[D]): (days, 24)."""
    if not len(days):
        return np.zeros((0, rollups.HOURS), dtype=np.int64)
    span = _day_list(days[0].item(), days[-1].item() + ONE_DAY)
    hours = rollups.HourGrid.of_days(span).slot_hours()
    return hours[(days - days[0]).astype(np.int64)]


def _average_w(wh: np.ndarray, hours: np.ndarray) -> np.ndarray:
    """Average demand in W (floored, like the rollups' peaks); 0 where no hours."""
    return np.where(hours > 0, wh // np.maximum(hours, 1), 0)


def typical_day(
    session: Session,
    viewer: Viewer,
    customer_id: object,
    start: dt.date,
    end: dt.date,
    selection: Selection = WHOLE_CUSTOMER,
) -> pd.DataFrame:
    """The load profile of a typical day over local days [start, end).

    Columns hour (0-23), working_w and weekend_w: the scope's average demand
    in W in each wall-clock hour of working days (Sunday to Thursday) and of
    the other days (Friday, Saturday, holidays and their eves). Energy is
    divided by the hours actually lived, so the doubled autumn hour and the
    missing spring hour do not distort it. Interval data only; days on
    which no site of the scope has any are left out.
    """
    found = scope(session, viewer, customer_id, selection)
    days, profiles = _day_profiles(session, found, start, end)
    hours = _lived_hours(days)
    working = calendar.day_type_codes(days) == calendar.DAY_TYPES.index(calendar.WORKING)
    return pd.DataFrame(
        {
            "hour": np.arange(rollups.HOURS),
            "working_w": _average_w(profiles[working].sum(0), hours[working].sum(0)),
            "weekend_w": _average_w(profiles[~working].sum(0), hours[~working].sum(0)),
        }
    )


def _odd_days(start: dt.date, end: dt.date) -> dict[dt.date, int]:
    """The local days in [start, end) that do not last 24 hours (DST days), with their length."""
    days = _day_list(start, end + ONE_DAY)
    lengths = (np.diff(localtime.boundaries_s(days)) // 3600).tolist()
    return {day: hours for day, hours in zip(days[:-1], lengths, strict=True) if hours != 24}


def _month_of_day(session: Session, day: InstrumentedAttribute[dt.date]) -> ColumnElement[Any]:
    """The month of a date column, computed by the database; ``pd.Timestamp`` reads either.

    SQLite keeps dates as ISO text, so the month is its ``YYYY-MM`` prefix
    (appending ``-01`` made the grouped query twice as slow); PostgreSQL
    truncates a timestamp (``to_char`` was three times slower per row).
    """
    if session.get_bind().dialect.name == "sqlite":
        return func.substr(day, 1, 7)
    # literals, not parameters: GROUP BY must repeat the very same expression
    return func.date_trunc(literal_column("'month'"), cast(day, DateTime))


def _dst_corrections(
    session: Session, scope: Scope, start: dt.date, end: dt.date
) -> dict[tuple[str, dt.date], int]:
    """Hours to add to 24 per day of data, by (site, month): -1 or +1 for each DST day.

    A few primary-key lookups, rather than the length of every day worked
    out row by row in the grouped query.
    """
    odd = _odd_days(start, end)
    if not odd:
        return {}
    daily = ConsumptionDaily
    rows = session.execute(
        select(daily.site_id, daily.day).where(scope.covers(daily.site_id), daily.day.in_(odd))
    )
    corrections: dict[tuple[str, dt.date], int] = {}
    for site_id, day in rows:
        key = (site_id, day.replace(day=1))
        corrections[key] = corrections.get(key, 0) + odd[day] - 24
    return corrections


def peak_demand(
    session: Session,
    viewer: Viewer,
    customer_id: object,
    start: dt.date,
    end: dt.date,
    selection: Selection = WHOLE_CUSTOMER,
) -> pd.DataFrame:
    """Peak demand and load factor per site and month, where interval data exists.

    Columns site_id, month, peak_w (the highest interval demand of the
    month), wh and hours (energy and length of the days with interval data),
    average_w and load_factor (average_w / peak_w). Per site, because peaks
    of different sites rarely coincide: their sum is no one's peak.
    Over the months [start, end), summed by the database.
    """
    found = scope(session, viewer, customer_id, selection)
    _month_list(start, end)  # the check every monthly cut makes
    daily = ConsumptionDaily
    month = _month_of_day(session, daily.day)
    result = session.execute(
        select(daily.site_id, month, func.max(daily.peak_w), func.sum(daily.wh), func.count())
        .where(found.covers(daily.site_id), daily.day >= start, daily.day < end)
        .group_by(daily.site_id, month)
    )
    frame = _frame(result, ["site_id", "month", "peak_w", "wh", "days"])
    frame["month"] = pd.to_datetime(frame["month"]).dt.date
    frame = frame.set_index(["site_id", "month"]).sort_index()
    frame["hours"] = frame["days"] * 24
    corrections = _dst_corrections(session, found, start, end)
    if corrections:
        frame["hours"] += pd.Series(corrections).reindex(frame.index, fill_value=0)
    frame = frame.drop(columns="days").reset_index()
    frame = frame.astype({"peak_w": "int64", "wh": "int64", "hours": "int64"})
    frame["average_w"] = _average_w(frame["wh"].to_numpy(), frame["hours"].to_numpy())
    peak = frame["peak_w"].to_numpy()
    frame["load_factor"] = np.where(peak > 0, frame["average_w"] / np.maximum(peak, 1), 0.0)
    return frame


# --- interval zoom -----------------------------------------------------------------------


class Resolution(StrEnum):
    READING = "reading"
    HOUR = "hour"
    DAY = "day"
    MONTH = "month"


#: The most points a zoom returns (a chart stays quick to send and draw).
MAX_POINTS = 2000
#: Longest spans shown reading by reading (3 days of quarter hours: 288 points)
#: and hour by hour (60 days: 1,440 points); beyond, day by day up to
#: MAX_POINTS days, then month by month.
READING_SPAN = dt.timedelta(days=3)
HOUR_SPAN = dt.timedelta(days=60)
DAY_SPAN = dt.timedelta(days=MAX_POINTS)


@dataclass(frozen=True)
class Zoom:
    """Points of one site's interval data at the resolution that suits the span.

    ``points`` columns: start (a time-zone aware timestamp in Israel time),
    seconds (the point's length), wh, average_w, peak_w (the highest interval
    demand inside the point; missing for hours, whose profile keeps no peak)
    and estimated (some of the point's energy was estimated; an hour is
    marked when its day has estimated energy). Only periods with data appear.
    """

    resolution: Resolution
    points: pd.DataFrame


def _seconds(moment: dt.datetime | dt.date) -> int:
    """Unix seconds of a date (local midnight) or a datetime (naive = Israel wall time)."""
    if isinstance(moment, dt.datetime):
        aware = moment if moment.tzinfo else moment.replace(tzinfo=TIMEZONE)
        return int(aware.timestamp())
    return localtime.local_midnight_s(moment)


def resolution_for(span: dt.timedelta) -> Resolution:
    """The finest resolution that keeps a span within about :data:`MAX_POINTS` points."""
    if span <= READING_SPAN:
        return Resolution.READING
    if span <= HOUR_SPAN:
        return Resolution.HOUR
    if span <= DAY_SPAN:
        return Resolution.DAY
    return Resolution.MONTH


def _points(
    start_s: np.ndarray,
    seconds: np.ndarray,
    wh: np.ndarray,
    peak_w: np.ndarray | None,
    estimated: np.ndarray,
) -> pd.DataFrame:
    start = pd.to_datetime(start_s, unit="s", utc=True).tz_convert(TIMEZONE)
    return pd.DataFrame(
        {
            "start": start,
            "seconds": seconds.astype(np.int64),
            "wh": wh.astype(np.int64),
            "average_w": _average_w(wh * 3600, seconds),
            "peak_w": pd.array(peak_w if peak_w is not None else [None] * len(wh), "Int64"),
            "estimated": estimated.astype(bool),
        }
    )


def _no_points() -> pd.DataFrame:
    none = np.zeros(0, dtype=np.int64)
    return _points(none, none, none, None, none.astype(bool))


def _reading_points(session: Session, site_id: str, start_s: int, end_s: int) -> pd.DataFrame:
    """The interval readings themselves (billing reads would hide the shape)."""
    result = session.execute(
        select(Reading.start_s, Reading.end_s, Reading.wh, Reading.estimated)
        .where(Reading.site_id == site_id, Reading.end_s > start_s, Reading.start_s < end_s)
        .where(Reading.end_s - Reading.start_s <= rollups.INTERVAL_MAX_S)
        .order_by(Reading.start_s)
    )
    frame = _frame(result, ["start", "end", "wh", "estimated"])
    start, end, wh = (frame[name].to_numpy(np.int64) for name in ("start", "end", "wh"))
    seconds = end - start
    return _points(start, seconds, wh, wh * 3600 // seconds, frame["estimated"].to_numpy(bool))


def _site_days(session: Session, site_id: str, first: dt.date, end: dt.date) -> pd.DataFrame:
    """One site's daily rows over [first, end), oldest first (a few thousand at most)."""
    daily = ConsumptionDaily
    result = session.execute(
        select(daily.day, daily.wh, daily.estimated_wh, daily.peak_w, daily.hourly_wh)
        .where(daily.site_id == site_id, daily.day >= first, daily.day < end)
        .order_by(daily.day)
    )
    return _frame(result, ["day", "wh", "estimated_wh", "peak_w", "hourly_wh"])


def _hour_points(days: pd.DataFrame, start_s: int, end_s: int) -> pd.DataFrame:
    """Every lived wall-clock hour of the days' profiles that starts in [start_s, end_s)."""
    days = days[days["hourly_wh"].notna()]
    dates = _driver_days(days["day"].tolist())
    if not len(dates):
        return _no_points()
    grid = rollups.HourGrid.of_days(_day_list(dates[0].item(), dates[-1].item() + ONE_DAY))
    row = (dates - dates[0]).astype(np.int64)
    # days are in order and so are their slots: the points come out sorted
    starts = grid.slot_starts()[row].reshape(-1)
    hours = grid.slot_hours()[row].reshape(-1)
    wh = rollups.decode_hourly(days["hourly_wh"].tolist()).reshape(-1)
    estimated = np.repeat(days["estimated_wh"].to_numpy() > 0, rollups.HOURS)
    keep = (hours > 0) & (starts >= start_s) & (starts < end_s)
    return _points(starts[keep], hours[keep] * 3600, wh[keep], None, estimated[keep])


def _day_points(days: pd.DataFrame, resolution: Resolution) -> pd.DataFrame:
    """Days (or months of days) with interval data: energy, peak, lived length."""
    dates = _driver_days(days["day"].tolist())
    unit = "datetime64[M]" if resolution is Resolution.MONTH else "datetime64[D]"
    grouped = (
        pd.DataFrame(
            {
                "bucket": dates.astype(unit),
                "wh": days["wh"].to_numpy(np.int64),
                "peak_w": days["peak_w"].to_numpy(np.int64),
                "estimated": days["estimated_wh"].to_numpy(np.int64) > 0,
                "hours": _lived_hours(dates).sum(axis=1),
            }
        )
        .groupby("bucket", sort=True)
        .agg(
            wh=("wh", "sum"),
            peak_w=("peak_w", "max"),
            estimated=("estimated", "any"),
            hours=("hours", "sum"),
        )
    )
    return _points(
        localtime.boundaries_s([pd.Timestamp(bucket).date() for bucket in grouped.index]),
        grouped["hours"].to_numpy(np.int64) * 3600,
        grouped["wh"].to_numpy(np.int64),
        grouped["peak_w"].to_numpy(np.int64),
        grouped["estimated"].to_numpy(bool),
    )


def zoom(
    session: Session,
    viewer: Viewer,
    customer_id: object,
    site_id: object,
    start: dt.datetime | dt.date,
    end: dt.datetime | dt.date,
) -> Zoom:
    """One site's interval data over [start, end), at most about :data:`MAX_POINTS` points.

    The span picks the resolution (:func:`resolution_for`): the readings
    themselves for a few days, hours from the daily profiles up to two
    months, then days and months from the daily rollup. Each answer is a
    bounded read by primary key, so zooming from years to quarter hours never
    waits on a scan of raw rows, and nothing is kept between calls.
    """
    found = scope(session, viewer, customer_id, Selection(site_id=_text(site_id)))
    site = found.site_ids[0]
    start_s, end_s = _seconds(start), _seconds(end)
    if end_s <= start_s:
        raise ValueError(f"the zoom range is empty: {start} to {end}")
    resolution = resolution_for(dt.timedelta(seconds=end_s - start_s))
    if resolution is Resolution.READING:
        return Zoom(resolution, _reading_points(session, site, start_s, end_s))
    first, last = localtime.span_dates(start_s, end_s)
    days = _site_days(session, site, first, last + ONE_DAY)
    if resolution is Resolution.HOUR:
        return Zoom(resolution, _hour_points(days, start_s, end_s))
    return Zoom(resolution, _day_points(days, resolution))


def _text(value: object) -> str:
    """A site id from a page; anything else is not found."""
    if not isinstance(value, str) or not value:
        raise access.NotFound(value)
    return value


# --- distance to the VIP thresholds ---------------------------------------------------------


def vip_distance(
    session: Session, viewer: Viewer, customer_id: object, start: dt.date, end: dt.date
) -> pd.DataFrame:
    """How far the customer stood from the VIP thresholds, month by month.

    For each month in [start, end), the figures a classification on its first
    day sees: the 12 complete months before it (:meth:`Window.for_date`), the
    biggest single site against 1,000,000 kWh and all sites together against
    5,000,000 kWh. Columns month, window_start, window_end, max_site_id,
    max_site_wh, total_wh, site_gap_wh and total_gap_wh (still missing when
    positive, margin above when negative), is_vip and rule. The whole
    customer always: membership is decided on all of its sites.
    """
    found = scope(session, viewer, customer_id)
    months = _month_list(start, end)
    if not months:
        return pd.DataFrame(columns=_VIP_COLUMNS)
    first = localtime.add_months(months[0], -12)
    sums = _sums(
        session,
        found,
        ConsumptionMonthly,
        ConsumptionMonthly.month,
        first,
        months[-1],
        by_site=True,
    )
    # energy per site (rows, in id order) and month from `first` (columns), exact integers
    matrix = np.zeros((len(found.site_ids), len(months) + 11), dtype=np.int64)
    np.add.at(
        matrix,
        (
            np.searchsorted(found.site_ids, sums["site_id"].to_numpy(object)),
            _month_of(sums["bucket"].to_numpy("datetime64[D]"), _month_list(first, months[-1])),
        ),
        sums["wh"].to_numpy(np.int64),
    )
    running = np.concatenate([np.zeros((len(matrix), 1), np.int64), matrix.cumsum(axis=1)], 1)
    windows = running[:, 12:] - running[:, :-12]  # (sites, months): the 12 months before each
    rows = []
    for month, per_site in zip(months, windows.T, strict=True):
        best = int(np.argmax(per_site)) if len(per_site) else -1  # the smallest id on a tie
        figures = Figures(
            found.customer_id,
            int(per_site.sum()),
            int(per_site[best]) if best >= 0 else 0,
            found.site_ids[best] if best >= 0 and per_site[best] > 0 else None,
        )
        window = Window.for_date(month)
        rows.append(
            {
                "month": month,
                "window_start": window.start,
                "window_end": window.end,
                "max_site_id": figures.max_site_id,
                "max_site_wh": figures.max_site_wh,
                "total_wh": figures.total_wh,
                "site_gap_wh": figures.site_gap_wh,
                "total_gap_wh": figures.total_gap_wh,
                "is_vip": figures.is_vip,
                "rule": figures.rule,
            }
        )
    return pd.DataFrame(rows, columns=_VIP_COLUMNS)


_VIP_COLUMNS = [
    "month",
    "window_start",
    "window_end",
    "max_site_id",
    "max_site_wh",
    "total_wh",
    "site_gap_wh",
    "total_gap_wh",
    "is_vip",
    "rule",
]
