"""Benchmark of the readings import (the ``python -m lounge import readings`` path).

Generates a CSV of ``--rows`` 15-minute readings (default 1,000,000: 100 sites
of ~104 days each, naive Israel wall times, so the parser localises every time
and the autumn DST change is crossed), imports it into a fresh database through
:func:`lounge.ingest.import_file` in one committed session (as the CLI does),
then imports the very same file again (every row unchanged: nothing written).

Printed, in seconds:

1. baseline: ``pandas.read_csv`` of the same file (parsing only, no checks, no
   database; the best of three), measured in the same run so that the ratios
   depend less on the machine;
2. the first import (parse, validate, compare with stored readings, write the
   rows, build the daily and monthly rollups, commit);
3. the re-import (parse, validate, compare: all unchanged);

and each import's ratio to the baseline. This is a measurement, not a test:
nothing is asserted.

Usage::

    .venv/bin/python -m benchmarks.import_readings
    .venv/bin/python -m benchmarks.import_readings --rows 100000
    .venv/bin/python -m benchmarks.import_readings \\
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench_scratch

A ``--database-url`` database must be empty (a scratch database); by default a
SQLite file in a temporary directory is used and removed afterwards.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import pandas as pd
from sqlalchemy import func, select

from db import migrate
from db.models import ConsumptionDaily, ConsumptionMonthly, Reading
from db.session import Database
from lounge import ingest
from lounge.ingest.summary import ImportSummary
from lounge.settings import TIMEZONE

#: The first reading: two months before the autumn DST change of 2025.
FIRST = pd.Timestamp("2025-08-26T00:00:00", tz=TIMEZONE)


def write_files(directory: Path, rows: int, sites: int, times: str) -> dict[str, Path]:
    """customers.csv, sites.csv and readings.csv (``rows`` quarter hours).

    ``times`` is ``local`` (naive Israel wall times) or ``utc`` (``...Z``).
    """
    per_site = -(-rows // sites)
    starts = pd.date_range(FIRST, periods=per_site + 1, freq="15min")
    if times == "utc":
        wall = starts.tz_convert("UTC").strftime("%Y-%m-%dT%H:%M:%SZ").tolist()
    else:
        wall = starts.tz_convert(TIMEZONE).strftime("%Y-%m-%dT%H:%M:%S").tolist()
    intervals = [f"{wall[i]},{wall[i + 1]}" for i in range(per_site)]
    customers = directory / "customers.csv"
    customers.write_text(
        "customer_id,name,tax_id\n"
        + "".join(f"C{n:04d},Customer {n},T{n:06d}\n" for n in range(sites // 4 + 1))
    )
    site_file = directory / "sites.csv"
    site_file.write_text(
        "site_id,customer_id,name,region\n"
        + "".join(f"S{n:05d},C{n // 4:04d},Site {n},North\n" for n in range(sites))
    )
    readings = directory / "readings.csv"
    written = 0
    with readings.open("w") as out:
        out.write("site_id,start,end,kwh\n")
        for n in range(sites):
            count = min(per_site, rows - written)
            kwh = [f"{(n * 7 + i) % 400 / 4:.2f}" for i in range(count)]
            out.write("".join(f"S{n:05d},{intervals[i]},{kwh[i]}\n" for i in range(count)))
            written += count
    return {"customers": customers, "sites": site_file, "readings": readings}


def timed(action: Callable[[], object]) -> tuple[float, object]:
    started = time.perf_counter()
    result = action()
    return time.perf_counter() - started, result


def import_file(database: Database, kind: str, path: Path) -> ImportSummary:
    """What ``python -m lounge import KIND PATH`` does, minus the process start."""
    with database.session() as session:
        return ingest.import_file(session, kind, path.read_bytes(), path.name, "benchmark")


def table_sizes(database: Database) -> str:
    with database.session() as session:
        counts = [
            f"{model.__tablename__}={session.scalar(select(func.count()).select_from(model)):,}"
            for model in (Reading, ConsumptionDaily, ConsumptionMonthly)
        ]
    return ", ".join(counts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--sites", type=int, default=100)
    parser.add_argument("--times", choices=["local", "utc"], default="local")
    parser.add_argument("--database-url", help="an empty scratch database (default: SQLite)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="lounge-import-bench-") as tmp:
        directory = Path(tmp)
        generate_s, files = timed(lambda: write_files(directory, args.rows, args.sites, args.times))
        size_mb = files["readings"].stat().st_size / 1e6
        print(f"generated {args.rows:,} rows for {args.sites} sites, {args.times} times "
              f"({size_mb:.1f} MB) in {generate_s:.1f} s")  # fmt: skip

        url = args.database_url or f"sqlite:///{directory / 'bench.db'}"
        database = Database(url)
        try:
            migrate.upgrade(database.engine)
            import_file(database, "customers", files["customers"])
            import_file(database, "sites", files["sites"])

            # the best of three: the baseline should not carry a noisy neighbour's pause
            baseline_s = min(timed(lambda: pd.read_csv(files["readings"]))[0] for _ in range(3))
            first_s, first = timed(lambda: import_file(database, "readings", files["readings"]))
            again_s, again = timed(lambda: import_file(database, "readings", files["readings"]))
        finally:
            sizes = table_sizes(database)
            database.dispose()

    print(f"database: {url.split('://')[0]}; after the imports: {sizes}")
    print(f"first import: {first}")
    print(f"re-import:    {again}")
    print(f"{'pandas.read_csv (baseline)':<28}{baseline_s:8.2f} s")
    print(f"{'first import':<28}{first_s:8.2f} s   x{first_s / baseline_s:5.1f} baseline")
    print(
        f"{'re-import (all unchanged)':<28}{again_s:8.2f} s   x{again_s / baseline_s:5.1f} baseline"
    )
    print(f"throughput: first {args.rows / first_s:,.0f} rows/s, "
          f"re-import {args.rows / again_s:,.0f} rows/s")  # fmt: skip


if __name__ == "__main__":
    main()
