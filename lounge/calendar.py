"""The one Israeli calendar of the lounge: working days, public holidays and their eves.

Time-of-use bands, invoice due dates and the demo data all ask this module,
so that they agree on every day; request SLAs and the meeting planner are
meant to ask it too. The meaning agreed here:

* **Public holiday**: a day of the ``holidays`` package's Israeli public
  calendar (Rosh Hashanah (two days), Yom Kippur, the first day of Sukkot,
  Simchat Torah, the first and seventh days of Pesach, Independence Day,
  Shavuot), on the date it is observed when the law moves it. Intermediate
  days (chol hamoed), Purim, Memorial Day, Tisha B'Av and the like are not
  holidays: businesses and the company work on them.
* **Eve**: the day before a public holiday that is not itself a holiday (so
  the first day of Rosh Hashanah is a holiday, not an eve). Memorial Day is
  the eve of Independence Day.
* **Working day**: Sunday to Thursday and not a public holiday. An eve is a
  working day (shorter hours, but offices answer), Memorial Day included, so
  deadlines count it.
* **Day type** for time-of-use tariffs: ``rest`` on Saturdays and public
  holidays; ``short`` on Fridays and eves, Memorial Day included (the tariff
  prices an eve like a Friday); ``working`` on the other days. A rest day
  stays a rest day when it is also an eve or a Friday.

So ``day_type(day) == WORKING`` implies ``is_working_day(day)``, but an eve
on a weekday is a working day of the ``short`` type.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from functools import cache

import holidays
import numpy as np

WORKING, SHORT, REST = "working", "short", "rest"
#: Day types; a day type's code (in :func:`day_type_codes`) is its index here.
DAY_TYPES = (WORKING, SHORT, REST)

#: Friday and Saturday (``date.weekday()``): the working week is Sunday to Thursday.
WEEKEND = frozenset({4, 5})
_FRIDAY, _SATURDAY = 4, 5
_DAY = dt.timedelta(days=1)


@cache
def holidays_of(year: int) -> frozenset[dt.date]:
    """Israeli public holidays of a year (cached: the Hebrew calendar is slow to compute)."""
    return frozenset(holidays.country_holidays("IL", years=year))


def is_holiday(day: dt.date) -> bool:
    return day in holidays_of(day.year)


def is_eve(day: dt.date) -> bool:
    """The day before a public holiday, when not a holiday itself."""
    return is_holiday(day + _DAY) and not is_holiday(day)


def is_working_day(day: dt.date) -> bool:
    """Sunday to Thursday and not a public holiday (eves are working days)."""
    return day.weekday() not in WEEKEND and not is_holiday(day)


def next_working_day(day: dt.date) -> dt.date:
    """``day`` itself if it is a working day, else the first working day after it."""
    while not is_working_day(day):
        day += _DAY
    return day


def add_working_days(day: dt.date, count: int) -> dt.date:
    """The ``count``-th working day after ``day`` (``count`` >= 0).

    ``add_working_days(day, 0)`` is :func:`next_working_day`; a deadline of
    "two working days" from a request on Thursday falls on Monday.
    """
    if count < 0:
        raise ValueError("count must not be negative")
    day = next_working_day(day)
    for _ in range(count):
        day = next_working_day(day + _DAY)
    return day


def day_type(day: dt.date) -> str:
    """``rest`` (Saturday, holiday), ``short`` (Friday, eve) or ``working``."""
    if day.weekday() == _SATURDAY or is_holiday(day):
        return REST
    if day.weekday() == _FRIDAY or is_eve(day):
        return SHORT
    return WORKING


def day_type_codes(days: Iterable[dt.date] | np.ndarray) -> np.ndarray:
    """Day-type codes (indexes into :data:`DAY_TYPES`) of many days, as int8.

    Each distinct day is looked up once, so a row per site and day costs little.
    """
    array = np.asarray(days if isinstance(days, np.ndarray) else list(days), "datetime64[D]")
    unique, inverse = np.unique(array, return_inverse=True)
    codes = np.array([DAY_TYPES.index(day_type(day)) for day in unique.tolist()], dtype=np.int8)
    return codes[inverse.reshape(-1)]


def working_week(day: dt.date) -> tuple[dt.date, ...]:
    """The working days of ``day``'s week (the week runs Sunday to Saturday; Friday, Saturday
    and public holidays are off): what a manager's week is planned over."""
    sunday = day - dt.timedelta(days=(day.weekday() + 1) % 7)
    return tuple(d for d in (sunday + n * _DAY for n in range(5)) if is_working_day(d))
