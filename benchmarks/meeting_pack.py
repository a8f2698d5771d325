"""Benchmark of the meeting pack of the 40-site demo chain, against its consumption report PDF.

Fills a temporary SQLite database with the demo data (``--customers``, default 20; the
40-site chain ``db.demo.CHAIN_ID`` is always there) and times, as its account manager,
:func:`lounge.meeting_pack.pdf` (every part read and the PDF rendered, in English and in
Hebrew) and, as the baseline, the consumption report PDF of the same customer over the same 12
months (:func:`lounge.reporting.build` then :func:`reports.report.build_report`). Rounds
interleave; it prints the medians and the ratio to the baseline. Target: the pack <= 0.3 s.

Usage::

    .venv/bin/python -m benchmarks.meeting_pack               # 7 rounds
    .venv/bin/python -m benchmarks.meeting_pack --rounds 15 --profile
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import select

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from db import demo, migrate  # noqa: E402 - after the path set-up for a plain run
from db.models import User  # noqa: E402
from db.session import Database  # noqa: E402
from lounge import localtime, meeting_pack, reporting  # noqa: E402
from lounge.access import Viewer  # noqa: E402
from reports.report import build_report  # noqa: E402

TARGET_S = 0.3


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--profile", action="store_true", help="cProfile one English pack")
    args = parser.parse_args()

    today = localtime.today()
    with tempfile.TemporaryDirectory() as scratch:
        database = Database(f"sqlite:///{Path(scratch) / 'pack.db'}")
        migrate.upgrade(database.engine)
        print(f"generating demo data ({args.customers} customers)...", flush=True)
        demo.generate(database, customers=args.customers, seed=args.seed, today=today)
        with database.session() as session:
            manager = session.scalars(select(User).where(User.email == "manager@demo.lounge")).one()
            viewer = Viewer.of(manager)
            year = meeting_pack.Year.before(today)
            request = reporting.ReportRequest("consumption", demo.CHAIN_ID, year.first, year.end)

            def pack(language: str) -> Callable[[], bytes]:
                return lambda: build_report(
                    meeting_pack.build(session, viewer, demo.CHAIN_ID, today, language)
                )

            def report() -> bytes:
                return build_report(reporting.build(session, viewer, request, "en"))

            runs = {
                "baseline: consumption report PDF": report,
                "meeting pack, English": pack("en"),
                "meeting pack, Hebrew": pack("he"),
            }
            for run in runs.values():
                run()  # warm up: fonts, catalogs, the database's pages
            timings: dict[str, list[float]] = {name: [] for name in runs}
            for _round in range(args.rounds):
                for name, run in runs.items():
                    start = time.perf_counter()
                    run()
                    timings[name].append(time.perf_counter() - start)
            if args.profile:
                profiler = cProfile.Profile()
                profiler.runcall(pack("en"))
                pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)
        database.dispose()

    baseline = statistics.median(timings["baseline: consumption report PDF"])
    print(f"\n{'run':<36}{'median s':>10}{'max s':>8}{'ratio':>8}")
    for name, seconds in timings.items():
        median = statistics.median(seconds)
        print(f"{name:<36}{median:>10.3f}{max(seconds):>8.3f}{median / baseline:>8.1f}")
    print(f"\n{args.rounds} rounds, customer {demo.CHAIN_ID} (40 sites), target <= {TARGET_S} s")


if __name__ == "__main__":
    main()
