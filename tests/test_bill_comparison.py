"""Bill comparison: the causes add up to the change in the total, to the agora."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import select

from db import demo
from db.models import BandSplit, Invoice, InvoiceLine, Role
from lounge import access, bill_comparison, i18n, invoicing, tariffs
from lounge.access import Viewer
from lounge.bill_comparison import Side
from lounge.invoicing import MonthUsage, Period
from lounge.tariffs import Band
from reports import pdf, report


def _invoice(month: dt.date, bands: dict[Band, int], issue: dt.date, number: str) -> Invoice:
    """A General TOU bill of 100 kVA for one month, energy by band in kWh (measured)."""
    period = Period(month, invoicing.localtime.add_months(month, 1))
    usage = MonthUsage(
        month,
        sum(bands.values()) * 1000,
        {band: kwh * 1000 for band, kwh in bands.items()},
        BandSplit.INTERVAL,
    )
    draft = invoicing.compute_invoice(tariffs.tariff("General TOU"), 100, period, [usage], issue)
    return Invoice(
        number=number,
        **invoicing.invoice_values(draft),
        lines=[InvoiceLine(**values) for values in invoicing.line_values(draft)],
    )


def _amounts(causes) -> dict[str, Decimal]:
    return {f"{c.kind}:{c.band}" if c.band else c.kind: c.amount for c in causes}


def test_hand_made_pair_explained_to_the_agora():
    june = _invoice(
        dt.date(2025, 6, 1),
        {Band.PEAK: 1000, Band.SHOULDER: 2000, Band.OFFPEAK: 3000},
        dt.date(2025, 7, 3),
        "A",
    )
    july = _invoice(
        dt.date(2025, 7, 1),
        {Band.PEAK: 1240, Band.SHOULDER: 2000, Band.OFFPEAK: 3100},
        dt.date(2025, 8, 4),
        "B",
    )
    # June: 1000 x 1.45 + 2000 x 0.58 + 3000 x 0.38 = 3750.00 energy, 120.00 fixed,
    # 100 kVA x 6.40 = 640.00 capacity: 4510.00, VAT 18% 811.80, total 5321.80
    assert june.total == Decimal("5321.80")
    # July: 1798.00 + 1160.00 + 1178.00 + 120.00 + 640.00 = 4896.00, VAT 881.28: 5777.28
    assert july.total == Decimal("5777.28")
    causes = bill_comparison.explain(Side.of(june), Side.of(july))
    with i18n.use("en"):
        assert _amounts(causes) == {
            # 31 days against 30: June's 3750.00 of energy x (31/30 - 1) = 125.00
            "days": Decimal("125.00"),
            # peak: (1240 - 1000 x 31/30) x 1.45 = 206.667 x 1.45 = 299.67
            "consumption:peak": Decimal("299.67"),
            # shoulder: (2000 - 2000 x 31/30) x 0.58 = -66.667 x 0.58 = -38.67
            "consumption:shoulder": Decimal("-38.67"),
            # off-peak: 3100 - 3000 x 31/30 = 0; summer prices both months: no rate cause;
            # VAT: 881.28 - 811.80
            "vat": Decimal("69.48"),
        }
    assert sum(c.amount for c in causes) == july.total - june.total == Decimal("455.48")


def test_a_change_of_season_and_of_vat_rate_has_causes_of_its_own():
    november = _invoice(
        dt.date(2024, 11, 1),
        {Band.PEAK: 1234, Band.SHOULDER: 2345, Band.OFFPEAK: 3456},
        dt.date(2024, 12, 3),
        "A",
    )
    december = _invoice(
        dt.date(2024, 12, 1),
        {Band.PEAK: 1111, Band.SHOULDER: 2222, Band.OFFPEAK: 3333},
        dt.date(2025, 1, 5),
        "B",
    )
    assert november.vat_rate == Decimal("0.17") and december.vat_rate == Decimal("0.18")
    with i18n.use("he"):
        causes = bill_comparison.explain(Side.of(november), Side.of(december))
    found = _amounts(causes)
    # winter peak 1.20 against transition 0.75: 1111 kWh x 0.45 = 499.95
    assert found["rates:peak"] == Decimal("499.95")
    # the new rate on December's subtotal: one point of it
    assert found["vat_rate"] == tariffs.to_agorot(december.subtotal * Decimal("0.01"))
    assert sum(found.values()) == december.total - november.total


def test_demo_pairs_add_up_say_when_a_split_is_estimated_and_stay_private(db):
    demo.generate(db, customers=12, seed=5, today=dt.date(2026, 5, 14))
    with db.session() as session, i18n.use("en"):
        contracts = session.scalars(
            select(Invoice.contract_id).distinct().order_by(Invoice.contract_id)
        ).all()
        compared = estimated = with_rates = 0
        for contract in contracts:
            pair = bill_comparison.default_pair(session, access.SYSTEM, contract)
            if pair is None:
                continue
            choices = [
                c.value for c in bill_comparison.invoice_choices(session, access.SYSTEM, contract)
            ]
            # the default; the newest against the one before, another season, the oldest
            pairs = {pair, (choices[1], choices[0]), (choices[0], choices[-1])}
            pairs.add((choices[min(4, len(choices) - 1)], choices[0]))
            for first, second in pairs:
                found = bill_comparison.compare(session, access.SYSTEM, first, second)
                assert sum(c.amount for c in found.causes) == found.difference
                assert found.before.period_start < found.after.period_start
                compared += 1
                if found.estimated_numbers:
                    estimated += 1
                    assert "estimated" in found.estimate_note()
                with_rates += any(c.kind == bill_comparison.RATES for c in found.causes)
        newest = session.get_one(Invoice, pair[1])
        year_before = session.get_one(Invoice, pair[0])
        _the_pdfs_waterfall_adds_up(session, *pair)
    assert compared >= 10 and estimated > 0 and with_rates > 0
    # the default pair is the same month a year earlier where there is one
    assert year_before.period_start == invoicing.localtime.add_months(newest.period_start, -12)
    _another_customers_invoices_are_not_found(db)


def _the_pdfs_waterfall_adds_up(session, first: int, second: int) -> None:
    """The document's waterfall: the earlier total, a bar per cause, the later total, each
    cause's bar starting where the one before ended and the last ending at the later total."""
    found = bill_comparison.compare(session, access.SYSTEM, first, second)
    section = bill_comparison.document(session, access.SYSTEM, first, second, "en").sections[0]
    data = report.waterfall_data(section)
    assert data.start == float(found.before.total) and data.end == float(found.after.total)
    assert data.steps == [float(c.amount) for c in found.causes]
    assert data.texts[1:-1] == [i18n.format_money(c.amount) for c in found.causes]
    bars = pdf.waterfall_bars(data)
    level = data.start
    for bar, cause in zip(bars[1:-1], found.causes, strict=True):
        assert level in (bar.low, bar.high)
        level += float(cause.amount)
        assert level in (bar.low, bar.high)
        assert bar.kind == ("rise" if cause.amount > 0 else "fall")
    assert level == pytest.approx(data.end, abs=0.001)
    assert (bars[-1].low, bars[-1].high) == (0.0, data.end)


