"""Back-test of the entry and exit forecast on the demo history, and its cost on a portfolio.

Generates the demo data (``--customers``, ``--seed``, anchored to ``--today``)
into a temporary SQLite file (or the empty scratch database of
``--database-url``, left filled), then:

1. the **back-test** (:func:`lounge.forecast.backtest`): for every monthly
   classification run of the demo's year of history and every origin 1 to
   ``--horizon`` months before it, each customer is forecast from the data
   before the origin, and its projected status is compared with what the
   classification recorded. It prints the hit rate over all checks, and over
   the checks whose real status changed between the origin and the month
   (entries and exits: the hard part);
2. the **cost** of the forecast of every customer (an administrator's
   portfolio, :func:`lounge.forecast.portfolio`) against a baseline measured
   in the same run: the portfolio's membership figures
   (:func:`lounge.membership.memberships`), which read the same rollup for one
   window. Rounds alternate; medians and their ratio are printed.

Usage::

    .venv/bin/python -m benchmarks.forecast                   # 100 customers
    .venv/bin/python -m benchmarks.forecast --customers 300 --horizon 6
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from db import demo, migrate  # noqa: E402 - after the path set-up for a plain run
from db.session import Database  # noqa: E402
from lounge import access, forecast, membership  # noqa: E402


def _median_seconds(work: Callable[[], object], rounds: int) -> float:
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def run(database: Database, args: argparse.Namespace) -> None:
    started = time.perf_counter()
    demo.generate(database, customers=args.customers, seed=args.seed, today=args.today)
    print(f"demo data: {args.customers} customers in {time.perf_counter() - started:.1f} s")
    with database.session() as session:
        result = forecast.backtest(session, access.SYSTEM, args.horizon)
        print(
            f"back-test, horizon {args.horizon} months: {result.hits} of {result.checked} "
            f"statuses right, hit rate {result.rate:.3f}"
        )
        print(
            f"  of which real entries and exits: {result.changes_hit} of {result.changes}, "
            f"hit rate {result.change_rate:.3f}"
        )
        forecasts, figures = [], []
        for _ in range(args.rounds):  # interleaved, so that a busy machine slows both
            forecasts.append(_median_seconds(lambda: forecast.portfolio(session, access.SYSTEM), 1))
            figures.append(
                _median_seconds(lambda: membership.memberships(session, access.SYSTEM), 1)
            )
    ours, base = statistics.median(forecasts), statistics.median(figures)
    print(f"portfolio forecast (every customer): {ours * 1000:.1f} ms")
    print(f"baseline, portfolio membership figures: {base * 1000:.1f} ms")
    print(f"ratio forecast / baseline: {ours / base:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--customers", type=int, default=100)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--today", type=dt.date.fromisoformat, default=dt.date(2026, 5, 14))
    parser.add_argument("--horizon", type=int, default=forecast.SOON)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = args.database_url or f"sqlite:///{Path(folder) / 'forecast.db'}"
        database = Database(url)
        try:
            migrate.upgrade(database.engine)
            run(database, args)
        finally:
            database.dispose()


if __name__ == "__main__":
    main()
