"""The monthly rollup's 12-month sums and its density, which the classification reads.

A site has a monthly row for every month from its first to its last month
with readings (zero in a gap); each row holds ``rolling_wh``, the site's
energy over the 12 months ending with it; the site table keeps the first and
last month. Imports keep all three right however readings arrive: into a gap,
before or long after the data so far, as corrections. Every test runs on
SQLite and on PostgreSQL.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import delete, select, update

from db.models import ConsumptionMonthly, Site
from db.session import Database
from lounge import classification, localtime, rollups
from lounge.ingest import bulk
from tests.factories import add_customer, cli, import_readings, month_reads, quarter_hours, utc

D = dt.date


def months(db: Database, site_id: str) -> dict[dt.date, tuple[int, int | None]]:
    """``{month: (wh, rolling_wh)}`` of a site's monthly rows."""
    with db.session() as session:
        rows = session.execute(
            select(ConsumptionMonthly.month, ConsumptionMonthly.wh, ConsumptionMonthly.rolling_wh)
            .where(ConsumptionMonthly.site_id == site_id)
            .order_by(ConsumptionMonthly.month)
        )
        return {month: (wh, rolling) for month, wh, rolling in rows}


def span(db: Database, site_id: str) -> tuple[dt.date | None, dt.date | None]:
    with db.session() as session:
        site = session.get(Site, site_id)
        assert site is not None
        return site.first_data_month, site.last_data_month


def dense(wh_by_month: dict[dt.date, int]) -> dict[dt.date, tuple[int, int]]:
    """What the rollup should hold for a site with these months of data: a row for
    every month from the first to the last, zero in gaps, each with its 12-month sum."""
    first, last = min(wh_by_month), max(wh_by_month)
    every = localtime.month_starts(first, last)
    return {
        month: (
            wh_by_month.get(month, 0),
            sum(
                wh
                for other, wh in wh_by_month.items()
                if localtime.add_months(month, -11) <= other <= month
            ),
        )
        for month in every
    }


def kwh_by_month(year: int, kwh: dict[int, int]) -> dict[dt.date, int]:
    return {D(year, month, 1): value * 1000 for month, value in kwh.items()}


@pytest.fixture
def sites(db: Database) -> Database:
    with db.session() as session:
        add_customer(session, "C1", "S1", "S2")
    return db


def test_months_between_imports_get_zero_rows_and_the_sums_run_on(sites: Database):
    import_readings(sites, *month_reads("S1", 2025, {1: "100", 2: "200", 3: "300"}))
    assert months(sites, "S1") == dense(kwh_by_month(2025, {1: 100, 2: 200, 3: 300}))
    assert span(sites, "S1") == (D(2025, 1, 1), D(2025, 3, 1))

    import_readings(sites, *month_reads("S1", 2025, {10: "1000"}))

    rows = months(sites, "S1")
    assert rows == dense(kwh_by_month(2025, {1: 100, 2: 200, 3: 300, 10: 1000}))
    assert rows[D(2025, 4, 1)] == (0, 600_000)  # a zero row still counts the months before
    assert rows[D(2025, 10, 1)] == (1_000_000, 1_600_000)
    assert span(sites, "S1") == (D(2025, 1, 1), D(2025, 10, 1))
    assert months(sites, "S2") == {}
    assert span(sites, "S2") == (None, None)


def test_imports_before_the_data_and_into_a_gap(sites: Database):
    import_readings(sites, *month_reads("S1", 2025, {10: "1000"}))
    # before the data so far: the months up to it become a gap
    import_readings(sites, *month_reads("S1", 2025, {1: "7"}))
    assert months(sites, "S1") == dense(kwh_by_month(2025, {1: 7, 10: 1000}))
    # into the gap: the row of the month and the sums of the months after it change
    import_readings(sites, *month_reads("S1", 2025, {6: "50"}))
    expected = kwh_by_month(2025, {1: 7, 6: 50, 10: 1000})
    assert months(sites, "S1") == dense(expected)
    # long before: more than a year of zero rows, whose sums fall to zero
    import_readings(sites, *month_reads("S1", 2023, {11: "3"}))
    expected |= kwh_by_month(2023, {11: 3})
    rows = months(sites, "S1")
    assert rows == dense(expected)
    assert (rows[D(2024, 10, 1)], rows[D(2024, 11, 1)]) == ((0, 3000), (0, 0))
    assert span(sites, "S1") == (D(2023, 11, 1), D(2025, 10, 1))


