"""Benchmark of the VIP classification against a bare ``GROUP BY`` over the same readings.

Two variants, each in a database of its own (or emptied in between):

- ``monthly``: 200,000 sites of 50,000 customers, 12 monthly billing reads per
  site (2.4M readings). Six sites in ten are read on a day other than the 1st,
  so their reads straddle month and window edges and count pro rata, as in
  real billing.
- ``hourly``: 2,000 sites of ~500 customers, one year of hourly interval
  readings (17.5M readings).

For each variant it prints, as the median of ``--repeat`` runs:

1. the rollup build: :func:`lounge.rollups.rebuild` over all sites (what the
   import does after writing readings);
2. the baseline: ``SELECT site_id, SUM(wh) FROM reading GROUP BY site_id``
   through the driver's cursor, all result rows fetched; and for reference a
   bare read of what the classification reads: each site's monthly rollup row
   of the window's last month, which holds its 12-month sum (``rolling_wh``);
3. :func:`lounge.classification.classify`, committed: the first run (no stored
   status: writes the initial statuses and entry events) and a second run at
   the same as-of date (writes only its run record);

and the ratios of the classification times to the bare ``GROUP BY``. The
issue's target is ``classify / GROUP BY <= 1.5``. The bare query and the
classification runs are interleaved round by round, so that a noisy
neighbour slows both rather than one of them.

The classification reads the monthly rollup, one row per site, not the
readings; the rollup build is the price paid for that at import, and is
printed for honesty.
Readings are written, and rollups built, in calls of about 2M readings each
inside one transaction: that bounds memory, not the result.

Usage::

    .venv/bin/python -m benchmarks.classify --quick            # smoke run, 10x smaller
    .venv/bin/python -m benchmarks.classify                    # full size, temp SQLite files
    .venv/bin/python -m benchmarks.classify \\
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench_scratch

A ``--database-url`` database must be empty (the schema is migrated, the
tables are filled, then emptied after each variant); use a scratch database.
On PostgreSQL the tables are ``VACUUM ANALYZE``-d after loading and after the
rollup build (autovacuum would do it a little later in production).
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import numpy as np
import pandas as pd
from sqlalchemy import Engine, delete, func, insert, inspect, select, text

from db import migrate
from db.models import (
    Base,
    ClassificationRun,
    ConsumptionMonthly,
    Customer,
    Reading,
    Site,
    VipEvent,
    VipStatus,
)
from db.session import Database
from lounge import classification, localtime, rollups
from lounge.ingest import bulk

T = TypeVar("T")

#: Classification date: the window is the calendar year 2025.
AS_OF = dt.date(2026, 1, 15)
YEAR_START = dt.date(2025, 1, 1)
#: Seasonal shape of a year (Israel: summer and winter peaks), January first.
SEASON = np.array([1.10, 1.00, 0.90, 0.85, 0.95, 1.10, 1.25, 1.30, 1.15, 0.95, 0.85, 1.00])
#: Readings per call of insert_readings / rebuild (bounds memory, not the result).
ROWS_PER_CHUNK = 2_000_000


@dataclass(frozen=True)
class Variant:
    name: str
    sites: int
    customers: int
    #: Median yearly consumption of a site and the spread (sigma of its logarithm).
    median_kwh: float
    sigma: float

    def scaled(self, factor: int) -> Variant:
        return Variant(
            self.name,
            self.sites // factor,
            self.customers // factor,
            self.median_kwh,
            self.sigma,
        )


VARIANTS = {
    "monthly": Variant("monthly", 200_000, 50_000, 200_000.0, 1.0),
    "hourly": Variant("hourly", 2_000, 500, 350_000.0, 0.8),
}


# --- data ---------------------------------------------------------------------------


@dataclass
class MasterData:
    customer_ids: np.ndarray
    site_ids: np.ndarray
    site_customer: np.ndarray
    #: Yearly consumption of each site, in Wh.
    yearly_wh: np.ndarray


def master_data(rng: np.random.Generator, variant: Variant) -> MasterData:
    """Customers with one or more sites each; a few have hundreds (chains, municipalities)."""
    prefix = variant.name[0].upper()
    customer_ids = np.array([f"{prefix}C{i:06d}" for i in range(variant.customers)], dtype=object)
    site_ids = np.array([f"{prefix}S{i:07d}" for i in range(variant.sites)], dtype=object)
    weights = rng.lognormal(0.0, 1.5, variant.customers)
    extra = rng.choice(
        variant.customers, size=variant.sites - variant.customers, p=weights / weights.sum()
    )
    owner = rng.permutation(np.concatenate([np.arange(variant.customers), extra]))
    yearly_kwh = rng.lognormal(np.log(variant.median_kwh), variant.sigma, variant.sites)
    return MasterData(
        customer_ids, site_ids, customer_ids[owner], (yearly_kwh * 1000).astype(np.int64)
    )


def monthly_readings(
    rng: np.random.Generator, sites: np.ndarray, yearly_wh: np.ndarray
) -> pd.DataFrame:
    """Twelve billing reads per site from its meter-reading day in January 2025.

    Four sites in ten are read on the 1st (aligned with months); the others on
    a day from the 2nd to the 28th, so their reads straddle month edges and
    the window's end.
    """
    days = localtime.day_starts(YEAR_START, dt.date(2026, 1, 28))
    midnight = localtime.boundaries_s(days)
    month_offset = np.array(
        [(localtime.add_months(YEAR_START, m) - YEAR_START).days for m in range(13)]
    )
    read_day = np.where(rng.random(len(sites)) < 0.4, 1, rng.integers(2, 29, len(sites)))
    months = np.arange(12)
    start = midnight[month_offset[months][None, :] + read_day[:, None] - 1]
    end = midnight[month_offset[months + 1][None, :] + read_day[:, None] - 1]
    share = SEASON / SEASON.sum() * rng.normal(1.0, 0.08, (len(sites), 12))
    wh = (yearly_wh[:, None] * share).astype(np.int64)
    return pd.DataFrame(
        {
            "site_id": np.repeat(sites, 12),
            "start_s": start.ravel(),
            "end_s": end.ravel(),
            "wh": wh.ravel(),
            "estimated": rng.random(wh.size) < 0.03,
        }
    )


def hourly_readings(
    rng: np.random.Generator, sites: np.ndarray, yearly_wh: np.ndarray
) -> pd.DataFrame:
    """A year of hourly readings per site: daily and seasonal shape, 10% noise."""
    first = localtime.local_midnight_s(YEAR_START)
    hours = np.arange(first, localtime.local_midnight_s(dt.date(2026, 1, 1)), 3600)
    local_hour = ((hours - first) // 3600) % 24
    month = np.array([localtime.local_date(int(s)).month for s in hours[::24]]).repeat(24)
    shape = (1.0 + 0.4 * np.sin((local_hour - 8) / 24 * 2 * np.pi)) * SEASON[
        month[: len(hours)] - 1
    ]
    shape = shape / shape.sum()
    noise = rng.normal(1.0, 0.1, (len(sites), len(hours))).clip(0.0)
    wh = (yearly_wh[:, None] * shape[None, :] * noise).astype(np.int64)
    return pd.DataFrame(
        {
            "site_id": np.repeat(sites, len(hours)),
            "start_s": np.tile(hours, len(sites)),
            "end_s": np.tile(hours + 3600, len(sites)),
            "wh": wh.ravel(),
            "estimated": np.zeros(wh.size, dtype=bool),
        }
    )


READINGS: dict[str, tuple[int, Callable[..., pd.DataFrame]]] = {
    "monthly": (12, monthly_readings),
    "hourly": (8760, hourly_readings),
}


def site_chunks(data: MasterData, rows_per_site: int) -> Iterator[slice]:
    step = max(1, ROWS_PER_CHUNK // rows_per_site)
    for i in range(0, len(data.site_ids), step):
        yield slice(i, i + step)


def load(database: Database, rng: np.random.Generator, variant: Variant, data: MasterData) -> int:
    """Customers, sites and readings, in one transaction as an import would; returns rows."""
    rows_per_site, generate = READINGS[variant.name]
    rows = 0
    with database.engine.begin() as connection:
        connection.execute(
            insert(Customer),
            [
                {"id": c, "name": f"Customer {c}", "tax_id": f"T{c}", "segment": "business"}
                for c in data.customer_ids.tolist()
            ],
        )
        connection.execute(
            insert(Site),
            [
                {"id": s, "customer_id": c, "name": f"Site {s}", "region": "Center"}
                for s, c in zip(data.site_ids.tolist(), data.site_customer.tolist(), strict=True)
            ],
        )
        for part in site_chunks(data, rows_per_site):
            frame = generate(rng, data.site_ids[part], data.yearly_wh[part])
            bulk.insert_readings(connection, frame, None)
            rows += len(frame)
    return rows


def rebuild_rollups(database: Database, data: MasterData, rows_per_site: int) -> None:
    """Rollups of every site over every month with readings, committed."""
    with database.engine.begin() as connection:
        lo, hi = connection.execute(
            select(func.min(Reading.start_s), func.max(Reading.end_s))
        ).one()
        for part in site_chunks(data, rows_per_site):
            rollups.rebuild(connection, sorted(data.site_ids[part].tolist()), int(lo), int(hi))


# --- the timed steps ----------------------------------------------------------------

BARE_GROUP_BY = "SELECT site_id, SUM(wh) FROM reading GROUP BY site_id"


def bare_group_by(database: Database, sql: str = BARE_GROUP_BY, *params: object) -> int:
    """The baseline at its cheapest: the driver's own cursor, rows as plain tuples."""
    with database.engine.connect() as connection:
        cursor = connection.connection.cursor()
        try:
            if params:
                cursor.execute(sql, params)
            else:
                cursor.execute(sql)
            return len(cursor.fetchall())
        finally:
            cursor.close()


