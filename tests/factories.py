"""Small builders for test data: master data rows and CSV files in memory."""

from __future__ import annotations

import datetime as dt
import socket

import numpy as np
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db.models import (
    AuditLog,
    ConsumptionDaily,
    ConsumptionMonthly,
    Customer,
    ImportBatch,
    Reading,
    Site,
)
from db.session import Database
from lounge import ingest
from lounge.access import Viewer
from lounge.ingest.problems import ImportRejected
from lounge.ingest.summary import ImportSummary
from lounge.localtime import local_midnight_s
from lounge.rollups import ReadingFrame
from lounge.settings import TIMEZONE

READINGS_HEADER = "site_id,start,end,kwh"


def add_customer(session: Session, customer_id: str, *site_ids: str, region: str = "North") -> None:
    """A customer with sites ``site_ids`` (committed by the caller's session)."""
    session.add(Customer(id=customer_id, name=f"Customer {customer_id}", tax_id=f"T{customer_id}"))
    for site_id in site_ids:
        session.add(
            Site(id=site_id, customer_id=customer_id, name=f"Site {site_id}", region=region)
        )
    session.flush()


def reading_frame(
    *readings: tuple[str, int, int, int] | tuple[str, int, int, int, bool],
) -> ReadingFrame:
    """Readings (site, start_s, end_s, wh[, estimated]), as :func:`lounge.rollups.compute` takes."""
    return ReadingFrame(
        np.array([r[0] for r in readings], dtype=object),
        np.array([r[1] for r in readings], dtype=np.int64),
        np.array([r[2] for r in readings], dtype=np.int64),
        np.array([r[3] for r in readings], dtype=np.int64),
        np.array([r[4] if len(r) == 5 else False for r in readings], dtype=bool),
    )


def csv_bytes(header: str, *rows: str) -> bytes:
    return ("\n".join([header, *rows]) + "\n").encode()


def month_reads(site_id: str, year: int, kwh_by_month: dict[int, str]) -> list[str]:
    """Monthly billing reads ``site_id,start,end,kwh`` with local-date boundaries."""
    rows = []
    for month, kwh in sorted(kwh_by_month.items()):
        start = dt.date(year, month, 1)
        end = dt.date(year + (month == 12), month % 12 + 1, 1)
        rows.append(f"{site_id},{start.isoformat()},{end.isoformat()},{kwh}")
    return rows


def local_s(year: int, month: int, day: int) -> int:
    return local_midnight_s(dt.date(year, month, day))


# --- instants -----------------------------------------------------------------------


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=dt.UTC)


def seconds(moment: dt.datetime) -> int:
    return int(moment.timestamp())


def zulu(moment: dt.datetime) -> str:
    """``2025-01-01T00:00:00Z``: an instant written with Z."""
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def naive_local(moment: dt.datetime) -> str:
    """Israel wall time of an instant, without an offset (as a naive exporter writes it)."""
    return moment.astimezone(TIMEZONE).replace(tzinfo=None).isoformat()


def quarter_hours(
    site_id: str,
    first: dt.datetime,
    count: int,
    kwh: str = "0.25",
    write=zulu,
    minutes: int = 15,
) -> list[str]:
    """``count`` consecutive readings of ``minutes`` from the instant ``first``."""
    step = dt.timedelta(minutes=minutes)
    return [
        f"{site_id},{write(first + i * step)},{write(first + (i + 1) * step)},{kwh}"
        for i in range(count)
    ]


# --- imports ------------------------------------------------------------------------


def import_bytes(db: Database, kind: str, data: bytes, filename: str = "file.csv") -> ImportSummary:
    """Import in one committed transaction, as the CLI does."""
    with db.session() as session:
        return ingest.import_file(session, kind, data, filename, "test")


def import_rows(db: Database, kind: str, header: str, *rows: str) -> ImportSummary:
    return import_bytes(db, kind, csv_bytes(header, *rows))


def import_readings(db: Database, *rows: str) -> ImportSummary:
    return import_rows(db, "readings", READINGS_HEADER, *rows)


def rejected(db: Database, kind: str, data: bytes, filename: str = "file.csv") -> ImportRejected:
    """Import a file that must be refused; return the refusal."""
    with pytest.raises(ImportRejected) as caught, db.session() as session:
        ingest.import_file(session, kind, data, filename, "test")
    return caught.value


def problems(refusal: ImportRejected) -> list[tuple[int, str]]:
    return [(error.line, error.message) for error in refusal.errors]


# --- looking at the tables ----------------------------------------------------------

COUNTED = (Reading, ConsumptionDaily, ConsumptionMonthly, ImportBatch, Customer, Site, AuditLog)


