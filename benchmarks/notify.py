"""Benchmark of notifications: writing the outbox, sending e-mail through the worker, SMS parts.

Three measurements, each against a baseline taken in the same run:

- **outbox write**: 4,000 customers with 3 contacts each enter the lounge; the welcome messages
  (12,000, rendered in each contact's language) are written by :func:`lounge.notify.membership
  .announce` in one transaction, against a bare Core ``INSERT`` of 12,000 prepared rows.
- **e-mail send rate**: the worker (:func:`lounge.notify.outbox.drain`, ``--connections`` SMTP
  connections at once, batches of 100, the PDFs of a batch rendered ahead on a thread of their
  own as :func:`lounge.notify.worker.drain_once` does) sends all 12,000 queued welcome
  e-mails, each with its "membership and why" PDF rendered at sending, to the local SMTP server
  (aiosmtpd, the sandbox, in a process of its own as a real server is), against that server's
  own acceptance rate:
  plain ``smtplib`` handing it ready-made copies of the same messages (``--baseline-sample`` of
  them) over as many connections, measured before and after the worker (the machine's load
  drifts; their mean is the baseline). Target: the worker reaches half. Also printed: the CPU
  per message of the worker's process (all its threads) and of the server (during the first
  baseline), which explain the ratio on a machine whose other load varies. ``--plain`` sends
  the messages without their PDF; ``--profile`` prints where the worker's time goes (its main
  thread only: the sending and rendering threads show as waits).
- **SMS segmenting**: :func:`lounge.notify.sms.segment` over 12,000 mixed English and Hebrew texts,
  against encoding the same texts to UTF-16.

Usage::

    .venv/bin/python -m benchmarks.notify             # 4,000 customers, 12,000 messages
    .venv/bin/python -m benchmarks.notify --customers 400 --connections 1 --profile
    .venv/bin/python -m benchmarks.notify --database-url postgresql+psycopg://.../bench_scratch
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import multiprocessing
import pstats
import smtplib
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import Any

import psutil
from sqlalchemy import delete, func, insert, select, update

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from db import migrate  # noqa: E402 - after the path set-up for a plain run
from db.models import (  # noqa: E402
    Base,
    ClassificationRun,
    Contact,
    ContactChannel,
    Customer,
    Notification,
    Topic,
    VipEvent,
)
from db.session import Database  # noqa: E402
from lounge.notify import attachments, email, membership, outbox, sms  # noqa: E402
from lounge.notify.channels import as_email, senders  # noqa: E402
from lounge.notify.email import SmtpServer  # noqa: E402
from lounge.notify.sandbox import SmsSandbox, serve_mail  # noqa: E402
from tests.factories import free_port  # noqa: E402

D = dt.date
FROM = "lounge@example.com"


def _timed(action) -> float:  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def _cpu_timed(action) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    """Wall and CPU seconds (this process's, all its threads) of ``action``."""
    cpu = time.process_time()
    wall = _timed(action)
    return wall, time.process_time() - cpu


def _fill(database: Database, customers: int) -> int:
    """Customers, 3 e-mail contacts each, and a run whose events make all of them enter."""
    with database.session() as session:
        session.execute(
            insert(Customer),
            [{"id": f"C{n}", "name": f"Customer {n}", "tax_id": f"T{n}"} for n in range(customers)],
        )
        contacts = [
            {
                "customer_id": f"C{n}",
                "name": f"Contact {n}-{k}",
                "email": f"c{n}-{k}@example.com",
                "language": "he" if k % 2 else "en",
            }
            for n in range(customers)
            for k in range(3)
        ]
        ids = session.scalars(
            insert(Contact).returning(Contact.id, sort_by_parameter_order=True), contacts
        ).all()
        session.execute(
            insert(ContactChannel),
            [{"contact_id": i, "topic": Topic.MEMBERSHIP, "channel": "email"} for i in ids],
        )
        run = ClassificationRun(
            as_of=D(2026, 12, 1),
            window_start=D(2025, 12, 1),
            window_end=D(2026, 11, 30),
            customers=customers,
            members=customers,
            entered=customers,
            exited=0,
            actor="bench",
        )
        session.add(run)
        session.flush()
        session.execute(
            insert(VipEvent),
            [
                {
                    "customer_id": f"C{n}",
                    "event": "enter",
                    "effective_date": D(2026, 12, 1),
                    "rule": "site",
                    "window_start": D(2025, 12, 1),
                    "window_end": D(2026, 11, 30),
                    "window_wh": 1_200_000_000,
                    "max_site_wh": 1_100_000_000,
                    "max_site_id": None,
                    "run_id": run.id,
                }
                for n in range(customers)
            ],
        )
        return run.id


def _cpu_of(pid: int | None) -> float:
    """CPU seconds process ``pid`` has used so far."""
    times = psutil.Process(pid).cpu_times()
    return times.user + times.system


def _bare_rows(count: int) -> list[dict[str, object]]:
    now = dt.datetime.now(dt.UTC)
    return [
        {
            "key": f"bare-{n}",
            "topic": "membership",
            "kind": "welcome",
            "source": "bench",
            "channel": "email",
            "language": "en",
            "recipient": f"c{n}@example.com",
            "subject": "Welcome",
            "body": "Hello " * 100,
            "status": "queued",
            "attempts": 0,
            "next_attempt_at": now,
            "created_at": now,
        }
        for n in range(count)
    ]


def _serve(folder: Path, port: int, ready: Any, stop: Any) -> None:
    """The local mail server (the sandbox the demo uses) in a process of its own, as a real
    one would be: it does not share the worker's interpreter lock."""
    controller = serve_mail(folder, port)
    ready.set()
    stop.wait()
    controller.stop()


def _baseline_rate(port: int, messages: list[tuple[str, bytes]], connections: int) -> float:
    """Messages per second the server accepts from plain smtplib handing it ready-made
    messages (the very bytes the worker sends) over ``connections`` connections at once."""
    shares = [messages[n::connections] for n in range(connections)]

    def send_share(share: list[tuple[str, bytes]]) -> None:
        with smtplib.SMTP("127.0.0.1", port, "localhost") as smtp:
            for to, raw in share:
                smtp.sendmail("lounge@example.com", [to], raw)

    def send_all() -> None:
        with ThreadPoolExecutor(connections) as pool:
            list(pool.map(send_share, shares))

    return len(messages) / _timed(send_all)


def _ready_made(database: Database, count: int) -> list[tuple[str, bytes]]:
    """The first ``count`` queued e-mails as the worker would write them, under other keys (the
    server keeps one copy per Message-ID, and the worker's must still be new to it)."""
    with database.session() as session:
        rows = session.scalars(
            select(Notification).where(Notification.channel == "email").order_by(Notification.id)
        ).all()[:count]
        return [
            (row.recipient, email.as_bytes(replace(as_email(row), key=f"baseline-{row.key}"), FROM))
            for row in rows
        ]


def _send_rate(
    database: Database, port: int, connections: int, profile: bool
) -> tuple[float, float, int, dict[str, int]]:
    """The worker draining every queued e-mail: messages per second, the worker's CPU
    milliseconds per message, how many, and by status."""
    chosen = senders(SmtpServer("127.0.0.1", port, FROM), SmsSandbox(Path(tempfile.mkdtemp())))

    def drain() -> None:
        with attachments.rendering_ahead() as prepare:
            outbox.drain(
                database, chosen, "bench", batch=100, connections=connections, prepare=prepare
            )

    if profile:
        profiler = cProfile.Profile()
        seconds, cpu = _cpu_timed(lambda: profiler.runcall(drain))
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)
    else:
        seconds, cpu = _cpu_timed(drain)
    with database.session() as session:
        statuses = dict(
            session.execute(
                select(Notification.status, func.count())
                .where(Notification.channel == "email")
                .group_by(Notification.status)
            ).all()
        )
    sent = statuses.get("sent", 0)
    return sent / seconds, cpu * 1000 / max(sent, 1), sent, statuses


