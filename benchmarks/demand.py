"""Benchmark of demand management, the issue's benchmark in two parts (``--part``, default both).

**Notices** (``--part notices``): ``--customers`` business customers (default 4,000) in two
regions, one site each and 3 contacts each (e-mail, text message, both; half in Hebrew), and a
quarter as many elsewhere, with 14 days of quarter-hour profiles in the daily rollup. A warning
to the two regions, timed as the median of ``--repeat`` interleaved rounds against a baseline
taken in the same run:

1. the preview (:func:`lounge.demand.targeting.preview`: customers, sites, contacts, channels
   and the load at stake, set-wise) against the naive computation of the same load at stake:
   one query per site for its similar days, decoded and averaged in Python (the totals must
   agree, or the script stops);
2. the issue (:func:`lounge.demand.notices.issue`: targets with their load, every message
   rendered in its reader's language, recipients stored, the outbox written) against a bare
   Core ``INSERT`` of as many prepared outbox rows.

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

    .venv/bin/python -m benchmarks.demand                    # both parts, temporary SQLite files
    .venv/bin/python -m benchmarks.demand --part notices --customers 400   # smoke run
    .venv/bin/python -m benchmarks.demand --part baseline --sites 200      # smoke run
    .venv/bin/python -m benchmarks.demand \\
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench_scratch

A ``--database-url`` database must be empty; it is emptied again after each part.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
from sqlalchemy import delete, insert, select

from benchmarks.classify import check_empty, describe, empty_tables, timed, vacuum_analyze
from benchmarks.notify import _bare_rows
from db import migrate
from db.models import (
    ConsumptionDaily,
    Contact,
    ContactChannel,
    Customer,
    Notice,
    NoticeKind,
    NoticeRecipient,
    NoticeState,
    NoticeTarget,
    Notification,
    Role,
    Site,
    Topic,
)
from db.session import Database
from lounge import localtime, rollups
from lounge.access import Viewer
from lounge.demand import baseline, notices, similar, targeting
from lounge.demand.links import Links
from lounge.demand.notices import Draft
from lounge.demand.targeting import Targeting
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
#: The notices part: a warning on a Tuesday, 14:00 to 18:00, to every customer of two regions.
WARNING = dt.datetime(2026, 7, 14, 14, tzinfo=TIMEZONE)
WARNED_REGIONS = ("North", "South")
LINKS = Links("https://lounge.example", "a secret")


# --- notices: the preview and the issue of a warning to two regions ----------------------


def fill_customers(database: Database, customers: int) -> None:
    """``customers`` customers in the two regions and a quarter as many elsewhere, one site and
    3 contacts each, with 14 days of random quarter-hour profiles."""
    rng = np.random.default_rng(10)
    total = customers + customers // 4
    region = [WARNED_REGIONS[n % 2] if n < customers else "Center" for n in range(total)]
    days = [WARNING.date() - dt.timedelta(days=d) for d in range(1, 15)]
    with database.session() as session:
        session.execute(
            insert(Customer),
            [{"id": f"C{n}", "name": f"Customer {n}", "tax_id": f"T{n}"} for n in range(total)],
        )
        session.execute(
            insert(Site),
            [
                {"id": f"S{n}", "customer_id": f"C{n}", "name": f"Site {n}", "region": region[n]}
                for n in range(total)
            ],
        )
        session.execute(
            insert(Contact),
            [
                {
                    "id": n * 3 + k + 1,
                    "customer_id": f"C{n}",
                    "name": f"Contact {n}-{k}",
                    "email": f"c{n}-{k}@example.com",
                    "phone": f"+97250{n * 3 + k:07d}",
                    "language": "he" if k % 2 else "en",
                    "role": "other",
                }
                for n in range(total)
                for k in range(3)
            ],
        )
        choices = (("email",), ("sms",), ("email", "sms"))
        session.execute(
            insert(ContactChannel),
            [
                {"contact_id": n * 3 + k + 1, "topic": Topic.WARNINGS, "channel": channel}
                for n in range(total)
                for k in range(3)
                for channel in choices[k]
            ],
        )
        for day in days:  # one day at a time: a few MB of profiles per statement
            quarters = rng.integers(500, 5000, size=(total, rollups.MAX_QUARTERS))
            blobs = rollups.encode_quarters(quarters, np.full(total, 96))
            session.execute(
                insert(ConsumptionDaily),
                [
                    {
                        "site_id": f"S{n}",
                        "day": day,
                        "wh": int(quarters[n, :96].sum()),
                        "estimated_wh": 0,
                        "peak_w": 0,
                        "quarter_wh": blobs[n],
                    }
                    for n in range(total)
                ],
            )


def naive_loads(database: Database, sites: list[str]) -> dict[str, int]:
    """The load at stake one site at a time: a query each, decoded and averaged in Python."""
    days = similar.similar_days(WARNING.date(), similar.SIMILAR_DAYS)
    loads = {}
    with database.session() as session:
        for site in sites:
            found = []
            for day, blob in session.execute(
                select(ConsumptionDaily.day, ConsumptionDaily.quarter_wh).where(
                    ConsumptionDaily.site_id == site, ConsumptionDaily.day.in_(days)
                )
            ):
                values = np.frombuffer(blob, dtype="<i4" if len(blob) <= 400 else "<i8")
                midnight = dt.datetime.combine(day, dt.time(), TIMEZONE)
                start = dt.datetime.combine(day, WARNING.timetz().replace(tzinfo=None), TIMEZONE)
                first = int((start - midnight).total_seconds()) // rollups.QUARTER_S
                found.append(values[first : first + 16].sum() / 4)
            if found:
                loads[site] = int(round(float(np.mean(found))))
    return loads


def preview(database: Database, end: dt.datetime) -> targeting.Preview:
    with database.session() as session:
        chosen = Targeting(regions=WARNED_REGIONS)
        return targeting.preview(session, STAFF, chosen, NoticeKind.PEAK_WARNING, WARNING, end)


def draft(database: Database, end: dt.datetime) -> int:
    """A new warning to the two regions, a draft: its id."""
    chosen = Targeting(regions=WARNED_REGIONS)
    with database.session() as session:
        warning = Draft(NoticeKind.PEAK_WARNING, WARNING, end, chosen, level=2, reason="heat")
        return notices.create(session, STAFF, warning).id


def issue(database: Database, notice_id: int) -> notices.Issued:
    """Issue the warning: targets, load at stake, messages rendered, recipients, the outbox."""
    with database.session() as session:
        return notices.issue(session, STAFF, notice_id, LINKS, WARNING - dt.timedelta(days=1))


def bare_insert(database: Database, count: int) -> None:
    """As many prepared outbox rows, one Core INSERT."""
    with database.session() as session:
        session.execute(insert(Notification), _bare_rows(count))


def empty_outbox(database: Database) -> None:
    """Each round issues into the same outbox: the last round's messages go."""
    with database.session() as session:
        session.execute(delete(Notification))
        session.execute(delete(NoticeRecipient))


