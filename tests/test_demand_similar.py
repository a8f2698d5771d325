"""One rule of similar days for the preview's load at stake and the measured baseline."""

from __future__ import annotations

import datetime as dt

from lounge import calendar
from lounge.demand import similar


def test_a_day_off_finds_ten_similar_days_fridays_saturdays_and_holidays():
    saturday = dt.date(2026, 4, 25)
    days = similar.similar_days(saturday, similar.SIMILAR_DAYS)
    # three kinds of day in the calendar, two for the baseline: ten Saturdays alone would reach
    # back 70 days, past the 60 looked at
    assert days == [
        dt.date(2026, 4, 24),
        dt.date(2026, 4, 22),  # Independence Day, a Wednesday
        dt.date(2026, 4, 18),
        dt.date(2026, 4, 17),
        dt.date(2026, 4, 11),
        dt.date(2026, 4, 10),
        dt.date(2026, 4, 8),  # the seventh day of Passover
        dt.date(2026, 4, 4),
        dt.date(2026, 4, 3),
        dt.date(2026, 4, 2),  # its first day
    ]
    assert not any(calendar.is_working_day(day) for day in days)


def test_a_working_day_is_like_a_working_eve_and_the_baseline_takes_them_all():
    event = dt.date(2026, 4, 9)  # a Thursday of Passover's middle days, a working day
    days = similar.similar_days(event)
    assert dt.date(2026, 4, 7) in days and calendar.day_type(dt.date(2026, 4, 7)) == "short"
    assert dt.date(2026, 4, 8) not in days and dt.date(2026, 4, 3) not in days
    assert days[: similar.SIMILAR_DAYS] == similar.similar_days(event, similar.SIMILAR_DAYS)
    assert all(calendar.is_working_day(day) for day in days)
    assert days[-1] >= event - dt.timedelta(days=similar.LOOKBACK_DAYS)
