"""Time-of-use bands: the table and its checks, day types, bands of hours, band energy.

Most tests are pure (no database); band energy reads the daily rollup on both
backends. Expected bands are those of the bundled illustrative table.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import update

from db.models import ConsumptionDaily
from db.session import Database
from lounge import tou
from lounge.settings import TIMEZONE
from tests.factories import add_customer, import_readings
from tests.test_rollups_hourly import quarter_hour_rows

D = dt.date
HEADER = "season,months,day_type,start_hour,end_hour,band"
# a valid table: one season all year; working days peak 17-23, short days shoulder
VALID = [
    HEADER,
    "all,1-12,working,0,17,offpeak",
    "all,1-12,working,17,23,peak",
    "all,1-12,working,23,24,offpeak",
    "all,1-12,short,0,24,shoulder",
    "all,1-12,rest,0,24,offpeak",
]


def table_text(*lines: str) -> str:
    return "\n".join(lines) + "\n"


def problems(*lines: str) -> list[str]:
    with pytest.raises(tou.BandTableError) as caught:
        tou.parse_table(table_text(*lines), "bands.csv")
    assert str(caught.value).startswith("invalid time-of-use table bands.csv:")
    return caught.value.problems


# --- the table ----------------------------------------------------------------------


def test_the_bundled_table_is_valid_and_has_three_seasons():
    bands = tou.load_table(tou.DEFAULT_TABLE)
    assert bands.seasons == (
        ("winter",) * 2 + ("transition",) * 3 + ("summer",) * 4 + ("transition",) * 2 + ("winter",)
    )
    assert bands.codes.shape == (12, 3, 24)
    assert bands.codes.min() >= 0  # every hour has a band


def test_a_gap_in_the_hours_is_rejected_naming_the_line_after_it():
    lines = [*VALID]
    lines[2] = "all,1-12,working,18,23,peak"  # 17-18 uncovered
    assert problems(*lines) == ["line 3: hours 17-18 of all working days have no band"]


def test_a_gap_at_the_end_of_the_day_names_the_last_line():
    assert problems(*VALID[:3], *VALID[4:]) == [
        "line 3: hours 23-24 of all working days have no band"
    ]


def test_an_overlap_is_rejected_naming_both_lines():
    lines = [*VALID]
    lines[2] = "all,1-12,working,16,23,peak"  # 16-17 is off-peak on line 2 already
    assert problems(*lines) == ["line 3: hours 16-23 of all working days overlap line 2 (0-17)"]


def test_comments_and_blank_lines_keep_the_line_numbers_of_the_file():
    lines = ["# a comment", "", *VALID]
    lines[4] = "all,1-12,working,18,23,peak"
    assert problems(*lines) == ["line 5: hours 17-18 of all working days have no band"]


@pytest.mark.parametrize(
    ("bad_line", "message"),
    [
        ("all,1-12,working,0,17,cheap", "unknown band 'cheap' (expected peak, shoulder, offpeak)"),
        ("all,1-12,weekday,0,17,offpeak", "unknown day type 'weekday'"),
        ("all,1-13,working,0,17,offpeak", "months '1-13' are not months 1-12"),
        ("all,1-12,working,17,17,offpeak", "hours '17' to '17' are not 0 <= start < end <= 24"),
        ("all,1-12,working,0,25,offpeak", "hours '0' to '25' are not 0 <= start < end <= 24"),
        ("all,1-12,working,0,17", "expected 6 fields"),
    ],
)
def test_a_bad_row_is_rejected_naming_its_line(bad_line: str, message: str):
    lines = [*VALID]
    lines[1] = bad_line
    found = problems(*lines)
    assert found[0].startswith(f"line 2: {message}"), found


def test_a_wrong_header_is_rejected():
    assert problems("season,months,kind,from,to,band", *VALID[1:])[0] == (
        "line 1: expected the header season,months,day_type,start_hour,end_hour,band"
    )


def season(name: str, months: str) -> list[str]:
    """The rows of VALID for another season."""
    return [line.replace("all,1-12", f"{name},{months}") for line in VALID[1:]]


def test_seasons_must_share_out_the_months_exactly():
    overlapping = problems(HEADER, *season("summer", "6-9"), *season("winter", "10-6"))
    assert overlapping == ["line 7: month 6 is already in season 'summer' (line 2)"]
    assert problems(HEADER, *season("summer", "6-9")) == [
        "line 6: no season has month(s) 1, 2, 3, 4, 5, 10, 11, 12"
    ]


def test_a_season_keeps_its_months_and_has_every_day_type():
    lines = [*VALID]
    lines[3] = "all,1-11,working,23,24,offpeak"
    assert problems(*lines)[0] == "line 4: season 'all' has other months on line 2"
    assert problems(*VALID[:5]) == ["line 2: season 'all' has no rest rows"]


def test_months_wrap_around_the_year_and_may_be_listed():
    text = table_text(
        HEADER, *season("winter", "12-2"), *season("mild", "3-5 10-11"), *season("summer", "6-9")
    )
    bands = tou.parse_table(text)
    seasons = {month: bands.seasons[month - 1] for month in range(1, 13)}
    assert {month for month, name in seasons.items() if name == "winter"} == {12, 1, 2}
    assert {month for month, name in seasons.items() if name == "mild"} == {3, 4, 5, 10, 11}


def test_the_table_comes_from_lounge_tou_table_when_set(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    path = tmp_path / "bands.csv"
    path.write_text(table_text(*VALID))
    monkeypatch.setenv(tou.TABLE_ENV, str(path))
    assert tou.table().band(D(2026, 7, 14), 18) == tou.PEAK
    assert tou.table().band(D(2026, 7, 14), 8) == tou.OFFPEAK  # not the bundled shoulder
    path.write_text(table_text(*VALID[:2]))
    with pytest.raises(tou.BandTableError, match="line 2: hours 17-24 of all working days"):
        tou.table()  # an edited file is read again, and checked
    monkeypatch.setenv(tou.TABLE_ENV, str(tmp_path / "missing.csv"))
    with pytest.raises(tou.BandTableError, match="missing.csv"):
        tou.table()


# --- day types and bands of hours -------------------------------------------------------


BUNDLED = tou.load_table(tou.DEFAULT_TABLE)


@pytest.mark.parametrize(
    ("day", "hour", "band"),
    [
        (D(2026, 7, 14), 18, tou.PEAK),  # summer Tuesday evening
        (D(2026, 7, 14), 8, tou.SHOULDER),
        (D(2026, 7, 14), 23, tou.OFFPEAK),
        (D(2026, 7, 14), 3, tou.OFFPEAK),
        (D(2026, 1, 13), 17, tou.PEAK),  # winter Tuesday
        (D(2026, 1, 13), 22, tou.SHOULDER),  # winter evening shoulder after the peak
        (D(2026, 1, 13), 6, tou.SHOULDER),
        (D(2026, 4, 14), 18, tou.PEAK),  # transition
        (D(2026, 7, 17), 18, tou.SHOULDER),  # summer Friday
        (D(2026, 7, 17), 8, tou.OFFPEAK),
        (D(2026, 7, 18), 18, tou.OFFPEAK),  # Saturday
        (D(2026, 9, 21), 18, tou.OFFPEAK),  # Yom Kippur, a Monday
        (D(2026, 9, 20), 18, tou.SHOULDER),  # its eve, a Sunday
        (D(2026, 9, 22), 18, tou.PEAK),  # the Tuesday after
    ],
)
def test_band_of_a_local_hour(day: dt.date, hour: int, band: str):
    assert BUNDLED.band(day, hour) == band
    assert tou.BANDS[tou.band_matrix([day], BUNDLED)[0, hour]] == band


def test_band_of_an_instant_is_taken_in_israel_time():
    # 15:30 UTC in July is 18:30 in Israel (UTC+3): peak
    assert tou.band_of(dt.datetime(2026, 7, 14, 15, 30, tzinfo=dt.UTC), BUNDLED) == tou.PEAK
    assert tou.band_of(dt.datetime(2026, 7, 14, 15, 30), BUNDLED) == tou.SHOULDER  # naive: local
    aware = dt.datetime(2026, 1, 13, 17, 0, tzinfo=TIMEZONE)
    assert tou.band_of(aware, BUNDLED) == tou.PEAK


def test_band_totals_share_each_profile_by_the_bands_of_its_day():
    days = [D(2026, 7, 14), D(2026, 7, 17), D(2026, 7, 18)]  # Tuesday, Friday, Saturday
    totals = tou.band_totals(days, np.full((3, 24), 1000), BUNDLED)
    assert totals.tolist() == [
        [6000, 10_000, 8000],  # peak 17-23, shoulder 7-17
        [0, 6000, 18_000],  # Friday: shoulder 17-23
        [0, 0, 24_000],
    ]


# --- band energy from the daily rollup -----------------------------------------------


def test_band_energy_splits_the_interval_energy_of_a_period_by_band(db: Database):
    with db.session() as session:
        add_customer(session, "C1", "S1")
    # Tuesday to Saturday, 14-18 July 2026, 1 kW
    import_readings(db, *quarter_hour_rows("S1", D(2026, 7, 14), 5, "0.25"))
    with db.session() as session:
        energy = tou.band_energy(session, "S1", D(2026, 7, 14), D(2026, 7, 19))
        tuesday = tou.band_energy(session, "S1", D(2026, 7, 14), D(2026, 7, 15))
        nothing = tou.band_energy(session, "S1", D(2026, 8, 1), D(2026, 9, 1))
    # three working days, a Friday and a Saturday
    assert energy == {"peak": 18_000, "shoulder": 36_000, "offpeak": 66_000}
    assert sum(energy.values()) == 5 * 24_000
    assert tuesday == {"peak": 6000, "shoulder": 10_000, "offpeak": 8000}
    assert nothing == {"peak": 0, "shoulder": 0, "offpeak": 0}


def test_band_energy_refuses_days_without_an_hourly_profile(db: Database):
    with db.session() as session:
        add_customer(session, "C1", "S1")
    import_readings(db, *quarter_hour_rows("S1", D(2026, 7, 14), 1, "0.25"))
    with db.session() as session:
        session.execute(update(ConsumptionDaily).values(hourly_wh=None))
    with pytest.raises(tou.ProfileMissing, match="rollups rebuild --site S1"), db.session() as s:
        tou.band_energy(s, "S1", D(2026, 7, 1), D(2026, 8, 1))
