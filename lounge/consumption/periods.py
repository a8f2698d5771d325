"""Lists of days and months, and the day arithmetic every cut shares.

Local calendar days and firsts of months as ``datetime.date`` or numpy
``datetime64``; lived hours per wall-clock slot, so DST days average right.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

import numpy as np

from lounge import localtime, rollups

ONE_DAY = dt.timedelta(days=1)
_EPOCH_ORDINAL = dt.date(1970, 1, 1).toordinal()


def months_before(end: dt.date, count: int) -> list[dt.date]:
    """The ``count`` months before ``end`` (a first of month), oldest first."""
    return [localtime.add_months(end, -n) for n in range(count, 0, -1)]


Period = Literal["day", "month", "year"]


def month_list(start: dt.date, end: dt.date) -> list[dt.date]:
    """Firsts of the months [start, end); both must be firsts of months."""
    if start.day != 1 or end.day != 1:
        raise ValueError(f"a range of months runs from a first of month: {start} to {end}")
    return localtime.month_starts(start, end)[:-1] if start < end else []


def day_list(start: dt.date, end: dt.date) -> list[dt.date]:
    return localtime.day_starts(start, end - ONE_DAY) if start < end else []


def month_of(days: np.ndarray, months: list[dt.date]) -> np.ndarray:
    """Index into ``months`` of each datetime64[D] day."""
    return np.searchsorted(np.array(months, "datetime64[M]"), days.astype("datetime64[M]"))


def driver_days(values: list[Any]) -> np.ndarray:
    """Dates as the driver hands them over, as datetime64[D].

    SQLite gives ISO text, which numpy parses fast; PostgreSQL gives ``date``
    objects, which numpy converts a hundred times slower than their ordinals.
    """
    if values and isinstance(values[0], dt.date):
        ordinals = np.fromiter(map(dt.date.toordinal, values), np.int64, len(values))
        return (ordinals - _EPOCH_ORDINAL).astype("datetime64[D]")
    return np.array(values, dtype="datetime64[D]")


def lived_hours(days: np.ndarray) -> np.ndarray:
    """Real hours in each wall-clock slot of each of ``days`` (sorted datetime64[D]): (days, 24)."""
    if not len(days):
        return np.zeros((0, rollups.HOURS), dtype=np.int64)
    span = day_list(days[0].item(), days[-1].item() + ONE_DAY)
    hours = rollups.HourGrid.of_days(span).slot_hours()
    return hours[(days - days[0]).astype(np.int64)]


def average_w(wh: np.ndarray, hours: np.ndarray) -> np.ndarray:
    """Average demand in W (floored, like the rollups' peaks); 0 where no hours."""
    return np.where(hours > 0, wh // np.maximum(hours, 1), 0)


def odd_days(start: dt.date, end: dt.date) -> dict[dt.date, int]:
    """The local days in [start, end) that do not last 24 hours (DST days), with their length."""
    days = day_list(start, end + ONE_DAY)
    lengths = (np.diff(localtime.boundaries_s(days)) // 3600).tolist()
    return {day: hours for day, hours in zip(days[:-1], lengths, strict=True) if hours != 24}