def rollup_read(database: Database) -> int:
    """For reference: a bare read of every site's rollup row of the window's last month."""
    window = classification.Window.for_date(AS_OF)
    mark = "?" if database.engine.dialect.name == "sqlite" else "%s"
    sql = (
        "SELECT site_id, rolling_wh FROM consumption_monthly"
        f" WHERE month = {mark} AND rolling_wh IS NOT NULL"
    )
    return bare_group_by(database, sql, window.last_month.isoformat())


def classify(database: Database) -> classification.RunResult:
    with database.session() as session:
        return classification.classify(session, AS_OF, "benchmark")


def forget_classification(database: Database) -> None:
    """Back to 'never classified', so that the next run is a first run again."""
    with database.engine.begin() as connection:
        for table in (VipEvent, VipStatus, ClassificationRun):
            connection.execute(delete(table))


def timed(step: Callable[[], T]) -> tuple[float, T]:
    started = time.perf_counter()
    result = step()
    return time.perf_counter() - started, result


def vacuum_analyze(database: Database) -> None:
    """Fresh planner statistics on PostgreSQL (autovacuum would get there later)."""
    if database.engine.dialect.name != "postgresql":
        return
    with database.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("VACUUM ANALYZE"))


# --- the run ------------------------------------------------------------------------