def test_an_import_long_after_the_data_so_far(sites: Database):
    import_readings(sites, *month_reads("S1", 2024, {1: "5"}))
    import_readings(sites, *month_reads("S1", 2025, {6: "9"}), *month_reads("S2", 2025, {6: "1"}))
    rows = months(sites, "S1")
    assert rows == dense(kwh_by_month(2024, {1: 5}) | kwh_by_month(2025, {6: 9}))
    assert (rows[D(2024, 12, 1)], rows[D(2025, 1, 1)]) == ((0, 5000), (0, 0))
    assert months(sites, "S2") == {D(2025, 6, 1): (1000, 1000)}


def test_a_correction_changes_the_sums_of_the_eleven_months_after_it(sites: Database):
    energy = {m: 10 * m for m in range(1, 13)}
    import_readings(sites, *month_reads("S1", 2024, energy), *month_reads("S1", 2025, energy))
    before = months(sites, "S1")

    import_readings(sites, *month_reads("S1", 2024, {3: "1000"}))

    after = months(sites, "S1")
    expected = kwh_by_month(2024, energy | {3: 1000}) | kwh_by_month(2025, energy)
    assert after == dense(expected)
    changed = sorted(month for month in after if after[month] != before[month])
    assert changed == localtime.month_starts(D(2024, 3, 1), D(2025, 2, 1))


def test_reads_across_month_edges_and_dst_changes(sites: Database):
    import_readings(
        sites,
        # 743 hours (clocks jump forward on 28 March): 407 kWh in March, 336 in April
        "S1,2025-03-15,2025-04-15,743",
        # 745 hours (clocks go back on 26 October): 409 kWh in October, 336 in November
        "S1,2025-10-15,2025-11-15,745",
        # quarter hours from 23:00 on 31 December 2025 to 01:00 local: half in each month
        *quarter_hours("S1", utc(2025, 12, 31, 21), 8, kwh="1"),
    )
    rows = months(sites, "S1")
    assert rows == dense(
        kwh_by_month(2025, {3: 407, 4: 336, 10: 409, 11: 336, 12: 4}) | kwh_by_month(2026, {1: 4})
    )
    assert rows[D(2026, 1, 1)] == (4000, 407_000 + 336_000 + 409_000 + 336_000 + 4000 + 4000)


def test_rebuild_restores_the_sums_the_zero_rows_and_the_spans(sites: Database):
    import_readings(
        sites, *month_reads("S1", 2024, {2: "1", 9: "2"}), *month_reads("S2", 2025, {5: "3"})
    )
    before = {site: months(sites, site) for site in ("S1", "S2")}
    with sites.session() as session:
        session.execute(delete(ConsumptionMonthly).where(ConsumptionMonthly.month >= D(2024, 4, 1)))
        session.execute(update(ConsumptionMonthly).values(rolling_wh=None))
        session.execute(update(Site).values(first_data_month=None, last_data_month=None))

    result = cli("rollups", "rebuild")

    assert result.exit_code == 0, result.output
    assert {site: months(sites, site) for site in ("S1", "S2")} == before
    assert span(sites, "S1") == (D(2024, 2, 1), D(2024, 9, 1))


# --- random readings, imported piece by piece ------------------------------------------

FIRST = D(2023, 6, 1)
END = D(2026, 7, 1)


def random_readings(rng: np.random.Generator, sites: list[str]) -> pd.DataFrame:
    """Billing reads of 20-62 days for half the sites, day-long readings from some hour
    of the day for the others, with gaps of up to 15 months, each site from and to
    some day of the three years.

    Every reading is large enough that each of its parts in a month has at
    least 1 Wh, so every site with a reading in a window has energy there.
    """
    edges = (localtime.local_midnight_s(FIRST), localtime.local_midnight_s(END))
    rows = []
    for n, site in enumerate(sites):
        billing = n % 2 == 0
        at = edges[0] + int(rng.integers(0, 400)) * 86400 + int(rng.integers(0, 24)) * 3600
        stop = edges[1] - int(rng.integers(0, 400)) * 86400
        while True:
            length = int(rng.integers(20, 63)) * 86400 if billing else 86400
            if at + length > stop:
                break
            rows.append((site, at, at + length, int(rng.integers(10**6, 3 * 10**8))))
            at += length
            if rng.random() < (0.1 if billing else 0.02):
                at += int(rng.integers(1, 450)) * 86400
    frame = pd.DataFrame(rows, columns=["site_id", "start_s", "end_s", "wh"])
    frame["estimated"] = False
    return frame


