"""The schema comes from Alembic, and the migrations agree with the models."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Date, DateTime, column, insert, select, table

from db import migrate
from db.models import (
    Base,
    ConsumptionDaily,
    ConsumptionMonthly,
    Contract,
    Invoice,
    InvoiceLine,
    Site,
)
from db.session import Database
from lounge import invoicing, localtime, tariffs
from lounge.invoicing import Period
from tests.factories import add_customer, import_readings, quarter_hours

D = dt.date


@contextmanager
def downgraded(db: Database, revision: str) -> Iterator[None]:
    """The database downgraded to ``revision`` for the block, then upgraded to the head."""
    config = migrate.alembic_config(db.engine)
    command.downgrade(config, revision)
    try:
        yield
        command.upgrade(config, "head")
    finally:
        migrate.upgrade(db.engine)


def test_migrations_have_a_single_head():
    assert len(migrate.heads()) == 1


def test_migrated_schema_matches_the_models(db: Database):
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, Base.metadata)
    assert differences == []


def test_database_is_at_head_after_upgrade(db: Database):
    assert migrate.is_current(db.engine)


def test_the_upgrade_to_0003_makes_the_monthly_rollup_dense_with_rolling_sums(db: Database):
    """Rollup rows written before 0003 get their 12-month sums, zero rows in the gaps
    between them, and their sites the first and last month: what the classification reads."""
    with downgraded(db, "0002"):
        customer = table(
            "customer",
            column("id"),
            column("name"),
            column("tax_id"),
            column("language"),
            column("created_at", DateTime(timezone=True)),
        )
        site = table("site", column("id"), column("customer_id"), column("name"), column("region"))
        monthly = table(
            "consumption_monthly",
            column("site_id"),
            column("month", Date),
            column("wh"),
            column("estimated_wh"),
        )
        kwh = {("S1", D(2024, 11, 1)): 5, ("S1", D(2025, 2, 1)): 7, ("S1", D(2025, 12, 1)): 11}
        kwh |= {("S2", D(2025, 6, 1)): 13}
        with db.engine.begin() as connection:
            connection.execute(
                insert(customer).values(
                    id="C1",
                    name="C1",
                    tax_id="T1",
                    language="he",
                    created_at=dt.datetime.now(dt.UTC),
                )
            )
            connection.execute(
                insert(site),
                [
                    {"id": s, "customer_id": "C1", "name": s, "region": "North"}
                    for s in ("S1", "S2", "S3")
                ],
            )
            connection.execute(
                insert(monthly),
                [
                    {"site_id": s, "month": m, "wh": wh, "estimated_wh": 0}
                    for (s, m), wh in kwh.items()
                ],
            )

    with db.session() as session:
        rows = session.execute(
            select(
                ConsumptionMonthly.site_id,
                ConsumptionMonthly.month,
                ConsumptionMonthly.wh,
                ConsumptionMonthly.rolling_wh,
            ).order_by(ConsumptionMonthly.site_id, ConsumptionMonthly.month)
        ).all()
        spans = session.execute(
            select(Site.id, Site.first_data_month, Site.last_data_month).order_by(Site.id)
        ).all()
    expected = []
    for s, first, last in (
        ("S1", D(2024, 11, 1), D(2025, 12, 1)),
        ("S2", D(2025, 6, 1), D(2025, 6, 1)),
    ):
        for month in localtime.month_starts(first, last):
            rolling = sum(
                wh
                for (other_site, other), wh in kwh.items()
                if other_site == s and localtime.add_months(month, -11) <= other <= month
            )
            expected.append((s, month, kwh.get((s, month), 0), rolling))
    assert [tuple(row) for row in rows] == expected
    assert [tuple(row) for row in spans] == [
        ("S1", D(2024, 11, 1), D(2025, 12, 1)),
        ("S2", D(2025, 6, 1), D(2025, 6, 1)),
        ("S3", None, None),
    ]


def test_the_upgrade_to_0005_marks_existing_band_splits_measured_or_estimated(db: Database):
    """Lines issued before 0005 learn from the daily rollup whether their split was measured."""
    july = Period(D(2026, 7, 1), D(2026, 8, 1))
    with db.session() as session:
        add_customer(session, "C1", "S1", "S2")
        session.add(ConsumptionDaily(site_id="S1", day=D(2026, 7, 14), wh=5_000))
        session.add_all(
            ConsumptionMonthly(site_id=site, month=july.start, wh=9_000_000)
            for site in ("S1", "S2")
        )
        for site in ("S1", "S2"):
            contract = Contract(
                number=f"CN-{site}",
                site_id=site,
                tariff="General TOU",
                voltage_level="medium",
                capacity_kva=630,
                supplier="Israel Electric",
                start_date=D(2024, 1, 1),
            )
            session.add(contract)
            session.flush()
            session.add(
                Invoice(
                    number=f"INV-{site}",
                    customer_id="C1",
                    contract_id=contract.id,
                    site_id=site,
                    **invoicing.invoice_values(
                        invoicing.compute_invoice(
                            tariffs.tariff("General TOU"),
                            630,
                            july,
                            [invoicing.typical_usage(july.start, 9_000_000)],
                            D(2026, 8, 4),
                        )
                    ),
                )
            )
        session.flush()
        for invoice in session.scalars(select(Invoice)):
            session.add_all(
                InvoiceLine(invoice_id=invoice.id, position=n, kind=kind, quantity=1, unit="kWh",
                            unit_price=1, amount=1)
                for n, kind in enumerate(["energy_peak", "energy_offpeak", "fixed"])
            )  # fmt: skip
    with downgraded(db, "0003"):
        pass
    with db.session() as session:
        rows = session.execute(
            select(Invoice.site_id, InvoiceLine.kind, InvoiceLine.band_split)
            .join(Invoice, Invoice.id == InvoiceLine.invoice_id)
            .order_by(Invoice.site_id, InvoiceLine.position)
        ).all()
    assert [tuple(row) for row in rows] == [
        ("S1", "energy_peak", "interval"),
        ("S1", "energy_offpeak", "interval"),
        ("S1", "fixed", None),
        ("S2", "energy_peak", "typical"),
        ("S2", "energy_offpeak", "typical"),
        ("S2", "fixed", None),
    ]


def test_the_upgrade_to_0007_fills_the_quarter_hour_profiles_from_the_readings(db: Database):
    """Daily rows written before 0007 get the profile an import writes now."""
    with db.session() as session:
        add_customer(session, "C1", "S1", "S2")
    import_readings(
        db,
        *quarter_hours("S1", dt.datetime(2026, 3, 26, 22, tzinfo=dt.UTC), 3 * 96, "0.3"),
        *quarter_hours("S2", dt.datetime(2026, 3, 27, 5, tzinfo=dt.UTC), 9, "1.5", minutes=60),
        "S2,2026-01-01,2026-03-01,5900",
    )
    query = select(ConsumptionDaily.site_id, ConsumptionDaily.day, ConsumptionDaily.quarter_wh)
    with db.session() as session:
        written = sorted(tuple(row) for row in session.execute(query))
    with downgraded(db, "0006"):
        pass
    with db.session() as session:
        filled = sorted(tuple(row) for row in session.execute(query))
    assert filled == written
    assert len(written) == 5 and None not in [row[2] for row in written]