def empty_tables(engine: Engine) -> None:
    tables = [table.name for table in reversed(Base.metadata.sorted_tables)]
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        else:
            for name in tables:
                connection.execute(text(f'DELETE FROM "{name}"'))


def check_empty(engine: Engine) -> None:
    if "customer" not in inspect(engine).get_table_names():
        return
    with engine.connect() as connection:
        if connection.execute(select(func.count()).select_from(Customer)).scalar_one():
            sys.exit("the database given by --database-url has customers; use an empty one")


def run_variant(url: str, variant: Variant, repeat: int, rebuild_repeat: int, seed: int) -> None:
    database = Database(url)
    try:
        check_empty(database.engine)
        migrate.upgrade(database.engine)
        rng = np.random.default_rng(seed)
        data = master_data(rng, variant)
        rows_per_site = READINGS[variant.name][0]
        load_s, rows = timed(lambda: load(database, rng, variant, data))
        vacuum_analyze(database)
        print(
            f"\n== {variant.name} on {describe(database)}: {variant.sites:,} sites,"
            f" {variant.customers:,} customers, {rows:,} readings (generated and loaded in"
            f" {load_s:.0f} s, one transaction)"
        )
        times: dict[str, list[float]] = {name: [] for name in STEPS}
        for _ in range(rebuild_repeat):
            times["rebuild"].append(
                timed(lambda: rebuild_rollups(database, data, rows_per_site))[0]
            )
        vacuum_analyze(database)
        monthly_rows = count_rollup_rows(database)
        last_month_rows = rollup_read(database)

        first: classification.RunResult | None = None
        second: classification.RunResult | None = None
        groups = 0
        for _ in range(repeat):
            seconds, groups = timed(lambda: bare_group_by(database))
            times["bare"].append(seconds)
            times["rollup"].append(timed(lambda: rollup_read(database))[0])
            forget_classification(database)
            seconds, first = timed(lambda: classify(database))
            times["first"].append(seconds)
            seconds, second = timed(lambda: classify(database))
            times["second"].append(seconds)
        assert first is not None and second is not None
        assert not second.entered and not second.exited, "a second run must change nothing"

        run = first.run
        notes = {
            "rebuild": f"{rows:,} readings -> {monthly_rows:,} monthly rows in the window",
            "bare": f"{rows:,} rows -> {groups:,} groups",
            "rollup": f"{last_month_rows:,} rows (reference, not the target)",
            "first": f"{run.customers:,} customers, {run.members:,} members"
            f" ({run.members / max(run.customers, 1):.0%}): writes {len(first.entered):,}"
            " statuses and events",
            "second": "same as-of: no status or event written",
        }
        base = statistics.median(times["bare"])
        print(f"  {'step':44s} {'median':>9s} {'x bare':>7s}   runs (s)")
        for name, label in STEPS.items():
            values = times[name]
            ratio = f"{statistics.median(values) / base:6.2f}x" if name != "bare" else "      -"
            print(
                f"  {label:44s} {statistics.median(values) * 1000:6.0f} ms {ratio}"
                f"   {' '.join(f'{v:.2f}' for v in values)}   {notes[name]}"
            )
        for name in ("first", "second"):
            factor = statistics.median(times[name]) / base
            verdict = "meets" if factor <= TARGET else "misses"
            print(f"  classify ({name} run) / bare GROUP BY = {factor:.2f}: {verdict} <= {TARGET}")
    finally:
        if not url.startswith("sqlite"):
            empty_tables(database.engine)
        database.dispose()


