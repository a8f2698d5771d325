"""Quarter-hour profiles of the daily rollup, and the coincident peak read from them.

The peak of a group once grouped every raw reading by its start; it now sums
the sites' quarter-hour profiles. The figures must not move: the last tests
compare it with that raw-row computation on hand-made data with both DST days.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import select, update

from db.models import ConsumptionDaily
from db.session import Database
from lounge import consumption, localtime, rollups
from lounge.access import Role, Viewer
from lounge.rollups import compute
from lounge.settings import TIMEZONE
from tests.factories import add_customer, cli, import_readings, reading_frame

D = dt.date
QUARTER = 900
CLIENT = Viewer(1, "client@example.com", Role.CLIENT, "C1")


def quarters_of(day: dt.date) -> range:
    """The start of every quarter hour of a local day."""
    return range(
        localtime.local_midnight_s(day), localtime.local_midnight_s(day + dt.timedelta(1)), QUARTER
    )


@pytest.mark.parametrize(
    ("day", "length"),
    [(D(2026, 6, 1), 96), (D(2026, 3, 27), 92), (D(2026, 10, 25), 100)],
)
def test_a_day_has_a_quarter_hour_of_profile_for_each_quarter_hour_it_lasts(day, length):
    readings = [("S1", s, s + QUARTER, n) for n, s in enumerate(quarters_of(day), start=1)]
    daily = compute(
        reading_frame(*readings), day.replace(day=1), localtime.add_months(day, 1)
    ).daily
    profiles, lengths = rollups.decode_quarters(daily["quarter_wh"].tolist())
    assert lengths.tolist() == [length]
    assert profiles[0].tolist() == list(range(1, length + 1)) + [0] * (100 - length)
    hourly = rollups.decode_hourly(daily["hourly_wh"].tolist())[0]
    assert hourly.sum() == profiles[0].sum() == daily["wh"].iloc[0]


def test_longer_readings_are_shared_by_time_and_large_values_stay_exact():
    nine = localtime.local_midnight_s(D(2026, 1, 5)) + 9 * 3600
    huge = 10**12  # the largest reading an import takes: too big for int32
    daily = compute(
        reading_frame(("S1", nine, nine + 3600, 1001), ("S2", nine, nine + 900, huge)),
        D(2026, 1, 1),
        D(2026, 2, 1),
    ).daily
    profiles, lengths = rollups.decode_quarters(daily["quarter_wh"].tolist())
    assert lengths.tolist() == [96, 96]
    assert profiles[0, 36:40].tolist() == [250, 250, 250, 251]
    assert profiles[1, 36] == huge
    sizes = [len(value) for value in daily["quarter_wh"]]
    assert sizes == [96 * 4, 96 * 8]


# --- the coincident peak against the raw readings -------------------------------------


def raw_peaks(readings: list[tuple[str, int, int, int]]) -> dict[dt.date, tuple[int, int]]:
    """What the coincident peak was before the profiles: per month, the highest sum of
    the readings' demands (Wh * 3600 // seconds) at a reading start, and that start."""
    load: dict[int, int] = defaultdict(int)
    for _site, start, end, wh in readings:
        load[start] += wh * 3600 // (end - start)
    peaks: dict[dt.date, tuple[int, int]] = {}
    for start, watts in sorted(load.items()):
        month = localtime.local_date(start).replace(day=1)
        if month not in peaks or watts > peaks[month][0]:
            peaks[month] = (watts, start)
    return peaks


def hand_made_readings() -> list[tuple[str, int, int, int]]:
    """Three sites over a few days of March and October 2026, both DST days among them.

    Each site's load is random but for one quarter hour a month, where the
    three together peak: the last quarter hour of the short spring day, and
    the second 01:15 of the long autumn day (the hour that happens twice).
    """
    rng = np.random.default_rng(7)
    days = [D(2026, 3, 26), D(2026, 3, 27), D(2026, 3, 28)]
    days += [D(2026, 10, 24), D(2026, 10, 25), D(2026, 10, 26)]
    spring_peak = localtime.local_midnight_s(D(2026, 3, 28)) - QUARTER
    autumn_peak = int(pd.Timestamp("2026-10-25 01:15+02:00").timestamp())
    readings = []
    for site in ("S1", "S2", "S3"):
        for day in days:
            for start in quarters_of(day):
                wh = int(rng.integers(0, 1_500))
                if start in (spring_peak, autumn_peak):
                    wh = 1_900 + {"S1": 10, "S2": 20, "S3": 30}[site]
                readings.append((site, start, start + QUARTER, wh))
    return readings


def reading_rows(readings: list[tuple[str, int, int, int]]) -> list[str]:
    return [
        f"{site},{dt.datetime.fromtimestamp(start, dt.UTC):%Y-%m-%dT%H:%M:%SZ},"
        f"{dt.datetime.fromtimestamp(end, dt.UTC):%Y-%m-%dT%H:%M:%SZ},{wh / 1000}"
        for site, start, end, wh in readings
    ]


@pytest.fixture
def hand_made(db: Database) -> list[tuple[str, int, int, int]]:
    readings = hand_made_readings()
    with db.session() as session:
        add_customer(session, "C1", "S1", "S2", "S3", "S4")  # S4: no interval data
    import_readings(db, *reading_rows(readings), "S4,2026-03-01,2026-05-01,90000")
    return readings


def peaks_of(db: Database) -> dict[dt.date, tuple[int, int]]:
    with db.session() as session:
        found = consumption.coincident_peak(session, CLIENT, "C1", D(2026, 1, 1), D(2027, 1, 1))
    return {
        month: (int(watts), int(at.timestamp()))
        for month, watts, at in zip(found["month"], found["peak_w"], found["at"], strict=True)
    }


def test_the_coincident_peak_of_the_profiles_is_that_of_the_raw_readings(db: Database, hand_made):
    expected = raw_peaks(hand_made)
    assert peaks_of(db) == expected
    # the peaks are where the example put them, so the DST days are really tested
    spring, autumn = expected[D(2026, 3, 1)], expected[D(2026, 10, 1)]
    assert spring == (4 * (1_910 + 1_920 + 1_930), localtime.local_midnight_s(D(2026, 3, 28)) - 900)
    at = pd.Timestamp(autumn[1], unit="s", tz="UTC").tz_convert(TIMEZONE)
    assert (at.hour, at.minute, at.utcoffset()) == (1, 15, dt.timedelta(hours=2))


def test_the_coincident_peak_of_one_site_is_its_own(db: Database, hand_made):
    with db.session() as session:
        found = consumption.coincident_peak(
            session, CLIENT, "C1", D(2026, 3, 1), D(2026, 4, 1), consumption.Selection("S2")
        )
    assert found["peak_w"].tolist() == [
        max(
            wh * 4
            for site, start, _end, wh in hand_made
            if site == "S2" and localtime.local_date(start).month == 3
        )
    ]


def test_rows_without_a_profile_are_filled_by_the_rebuild(db: Database, hand_made):
    with db.session() as session:
        session.execute(update(ConsumptionDaily).values(quarter_wh=None))
    assert peaks_of(db) == {}
    assert cli("rollups", "rebuild").exit_code == 0
    assert peaks_of(db) == raw_peaks(hand_made)
    with db.session() as session:
        assert None not in session.scalars(select(ConsumptionDaily.quarter_wh)).all()
