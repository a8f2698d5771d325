"""Benchmark of the consumption screen against a naive pandas resample of the raw rows.

Builds one customer with ``--sites`` sites (default 50) of 15-minute readings
over two local years, 2024 and 2025 (3.5M readings): a daily, weekly and
seasonal shape per site type, noise, and a few estimated days. The readings
are written with :func:`lounge.ingest.bulk.insert_readings` and the rollups
with :func:`lounge.rollups.rebuild`, in one transaction as an import would;
the build time is printed.

Then, as the median of ``--repeat`` rounds (baseline and the domain calls
interleaved round by round, so a noisy neighbour slows both):

1. the consumption page's default view: the domain calls its callback makes
   for the whole customer over the two years (monthly series, time-of-use
   breakdown, share of sites, peak demand and load factor), each round in a
   fresh session, signed in as the customer's client;
2. the interval zoom of one site over a year (daily points), a month (hourly
   points) and a day (the readings themselves);
   the coincident peak of all sites over the two years (the sites'
   quarter-hour profiles summed day by day), beside the way it was computed
   before (one query grouped by reading start over the raw readings; its
   before/after ratio and whether both found the same peaks are printed);
   the consumption report of every site
   by month over 2025 (one grouped query for all sites);
3. the baseline, ``--baseline-repeat`` times: ``pandas.read_sql`` of the
   customer's raw readings over the same two years and ``resample('MS')`` to
   months (no pro rata split, no bands: the least a naive screen would do).

The issue's target: the default view in <= 200 ms and >= 20x faster than the
baseline. This is a measurement: nothing is asserted.

Usage::

    .venv/bin/python -m benchmarks.consumption               # temporary SQLite file
    .venv/bin/python -m benchmarks.consumption --sites 5     # smoke run
    .venv/bin/python -m benchmarks.consumption \\
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench_scratch

A ``--database-url`` database must be empty; it is emptied again afterwards.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import func, insert, select, text

from benchmarks.classify import check_empty, describe, empty_tables, timed, vacuum_analyze
from db import migrate
from db.models import Customer, Reading, Role, Site
from db.session import Database
from lounge import consumption, localtime, reporting, rollups
from lounge.access import Viewer
from lounge.ingest import bulk
from lounge.settings import TIMEZONE

CUSTOMER = "C0001"
FIRST, END = dt.date(2024, 1, 1), dt.date(2026, 1, 1)
REGIONS = ("North", "Haifa", "Center", "Tel Aviv", "Jerusalem", "South")
SITE_TYPES = ("factory", "retail", "office", "cold_storage", "hospital")
#: Relative demand by local hour, per site type (a day's shape).
HOURLY_SHAPE = {
    "factory": np.r_[np.full(6, 0.5), np.full(12, 1.2), np.full(6, 0.7)],
    "retail": np.r_[np.full(8, 0.3), np.full(14, 1.3), np.full(2, 0.5)],
    "office": np.r_[np.full(7, 0.25), np.full(11, 1.4), np.full(6, 0.35)],
    "cold_storage": np.full(24, 1.0),
    "hospital": np.r_[np.full(7, 0.8), np.full(15, 1.15), np.full(2, 0.9)],
}
#: Seasonal factor by month (summer and winter peaks), January first.
SEASON = np.array([1.10, 1.00, 0.90, 0.85, 0.95, 1.10, 1.25, 1.30, 1.15, 0.95, 0.85, 1.00])
#: Share of site-days whose readings are estimated.
ESTIMATED_DAYS = 0.02
TARGET_MS, TARGET_RATIO = 200, 20


def site_ids(count: int) -> list[str]:
    return [f"S{n:04d}" for n in range(count)]


def readings(rng: np.random.Generator, sites: int) -> pd.DataFrame:
    """Quarter hours of every site over [FIRST, END): vectorised, a few seconds for 3.5M rows."""
    starts = np.arange(
        localtime.local_midnight_s(FIRST), localtime.local_midnight_s(END), 900, dtype=np.int64
    )
    local = pd.to_datetime(starts, unit="s", utc=True).tz_convert(TIMEZONE)
    hour, month = local.hour.to_numpy(), local.month.to_numpy()
    weekday = local.day_of_week.to_numpy()  # Monday = 0: Friday 4, Saturday 5
    week = np.where(weekday == 5, 0.45, np.where(weekday == 4, 0.7, 1.0))
    day_number = (local.normalize() - local[0].normalize()).days.to_numpy()
    ids = site_ids(sites)
    parts = []
    for n, site in enumerate(ids):
        kind = SITE_TYPES[n % len(SITE_TYPES)]
        mean_w = rng.uniform(50_000, 400_000)  # 0.4-3.5 GWh a year
        demand = mean_w * HOURLY_SHAPE[kind][hour] * SEASON[month - 1] * week
        demand *= rng.normal(1.0, 0.08, len(starts)).clip(0.5)
        estimated_days = rng.random(day_number[-1] + 1) < ESTIMATED_DAYS
        parts.append(
            pd.DataFrame(
                {
                    "site_id": site,
                    "start_s": starts,
                    "end_s": starts + 900,
                    "wh": (demand / 4).astype(np.int64),
                    "estimated": estimated_days[day_number],
                }
            )
        )
    return pd.concat(parts, ignore_index=True)


def build(database: Database, rng: np.random.Generator, sites: int) -> dict[str, float]:
    """Customer, sites, readings and rollups, in one transaction; seconds per step."""
    seconds: dict[str, float] = {}
    with database.engine.begin() as connection:
        connection.execute(insert(Customer), [{"id": CUSTOMER, "name": "Bench", "tax_id": "T1"}])
        connection.execute(
            insert(Site),
            [
                {
                    "id": site,
                    "customer_id": CUSTOMER,
                    "name": f"Site {site}",
                    "region": REGIONS[n % len(REGIONS)],
                    "site_type": SITE_TYPES[n % len(SITE_TYPES)],
                }
                for n, site in enumerate(site_ids(sites))
            ],
        )
        seconds["generate"], frame = timed(lambda: readings(rng, sites))
        seconds["insert"] = timed(lambda: bulk.insert_readings(connection, frame, None))[0]
        lo, hi = int(frame["start_s"].min()), int(frame["end_s"].max())
        seconds["rebuild"] = timed(lambda: rollups.rebuild(connection, site_ids(sites), lo, hi))[0]
        seconds["rows"] = len(frame)
    return seconds


# --- the timed steps ----------------------------------------------------------------

VIEWER = Viewer(1, "bench@example.com", Role.CLIENT, CUSTOMER)


def default_view(database: Database) -> int:
    """What the consumption callback computes for its first screen; returns the row count."""
    with database.session() as session:
        parts = [
            consumption.series(session, VIEWER, CUSTOMER, FIRST, END, "month"),
            consumption.time_of_use(session, VIEWER, CUSTOMER, FIRST, END).months,
            consumption.site_shares(session, VIEWER, CUSTOMER, FIRST, END),
            consumption.peak_demand(session, VIEWER, CUSTOMER, FIRST, END),
        ]
    return sum(len(part) for part in parts)


def coincident_peak(database: Database) -> list[tuple[dt.date, int, int]]:
    with database.session() as session:
        found = consumption.coincident_peak(session, VIEWER, CUSTOMER, FIRST, END)
    return peak_rows(found["month"], found["peak_w"], [at.timestamp() for at in found["at"]])


def raw_coincident_peak(database: Database) -> list[tuple[dt.date, int, int]]:
    """The coincident peak as it was computed before the quarter-hour profiles.

    The database summed the demand of every raw reading (up to an hour long)
    of the customer's sites grouped by reading start; the highest sum of each
    month was its peak.
    """
    months = localtime.month_starts(FIRST, END)
    edges = localtime.boundaries_s(months)
    length = Reading.end_s - Reading.start_s
    with database.session() as session:
        sites = select(Site.id).where(Site.customer_id == CUSTOMER)
        result = session.execute(
            select(Reading.start_s, func.sum(Reading.wh * 3600 // length))
            .where(
                Reading.site_id.in_(sites),
                Reading.start_s >= int(edges[0]),
                Reading.start_s < int(edges[-1]),
                length <= 3600,
            )
            .group_by(Reading.start_s)
        )
        load = pd.DataFrame(result.all(), columns=["start_s", "w"]).astype("int64")
    load["month"] = np.searchsorted(edges, load["start_s"].to_numpy(), side="right") - 1
    load = load.sort_values("start_s", kind="stable")
    peaks = load.loc[load.groupby("month")["w"].idxmax()]
    return peak_rows([months[m] for m in peaks["month"]], peaks["w"], peaks["start_s"])


def peak_rows(
    months: Iterable[dt.date], watts: Iterable[Any], starts: Iterable[Any]
) -> list[tuple[dt.date, int, int]]:
    return [(month, int(w), int(at)) for month, w, at in zip(months, watts, starts, strict=True)]


def consumption_report(database: Database) -> int:
    request = reporting.ReportRequest.parse("consumption", CUSTOMER, "2025-01", "2025-12")
    with database.session() as session:
        document = reporting.build(session, VIEWER, request, "en")
    return sum(len(section.rows) for section in document.sections)


def zoom(database: Database, start: dt.date, end: dt.date) -> consumption.Zoom:
    with database.session() as session:
        return consumption.zoom(session, VIEWER, CUSTOMER, site_ids(1)[0], start, end)


def naive_resample(database: Database) -> int:
    """The baseline: every raw reading of the customer, resampled to local months."""
    query = text(
        "SELECT r.start_s, r.wh FROM reading r JOIN site s ON s.id = r.site_id"
        " WHERE s.customer_id = :customer AND r.start_s >= :lo AND r.start_s < :hi"
    )
    params = {
        "customer": CUSTOMER,
        "lo": localtime.local_midnight_s(FIRST),
        "hi": localtime.local_midnight_s(END),
    }
    with database.engine.connect() as connection:
        frame = pd.read_sql(query, connection, params=params)
    frame.index = pd.to_datetime(frame["start_s"], unit="s", utc=True).dt.tz_convert(TIMEZONE)
    return len(frame["wh"].resample("MS").sum())


def run(url: str, sites: int, repeat: int, baseline_repeat: int, seed: int) -> None:
    database = Database(url)
    try:
        check_empty(database.engine)
        migrate.upgrade(database.engine)
        built = build(database, np.random.default_rng(seed), sites)
        vacuum_analyze(database)
        print(
            f"== {describe(database)}: 1 customer, {sites} sites, {int(built['rows']):,}"
            f" quarter-hour readings {FIRST} to {END}"
        )
        print(
            f"  build: generate {built['generate']:.1f} s, insert {built['insert']:.1f} s,"
            f" rollups {built['rebuild']:.1f} s (total"
            f" {built['generate'] + built['insert'] + built['rebuild']:.1f} s)"
        )
        steps: dict[str, Callable[[], object]] = {
            "default view (series + ToU + shares + peaks)": lambda: default_view(database),
            "zoom, one site, a year": lambda: zoom(database, dt.date(2025, 1, 1), END),
            "zoom, one site, a month": lambda: zoom(
                database, dt.date(2025, 7, 1), dt.date(2025, 8, 1)
            ),
            "zoom, one site, a day": lambda: zoom(
                database, dt.date(2025, 7, 15), dt.date(2025, 7, 16)
            ),
            "coincident peak, all sites, two years": lambda: coincident_peak(database),
            "coincident peak from the raw rows (before)": lambda: raw_coincident_peak(database),
            "consumption report, every site by month": lambda: consumption_report(database),
            "baseline: read_sql + resample('MS')": lambda: naive_resample(database),
        }
        times: dict[str, list[float]] = {name: [] for name in steps}
        results: dict[str, object] = {}
        for round_ in range(repeat):
            for name, step in steps.items():
                if name.startswith("baseline") and round_ >= baseline_repeat:
                    continue
                seconds, results[name] = timed(step)
                times[name].append(seconds)
        report(times, results)
        after, before = (
            statistics.median(times[name])
            for name in (
                "coincident peak, all sites, two years",
                "coincident peak from the raw rows (before)",
            )
        )
        same = (
            results["coincident peak, all sites, two years"]
            == results["coincident peak from the raw rows (before)"]
        )
        print(
            f"  coincident peak: {before / after:.0f}x faster from the quarter-hour profiles"
            f" than from the raw rows ({before * 1000:.0f} ms -> {after * 1000:.0f} ms);"
            f" the same peaks: {'yes' if same else 'NO'}"
        )
    finally:
        if not url.startswith("sqlite"):
            empty_tables(database.engine)
        database.dispose()


def report(times: dict[str, list[float]], results: dict[str, object]) -> None:
    median = {name: statistics.median(values) for name, values in times.items()}
    baseline_name = next(name for name in times if name.startswith("baseline"))
    baseline = median[baseline_name]
    print(f"  {'step':46s} {'median':>9s} {'baseline/':>10s}   runs (ms)")
    for name, values in times.items():
        result = results[name]
        if isinstance(result, consumption.Zoom):
            note = f"{result.resolution}: {len(result.points)} points"
        else:
            note = f"{len(result) if isinstance(result, list) else result} rows"
        ratio = "" if name == baseline_name else f"{baseline / median[name]:8.0f}x"
        runs = " ".join(f"{v * 1000:.0f}" for v in values)
        print(f"  {name:46s} {median[name] * 1000:6.0f} ms {ratio:>10s}   {runs}   {note}")
    view = median[next(iter(times))]
    ratio = baseline / view
    verdict = "meets" if view * 1000 <= TARGET_MS and ratio >= TARGET_RATIO else "misses"
    print(
        f"  default view {view * 1000:.0f} ms, {ratio:.0f}x faster than the baseline:"
        f" {verdict} the target (<= {TARGET_MS} ms and >= {TARGET_RATIO}x)"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", help="an empty database (default: temp SQLite file)")
    parser.add_argument("--sites", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=7, help="rounds of the domain calls")
    parser.add_argument("--baseline-repeat", type=int, default=3, help="rounds of the baseline")
    parser.add_argument("--seed", type=int, default=2025)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="lounge-bench-") as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'consumption.db'}"
        run(url, args.sites, args.repeat, args.baseline_repeat, args.seed)


if __name__ == "__main__":
    main()