STEPS = {
    "rebuild": "rollup build (rollups.rebuild, all sites)",
    "bare": "bare GROUP BY site_id over reading",
    "rollup": "bare read of the rollup's last window month",
    "first": "classify, first run",
    "second": "classify, second run",
}
TARGET = 1.5


def describe(database: Database) -> str:
    with database.engine.connect() as connection:
        if connection.dialect.name == "sqlite":
            version = connection.exec_driver_sql("select sqlite_version()").scalar_one()
            return f"SQLite {version}"
        version = connection.exec_driver_sql("show server_version").scalar_one()
        return f"PostgreSQL {version}"


def count_rollup_rows(database: Database) -> int:
    window = classification.Window.for_date(AS_OF)
    with database.engine.connect() as connection:
        return connection.execute(
            select(func.count())
            .select_from(ConsumptionMonthly)
            .where(ConsumptionMonthly.month >= window.start)
            .where(ConsumptionMonthly.month < window.end)
        ).scalar_one()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="10x fewer sites and customers")
    parser.add_argument("--database-url", help="an empty database (default: temp SQLite files)")
    parser.add_argument("--variant", choices=[*VARIANTS, "all"], default="all")
    parser.add_argument("--repeat", type=int, default=5, help="runs of each timed step")
    parser.add_argument(
        "--rebuild-repeat", type=int, default=3, help="runs of the (slow) rollup build"
    )
    parser.add_argument("--seed", type=int, default=2025)
    args = parser.parse_args(argv)
    names = list(VARIANTS) if args.variant == "all" else [args.variant]
    with tempfile.TemporaryDirectory(prefix="lounge-bench-") as tmp:
        for name in names:
            variant = VARIANTS[name].scaled(10) if args.quick else VARIANTS[name]
            url = args.database_url or f"sqlite:///{Path(tmp) / f'{name}.db'}"
            run_variant(url, variant, args.repeat, args.rebuild_repeat, args.seed)


if __name__ == "__main__":
    main()