def _email_rates(
    database: Database, scratch: Path, connections: int, sample: int, profile: bool
) -> None:
    """Baseline, worker, baseline again (the machine's load drifts: the mean of the two)."""
    context = multiprocessing.get_context("spawn")
    ready, stop = context.Event(), context.Event()
    port = free_port()
    server = context.Process(target=_serve, args=(scratch / "mail", port, ready, stop))
    server.start()
    try:
        if not ready.wait(60):
            raise RuntimeError("the mail server did not start")
        ready_made = _ready_made(database, sample)
        size = sum(len(raw) for _to, raw in ready_made) // max(len(ready_made), 1)
        server_cpu = _cpu_of(server.pid)
        before = _baseline_rate(port, ready_made, connections)
        server_ms = (_cpu_of(server.pid) - server_cpu) * 1000 / len(ready_made)
        rate, cpu_ms, sent, statuses = _send_rate(database, port, connections, profile)
        after = _baseline_rate(
            port,
            [(to, raw.replace(b"baseline-", b"again-", 1)) for to, raw in ready_made],
            connections,
        )
    finally:
        stop.set()
        server.join(60)
    baseline = (before + after) / 2
    print(
        f"e-mail send   {sent} messages of ~{size // 1024} KB, {connections} connections: "
        f"worker {rate:.0f}/s, server accepts {baseline:.0f}/s "
        f"({before:.0f} before, {after:.0f} after), ratio {rate / baseline:.2f} (target >= 0.5)\n"
        f"              CPU a message: worker {cpu_ms:.1f} ms, server {server_ms:.1f} ms"
    )
    if set(statuses) != {"sent"}:
        print(f"              not all sent: {statuses}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=4000)
    parser.add_argument("--database-url")
    parser.add_argument("--connections", type=int, default=4, help="SMTP connections at once")
    parser.add_argument(
        "--baseline-sample", type=int, default=3000, help="messages the baseline hands over"
    )
    parser.add_argument("--plain", action="store_true", help="send the e-mails without their PDF")
    parser.add_argument("--profile", action="store_true", help="profile the worker's drain")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        url = args.database_url or f"sqlite:///{scratch}/bench.db"
        database = Database(url)
        migrate.upgrade(database.engine)
        try:
            run_id = _fill(database, args.customers)
            messages = args.customers * 3
            with database.session() as session:
                bare = _timed(lambda: session.execute(insert(Notification), _bare_rows(messages)))
                session.execute(delete(Notification))
            with database.session() as session:
                written = _timed(lambda: membership.announce(session, run_id, "https://x"))
            print(
                f"outbox write  {messages} messages: announce {written:.2f} s, "
                f"bare INSERT {bare:.2f} s, ratio {written / bare:.1f}"
            )
            if args.plain:
                with database.session() as session:
                    session.execute(update(Notification).values(attachment=None))
            _email_rates(
                database, Path(scratch), args.connections, args.baseline_sample, args.profile
            )

            texts = [
                ("Your account manager Avi Levi will call you about the peak warning " * 3)[
                    : 60 + n % 200
                ]
                if n % 2
                else ("התראת עומס שיא באזורכם מחר בין 17:00 ל־20:00, נא להפחית צריכה " * 3)[
                    : 40 + n % 150
                ]
                for n in range(messages)
            ]
            segmenting = _timed(lambda: [sms.segment(text) for text in texts])
            encoding = _timed(lambda: [text.encode("utf-16-le") for text in texts])
            print(
                f"SMS segment   {messages} texts: {messages / segmenting:.0f}/s, "
                f"UTF-16 encode {messages / encoding:.0f}/s, ratio {segmenting / encoding:.0f}"
            )
        finally:
            with database.session() as session:
                for table in reversed(Base.metadata.sorted_tables):
                    session.execute(table.delete())
            database.dispose()


if __name__ == "__main__":
    main()