def row_counts(db: Database) -> dict[str, int]:
    """How many rows each table an import may touch holds."""
    with db.session() as session:
        return {
            model.__tablename__: session.scalar(select(func.count()).select_from(model))
            for model in COUNTED
        }


def readings(db: Database) -> list[tuple[str, int, int, int, bool]]:
    with db.session() as session:
        rows = session.execute(
            select(
                Reading.site_id, Reading.start_s, Reading.end_s, Reading.wh, Reading.estimated
            ).order_by(Reading.site_id, Reading.start_s)
        ).all()
    return [(site, start, end, wh, bool(estimated)) for site, start, end, wh, estimated in rows]


def monthly(db: Database, site_id: str | None = None) -> dict[tuple[str, dt.date], int]:
    """``{(site, month): wh}`` from the monthly rollup."""
    query = select(ConsumptionMonthly.site_id, ConsumptionMonthly.month, ConsumptionMonthly.wh)
    if site_id is not None:
        query = query.where(ConsumptionMonthly.site_id == site_id)
    with db.session() as session:
        return {(site, month): wh for site, month, wh in session.execute(query)}


def daily(db: Database, site_id: str | None = None) -> dict[tuple[str, dt.date], tuple[int, int]]:
    """``{(site, day): (wh, peak_w)}`` from the daily rollup."""
    query = select(
        ConsumptionDaily.site_id, ConsumptionDaily.day, ConsumptionDaily.wh, ConsumptionDaily.peak_w
    )
    if site_id is not None:
        query = query.where(ConsumptionDaily.site_id == site_id)
    with db.session() as session:
        return {(site, day): (wh, peak) for site, day, wh, peak in session.execute(query)}


def snapshot(db: Database) -> dict[str, list[tuple[object, ...]]]:
    """Every row of the reading and rollup tables, for before/after comparisons."""
    tables = {
        "reading": select(
            Reading.site_id,
            Reading.start_s,
            Reading.end_s,
            Reading.wh,
            Reading.estimated,
            Reading.batch_id,
        ),
        "consumption_daily": select(
            ConsumptionDaily.site_id,
            ConsumptionDaily.day,
            ConsumptionDaily.wh,
            ConsumptionDaily.estimated_wh,
            ConsumptionDaily.peak_w,
            ConsumptionDaily.hourly_wh,
            ConsumptionDaily.quarter_wh,
        ),
        "consumption_monthly": select(
            ConsumptionMonthly.site_id,
            ConsumptionMonthly.month,
            ConsumptionMonthly.wh,
            ConsumptionMonthly.estimated_wh,
        ),
    }
    with db.session() as session:
        return {
            name: sorted(tuple(row) for row in session.execute(query))
            for name, query in tables.items()
        }


# --- the command line -----------------------------------------------------------------


def cli(*args: str, stdin: str | None = None):
    """Run ``python -m lounge ARGS`` in-process (click's runner); stderr kept apart."""
    from click.testing import CliRunner

    from lounge.cli import main

    return CliRunner().invoke(main, list(args), input=stdin, catch_exceptions=False)


def cli_csv(*args: str) -> list[dict[str, str]]:
    """The rows of a ``--format csv`` command, checked to have succeeded."""
    import csv
    import io

    result = cli(*args, "--format", "csv")
    assert result.exit_code == 0, result.output
    return list(csv.DictReader(io.StringIO(result.stdout)))


def free_port() -> int:
    """A port nobody listens on: several test runs may share this machine."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def signed_up(
    session: Session,
    email: str,
    role: str,
    customer_id: str | None = None,
    language: str = "en",
) -> Viewer:
    """A user of ``role`` (named after the e-mail), as the access layer sees them."""
    from lounge import users

    user = users.create_user(
        session,
        email=email,
        role=role,
        password="a long enough password",
        customer_id=customer_id,
        full_name=email.split("@")[0].title(),
        language=language,
        actor="test",
    )
    session.flush()
    return Viewer.of(user)


def queued_emails(db: Database, *recipients: str) -> None:
    """Customer C1 and one welcome e-mail to each of ``recipients`` in the outbox."""
    from db.models import Channel
    from lounge.notify import outbox

    with db.session() as session:
        add_customer(session, "C1", "S1")
        outbox.enqueue(
            session,
            [
                outbox.Message(
                    topic="membership",
                    kind="welcome",
                    source="test",
                    channel=Channel.EMAIL,
                    language="he",
                    recipient=recipient,
                    subject="ברוכים הבאים",
                    body="שלום",
                    customer_id="C1",
                )
                for recipient in recipients
            ],
        )