def run_notices(url: str, customers: int, repeat: int) -> None:
    database = Database(url)
    try:
        check_empty(database.engine)
        migrate.upgrade(database.engine)
        seconds, _ = timed(lambda: fill_customers(database, customers))
        vacuum_analyze(database)
        print(
            f"== {describe(database)}: a warning to {customers} customers of two regions"
            f" (3 contacts each) and {customers // 4} elsewhere (built in {seconds:.1f} s)"
        )
        end = WARNING + dt.timedelta(hours=4)
        sites = [f"S{n}" for n in range(customers)]
        times: dict[str, list[float]] = {
            name: [] for name in ("preview", "naive load", "issue", "bare INSERT")
        }
        for _round in range(repeat):  # interleaved: a busy machine slows both alike
            elapsed, shown = timed(lambda: preview(database, end))
            times["preview"].append(elapsed)
            elapsed, naive = timed(lambda: naive_loads(database, sites))
            times["naive load"].append(elapsed)
            if shown.load_w != sum(naive.values()):
                raise SystemExit(f"the load at stake differs: {shown.load_w} against naive")
            notice_id = draft(database, end)
            elapsed, issued = timed(lambda notice=notice_id: issue(database, notice))
            times["issue"].append(elapsed)
            elapsed, _ = timed(lambda count=issued.messages: bare_insert(database, count))
            times["bare INSERT"].append(elapsed)
            empty_outbox(database)
        median = {name: statistics.median(values) for name, values in times.items()}
        for name, values in times.items():
            runs = " ".join(f"{value * 1000:.0f}" for value in values)
            print(f"  {name:28s} {median[name] * 1000:7.0f} ms   runs (ms): {runs}")
        print(
            f"  preview of {len(shown.customers)} customers, {shown.contacts} contacts:"
            f" {median['naive load'] / median['preview']:.1f}x faster than the naive load at"
            f" stake, same figure ({shown.load_w / 1e6:.1f} MW); issue of {issued.messages}"
            f" messages: {median['issue'] / median['bare INSERT']:.1f}x a bare INSERT"
        )
    finally:
        if not url.startswith("sqlite"):
            empty_tables(database.engine)
        database.dispose()


# --- baseline and reduction ---------------------------------------------------------------


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


def run_baseline(url: str, sites: int, repeat: int, seed: int) -> None:
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
    parser.add_argument("--database-url", help="an empty database (default: temp SQLite files)")
    parser.add_argument("--part", choices=["notices", "baseline", "all"], default="all")
    parser.add_argument("--customers", type=int, default=4000)
    parser.add_argument("--sites", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="lounge-bench-") as tmp:
        if args.part in ("notices", "all"):
            url = args.database_url or f"sqlite:///{Path(tmp) / 'notices.db'}"
            run_notices(url, args.customers, args.repeat)
        if args.part in ("baseline", "all"):
            url = args.database_url or f"sqlite:///{Path(tmp) / 'demand.db'}"
            run_baseline(url, args.sites, args.repeat, args.seed)


if __name__ == "__main__":
    main()
