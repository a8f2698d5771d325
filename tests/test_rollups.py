"""Daily and monthly rollups: exact integer splits, local days and months, peaks.

Most of these are pure computations (no database); the last ones check that
an import writes the rollups on both backends.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from db.session import Database
from lounge import localtime, rollups
from lounge.rollups import compute, split
from tests.factories import (
    READINGS_HEADER,
    add_customer,
    csv_bytes,
    daily,
    import_bytes,
    monthly,
    reading_frame,
    seconds,
    utc,
)

D = dt.date
HOUR = 3600
QUARTER = 900


def quarter_hours(site: str, first: dt.datetime, count: int, wh: int) -> list[tuple]:
    start = seconds(first)
    return [(site, start + i * QUARTER, start + (i + 1) * QUARTER, wh) for i in range(count)]


def by_day(result: rollups.Rollups) -> dict[tuple[str, dt.date], tuple[int, int, int]]:
    return {
        (row.site_id, row.day): (row.wh, row.estimated_wh, row.peak_w)
        for row in result.daily.itertuples()
    }


def by_month(result: rollups.Rollups) -> dict[tuple[str, dt.date], tuple[int, int]]:
    return {
        (row.site_id, row.month): (row.wh, row.estimated_wh) for row in result.monthly.itertuples()
    }


# --- the split ----------------------------------------------------------------------


def test_split_shares_by_time_and_the_parts_add_up_exactly():
    pieces = split(np.array([0]), np.array([30]), np.array([1000]), np.array([0, 10, 20, 30]))
    assert pieces.bucket.tolist() == [0, 1, 2]
    assert pieces.wh.tolist() == [333, 333, 334]


def test_a_reading_inside_one_bucket_or_ending_on_an_edge_is_one_piece():
    pieces = split(np.array([2, 10]), np.array([8, 20]), np.array([7, 9]), np.array([0, 10, 20]))
    assert pieces.row.tolist() == [0, 1]
    assert pieces.bucket.tolist() == [0, 1]
    assert pieces.wh.tolist() == [7, 9]


def test_split_keeps_integer_wh_exact_for_many_random_readings():
    rng = np.random.default_rng(7)
    edges = np.unique(np.concatenate([[0, 10**7], rng.integers(1, 10**7, 500)]))
    start = rng.integers(0, 10**7 - 10, 5000)
    end = start + rng.integers(1, 10**6, 5000)
    end = np.minimum(end, 10**7)
    wh = rng.integers(0, 10**9, 5000)

    pieces = split(start, end, wh, edges)

    assert (np.bincount(pieces.row, weights=pieces.wh, minlength=5000) == wh).all()
    assert (pieces.wh >= 0).all()
    # each part is the exact time share, give or take less than one Wh
    piece_start = np.maximum(start[pieces.row], edges[pieces.bucket])
    piece_end = np.minimum(end[pieces.row], edges[pieces.bucket + 1])
    exact = wh[pieces.row] * (piece_end - piece_start) / (end - start)[pieces.row]
    assert (np.abs(pieces.wh - exact) < 1).all()


def test_split_of_the_largest_reading_over_two_months_of_days_does_not_overflow():
    wh = 1_000_000_000 * 1000  # the largest reading an import accepts
    start, end = (
        localtime.local_midnight_s(D(2024, 12, 15)),
        localtime.local_midnight_s(D(2025, 2, 15)),
    )
    edges = localtime.boundaries_s(localtime.day_starts(D(2024, 12, 15), D(2025, 2, 15)))
    pieces = split(np.array([start]), np.array([end]), np.array([wh]), edges)
    assert len(pieces.wh) == 62
    assert int(pieces.wh.sum()) == wh
    assert set(pieces.wh.tolist()) <= {wh // 62, wh // 62 + 1}


# --- local days ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "quarter_hours_in_day"),
    [(D(2025, 10, 26), 100), (D(2026, 3, 27), 92), (D(2025, 3, 28), 92), (D(2025, 6, 1), 96)],
)
def test_a_local_day_holds_its_quarter_hours_also_on_dst_days(day, quarter_hours_in_day):
    # three days of quarter hours around the day, one Wh each
    first = dt.datetime.fromtimestamp(
        localtime.local_midnight_s(day - dt.timedelta(days=1)), dt.UTC
    )
    readings = reading_frame(*quarter_hours("S1", first, 96 * 3 + 4, wh=1))
    first_month = (day - dt.timedelta(days=1)).replace(day=1)
    result = compute(readings, first_month, localtime.add_months(day.replace(day=1), 1))
    days = by_day(result)
    assert days[("S1", day)] == (quarter_hours_in_day, 0, 4)
    assert sum(wh for wh, _estimated, _peak in days.values()) == 96 * 3 + 4


def test_a_reading_across_midnight_is_shared_and_its_demand_counts_on_both_days():
    midnight = localtime.local_midnight_s(D(2025, 1, 2))
    readings = reading_frame(
        ("S1", midnight - 30 * 60, midnight + 30 * 60, 1000),  # 23:30-00:30, 1 kW
        ("S1", midnight - 2 * HOUR, midnight - HOUR, 500),  # 22:00-23:00, 0.5 kW
    )
    result = compute(readings, D(2025, 1, 1), D(2025, 2, 1))
    assert by_day(result) == {
        ("S1", D(2025, 1, 1)): (1000, 0, 1000),
        ("S1", D(2025, 1, 2)): (500, 0, 1000),
    }


def test_a_day_long_reading_not_aligned_to_local_days_covers_two_days():
    noon = localtime.local_midnight_s(D(2025, 5, 10)) + 12 * HOUR
    result = compute(
        reading_frame(("S1", noon, noon + 24 * HOUR, 24_001)), D(2025, 5, 1), D(2025, 6, 1)
    )
    assert by_day(result) == {
        ("S1", D(2025, 5, 10)): (12_000, 0, 1000),
        ("S1", D(2025, 5, 11)): (12_001, 0, 1000),
    }


def test_peak_is_the_highest_average_demand_of_any_interval_that_day():
    midnight = localtime.local_midnight_s(D(2025, 1, 5))
    readings = reading_frame(
        ("S1", midnight, midnight + QUARTER, 250),  # 1 kW
        ("S1", midnight + QUARTER, midnight + 2 * QUARTER, 500),  # 2 kW
        ("S1", midnight + HOUR, midnight + 2 * HOUR, 1500),  # 1.5 kW over an hour
        ("S2", midnight, midnight + QUARTER, 1),  # 4 W
    )
    days = by_day(compute(readings, D(2025, 1, 1), D(2025, 2, 1)))
    assert days == {("S1", D(2025, 1, 5)): (2250, 0, 2000), ("S2", D(2025, 1, 5)): (1, 0, 4)}


def test_peak_uses_the_true_length_of_a_quarter_hour_over_the_spring_jump():
    # 01:45 -> 03:00 on the clock, 15 minutes in time
    start = seconds(utc(2026, 3, 26, 23, 45))
    result = compute(
        reading_frame(("S1", start, start + QUARTER, 250)), D(2026, 3, 1), D(2026, 4, 1)
    )
    assert by_day(result) == {("S1", D(2026, 3, 27)): (250, 0, 1000)}


# --- local months -------------------------------------------------------------------


def test_a_reading_across_a_month_end_is_shared_between_the_months():
    midnight = localtime.local_midnight_s(D(2025, 2, 1))
    readings = reading_frame(("S1", midnight - QUARTER, midnight + QUARTER, 1001, True))
    result = compute(readings, D(2025, 1, 1), D(2025, 3, 1))
    assert by_month(result) == {
        ("S1", D(2025, 1, 1)): (500, 500),
        ("S1", D(2025, 2, 1)): (501, 501),
    }
    assert by_day(result) == {
        ("S1", D(2025, 1, 31)): (500, 500, 2002),
        ("S1", D(2025, 2, 1)): (501, 501, 2002),
    }


def test_billing_reads_are_shared_between_months_by_time_and_never_spread_over_days():
    # 15 March to 15 April: 743 hours (the clocks jump on 28 March), 1 kWh an hour
    start, end = (
        localtime.local_midnight_s(D(2025, 3, 15)),
        localtime.local_midnight_s(D(2025, 4, 15)),
    )
    assert end - start == 743 * HOUR
    result = compute(reading_frame(("S1", start, end, 743_000)), D(2025, 3, 1), D(2025, 5, 1))
    assert by_month(result) == {
        ("S1", D(2025, 3, 1)): (407_000, 0),  # 17 days less the lost hour
        ("S1", D(2025, 4, 1)): (336_000, 0),  # 14 days
    }
    assert result.daily.empty


def test_rollups_cover_only_the_months_asked_for():
    start, end = (
        localtime.local_midnight_s(D(2024, 12, 15)),
        localtime.local_midnight_s(D(2025, 2, 15)),
    )
    result = compute(reading_frame(("S1", start, end, 62_000)), D(2025, 1, 1), D(2025, 2, 1))
    assert by_month(result) == {("S1", D(2025, 1, 1)): (31_000, 0)}


def test_finer_data_wins_only_for_the_time_it_covers():
    jan, feb = localtime.local_midnight_s(D(2025, 1, 1)), localtime.local_midnight_s(D(2025, 2, 1))
    tenth = localtime.local_midnight_s(D(2025, 1, 10))
    readings = reading_frame(
        ("S1", jan, feb, 31_000_000, True),  # billing read, 1 MWh a day, estimated
        *quarter_hours("S1", dt.datetime.fromtimestamp(tenth, dt.UTC), 96, wh=100),
        ("S2", jan, feb, 31_000),  # another site: all of its read counts
    )
    result = compute(readings, D(2025, 1, 1), D(2025, 2, 1))
    assert by_month(result) == {
        ("S1", D(2025, 1, 1)): (30_000_000 + 9600, 30_000_000),
        ("S2", D(2025, 1, 1)): (31_000, 0),
    }
    assert by_day(result) == {("S1", D(2025, 1, 10)): (9600, 0, 400)}


def test_interval_data_that_reaches_past_the_billing_read_covers_only_its_period():
    jan, feb = localtime.local_midnight_s(D(2025, 1, 1)), localtime.local_midnight_s(D(2025, 2, 1))
    readings = reading_frame(
        ("S1", jan, feb, 31 * 24 * 1000),  # 1 kWh an hour
        ("S1", feb - HOUR, feb + HOUR, 7),  # the last hour of January is covered
    )
    result = compute(readings, D(2025, 1, 1), D(2025, 3, 1))
    assert by_month(result) == {
        ("S1", D(2025, 1, 1)): (31 * 24 * 1000 - 1000 + 3, 0),
        ("S1", D(2025, 2, 1)): (4, 0),
    }


def test_billing_reads_of_a_site_whose_interval_data_lies_elsewhere_count_whole():
    jan, feb = localtime.local_midnight_s(D(2025, 1, 1)), localtime.local_midnight_s(D(2025, 2, 1))
    march = localtime.local_midnight_s(D(2025, 3, 10))
    readings = reading_frame(("S1", jan, feb, 31_000), ("S1", march, march + QUARTER, 5))
    result = compute(readings, D(2025, 1, 1), D(2025, 4, 1))
    assert by_month(result) == {("S1", D(2025, 1, 1)): (31_000, 0), ("S1", D(2025, 3, 1)): (5, 0)}


# --- local calendar helpers ----------------------------------------------------------


def test_local_calendar_helpers():
    assert localtime.local_midnight_s(D(2025, 1, 1)) == seconds(utc(2024, 12, 31, 22))
    assert localtime.local_midnight_s(D(2025, 7, 1)) == seconds(utc(2025, 6, 30, 21))
    assert localtime.add_months(D(2025, 1, 1), -13) == D(2023, 12, 1)
    assert localtime.add_months(D(2025, 12, 1), 1) == D(2026, 1, 1)
    assert localtime.month_starts(D(2025, 11, 20), D(2026, 2, 1)) == [
        D(2025, 11, 1),
        D(2025, 12, 1),
        D(2026, 1, 1),
        D(2026, 2, 1),
    ]
    assert localtime.span_dates(seconds(utc(2025, 1, 1, 22)), seconds(utc(2025, 1, 2, 22))) == (
        D(2025, 1, 2),
        D(2025, 1, 2),
    )


# --- written by an import, on both backends -------------------------------------------


def test_an_import_writes_rollups_for_readings_across_midnight_and_month_ends(db: Database):
    with db.session() as session:
        add_customer(session, "C1", "S1")
    rows = [
        "S1,2025-01-31T23:30:00,2025-02-01T00:30:00,2",  # 2 kW across midnight and month end
        "S1,2025-02-01T12:00:00,2025-02-02T12:00:00,24",  # a day-long reading from noon
    ]
    import_bytes(db, "readings", csv_bytes(READINGS_HEADER, *rows))
    assert daily(db) == {
        ("S1", D(2025, 1, 31)): (1000, 2000),
        ("S1", D(2025, 2, 1)): (13_000, 2000),
        ("S1", D(2025, 2, 2)): (12_000, 1000),
    }
    assert monthly(db) == {("S1", D(2025, 1, 1)): 1000, ("S1", D(2025, 2, 1)): 25_000}
