"""Invoice computation: periods, due dates, energy by band, lines, VAT and numbers."""

from __future__ import annotations

import datetime as dt
import struct
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from db.models import (
    BandSplit,
    ConsumptionDaily,
    ConsumptionMonthly,
    Contract,
    Invoice,
    InvoiceLine,
)
from db.session import Database
from lounge import invoicing, localtime, tariffs, tou
from lounge.invoicing import MonthUsage, Period
from lounge.tariffs import Band, Tariff
from tests.factories import add_customer

JULY = Period(dt.date(2026, 7, 1), dt.date(2026, 8, 1))


# --- the calendar -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("issue", "due"),
    [
        # 30 days on is Tuesday 2026-06-09: a working day
        (dt.date(2026, 5, 10), dt.date(2026, 6, 9)),
        # Friday 2026-06-05 -> Sunday 2026-06-07
        (dt.date(2026, 5, 6), dt.date(2026, 6, 7)),
        # Friday 2026-09-11, then Rosh Hashana on Saturday and Sunday -> Monday 2026-09-14
        (dt.date(2026, 8, 12), dt.date(2026, 9, 14)),
        # Yom Kippur, Monday 2026-09-21 -> Tuesday
        (dt.date(2026, 8, 22), dt.date(2026, 9, 22)),
    ],
)
def test_due_date_is_thirty_days_on_moved_to_a_working_day(issue, due):
    assert invoicing.due_date_for(issue) == due


def test_billing_periods_count_back_from_the_end():
    monthly = invoicing.billing_periods(dt.date(2026, 1, 1), dt.date(2026, 4, 1), 1)
    assert monthly == [
        Period(dt.date(2026, 1, 1), dt.date(2026, 2, 1)),
        Period(dt.date(2026, 2, 1), dt.date(2026, 3, 1)),
        Period(dt.date(2026, 3, 1), dt.date(2026, 4, 1)),
    ]
    # two-month periods end where the reads end; a half period at the start is left out
    bimonthly = invoicing.billing_periods(dt.date(2026, 1, 1), dt.date(2026, 6, 1), 2)
    assert bimonthly == [
        Period(dt.date(2026, 2, 1), dt.date(2026, 4, 1)),
        Period(dt.date(2026, 4, 1), dt.date(2026, 6, 1)),
    ]
    assert bimonthly[0].months == [dt.date(2026, 2, 1), dt.date(2026, 3, 1)]


def _contract(number: str, start: dt.date, end: dt.date | None) -> Contract:
    return Contract(number=number, start_date=start, end_date=end)


def test_the_contract_in_force_for_most_of_the_period_bills_it():
    old = _contract("old", dt.date(2023, 1, 1), dt.date(2026, 7, 10))
    new = _contract("new", dt.date(2026, 7, 11), None)
    assert invoicing.contract_for([old, new], JULY) is new
    assert invoicing.contract_for([old], JULY) is old
    assert invoicing.contract_for([new], Period(dt.date(2026, 5, 1), dt.date(2026, 6, 1))) is None
    ended = _contract("ended", dt.date(2020, 1, 1), dt.date(2026, 6, 30))
    assert invoicing.contract_for([ended], JULY) is None


# --- lines and totals -------------------------------------------------------------------


@pytest.mark.parametrize("total", [0, 1, 99, 1_000_003, 987_654_321])
def test_a_split_adds_up_to_the_watt_hour(total):
    parts = invoicing.split_by_shares(total, invoicing.TYPICAL_SHARES)
    assert sum(parts.values()) == total and set(parts) == set(Band)
    assert all(part >= 0 for part in parts.values())


def test_flat_invoice_lines_vat_and_total():
    flat = tariffs.tariff("Low-voltage flat")
    draft = invoicing.compute_invoice(
        flat, 100, JULY, [MonthUsage(JULY.start, 1_234_567, {})], dt.date(2026, 8, 4)
    )
    assert [(line.kind, line.quantity, line.unit, line.amount) for line in draft.lines] == [
        ("energy", Decimal("1234.567"), "kWh", Decimal("765.43")),  # 765.43154
        ("fixed", Decimal(1), "month", Decimal("35.00")),
        ("capacity", Decimal(100), "kVA", Decimal("190.00")),
    ]
    assert draft.subtotal == sum(line.amount for line in draft.lines) == Decimal("990.43")
    assert draft.vat_rate == Decimal("0.18")
    assert draft.vat == Decimal("178.28")  # 178.2774
    assert draft.total == Decimal("1168.71")
    assert draft.wh == 1_234_567
    assert draft.due_date == dt.date(2026, 9, 3)


