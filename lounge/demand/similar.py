"""Similar days: the one rule behind the preview's load at stake and the measured baseline.

A day is like an event's day when both are working days (Sunday to Thursday and not a public
holiday, :func:`lounge.calendar.is_working_day`), or neither is (Fridays, Saturdays and public
holidays): the CAISO 10-in-10 split of weekdays from weekends and holidays, with Israel's week.
Two classes, not the calendar's three day types, so that :data:`LOOKBACK_DAYS` holds ten of
either: a Saturday comes once a week, ten would take ten weeks.
"""

from __future__ import annotations

import datetime as dt

from lounge import calendar

#: How many similar days the load at stake and the baseline average.
SIMILAR_DAYS = 10
#: How far back similar days are looked for (ten days off take about five weeks).
LOOKBACK_DAYS = 60


def is_similar(day: dt.date, event_day: dt.date) -> bool:
    """Working days are like working days; Fridays, Saturdays and holidays like each other."""
    return calendar.is_working_day(day) == calendar.is_working_day(event_day)


def similar_days(event_day: dt.date, count: int | None = None) -> list[dt.date]:
    """The days before ``event_day`` like it within :data:`LOOKBACK_DAYS`, newest first; the
    first ``count`` of them when given (the baseline takes all and keeps, per site, the
    :data:`SIMILAR_DAYS` most recent that have data and no other event)."""
    days = [event_day - dt.timedelta(days=n) for n in range(1, LOOKBACK_DAYS + 1)]
    return [day for day in days if is_similar(day, event_day)][:count]
