"""Benchmark of demand management: the measured load reduction of an event.

**Baseline and reduction** (``--part baseline``): ``--sites`` sites (default 2,000) of 500
customers in six regions, with 15-minute data for the 61 local days up to a peak-load warning
on Wednesday 15 July 2026, 17:00-19:00 (the daily rollup's quarter-hour profiles, written
directly: what an import of the 15-minute readings leaves behind, 122,000 rows). Every site
is targeted; half of them respond (their load drops by 20-40% in the window); a third were
in earlier events (left out of their baselines) and a cancelled notice is not an event.

Timed as the median of ``--repeat`` interleaved rounds:

1. :func:`lounge.demand.baseline.measure` as demand staff: one query of the profiles,
   arrays over the sites (the CAISO 10-in-10 baseline with its day-of adjustment, the actual
   load and the reduction of every site, totals per customer, region and event);
2. the baseline: a naive pandas computation of the same figures: ``pandas.read_sql`` of the
   same rows and of the earlier events, every quarter hour as a row of a long frame with its
   wall-clock time, similar days by merge and ``groupby().cumcount()``, sums by ``groupby``.

Both must give the same figures for every site (days, adjustment, baseline, actual and
reduction in Wh and W): the script stops with an error otherwise. The issue's target: at
least 10 times faster than the baseline.

Usage::

    .venv/bin/python -m benchmarks.demand                    # temporary SQLite file
    .venv/bin/python -m benchmarks.demand --sites 200        # smoke run
    .venv/bin/python -m benchmarks.demand \\
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench_scratch

A ``--database-url`` database must be empty; it is emptied again afterwards.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
from sqlalchemy import insert, select

from benchmarks.classify import check_empty, describe, empty_tables, timed, vacuum_analyze
from db import migrate
from db.models import (
    ConsumptionDaily,
    Customer,
    Notice,
    NoticeKind,
    NoticeState,
    NoticeTarget,
    Role,
    Site,
)
from db.session import Database
from lounge import localtime, rollups
from lounge.access import Viewer
from lounge.demand import baseline, similar
from lounge.settings import TIMEZONE

REGIONS = ("North", "Haifa", "Center", "Tel Aviv", "Jerusalem", "South")
EVENT_DAY = dt.date(2026, 7, 15)
EVENT_HOURS = (17, 19)
#: Earlier events (day, state) within the look-back, each reaching every third site.
EARLIER = (
    (dt.date(2026, 7, 8), NoticeState.COMPLETED),
    (dt.date(2026, 6, 24), NoticeState.COMPLETED),
    (dt.date(2026, 7, 1), NoticeState.CANCELLED),
)
#: Relative demand by local hour (an office-and-factory mix).
HOURLY_SHAPE = np.r_[np.full(7, 0.4), np.full(12, 1.3), np.full(5, 0.6)]
TARGET_RATIO = 10
STAFF = Viewer(1, "bench@example.com", Role.DEMAND_STAFF)


def at(day: dt.date, hour: int) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), TIMEZONE).astimezone(dt.UTC)


def site_ids(count: int) -> list[str]:
    return [f"S{n:05d}" for n in range(count)]


def profiles(rng: np.random.Generator, sites: int, days: list[dt.date]) -> np.ndarray:
    """(sites, days, 96) Wh per quarter hour: a daily shape, weekends lower, noise, and the
    responders' drop in the event window."""
    hour = np.repeat(np.arange(24), 4)
    weekday = np.array([day.weekday() for day in days])
    week = np.where(weekday == 5, 0.45, np.where(weekday == 4, 0.7, 1.0))
    mean_w = rng.uniform(50_000, 900_000, sites)
    demand = mean_w[:, None, None] * week[None, :, None] * HOURLY_SHAPE[hour][None, None, :]
    demand = demand * rng.normal(1.0, 0.1, demand.shape).clip(0.5)
    responders = rng.random(sites) < 0.5
    window = (hour >= EVENT_HOURS[0]) & (hour < EVENT_HOURS[1])
    drop = np.where(responders, rng.uniform(0.6, 0.8, sites), 1.0)
    demand[:, -1, window] *= drop[:, None]
    return (demand / 4).astype(np.int64)