def test_each_line_rounds_half_up_before_the_subtotal():
    half = Tariff("Test", "Test", "low", Decimal("0.005"), Decimal("0"), flat_price=Decimal("0.5"))
    draft = invoicing.compute_invoice(
        half, 1, JULY, [MonthUsage(JULY.start, 4_050, {})], dt.date(2026, 8, 4)
    )
    amounts = [line.amount for line in draft.lines]
    # 4.05 kWh x 0.5 = 2.025 -> 2.03; 1 month x 0.005 = 0.005 -> 0.01 (not to even)
    assert amounts == [Decimal("2.03"), Decimal("0.01"), Decimal("0.00")]
    assert draft.subtotal == Decimal("2.04")


def test_vat_follows_the_issue_date():
    flat = tariffs.tariff("Low-voltage flat")
    usage = [MonthUsage(dt.date(2024, 11, 1), 500_000, {})]
    november = Period(dt.date(2024, 11, 1), dt.date(2024, 12, 1))
    before = invoicing.compute_invoice(flat, 40, november, usage, dt.date(2024, 12, 31))
    after = invoicing.compute_invoice(flat, 40, november, usage, dt.date(2025, 1, 1))
    assert before.subtotal == after.subtotal
    assert (before.vat_rate, after.vat_rate) == (Decimal("0.17"), Decimal("0.18"))
    assert before.vat == tariffs.to_agorot(before.subtotal * Decimal("0.17"))
    assert after.total - before.total == after.vat - before.vat > 0


def test_time_of_use_two_months_across_seasons():
    medium = tariffs.tariff("General TOU")
    may_june = Period(dt.date(2026, 5, 1), dt.date(2026, 7, 1))
    usage = [
        MonthUsage(dt.date(2026, 5, 1), 60_000, {Band.PEAK: 10_000, Band.SHOULDER: 20_000,
                                                Band.OFFPEAK: 30_000}),
        MonthUsage(dt.date(2026, 6, 1), 6_000, {Band.PEAK: 1_000, Band.SHOULDER: 2_000,
                                               Band.OFFPEAK: 3_000}),
    ]  # fmt: skip
    draft = invoicing.compute_invoice(medium, 630, may_june, usage, dt.date(2026, 7, 5))
    energy = [(line.kind, line.quantity, line.unit_price) for line in draft.lines[:6]]
    # May is a transition month, June summer: each band has a line per price
    assert energy == [
        ("energy_peak", Decimal(10), Decimal("0.75")),
        ("energy_peak", Decimal(1), Decimal("1.45")),
        ("energy_shoulder", Decimal(20), Decimal("0.50")),
        ("energy_shoulder", Decimal(2), Decimal("0.58")),
        ("energy_offpeak", Decimal(30), Decimal("0.34")),
        ("energy_offpeak", Decimal(3), Decimal("0.38")),
    ]
    fixed, capacity = draft.lines[6:]
    assert (fixed.quantity, fixed.amount) == (Decimal(2), Decimal("240.00"))
    assert (capacity.quantity, capacity.unit, capacity.amount) == (
        Decimal(1260),
        "kVA",
        Decimal("8064.00"),
    )
    assert draft.subtotal == sum(line.amount for line in draft.lines)
    assert draft.wh == 66_000


def test_usage_must_match_the_period_and_its_bands():
    medium = tariffs.tariff("General TOU")
    with pytest.raises(ValueError, match="every month"):
        invoicing.compute_invoice(medium, 630, JULY, [], dt.date(2026, 8, 4))
    wrong = [MonthUsage(JULY.start, 10, {Band.PEAK: 1, Band.SHOULDER: 1, Band.OFFPEAK: 1})]
    with pytest.raises(ValueError, match="add up"):
        invoicing.compute_invoice(medium, 630, JULY, wrong, dt.date(2026, 8, 4))


# --- from the rollups to stored invoices --------------------------------------------------


def _add_contract(session, site_id: str, tariff: str, kva: int) -> Contract:
    contract = Contract(
        number=f"CN-{site_id}",
        site_id=site_id,
        tariff=tariff,
        voltage_level=tariffs.tariff(tariff).voltage_level,
        capacity_kva=kva,
        supplier="Israel Electric",
        start_date=dt.date(2024, 1, 1),
    )
    session.add(contract)
    session.flush()
    return contract


