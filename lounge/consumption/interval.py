"""Cuts that need interval data: time-of-use bands, typical day, peak demand.

They read the daily rollup (hourly profiles and peaks), which exists only for
sites with interval readings; billing reads are never spread over days.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import ColumnElement, DateTime, cast, func, literal_column, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from db.models import ConsumptionDaily, ConsumptionMonthly, Site
from lounge import calendar, localtime, rollups, tou
from lounge.consumption.periods import (
    average_w,
    driver_days,
    lived_hours,
    month_list,
    month_of,
    odd_days,
)
from lounge.consumption.scope import Scope, scoped, site_conditions
from lounge.consumption.sums import bucket_sums, frame_of
from lounge.i18n import N_
from lounge.settings import TIMEZONE

_DAY_PROFILE = np.dtype([("day", object), ("profile", object)])
_SITE_DAY_PROFILE = np.dtype([("site", object), ("day", object), ("profile", object)])


def _profile_records(
    session: Session,
    scope: Scope,
    start: dt.date,
    end: dt.date,
    column: InstrumentedAttribute[bytes | None],
    by_site: bool = False,
) -> np.ndarray:
    """The day (with ``by_site``, the site and the day) and stored profile (``column``) of each
    of the scope's daily rows in [start, end).

    Only the columns needed are read: over two years of 50 sites that is 36,500
    rows, and every extra column costs a Python object per row.
    """
    keys = [ConsumptionDaily.site_id, ConsumptionDaily.day] if by_site else [ConsumptionDaily.day]
    query = select(*keys, column).where(
        scope.covers(ConsumptionDaily.site_id),
        ConsumptionDaily.day >= start,
        ConsumptionDaily.day < end,
        column.is_not(None),
    )
    dtype = _SITE_DAY_PROFILE if by_site else _DAY_PROFILE
    return rollups.fetch_records(session.connection(), query, dtype)


def _profile_rows(
    session: Session,
    scope: Scope,
    start: dt.date,
    end: dt.date,
    column: InstrumentedAttribute[bytes | None],
) -> tuple[np.ndarray, list[bytes]]:
    """The days and stored profiles (``column``) of the scope's daily rows in [start, end)."""
    table = _profile_records(session, scope, start, end, column)
    return driver_days(table["day"].tolist()), table["profile"].tolist()


