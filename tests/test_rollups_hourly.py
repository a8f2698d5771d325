"""Hourly profiles of the daily rollup, and ``python -m lounge rollups rebuild``.

The pure tests cut readings with :func:`lounge.rollups.compute`; the last
ones write through an import and the command line on both backends.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from sqlalchemy import delete, select, update

from db.models import ConsumptionDaily, ConsumptionMonthly
from db.session import Database
from lounge import localtime, rollups
from lounge.rollups import HourGrid, ReadingFrame, compute
from tests.factories import (
    add_customer,
    cli,
    import_readings,
    quarter_hours,
    reading_frame,
    snapshot,
)

D = dt.date
HOUR = 3600
QUARTER = 900


def profiles(result: rollups.Rollups) -> dict[tuple[str, dt.date], list[int]]:
    decoded = rollups.decode_hourly(result.daily["hourly_wh"].tolist())
    keys = zip(result.daily["site_id"], result.daily["day"], strict=True)
    return {key: row.tolist() for key, row in zip(keys, decoded, strict=True)}


def quarter_hours_of(site: str, day: dt.date, days: int = 1, wh: int = 1) -> list[tuple]:
    """Every quarter hour of ``days`` local days from ``day``, ``wh`` each."""
    start = localtime.local_midnight_s(day)
    end = localtime.local_midnight_s(day + dt.timedelta(days=days))
    return [(site, s, s + QUARTER, wh) for s in range(start, end, QUARTER)]


def month_of(day: dt.date) -> tuple[dt.date, dt.date]:
    first = day.replace(day=1)
    return first, localtime.add_months(first, 1)


# --- the profile of a day -----------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "quarter_hours", "slot_quarters"),
    [
        (D(2025, 6, 1), 96, {}),
        (D(2026, 3, 27), 92, {2: 0}),  # spring: 02:00 to 03:00 does not exist
        (D(2025, 10, 26), 100, {1: 8}),  # autumn: 01:00 to 02:00 twice
    ],
)
def test_the_hours_of_a_day_add_up_to_its_energy_also_on_dst_days(
    day: dt.date, quarter_hours: int, slot_quarters: dict[int, int]
):
    result = compute(reading_frame(*quarter_hours_of("S1", day)), *month_of(day))
    profile = profiles(result)[("S1", day)]
    assert result.daily["wh"].tolist() == [quarter_hours]
    assert sum(profile) == quarter_hours
    assert profile == [slot_quarters.get(hour, 4) for hour in range(24)]


def test_a_reading_across_an_hour_edge_is_shared_by_time_exactly():
    ten_thirty = localtime.local_midnight_s(D(2025, 1, 5)) + 10 * HOUR + HOUR // 2
    result = compute(
        reading_frame(("S1", ten_thirty, ten_thirty + HOUR, 1001)), D(2025, 1, 1), D(2025, 2, 1)
    )
    profile = profiles(result)[("S1", D(2025, 1, 5))]
    assert (profile[10], profile[11]) == (500, 501)
    assert sum(profile) == 1001


def test_a_reading_across_midnight_feeds_the_last_and_first_hours_of_two_days():
    midnight = localtime.local_midnight_s(D(2025, 1, 2))
    result = compute(
        reading_frame(("S1", midnight - HOUR, midnight + HOUR, 2000)), D(2025, 1, 1), D(2025, 2, 1)
    )
    found = profiles(result)
    assert found[("S1", D(2025, 1, 1))] == [0] * 23 + [1000]
    assert found[("S1", D(2025, 1, 2))] == [1000] + [0] * 23


def test_profiles_add_up_to_the_days_for_many_random_readings():
    rng = np.random.default_rng(11)
    first = localtime.local_midnight_s(D(2025, 3, 20))
    start = first + rng.integers(0, 40 * 86400, 3000)
    length = rng.choice([QUARTER, 1800, HOUR, 7 * HOUR, 25 * HOUR], 3000)
    wh = rng.integers(0, 10**9, 3000)
    site = rng.choice(np.array(["S1", "S2", "S3"], dtype=object), 3000)
    readings = ReadingFrame(site, start, start + length, wh, rng.random(3000) < 0.2)
    result = compute(readings, D(2025, 3, 1), D(2025, 6, 1))
    decoded = rollups.decode_hourly(result.daily["hourly_wh"].tolist())
    assert (decoded.sum(axis=1) == result.daily["wh"].to_numpy()).all()
    assert (decoded >= 0).all()
    # the spring day of 2025 (28 March) has nothing at 02:00
    spring = (result.daily["day"] == D(2025, 3, 28)).to_numpy()
    assert (decoded[spring, 2] == 0).all()


def test_the_hour_grid_knows_the_lived_hours_and_their_starts():
    days = [D(2025, 10, 25), D(2025, 10, 26), D(2025, 10, 27)]
    grid = HourGrid.of_days(days)
    hours = grid.slot_hours()
    assert hours.sum(axis=1).tolist() == [24, 25, 24]
    assert hours[1, 1] == 2
    starts = grid.slot_starts()
    autumn = localtime.local_midnight_s(D(2025, 10, 26))
    assert starts[1, :3].tolist() == [autumn, autumn + HOUR, autumn + 3 * HOUR]
    spring = HourGrid.of_days([D(2026, 3, 27)])
    assert spring.slot_hours()[0, 2] == 0
    assert spring.slot_starts()[0, 2] == -1


# --- written by imports and rebuilt by the command line ---------------------------------


def quarter_hour_rows(site: str, day: dt.date, days: int, kwh: str) -> list[str]:
    """CSV rows ``site,start,end,kwh`` of every quarter hour of ``days`` local days from ``day``."""
    first = localtime.local_midnight_s(day)
    count = (localtime.local_midnight_s(day + dt.timedelta(days=days)) - first) // QUARTER
    return quarter_hours(site, dt.datetime.fromtimestamp(first, dt.UTC), count, kwh)


def stored_profiles(db: Database) -> dict[tuple[str, dt.date], tuple[int, list[int] | None]]:
    with db.session() as session:
        daily = ConsumptionDaily
        rows = session.execute(select(daily.site_id, daily.day, daily.wh, daily.hourly_wh)).all()
    return {
        (site, day): (wh, None if hourly is None else rollups.decode_hourly([hourly])[0].tolist())
        for site, day, wh, hourly in rows
    }


def test_an_import_writes_the_profiles_on_both_backends(db: Database):
    with db.session() as session:
        add_customer(session, "C1", "S1")
    import_readings(db, *quarter_hour_rows("S1", D(2025, 10, 25), 2, "0.25"))
    assert stored_profiles(db) == {
        ("S1", D(2025, 10, 25)): (24_000, [1000] * 24),
        ("S1", D(2025, 10, 26)): (25_000, [1000, 2000] + [1000] * 22),
    }


@pytest.fixture
def two_sites(db: Database) -> dict[str, list[tuple[object, ...]]]:
    """Two sites with a few days of quarter hours and a billing read; the fresh tables."""
    with db.session() as session:
        add_customer(session, "C1", "S1", "S2")
    import_readings(
        db,
        *quarter_hour_rows("S1", D(2025, 3, 27), 3, "0.25"),
        *quarter_hour_rows("S2", D(2025, 3, 30), 2, "0.5"),
        "S2,2025-01-01,2025-03-01,5900",
    )
    return snapshot(db)


def forget_profiles_and_a_month(db: Database) -> None:
    """As the rollups of an older version: no profiles, and a month gone astray."""
    with db.session() as session:
        session.execute(update(ConsumptionDaily).values(hourly_wh=None))
        session.execute(delete(ConsumptionMonthly).where(ConsumptionMonthly.site_id == "S2"))


def test_rollups_rebuild_restores_every_rollup(db: Database, two_sites):
    forget_profiles_and_a_month(db)
    result = cli("rollups", "rebuild")
    assert result.exit_code == 0, result.output
    readings = len(two_sites["reading"])
    assert result.output == f"rebuilt the rollups of 2 site(s) from {readings} reading(s)\n"
    assert snapshot(db) == two_sites
    assert all(hourly is not None for _wh, hourly in stored_profiles(db).values())


def test_rollups_rebuild_of_one_site_leaves_the_others(db: Database, two_sites):
    forget_profiles_and_a_month(db)
    result = cli("rollups", "rebuild", "--site", "S2")
    assert result.exit_code == 0, result.output
    found = stored_profiles(db)
    assert all(found[key][1] is not None for key in found if key[0] == "S2")
    assert all(found[key][1] is None for key in found if key[0] == "S1")
    assert snapshot(db)["consumption_monthly"] == two_sites["consumption_monthly"]


def test_rollups_rebuild_of_an_unknown_site_fails_and_changes_nothing(db: Database, two_sites):
    result = cli("rollups", "rebuild", "--site", "S9")
    assert result.exit_code != 0
    assert "unknown site 'S9'" in result.output
    assert snapshot(db) == two_sites


def test_rebuilding_in_small_batches_gives_the_same_rollups(db: Database, two_sites):
    with db.session() as session:
        summary = rollups.rebuild_sites(session.connection(), ["S1", "S2"], batch_readings=1)
    assert summary == rollups.RebuildSummary(sites=2, readings=len(two_sites["reading"]))
    assert snapshot(db) == two_sites