def test_issue_invoice_from_the_monthly_rollup(db: Database):
    with db.session() as session:
        add_customer(session, "C1", "S1")
        contract = _add_contract(session, "S1", "General TOU", 1000)
        session.add_all(
            ConsumptionMonthly(site_id="S1", month=month, wh=100_000_000 + month.month)
            for month in localtime.month_starts(dt.date(2026, 5, 1), dt.date(2026, 7, 1))
        )
        session.flush()
        first = invoicing.issue_invoice(session, contract, JULY)
        again = invoicing.issue_invoice(session, contract, JULY)
        august = invoicing.issue_invoice(
            session, contract, Period(dt.date(2026, 8, 1), dt.date(2026, 9, 1))
        )
        previous = invoicing.issue_invoice(
            session, contract, Period(dt.date(2026, 6, 1), dt.date(2026, 7, 1))
        )
    assert again.id == first.id
    assert (first.number, august.number, previous.number) == (
        "INV-2026-000001",
        "INV-2026-000002",
        "INV-2026-000003",
    )
    assert first.issue_date == dt.date(2026, 8, 4)  # three days on, a Tuesday
    assert first.due_date == dt.date(2026, 9, 3)
    assert august.wh == 0 and august.total > 0  # no data yet: fixed and capacity charges only
    with db.session() as session:
        stored = session.get_one(Invoice, first.id)
        assert stored.customer_id == "C1" and stored.site_id == "S1"
        assert stored.wh == 100_000_007
        kinds = [line.kind for line in stored.lines]
        assert kinds == ["energy_peak", "energy_shoulder", "energy_offpeak", "fixed", "capacity"]
        quantities = sum(line.quantity for line in stored.lines[:3])
        assert quantities == Decimal("100000.007")
        assert sum(line.amount for line in stored.lines) == stored.subtotal
        assert stored.vat == tariffs.to_agorot(stored.subtotal * Decimal("0.18"))
        assert stored.total == stored.subtotal + stored.vat
        assert session.scalar(select(func.count()).select_from(InvoiceLine)) == 15


def test_band_split_is_measured_where_interval_data_exist(db: Database):
    july_day = dt.date(2026, 7, 14)
    hour = 3
    band = tou.band_of(dt.datetime.combine(july_day, dt.time(hour)))
    profile = [0] * 24
    profile[hour] = 5_000
    with db.session() as session:
        add_customer(session, "C1", "S1", "S2")
        session.add(
            ConsumptionDaily(
                site_id="S1", day=july_day, wh=5_000, hourly_wh=struct.pack("<24q", *profile)
            )
        )
        session.flush()
        measured = invoicing.band_usage(session, "S1", JULY.start, 8_000_001)
        typical = invoicing.band_usage(session, "S2", JULY.start, 8_000_001)
    # the billed month total keeps its size, shared as the meter saw it
    assert measured.bands == {b: 8_000_001 if b.value == band else 0 for b in Band}
    assert typical.bands == invoicing.split_by_shares(8_000_001, invoicing.TYPICAL_SHARES)
    assert typical.bands[Band.OFFPEAK] > typical.bands[Band.SHOULDER] > typical.bands[Band.PEAK]
    # and each says how it was made: the typical split is an estimate
    assert (measured.split, typical.split) == (BandSplit.INTERVAL, BandSplit.TYPICAL)


def test_stored_energy_lines_say_whether_their_split_is_measured_or_estimated(db: Database):
    july_day = dt.date(2026, 7, 14)
    with db.session() as session:
        add_customer(session, "C1", "S1", "S2", "S3")
        session.add(
            ConsumptionDaily(
                site_id="S1",
                day=july_day,
                wh=5_000,
                hourly_wh=struct.pack("<24q", *[5_000] + [0] * 23),
            )
        )
        session.add_all(
            ConsumptionMonthly(site_id=site, month=JULY.start, wh=9_000_000)
            for site in ("S1", "S2", "S3")
        )
        session.flush()
        metered = invoicing.issue_invoice(
            session, _add_contract(session, "S1", "General TOU", 630), JULY
        )
        estimated = invoicing.issue_invoice(
            session, _add_contract(session, "S2", "General TOU", 630), JULY
        )
        flat = invoicing.issue_invoice(
            session, _add_contract(session, "S3", "Low-voltage flat", 100), JULY
        )
    with db.session() as session:
        splits = {
            invoice.site_id: [
                (line.kind, line.band_split) for line in session.get_one(Invoice, invoice.id).lines
            ]
            for invoice in (metered, estimated, flat)
        }
    bands = ["energy_peak", "energy_shoulder", "energy_offpeak"]
    assert splits["S1"] == [(kind, "interval") for kind in bands] + [
        ("fixed", None),
        ("capacity", None),
    ]
    assert splits["S2"] == [(kind, "typical") for kind in bands] + [
        ("fixed", None),
        ("capacity", None),
    ]
    assert splits["S3"] == [("energy", None), ("fixed", None), ("capacity", None)]


def test_a_line_merging_a_measured_and_an_estimated_month_is_estimated():
    medium = tariffs.tariff("General TOU")
    summer = Period(dt.date(2026, 6, 1), dt.date(2026, 8, 1))
    usage = [
        invoicing.typical_usage(dt.date(2026, 6, 1), 1_000),
        MonthUsage(dt.date(2026, 7, 1), 1_000, {Band.PEAK: 1_000, Band.SHOULDER: 0,
                                               Band.OFFPEAK: 0}, BandSplit.INTERVAL),
    ]  # fmt: skip
    draft = invoicing.compute_invoice(medium, 630, summer, usage, dt.date(2026, 8, 4))
    assert {line.band_split for line in draft.lines if line.kind.startswith("energy_")} == {
        BandSplit.TYPICAL
    }
