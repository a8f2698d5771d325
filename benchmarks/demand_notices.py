"""Benchmark of demand notices: the preview and the issue of a warning to two whole regions.

4,000 business customers in two regions (one site each, 3 contacts each: e-mail, text message,
both; half in Hebrew) and 1,000 elsewhere, with 14 days of quarter-hour profiles in the daily
rollup. Each measurement against a baseline taken in the same run:

- **preview** (:func:`lounge.demand.targeting.preview`: customers, sites, contacts, channels and
  the load at stake, set-wise) against the naive computation of the same load at stake: one query
  per site for its similar days, decoded and averaged in Python. The figures must agree.
- **issue** (:func:`lounge.demand.notices.issue`: targets with their load, every message
  rendered in its reader's language, recipients stored, the outbox written) against a bare Core
  ``INSERT`` of as many prepared outbox rows.

Usage::

    .venv/bin/python -m benchmarks.demand_notices
    .venv/bin/python -m benchmarks.demand_notices --customers 400
    .venv/bin/python -m benchmarks.demand_notices --database-url postgresql+psycopg://.../scratch
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from sqlalchemy import delete, insert, select

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.notify import _bare_rows  # noqa: E402
from db import migrate  # noqa: E402 - after the path set-up for a plain run
from db.models import (  # noqa: E402
    Base,
    ConsumptionDaily,
    Contact,
    ContactChannel,
    Customer,
    NoticeRecipient,
    Notification,
    Role,
    Site,
    Topic,
)
from db.session import Database  # noqa: E402
from lounge import rollups  # noqa: E402
from lounge.access import Viewer  # noqa: E402
from lounge.demand import notices, similar, targeting  # noqa: E402
from lounge.demand.links import Links  # noqa: E402
from lounge.demand.notices import Draft  # noqa: E402
from lounge.demand.targeting import Targeting  # noqa: E402
from lounge.settings import TIMEZONE  # noqa: E402

STAFF = Viewer(1, "bench@example.com", Role.DEMAND_STAFF)
EVENT = dt.datetime(2026, 7, 14, 14, tzinfo=TIMEZONE)  # a Tuesday, 14:00 to 18:00
REGIONS = ("North", "South")
ROUNDS = 3
LINKS = Links("https://lounge.example", "a secret")


def _timed(action) -> float:  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def _fill(database: Database, customers: int) -> None:
    rng = np.random.default_rng(10)
    total = customers + customers // 4
    region = [REGIONS[n % 2] if n < customers else "Center" for n in range(total)]
    days = [EVENT.date() - dt.timedelta(days=d) for d in range(1, 15)]
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
            profiles = rng.integers(500, 5000, size=(total, rollups.MAX_QUARTERS))
            lengths = np.full(total, 96)
            blobs = rollups.encode_quarters(profiles, lengths)
            session.execute(
                insert(ConsumptionDaily),
                [
                    {
                        "site_id": f"S{n}",
                        "day": day,
                        "wh": int(profiles[n, :96].sum()),
                        "estimated_wh": 0,
                        "peak_w": 0,
                        "quarter_wh": blobs[n],
                    }
                    for n in range(total)
                ],
            )


def _naive_loads(database: Database, site_ids: list[str]) -> dict[str, int]:
    """The load at stake one site at a time: a query each, decoded and averaged in Python."""
    days = similar.similar_days(EVENT.date(), similar.SIMILAR_DAYS)
    loads = {}
    with database.session() as session:
        for site in site_ids:
            found = []
            for day, blob in session.execute(
                select(ConsumptionDaily.day, ConsumptionDaily.quarter_wh).where(
                    ConsumptionDaily.site_id == site, ConsumptionDaily.day.in_(days)
                )
            ):
                values = np.frombuffer(blob, dtype="<i4" if len(blob) <= 400 else "<i8")
                midnight = dt.datetime.combine(day, dt.time(), TIMEZONE)
                start = dt.datetime.combine(day, EVENT.timetz().replace(tzinfo=None), TIMEZONE)
                first = int((start - midnight).total_seconds()) // rollups.QUARTER_S
                found.append(values[first : first + 16].sum() / 4)
            if found:
                loads[site] = int(round(float(np.mean(found))))
    return loads


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=4000)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        url = args.database_url or f"sqlite:///{scratch}/bench.db"
        database = Database(url)
        migrate.upgrade(database.engine)
        try:
            _fill(database, args.customers)
            chosen = Targeting(regions=REGIONS)
            end = EVENT + dt.timedelta(hours=4)
            sites = [f"S{n}" for n in range(args.customers)]
            shown: list[targeting.Preview] = []
            naive: list[dict[str, int]] = []
            previews, baselines = [], []
            for _round in range(ROUNDS):  # interleaved: a busy machine slows both alike
                with database.session() as session:
                    previews.append(
                        _timed(
                            lambda s=session: shown.append(
                                targeting.preview(s, STAFF, chosen, "peak_warning", EVENT, end)
                            )
                        )
                    )
                baselines.append(_timed(lambda: naive.append(_naive_loads(database, sites))))
            seconds, baseline = statistics.median(previews), statistics.median(baselines)
            same = shown[0].load_w == sum(naive[0].values())
            print(
                f"preview     {len(shown[0].customers)} customers, {shown[0].contacts} contacts: "
                f"{seconds:.2f} s; naive load per site {baseline:.2f} s, "
                f"ratio {baseline / seconds:.1f}x faster; same load at stake: {same} "
                f"({shown[0].load_w / 1e6:.1f} MW)"
            )
            issues, bares = [], []
            issued: list[notices.Issued] = []
            for _round in range(ROUNDS):
                with database.session() as session:
                    notice_id = notices.create(
                        session,
                        STAFF,
                        Draft("peak_warning", EVENT, end, chosen, level=2, reason="heat"),
                    ).id
                with database.session() as session:
                    issues.append(
                        _timed(
                            lambda s=session, n=notice_id: issued.append(
                                notices.issue(s, STAFF, n, LINKS, EVENT - dt.timedelta(days=1))
                            )
                        )
                    )
                count = issued[-1].messages
                with database.session() as session:
                    bares.append(
                        _timed(
                            lambda s=session, c=count: s.execute(
                                insert(Notification), _bare_rows(c)
                            )
                        )
                    )
                    session.execute(delete(Notification).where(Notification.source == "bench"))
                    # each round issues into the same outbox: the last round's messages go
                    session.execute(delete(Notification))
                    session.execute(delete(NoticeRecipient))
            seconds, bare = statistics.median(issues), statistics.median(bares)
            print(
                f"issue       {issued[0].sites} sites, {issued[0].messages} messages: "
                f"{seconds:.2f} s; bare INSERT {bare:.2f} s, ratio {seconds / bare:.1f}"
            )
        finally:
            with database.session() as session:
                for table in reversed(Base.metadata.sorted_tables):
                    session.execute(table.delete())
            database.dispose()


if __name__ == "__main__":
    main()
