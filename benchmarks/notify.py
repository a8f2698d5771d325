"""Benchmark of notifications: writing the outbox, sending e-mail through the worker, SMS parts.

Three measurements, each against a baseline taken in the same run:

- **outbox write**: 4,000 customers with 3 contacts each enter the lounge; the welcome messages
  (12,000, rendered in each contact's language) are written by :func:`lounge.notify.membership
  .announce` in one transaction, against a bare Core ``INSERT`` of 12,000 prepared rows.
- **e-mail send rate**: the worker (:func:`lounge.notify.outbox.drain`) sends queued e-mails to
  a local SMTP server (aiosmtpd, the sandbox), against that server's own acceptance rate: plain
  ``smtplib`` handing it the same number of ready messages over one connection. Target: the
  worker reaches half.
- **SMS segmenting**: :func:`lounge.notify.sms.segment` over 12,000 mixed English and Hebrew texts,
  against encoding the same texts to UTF-16.

Usage::

    .venv/bin/python -m benchmarks.notify             # 4,000 customers, 12,000 messages
    .venv/bin/python -m benchmarks.notify --customers 400
    .venv/bin/python -m benchmarks.notify --database-url postgresql+psycopg://.../bench_scratch
"""

from __future__ import annotations

import argparse
import datetime as dt
import smtplib
import sys
import tempfile
import time
from email.message import EmailMessage
from pathlib import Path

from sqlalchemy import delete, func, insert, select

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
from lounge.notify import membership, outbox, sms  # noqa: E402
from lounge.notify.channels import senders  # noqa: E402
from lounge.notify.email import SmtpServer  # noqa: E402
from lounge.notify.sandbox import SmsSandbox, serve_mail  # noqa: E402
from tests.factories import free_port  # noqa: E402

D = dt.date


def _timed(action) -> float:  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


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


def _server_rate(port: int, count: int) -> float:
    """Messages per second the SMTP server accepts from plain smtplib over one connection."""
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = "a@example.com", "b@example.com", "x"
    message.set_content("Hello " * 100)

    def send_all() -> None:
        with smtplib.SMTP("127.0.0.1", port, "localhost") as smtp:
            for n in range(count):
                del message["Message-ID"]
                message["Message-ID"] = f"<baseline-{n}@example.com>"
                smtp.send_message(message)

    return count / _timed(send_all)


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

            folder = Path(scratch) / "mail"
            controller = serve_mail(folder, free_port())
            try:
                server = SmtpServer("127.0.0.1", controller.port, "lounge@example.com")
                sample = min(messages, 2000)
                baseline = _server_rate(controller.port, sample)
                with database.session() as session:  # the worker drains ``sample`` messages
                    keep = select(Notification.id).order_by(Notification.id).limit(sample)
                    session.execute(
                        delete(Notification).where(Notification.id.not_in(keep.scalar_subquery()))
                    )
                chosen = senders(server, SmsSandbox(Path(scratch) / "sms"))
                seconds = _timed(lambda: outbox.drain(database, chosen, "bench", batch=100))
                with database.session() as session:
                    sent = session.scalar(select(func.count()).where(Notification.status == "sent"))
                rate = (sent or 0) / seconds
                print(
                    f"e-mail send   {sample} messages: worker {rate:.0f}/s, "
                    f"server accepts {baseline:.0f}/s, ratio {rate / baseline:.2f} "
                    f"(target >= 0.5)"
                )
            finally:
                controller.stop()

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