def _site_day_profiles(
    session: Session, scope: Scope, start: dt.date, end: dt.date
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The scope's hourly profiles in [start, end), one row per site and day: the index of
    the row's site in ``scope.sites``, its day (datetime64[D]) and its profile, (rows, 24)."""
    table = _profile_records(session, scope, start, end, ConsumptionDaily.hourly_wh, by_site=True)
    sites = pd.Index(scope.site_ids).get_indexer(table["site"])
    days = driver_days(table["day"].tolist())
    return sites, days, rollups.decode_hourly(table["profile"].tolist())


def _sum_by_day(dates: np.ndarray, profiles: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sorted distinct ``dates`` and the sum of the ``profiles`` rows of each."""
    order = np.argsort(dates, kind="stable")
    distinct, first = np.unique(dates[order], return_index=True)
    if not len(distinct):
        return distinct, profiles
    return distinct, np.add.reduceat(profiles[order], first, axis=0)


def _day_profiles(
    session: Session, scope: Scope, start: dt.date, end: dt.date
) -> tuple[np.ndarray, np.ndarray]:
    """The days in [start, end) with hourly profiles, and the scope's profile of each.

    Returns sorted distinct days (datetime64[D]) and their profiles summed
    over the scope's sites, shape (days, 24).
    """
    dates, values = _profile_rows(session, scope, start, end, ConsumptionDaily.hourly_wh)
    return _sum_by_day(dates, rollups.decode_hourly(values))


def _metered_sites(session: Session, scope: Scope, start: dt.date, end: dt.date) -> set[str]:
    """Sites of the scope with any interval data (a daily row) in [start, end).

    One primary-key probe per site, rather than a scan of its daily rows.
    """
    daily = ConsumptionDaily
    return set(
        session.scalars(
            select(Site.id).where(
                *site_conditions(scope.customer_id, scope.selection),
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
    """Energy per month and time-of-use band, and per site and band.

    ``months`` has columns month, one per band in :data:`tou.BANDS` order
    (peak, shoulder, offpeak) and ``unbanded``: energy without an hourly
    shape (billing reads), so that the row adds up to the month's total.
    ``sites`` has a row per site of the scope (in its order): site_id, name, region, the
    bands, ``unbanded`` and ``metered`` (whether it has interval data in the range), over the
    whole range. ``unbanded_sites`` are the scope's sites that consumed in the range but
    have no interval data there, for the screen to name as not metered by band (a site with
    both keeps its billing part in ``unbanded``).
    """

    months: pd.DataFrame
    unbanded_sites: tuple[str, ...]
    sites: pd.DataFrame
    #: What the cut covers (:func:`coverage`), from the same reads.
    coverage: Coverage


@scoped
def time_of_use(session: Session, found: Scope, start: dt.date, end: dt.date) -> TouBreakdown:
    """Time-of-use breakdown per month, and per site, over the months [start, end).

    Bands are cut from the daily hourly profiles with the band table in force
    (:func:`tou.table`); each month's and site's total comes from the monthly rollup. Both
    cuts come from one read of the profiles of all the sites, never one per site.
    """
    months = month_list(start, end)
    monthly = bucket_sums(
        session, found, ConsumptionMonthly, ConsumptionMonthly.month, start, end, by_site=True
    )
    total = monthly.groupby("bucket")["wh"].sum().reindex(months, fill_value=0).to_numpy()
    site_of, days, profiles = _site_day_profiles(session, found, start, end)
    bands = tou.band_totals(days, profiles)
    banded = np.zeros((len(months), len(tou.BANDS)), dtype=np.int64)
    np.add.at(banded, month_of(days, months), bands)
    frame = pd.DataFrame(banded, columns=list(tou.BANDS))
    frame.insert(0, "month", months)
    frame[UNBANDED] = total - banded.sum(axis=1)
    metered = _metered_sites(session, found, start, end)
    consumed = set(monthly.loc[monthly["wh"] > 0, "site_id"])
    unbanded = consumed - metered
    return TouBreakdown(
        frame,
        tuple(sorted(unbanded)),
        _site_bands(found, monthly, site_of, bands, metered),
        _coverage(session, found, start, end, int(total.sum()), metered),
    )


def _site_bands(
    found: Scope, monthly: pd.DataFrame, site_of: np.ndarray, bands: np.ndarray, metered: set[str]
) -> pd.DataFrame:
    """:attr:`TouBreakdown.sites` from the monthly sums by site and the band totals of each
    (site, day) row of profiles."""
    by_site = np.zeros((len(found.sites), len(tou.BANDS)), dtype=np.int64)
    np.add.at(by_site, site_of, bands)
    site_total = monthly.groupby("site_id")["wh"].sum().reindex(found.site_ids, fill_value=0)
    frame = pd.DataFrame(
        [(site.site_id, site.name, site.region) for site in found.sites],
        columns=["site_id", "name", "region"],
    )
    frame[list(tou.BANDS)] = by_site
    frame[UNBANDED] = site_total.to_numpy(np.int64) - by_site.sum(axis=1)
    frame["metered"] = frame["site_id"].isin(metered)
    return frame


@scoped
def typical_day(session: Session, found: Scope, start: dt.date, end: dt.date) -> pd.DataFrame:
    """The load profile of a typical day over local days [start, end).

    Columns hour (0-23), working_w and weekend_w: the scope's average demand
    in W in each wall-clock hour of working days (Sunday to Thursday) and of
    the other days (Friday, Saturday, holidays and their eves). Energy is
    divided by the hours actually lived, so the doubled autumn hour and the
    missing spring hour do not distort it. Interval data only; days on
    which no site of the scope has any are left out.
    """
    days, profiles = _day_profiles(session, found, start, end)
    hours = lived_hours(days)
    working = calendar.day_type_codes(days) == calendar.DAY_TYPES.index(calendar.WORKING)
    return pd.DataFrame(
        {
            "hour": np.arange(rollups.HOURS),
            "working_w": average_w(profiles[working].sum(0), hours[working].sum(0)),
            "weekend_w": average_w(profiles[~working].sum(0), hours[~working].sum(0)),
        }
    )


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
    odd = odd_days(start, end)
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


@scoped
def peak_demand(session: Session, found: Scope, start: dt.date, end: dt.date) -> pd.DataFrame:
    """Peak demand and load factor per site and month, where interval data exists.

    Columns site_id, month, peak_w (the highest interval demand of the
    month), wh and hours (energy and length of the days with interval data),
    average_w and load_factor (average_w / peak_w). Per site, because peaks
    of different sites rarely coincide: their sum is no one's peak.
    Over the months [start, end), summed by the database.
    """
    month_list(start, end)  # the check every monthly cut makes
    daily = ConsumptionDaily
    month = _month_of_day(session, daily.day)
    result = session.execute(
        select(daily.site_id, month, func.max(daily.peak_w), func.sum(daily.wh), func.count())
        .where(found.covers(daily.site_id), daily.day >= start, daily.day < end)
        .group_by(daily.site_id, month)
    )
    frame = frame_of(result, ["site_id", "month", "peak_w", "wh", "days"])
    frame["month"] = pd.to_datetime(frame["month"]).dt.date
    frame = frame.set_index(["site_id", "month"]).sort_index()
    frame["hours"] = frame["days"] * 24
    corrections = _dst_corrections(session, found, start, end)
    if corrections:
        frame["hours"] += pd.Series(corrections).reindex(frame.index, fill_value=0)
    frame = frame.drop(columns="days").reset_index()
    frame = frame.astype({"peak_w": "int64", "wh": "int64", "hours": "int64"})
    frame["average_w"] = average_w(frame["wh"].to_numpy(), frame["hours"].to_numpy())
    peak = frame["peak_w"].to_numpy()
    frame["load_factor"] = np.where(peak > 0, frame["average_w"] / np.maximum(peak, 1), 0.0)
    return frame


@dataclass(frozen=True)
class Coverage:
    """How much of a scope a cut of interval data covers, for the screen to say plainly.

    ``sites`` of the scope, ``metered_sites`` of them with interval data in
    the range; ``wh`` is all their energy (the monthly rollup: every site)
    and ``metered_wh`` the part with interval data (the daily rollup). A
    group of 40 sites with 3 metered once showed 685,000 kWh as the day
    total of 6.4 million, with only a grey footnote to say so.
    """

    sites: int
    metered_sites: int
    wh: int
    metered_wh: int

    @property
    def share(self) -> float:
        """The share of the scope's energy the interval cut shows (0-1)."""
        return self.metered_wh / self.wh if self.wh else 0.0

    @property
    def complete(self) -> bool:
        return self.metered_sites == self.sites and self.metered_wh >= self.wh


@scoped
def coverage(session: Session, found: Scope, start: dt.date, end: dt.date) -> Coverage:
    """Sites and energy of a scope that interval cuts over the months [start, end) cover."""
    month_list(start, end)  # the check every monthly cut makes
    total = session.scalar(
        select(func.coalesce(func.sum(ConsumptionMonthly.wh), 0)).where(
            found.covers(ConsumptionMonthly.site_id),
            ConsumptionMonthly.month >= start,
            ConsumptionMonthly.month < end,
        )
    )
    return _coverage(
        session, found, start, end, int(total or 0), _metered_sites(session, found, start, end)
    )


def _coverage(
    session: Session, found: Scope, start: dt.date, end: dt.date, wh: int, metered: set[str]
) -> Coverage:
    """:class:`Coverage` of a scope whose energy (``wh``) and metered sites are known."""
    metered_wh = session.scalar(
        select(func.coalesce(func.sum(ConsumptionDaily.wh), 0)).where(
            found.covers(ConsumptionDaily.site_id),
            ConsumptionDaily.day >= start,
            ConsumptionDaily.day < end,
        )
    )
    return Coverage(len(found.sites), len(metered), wh, int(metered_wh or 0))


@scoped
def coincident_peak(session: Session, found: Scope, start: dt.date, end: dt.date) -> pd.DataFrame:
    """The scope's coincident peak per month over the months [start, end).

    A group's peak demand is the highest demand of its summed load, not the
    sum of each site's own peak (those rarely coincide): the sites'
    quarter-hour profiles (``quarter_wh`` of the daily rollup) are summed day
    by day, and the quarter hour with the most energy in each month is its
    peak, at four times that energy per hour. Over quarter-hour readings that
    is the sum of the readings' demands at each quarter hour; a longer
    reading counts its share in each quarter hour it covers.
    Columns month, peak_w and at (when that quarter hour began, Israel time);
    months without interval data are left out.
    """
    months = month_list(start, end)
    dates, values = _profile_rows(session, found, start, end, ConsumptionDaily.quarter_wh)
    profiles, lengths = rollups.decode_quarters(values)
    days, load = _sum_by_day(dates, profiles)
    if not len(days):
        return pd.DataFrame(
            {
                "month": pd.Series(dtype=object),
                "peak_w": pd.Series(dtype=np.int64),
                "at": pd.Series(dtype=f"datetime64[ns, {TIMEZONE}]"),
            }
        )
    # a day's quarter hours past its end (92 in spring) are no time at all
    day_length = np.zeros(len(days), dtype=np.int64)
    np.maximum.at(day_length, np.searchsorted(days, dates), lengths)
    lived = np.arange(rollups.MAX_QUARTERS) < day_length[:, None]
    demand = np.where(lived, load * rollups.QUARTERS_PER_HOUR, np.iinfo(np.int64).min)
    slot = demand.argmax(axis=1)
    midnights = localtime.boundaries_s([day.item() for day in days])
    by_day = pd.DataFrame(
        {
            "month": month_of(days, months),
            "peak_w": demand[np.arange(len(days)), slot],
            "start_s": midnights + slot * rollups.QUARTER_S,
        }
    )
    peaks = by_day.loc[by_day.groupby("month", sort=True)["peak_w"].idxmax()]
    return pd.DataFrame(
        {
            "month": [months[index] for index in peaks["month"]],
            "peak_w": peaks["peak_w"].to_numpy(np.int64),
            "at": pd.to_datetime(peaks["start_s"].to_numpy(), unit="s", utc=True).tz_convert(
                TIMEZONE
            ),
        }
    )
