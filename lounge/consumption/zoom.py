"""One site's interval data, from years down to the readings themselves."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

import numpy as np
import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import ConsumptionDaily, Reading
from lounge import localtime, rollups
from lounge.access import Viewer
from lounge.consumption.periods import ONE_DAY, average_w, day_list, driver_days, lived_hours
from lounge.consumption.scope import Selection, scope, site_id_of
from lounge.consumption.sums import frame_of
from lounge.settings import TIMEZONE


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
            "average_w": average_w(wh * 3600, seconds),
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
    frame = frame_of(result, ["start", "end", "wh", "estimated"])
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
    return frame_of(result, ["day", "wh", "estimated_wh", "peak_w", "hourly_wh"])


def _hour_points(days: pd.DataFrame, start_s: int, end_s: int) -> pd.DataFrame:
    """Every lived wall-clock hour of the days' profiles that starts in [start_s, end_s)."""
    days = days[days["hourly_wh"].notna()]
    dates = driver_days(days["day"].tolist())
    if not len(dates):
        return _no_points()
    grid = rollups.HourGrid.of_days(day_list(dates[0].item(), dates[-1].item() + ONE_DAY))
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
    dates = driver_days(days["day"].tolist())
    unit = "datetime64[M]" if resolution is Resolution.MONTH else "datetime64[D]"
    grouped = (
        pd.DataFrame(
            {
                "bucket": dates.astype(unit),
                "wh": days["wh"].to_numpy(np.int64),
                "peak_w": days["peak_w"].to_numpy(np.int64),
                "estimated": days["estimated_wh"].to_numpy(np.int64) > 0,
                "hours": lived_hours(dates).sum(axis=1),
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
    found = scope(session, viewer, customer_id, Selection(site_id=site_id_of(site_id)))
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
