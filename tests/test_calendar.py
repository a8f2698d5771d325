"""The one Israeli calendar: working days, holidays, eves and time-of-use day types, 2025-2027."""

from __future__ import annotations

import datetime as dt

import pytest

from lounge import calendar, invoicing, tou
from lounge.calendar import REST, SHORT, WORKING
from lounge.consumption import interval

D = dt.date


@pytest.mark.parametrize(
    ("day", "working", "kind"),
    [
        (D(2026, 7, 12), True, WORKING),  # Sunday
        (D(2026, 7, 16), True, WORKING),  # Thursday
        (D(2026, 7, 17), False, SHORT),  # Friday
        (D(2026, 7, 18), False, REST),  # Saturday
        # Eves are working days of the short type
        (D(2025, 4, 12), False, REST),  # Saturday, eve of Pesach: rest wins
        (D(2025, 10, 1), True, SHORT),  # Wednesday, eve of Yom Kippur
        (D(2025, 10, 2), False, REST),  # Thursday, Yom Kippur
        (D(2026, 9, 20), True, SHORT),  # Sunday, eve of Yom Kippur
        (D(2026, 9, 21), False, REST),  # Monday, Yom Kippur
        (D(2026, 9, 11), False, SHORT),  # Friday, eve of Rosh Hashanah (a Saturday)
        (D(2026, 9, 13), False, REST),  # Sunday, second day of Rosh Hashanah (not an eve)
        (D(2027, 10, 1), False, SHORT),  # Friday, eve of Rosh Hashanah 5788
        (D(2027, 10, 4), True, WORKING),  # Monday after Rosh Hashanah
        (D(2027, 10, 10), True, SHORT),  # Sunday, eve of Yom Kippur
        # Memorial Day: the eve of Independence Day, a working day of the short type
        (D(2025, 4, 30), True, SHORT),  # moved with Independence Day (observed 1 May)
        (D(2025, 5, 1), False, REST),  # Independence Day, observed
        (D(2025, 5, 2), False, SHORT),  # Friday (5 Iyar itself is Saturday 3 May)
        (D(2026, 4, 21), True, SHORT),
        (D(2026, 4, 22), False, REST),
        (D(2027, 5, 11), True, SHORT),
        (D(2027, 5, 12), False, REST),
        # Intermediate days, Purim and Tisha B'Av are ordinary days
        (D(2026, 4, 5), True, WORKING),  # Sunday of chol hamoed Pesach
        (D(2026, 3, 3), True, WORKING),  # Purim
        (D(2026, 7, 23), True, WORKING),  # Tisha B'Av
        (D(2027, 6, 10), True, SHORT),  # Thursday, eve of Shavuot
    ],
)
def test_days_follow_the_israeli_week_and_holidays(day: dt.date, working: bool, kind: str):
    assert calendar.is_working_day(day) is working
    assert calendar.day_type(day) == kind


def test_an_eve_is_the_day_before_a_holiday_that_is_no_holiday_itself():
    assert calendar.is_eve(D(2025, 4, 12))  # Saturday before Pesach
    assert calendar.is_eve(D(2026, 4, 21))  # Memorial Day
    assert not calendar.is_eve(D(2026, 9, 12))  # first day of Rosh Hashanah
    assert not calendar.is_eve(D(2026, 7, 17))  # a plain Friday


def test_a_working_day_type_is_always_a_working_day():
    days = [D(2025, 1, 1) + dt.timedelta(days=n) for n in range(3 * 365)]
    assert all(calendar.is_working_day(d) for d in days if calendar.day_type(d) == WORKING)


def test_day_type_codes_of_many_days_match_one_by_one():
    days = [D(2026, 9, 1) + dt.timedelta(days=n) for n in range(60)]
    codes = calendar.day_type_codes(days + days[:5])
    expected = [calendar.day_type(d) for d in days + days[:5]]
    assert [calendar.DAY_TYPES[code] for code in codes] == expected


@pytest.mark.parametrize(
    ("start", "count", "end"),
    [
        (D(2026, 7, 16), 0, D(2026, 7, 16)),  # Thursday is a working day
        (D(2026, 7, 17), 0, D(2026, 7, 19)),  # Friday -> Sunday
        (D(2026, 7, 16), 2, D(2026, 7, 20)),  # Thursday + 2 -> Monday
        (D(2026, 9, 10), 1, D(2026, 9, 14)),  # Thursday, then Rosh Hashanah -> Monday
        (D(2026, 9, 20), 1, D(2026, 9, 22)),  # an eve counts, Yom Kippur does not
        (D(2025, 4, 29), 2, D(2025, 5, 4)),  # Memorial Day counts, Independence Day does not
        (D(2027, 12, 30), 1, D(2028, 1, 2)),  # across a year
    ],
)
def test_add_working_days(start: dt.date, count: int, end: dt.date):
    assert calendar.add_working_days(start, count) == end


def test_add_working_days_refuses_a_negative_count():
    with pytest.raises(ValueError, match="negative"):
        calendar.add_working_days(D(2026, 1, 1), -1)


def test_tou_invoicing_and_consumption_ask_the_same_calendar():
    """The three copies that disagreed about eves are gone: every caller uses this module."""
    assert tou.day_type is calendar.day_type
    assert invoicing.next_working_day is calendar.next_working_day
    assert interval.calendar is calendar  # the typical day splits working days by it
    # An eve is a working day for a due date: 30 days after 2026-08-21 is the eve of Yom Kippur
    assert invoicing.due_date_for(D(2026, 8, 21)) == D(2026, 9, 20)


def test_the_working_week_runs_sunday_to_thursday_less_holidays():
    wednesday = dt.date(2026, 12, 2)
    assert calendar.working_week(wednesday) == tuple(
        dt.date(2026, 11, 29) + dt.timedelta(days=n) for n in range(5)
    )
    # a Saturday belongs to the week it ends; the first day of Pesach (Thursday 2 April) is off
    assert calendar.working_week(dt.date(2026, 4, 4)) == (
        dt.date(2026, 3, 29),
        dt.date(2026, 3, 30),
        dt.date(2026, 3, 31),
        dt.date(2026, 4, 1),
    )