def _another_customers_invoices_are_not_found(db) -> None:
    with db.session() as session:
        mine = session.scalars(
            select(Invoice.id).where(Invoice.customer_id == demo.CHAIN_ID).order_by(Invoice.id)
        ).all()
        theirs = session.scalars(
            select(Invoice.id).where(Invoice.customer_id == demo.FACTORY_CLIENT_ID)
        ).first()
        client = Viewer(1, "c@x.test", Role.CLIENT, demo.CHAIN_ID)
        chain = session.get_one(Invoice, mine[0])
        same_contract = session.scalars(
            select(Invoice.id).where(
                Invoice.contract_id == chain.contract_id, Invoice.id != chain.id
            )
        ).first()
        assert bill_comparison.compare(session, client, chain.id, same_contract).causes
        for forged in ((chain.id, theirs), (theirs, chain.id), ("1 OR 1=1", chain.id)):
            with pytest.raises(access.NotFound):
                bill_comparison.compare(session, client, *forged)
        other = session.get_one(Invoice, theirs)
        with pytest.raises(access.NotFound):
            bill_comparison.invoice_choices(session, client, other.contract_id)
        with pytest.raises(access.NotFound):
            bill_comparison.default_pair(session, client, other.contract_id)
        with pytest.raises(access.NotFound):
            bill_comparison.contract_choices(session, client, demo.FACTORY_CLIENT_ID)
        with pytest.raises(access.AccessDenied):
            bill_comparison.compare(
                session, Viewer(2, "d@x.test", Role.DEMAND_STAFF), chain.id, same_contract
            )
        with pytest.raises(bill_comparison.ComparisonError):
            other_contract = next(i for i in mine if session.get_one(Invoice, i).contract_id
                                  != chain.contract_id)  # fmt: skip
            bill_comparison.compare(session, client, chain.id, other_contract)