def in_window(readings: pd.DataFrame, window: classification.Window) -> pd.Series:
    """Each reading's energy inside the window, by its time share (the rollup's exact split)."""
    lo = localtime.local_midnight_s(window.start)
    hi = localtime.local_midnight_s(window.end)
    start, end, wh = (readings[c].to_numpy(np.int64) for c in ("start_s", "end_s", "wh"))
    a, b = np.clip(start, lo, hi), np.clip(end, lo, hi)
    duration = end - start
    return pd.Series(wh * (b - start) // duration - wh * (a - start) // duration)


def direct_figures(
    readings: pd.DataFrame, owner: dict[str, str], window: classification.Window
) -> dict[str, classification.Figures]:
    """Figures of the window computed from the readings, without the rollup."""
    energy = in_window(readings, window).groupby(readings["site_id"]).sum()
    found = {}
    for customer in sorted(set(owner.values())):
        sites = {s: int(wh) for s, wh in energy.items() if owner[s] == customer and wh > 0}
        if sites:
            best = min(sites, key=lambda s: (-sites[s], s))
            found[customer] = classification.Figures(
                customer, sum(sites.values()), sites[best], best
            )
    return found


def monthly_table(db: Database) -> list[tuple[object, ...]]:
    with db.engine.connect() as connection:
        rows = connection.execute(
            select(
                ConsumptionMonthly.site_id,
                ConsumptionMonthly.month,
                ConsumptionMonthly.wh,
                ConsumptionMonthly.estimated_wh,
                ConsumptionMonthly.rolling_wh,
            ).order_by(ConsumptionMonthly.site_id, ConsumptionMonthly.month)
        )
        spans = connection.execute(
            select(Site.id, Site.first_data_month, Site.last_data_month).order_by(Site.id)
        )
        return [tuple(row) for row in rows] + [tuple(row) for row in spans]


def test_random_imports_keep_the_rollup_dense_and_the_fast_classification_exact(db: Database):
    rng = np.random.default_rng(11)
    owner = {f"S{n:02d}": f"C{n % 5}" for n in range(14)}
    with db.session() as session:
        for customer in sorted(set(owner.values())):
            add_customer(session, customer, *(s for s, c in owner.items() if c == customer))
    readings = random_readings(rng, sorted(owner))
    # in six imports of random readings: before, after and into the data so far
    batch = rng.integers(0, 6, len(readings))
    for part in range(6):
        imported = readings[batch == part]
        with db.engine.begin() as connection:
            bulk.insert_readings(connection, imported, None)
            rollups.rebuild(
                connection,
                sorted(imported["site_id"].unique()),
                int(imported["start_s"].min()),
                int(imported["end_s"].max()),
            )
    # and corrections of a few of them
    corrected = readings.sample(20, random_state=3).assign(wh=lambda f: f["wh"] // 3)
    with db.engine.begin() as connection:
        bulk.delete_readings(connection, corrected)
        bulk.insert_readings(connection, corrected, None)
        rollups.rebuild(
            connection,
            sorted(corrected["site_id"].unique()),
            int(corrected["start_s"].min()),
            int(corrected["end_s"].max()),
        )
    readings.loc[corrected.index, "wh"] = corrected["wh"]

    # dense from the first to the last month each site's readings touch
    for site, site_readings in readings.groupby("site_id"):
        first = localtime.first_of_month(localtime.local_date(int(site_readings["start_s"].min())))
        last = localtime.first_of_month(localtime.local_date(int(site_readings["end_s"].max()) - 1))
        rows = months(db, str(site))
        assert (min(rows), max(rows)) == (first, last) == span(db, str(site))
        assert rows == dense({month: wh for month, (wh, _rolling) in rows.items()})
    # the same as a rebuild from scratch
    incremental = monthly_table(db)
    with db.engine.begin() as connection:
        rollups.rebuild_sites(connection, sorted(owner))
    assert monthly_table(db) == incremental

    for as_of in localtime.month_starts(FIRST, localtime.add_months(END, 2)):
        window = classification.Window.for_date(as_of)
        with db.engine.connect() as connection:
            found = classification.figures(connection, window)
        expected = direct_figures(readings, owner, window)
        assert {c: f for c, f in found.items() if f.total_wh} == expected, as_of
        with db.session() as session:
            result = classification.classify(session, as_of, "test")
        assert result.run.members == sum(f.is_vip for f in expected.values())