def build(database: Database, rng: np.random.Generator, sites: int) -> int:
    """Customers, sites, the profiles and the notices; returns the event's notice id."""
    ids = site_ids(sites)
    read = baseline.days_to_read(*window_s())
    days = localtime.day_starts(read[0], read[-1])
    quarters = profiles(rng, sites, days)
    customers = max(sites // 4, 1)
    with database.engine.begin() as connection:
        connection.execute(
            insert(Customer),
            [
                {"id": f"C{n:04d}", "name": f"Customer {n}", "tax_id": f"T{n}"}
                for n in range(customers)
            ],
        )
        connection.execute(
            insert(Site),
            [
                {
                    "id": site,
                    "customer_id": f"C{n % customers:04d}",
                    "name": f"Site {site}",
                    "region": REGIONS[n % len(REGIONS)],
                }
                for n, site in enumerate(ids)
            ],
        )
        flat = quarters.reshape(-1, 96)
        padded = np.zeros((len(flat), rollups.MAX_QUARTERS), dtype=np.int64)
        padded[:, :96] = flat
        encoded = rollups.encode_quarters(padded, np.full(len(flat), 96))
        hourly = rollups.encode_hourly(flat.reshape(-1, 24, 4).sum(axis=2))
        totals = flat.sum(axis=1).tolist()
        peaks = (flat.max(axis=1) * 4).tolist()
        connection.execute(
            insert(ConsumptionDaily),
            [
                {
                    "site_id": ids[n // len(days)],
                    "day": days[n % len(days)],
                    "wh": totals[n],
                    "estimated_wh": 0,
                    "peak_w": peaks[n],
                    "hourly_wh": hourly[n],
                    "quarter_wh": encoded[n],
                }
                for n in range(len(flat))
            ],
        )
        index = {site: n for n, site in enumerate(ids)}
        notices = [(day, state, ids[::3]) for day, state in EARLIER]
        notices.append((EVENT_DAY, NoticeState.COMPLETED, ids))
        for day, state, targeted in notices:
            notice_id = connection.execute(
                insert(Notice)
                .values(
                    kind=NoticeKind.PEAK_WARNING,
                    state=state,
                    level=2,
                    reason="heat",
                    starts_at=at(day, EVENT_HOURS[0]),
                    ends_at=at(day, EVENT_HOURS[1]),
                    note="",
                    regions=[],
                    site_ids=[],
                    segments=[],
                    site_types=[],
                    members_only=False,
                    revision=0,
                    created_by="bench",
                )
                .returning(Notice.id)
            ).scalar_one()
            connection.execute(
                insert(NoticeTarget),
                [
                    {
                        "notice_id": notice_id,
                        "site_id": site,
                        "customer_id": f"C{index[site] % customers:04d}",
                        "region": REGIONS[index[site] % len(REGIONS)],
                    }
                    for site in targeted
                ],
            )
    return int(notice_id)


def window_s() -> tuple[int, int]:
    return int(at(EVENT_DAY, EVENT_HOURS[0]).timestamp()), int(
        at(EVENT_DAY, EVENT_HOURS[1]).timestamp()
    )


# --- the two computations -----------------------------------------------------------

Figures = dict[str, tuple[int, float, int, int, int, int]]
NOW = at(EVENT_DAY + dt.timedelta(days=1), 0)


def domain(database: Database, notice_id: int) -> Figures:
    with database.session() as session:
        found = baseline.measure(session, STAFF, notice_id, now=NOW)
    return {
        line.site_id: (
            line.days,
            line.adjustment,
            line.baseline_wh,
            line.actual_wh,
            line.reduction_wh,
            line.reduction_w,
        )
        for line in found.sites
    }


def naive(database: Database, notice_id: int) -> Figures:
    """The same figures by a straightforward pandas computation over a long frame."""
    start_s, end_s = window_s()
    read = baseline.days_to_read(start_s, end_s)
    first, last = read[0], read[-1]
    with database.engine.connect() as connection:
        targets = select(NoticeTarget.site_id).where(NoticeTarget.notice_id == notice_id)
        rows = pd.read_sql(
            select(
                ConsumptionDaily.site_id, ConsumptionDaily.day, ConsumptionDaily.quarter_wh
            ).where(
                ConsumptionDaily.site_id.in_(targets),
                ConsumptionDaily.day >= first,
                ConsumptionDaily.day <= last,
            ),
            connection,
        )
        others = pd.read_sql(
            select(NoticeTarget.site_id, Notice.starts_at)
            .join(Notice, Notice.id == NoticeTarget.notice_id)
            .where(
                NoticeTarget.site_id.in_(targets),
                Notice.id != notice_id,
                Notice.state.in_(baseline.EVENT_STATES),
            ),
            connection,
        )
    values, lengths = rollups.decode_quarters(rows["quarter_wh"].tolist())
    rows["day"] = pd.to_datetime(rows["day"]).dt.date
    long = pd.DataFrame(
        {
            "site_id": np.repeat(rows["site_id"].to_numpy(), rollups.MAX_QUARTERS),
            "day": np.repeat(rows["day"].to_numpy(), rollups.MAX_QUARTERS),
            "slot": np.tile(np.arange(rollups.MAX_QUARTERS), len(rows)),
            "wh": values.reshape(-1),
            "length": np.repeat(lengths, rollups.MAX_QUARTERS),
        }
    )
    long = long[long["slot"] < long["length"]]
    midnight = pd.to_datetime(pd.Series(long["day"].unique())).dt.tz_localize(TIMEZONE)
    midnights = dict(zip(long["day"].unique(), midnight, strict=True))
    local = long["day"].map(midnights) + pd.to_timedelta(long["slot"] * 900, unit="s")
    long["minute"] = local.dt.tz_convert(TIMEZONE).dt.hour * 60 + local.dt.minute
    begin = EVENT_HOURS[0] * 60
    long["part"] = np.select(
        [
            (long["minute"] >= begin) & (long["minute"] < EVENT_HOURS[1] * 60),
            (long["minute"] >= begin - 240) & (long["minute"] < begin - 60),
        ],
        ["window", "adjust"],
        "",
    )
    long = long[long["part"] != ""]
    sums = long.groupby(["site_id", "day", "part"])["wh"].sum().unstack("part", fill_value=0)
    sums = sums.reset_index()
    event = sums[sums["day"] == EVENT_DAY].set_index("site_id")
    days = pd.Series(sums["day"].unique())
    like = days[
        days.map(lambda day: day < EVENT_DAY and similar.is_similar(day, EVENT_DAY))
        & (days >= EVENT_DAY - dt.timedelta(days=similar.LOOKBACK_DAYS))
    ]
    others["day"] = pd.to_datetime(others["starts_at"], utc=True).dt.tz_convert(TIMEZONE).dt.date
    candidates = sums[sums["day"].isin(set(like))].merge(
        others[["site_id", "day"]].drop_duplicates(), how="left", indicator=True
    )
    candidates = candidates[candidates["_merge"] == "left_only"].sort_values(
        ["site_id", "day"], ascending=[True, False]
    )
    chosen = candidates[candidates.groupby("site_id").cumcount() < similar.SIMILAR_DAYS]
    base = chosen.groupby("site_id").agg(
        days=("day", "size"), adjust=("adjust", "sum"), window=("window", "sum")
    )
    figures: Figures = {}
    seconds = end_s - start_s
    for site_id, row in base.iterrows():
        if site_id not in event.index:
            continue
        count, actual = int(row["days"]), event.loc[site_id]
        ratio = int(actual["adjust"]) * count / int(row["adjust"]) if row["adjust"] > 0 else 1.0
        ratio = min(max(ratio, 1 - baseline.CAP), 1 + baseline.CAP)
        baseline_wh = int(np.rint(ratio * int(row["window"]) / count))
        reduction_wh = baseline_wh - int(actual["window"])
        figures[str(site_id)] = (
            count,
            ratio,
            baseline_wh,
            int(actual["window"]),
            reduction_wh,
            int(np.rint(reduction_wh * 3600 / seconds)),
        )
    return figures


def run(url: str, sites: int, repeat: int, seed: int) -> None:
    database = Database(url)
    try:
        check_empty(database.engine)
        migrate.upgrade(database.engine)
        seconds, notice_id = timed(lambda: build(database, np.random.default_rng(seed), sites))
        vacuum_analyze(database)
        print(
            f"== {describe(database)}: {sites} sites with 15-minute data, a peak-load warning on"
            f" {EVENT_DAY} {EVENT_HOURS[0]}:00-{EVENT_HOURS[1]}:00 (built in {seconds:.1f} s)"
        )
        steps = {"baseline.measure": domain, "naive pandas (baseline)": naive}
        times: dict[str, list[float]] = {name: [] for name in steps}
        results: dict[str, Figures] = {}
        for _round in range(repeat):
            for name, step in steps.items():
                elapsed, results[name] = timed(lambda step=step: step(database, notice_id))
                times[name].append(elapsed)
        mine, theirs = results["baseline.measure"], results["naive pandas (baseline)"]
        if mine != theirs:
            differ = sorted(
                site for site in mine.keys() | theirs.keys() if mine.get(site) != theirs.get(site)
            )
            raise SystemExit(f"the figures differ at {len(differ)} sites, e.g. {differ[:3]}")
        median = {name: statistics.median(values) for name, values in times.items()}
        for name, values in times.items():
            runs = " ".join(f"{value * 1000:.0f}" for value in values)
            print(f"  {name:28s} {median[name] * 1000:7.0f} ms   runs (ms): {runs}")
        ratio = median["naive pandas (baseline)"] / median["baseline.measure"]
        reduced = sum(figures[4] for figures in mine.values())
        verdict = "meets" if ratio >= TARGET_RATIO else "misses"
        print(
            f"  same figures for all {len(mine)} measured sites (event reduction"
            f" {reduced / 1000:,.0f} kWh); {ratio:.1f}x faster than the naive computation:"
            f" {verdict} the target (>= {TARGET_RATIO}x)"
        )
    finally:
        if not url.startswith("sqlite"):
            empty_tables(database.engine)
        database.dispose()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", help="an empty database (default: temp SQLite file)")
    parser.add_argument("--part", choices=["baseline"], default="baseline")
    parser.add_argument("--sites", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="lounge-bench-") as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'demand.db'}"
        run(url, args.sites, args.repeat, args.seed)


if __name__ == "__main__":
    main()
