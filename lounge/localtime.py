"""Local calendar arithmetic (Asia/Jerusalem) on Unix seconds.

Readings are stored as UTC seconds; calendar cuts (days, months, the
classification window) are local. These helpers convert between the two,
so DST days are 23 or 25 hours long and nobody has to remember it.
"""

from __future__ import annotations

import datetime as dt

import numpy as np

from lounge.settings import TIMEZONE


def local_midnight_s(day: dt.date) -> int:
    """Unix seconds of local 00:00 on ``day``."""
    return int(dt.datetime.combine(day, dt.time(), TIMEZONE).timestamp())


def first_of_month(day: dt.date) -> dt.date:
    return day.replace(day=1)


def add_months(month: dt.date, count: int) -> dt.date:
    index = month.year * 12 + month.month - 1 + count
    return dt.date(index // 12, index % 12 + 1, 1)


def one_year_before(day: dt.date) -> dt.date:
    """The same date a year earlier (29 February becomes 28 February)."""
    try:
        return day.replace(year=day.year - 1)
    except ValueError:
        return day.replace(year=day.year - 1, day=28)


def today() -> dt.date:
    return dt.datetime.now(TIMEZONE).date()


def to_local(seconds: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(seconds, TIMEZONE)


def local_day(instant: dt.datetime) -> dt.date:
    """The Israel calendar day of an aware instant."""
    return instant.astimezone(TIMEZONE).date()


def local_date(seconds: int) -> dt.date:
    return to_local(seconds).date()


def month_starts(first: dt.date, last: dt.date) -> list[dt.date]:
    """First days of every month from ``first``'s month to ``last``'s month, inclusive."""
    months = []
    month = first_of_month(first)
    while month <= last:
        months.append(month)
        month = add_months(month, 1)
    return months


def day_starts(first: dt.date, last: dt.date) -> list[dt.date]:
    return [first + dt.timedelta(days=n) for n in range((last - first).days + 1)]


def boundaries_s(days: list[dt.date]) -> np.ndarray:
    """Unix seconds of local midnight of each date, as an int64 array."""
    return np.array([local_midnight_s(day) for day in days], dtype=np.int64)


def span_dates(start_s: int, end_s: int) -> tuple[dt.date, dt.date]:
    """Local dates of the first and the last instant of [start_s, end_s)."""
    return local_date(start_s), local_date(max(start_s, end_s - 1))
