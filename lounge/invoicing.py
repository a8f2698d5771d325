"""Issuing invoices: billing periods, energy by band, lines, VAT, numbers and due dates.

A billing period is one local calendar month, or two for small sites (read
every other month), so that invoices follow the monthly rollup exactly and the
energy billed is the energy shown on every screen. Periods are counted back
from a month start, the way the meters are read.

Energy by time-of-use band comes from interval data where a site has it
(``lounge.tou.band_energy``, looked up at call time so that billing works
with or without that module); otherwise the month's total is split by a
typical commercial load shape (:data:`TYPICAL_SHARES`). Either way the bands
add up to the monthly rollup to the watt-hour. Each energy line stores which
of the two it used (:class:`db.models.BandSplit`), so that screens, bill
copies and exports never present an estimate as a measurement.
"""

from __future__ import annotations

import datetime as dt
import importlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol, TypeVar

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db.models import (
    BandSplit,
    ConsumptionMonthly,
    Contract,
    Invoice,
    InvoiceLine,
    InvoiceStatus,
    Site,
)
from lounge import localtime, tariffs
from lounge.calendar import next_working_day
from lounge.tariffs import Band, Tariff

#: Days from issue to due date (then moved to the next working day).
PAYMENT_TERM_DAYS = 30
#: Days after a period ends before its invoice is issued (the reads must be in).
ISSUE_LAG_DAYS = 3

#: Share of a month's energy in each band for a site without interval data: a
#: typical commercial load on the TOU band table (illustrative, like the prices).
TYPICAL_SHARES: Mapping[Band, int] = {Band.PEAK: 17, Band.SHOULDER: 31, Band.OFFPEAK: 52}


def due_date_for(issue_date: dt.date) -> dt.date:
    return next_working_day(issue_date + dt.timedelta(days=PAYMENT_TERM_DAYS))


@dataclass(frozen=True, order=True)
class Period:
    """A billing period [start, end) of whole local months."""

    start: dt.date
    end: dt.date

    @property
    def months(self) -> list[dt.date]:
        return localtime.month_starts(self.start, self.end - dt.timedelta(days=1))


def billing_periods(first: dt.date, end: dt.date, months: int) -> list[Period]:
    """Periods of ``months`` months, the last ending at ``end``, none starting before ``first``.

    Counting back from ``end`` keeps two-month periods aligned with two-month reads.
    """
    periods = []
    stop = localtime.first_of_month(end)
    while (start := localtime.add_months(stop, -months)) >= first:
        periods.append(Period(start, stop))
        stop = start
    return periods[::-1]


def default_issue_date(period: Period, lag_days: int = ISSUE_LAG_DAYS) -> dt.date:
    return next_working_day(period.end + dt.timedelta(days=lag_days))


class Dated(Protocol):
    @property
    def start_date(self) -> dt.date: ...
    @property
    def end_date(self) -> dt.date | None: ...


ContractT = TypeVar("ContractT", bound=Dated)


def contract_for(contracts: Iterable[ContractT], period: Period) -> ContractT | None:
    """The contract that supplied most days of the period (the later one on a tie).

    A contract's end date is its last day of supply. A site changing contract
    mid-period gets one invoice, on the contract in force for most of it.
    """

    def days(contract: ContractT) -> int:
        last = min(period.end - dt.timedelta(days=1), contract.end_date or period.end)
        return (last - max(period.start, contract.start_date)).days + 1

    best = max(contracts, key=lambda c: (days(c), c.start_date), default=None)
    return best if best is not None and days(best) > 0 else None


# --- energy by band -------------------------------------------------------------------


def split_by_shares(total_wh: int, shares: Mapping[Band, int]) -> dict[Band, int]:
    """``total_wh`` shared in proportion to ``shares`` (whole Wh that add up exactly).

    The rounding remainder goes to the biggest share, where it matters least.
    """
    weight = sum(shares.values())
    parts = {band: total_wh * share // weight for band, share in shares.items()}
    biggest = max(shares, key=lambda band: shares[band])
    parts[biggest] += total_wh - sum(parts.values())
    return parts


BandEnergy = Callable[[Session, str, dt.date, dt.date], Mapping[str, int]]


def _measured_band_energy() -> BandEnergy | None:
    """``lounge.tou.band_energy`` if that module exists yet, else None."""
    try:
        tou = importlib.import_module("lounge.tou")
    except ImportError:
        return None
    band_energy: BandEnergy | None = getattr(tou, "band_energy", None)
    return band_energy


@dataclass(frozen=True)
class MonthUsage:
    month: dt.date
    wh: int
    #: Wh by band, adding up to ``wh``; needed for time-of-use tariffs only.
    bands: Mapping[Band, int]
    #: How ``bands`` was made (a :class:`BandSplit`); None without bands.
    split: BandSplit | None = None


def typical_usage(month: dt.date, total_wh: int) -> MonthUsage:
    """A month without interval data: the typical shares, marked as the estimate they are."""
    return MonthUsage(month, total_wh, split_by_shares(total_wh, TYPICAL_SHARES), BandSplit.TYPICAL)


def band_usage(session: Session, site_id: str, month: dt.date, total_wh: int) -> MonthUsage:
    """The month's billed energy (``total_wh``, from the monthly rollup) by band.

    Interval data give the shares where the site has them; the billed total is
    shared by those shares rather than replaced, because the rollup also
    counts billing reads that fill gaps in the interval data. Without interval
    data the typical split applies, marked as estimated.
    """
    band_energy = _measured_band_energy()
    if band_energy is not None:
        measured = band_energy(session, site_id, month, localtime.add_months(month, 1))
        shares = {band: int(measured.get(band.value, 0)) for band in Band}
        if sum(shares.values()) > 0:
            return MonthUsage(
                month, total_wh, split_by_shares(total_wh, shares), BandSplit.INTERVAL
            )
    return typical_usage(month, total_wh)


def usage_for(session: Session, site_id: str, period: Period, tariff: Tariff) -> list[MonthUsage]:
    """Energy of each month of the period from the monthly rollup (a missing month is zero)."""
    rows = session.execute(
        select(ConsumptionMonthly.month, ConsumptionMonthly.wh)
        .where(ConsumptionMonthly.site_id == site_id)
        .where(ConsumptionMonthly.month >= period.start, ConsumptionMonthly.month < period.end)
    )
    found = {month: wh for month, wh in rows}
    return [
        band_usage(session, site_id, month, wh)
        if tariff.is_time_of_use
        else MonthUsage(month, wh, {})
        for month, wh in ((month, int(found.get(month, 0))) for month in period.months)
    ]


# --- lines and totals -----------------------------------------------------------------


@dataclass(frozen=True)
class LineDraft:
    kind: str
    quantity: Decimal
    unit: str
    unit_price: Decimal
    amount: Decimal
    band_split: BandSplit | None = None


def _line(
    kind: str,
    quantity: Decimal,
    unit: str,
    unit_price: Decimal,
    band_split: BandSplit | None = None,
) -> LineDraft:
    amount = tariffs.to_agorot(quantity * unit_price)
    return LineDraft(kind, quantity, unit, unit_price, amount, band_split)


@dataclass(frozen=True)
class InvoiceDraft:
    """An invoice before it has a number: what :func:`compute_invoice` works out."""

    period: Period
    issue_date: dt.date
    due_date: dt.date
    wh: int
    lines: tuple[LineDraft, ...]
    subtotal: Decimal
    vat_rate: Decimal
    vat: Decimal
    total: Decimal


def _energy_lines(tariff: Tariff, usage: Sequence[MonthUsage]) -> list[LineDraft]:
    """One line per band and price: months of a two-month period that share a price merge.

    A merged line is estimated when any of its months is, or does not say
    (the greater :class:`BandSplit`).
    """
    wh_by_line: dict[tuple[str, Decimal], int] = {}
    split_by_line: dict[tuple[str, Decimal], BandSplit] = {}
    if tariff.is_time_of_use:
        for band in Band:
            for month in usage:
                key = (f"energy_{band.value}", tariff.energy_price(month.month, band))
                wh_by_line[key] = wh_by_line.get(key, 0) + month.bands[band]
                split = month.split or BandSplit.TYPICAL
                split_by_line[key] = max(split_by_line.get(key, split), split)
    else:
        for month in usage:
            key = ("energy", tariff.energy_price(month.month))
            wh_by_line[key] = wh_by_line.get(key, 0) + month.wh
    return [
        _line(kind, Decimal(wh).scaleb(-3), "kWh", price, split_by_line.get((kind, price)))
        for (kind, price), wh in wh_by_line.items()
    ]


def compute_invoice(
    tariff: Tariff,
    capacity_kva: int,
    period: Period,
    usage: Sequence[MonthUsage],
    issue_date: dt.date,
) -> InvoiceDraft:
    """Lines, subtotal, VAT (at the issue date's rate) and total of one period's bill.

    Each line is rounded to the agora; VAT is charged on the sum of the
    rounded lines. The capacity line's quantity is kVA-months (kVA times the
    months of the period), priced per kVA per month.
    """
    if [month.month for month in usage] != period.months:
        raise ValueError("usage must give every month of the period, in order")
    if tariff.is_time_of_use and any(sum(m.bands.values()) != m.wh for m in usage):
        raise ValueError("the band split must add up to each month's energy")
    months = Decimal(len(usage))
    lines = [
        *_energy_lines(tariff, usage),
        _line("fixed", months, "month", tariff.fixed_per_month),
        _line("capacity", capacity_kva * months, "kVA", tariff.capacity_per_kva_month),
    ]
    subtotal = sum((line.amount for line in lines), Decimal("0.00"))
    vat = tariffs.vat_on(subtotal, issue_date)
    return InvoiceDraft(
        period=period,
        issue_date=issue_date,
        due_date=due_date_for(issue_date),
        wh=sum(month.wh for month in usage),
        lines=tuple(lines),
        subtotal=subtotal,
        vat_rate=tariffs.vat_rate(issue_date),
        vat=vat,
        total=subtotal + vat,
    )


# --- numbers and persistence ----------------------------------------------------------


def invoice_number(year: int, sequence: int) -> str:
    """``INV-2026-000123``: the issue year and a running number within it."""
    return f"INV-{year}-{sequence:06d}"


def _next_sequence(session: Session, year: int) -> int:
    prefix = invoice_number(year, 0)[:-6]
    last = session.scalar(select(func.max(Invoice.number)).where(Invoice.number.like(f"{prefix}%")))
    return int(last[len(prefix) :]) + 1 if last else 1


def issue_invoice(
    session: Session, contract: Contract, period: Period, issue_date: dt.date | None = None
) -> Invoice:
    """Issue the invoice of ``contract`` for ``period`` from the monthly rollup.

    Safe to repeat: an issued invoice of the same contract and period is
    returned as it is. Numbers run per issue year; the unique constraint on
    the number stops two concurrent issuers from sharing one.
    """
    existing = session.scalars(
        select(Invoice).where(
            Invoice.contract_id == contract.id,
            Invoice.period_start == period.start,
            Invoice.period_end == period.end,
            Invoice.status == InvoiceStatus.ISSUED,
        )
    ).first()
    if existing is not None:
        return existing
    tariff = tariffs.tariff(contract.tariff)
    draft = compute_invoice(
        tariff,
        contract.capacity_kva,
        period,
        usage_for(session, contract.site_id, period, tariff),
        issue_date or default_issue_date(period),
    )
    site = session.get_one(Site, contract.site_id)
    invoice = Invoice(
        number=invoice_number(
            draft.issue_date.year, _next_sequence(session, draft.issue_date.year)
        ),
        customer_id=site.customer_id,
        contract_id=contract.id,
        site_id=site.id,
        **invoice_values(draft),
        lines=[InvoiceLine(**values) for values in line_values(draft)],
    )
    session.add(invoice)
    session.flush()
    return invoice


def invoice_values(draft: InvoiceDraft) -> dict[str, object]:
    """The invoice columns a draft determines (the bulk demo writer uses them too)."""
    return {
        "period_start": draft.period.start,
        "period_end": draft.period.end,
        "issue_date": draft.issue_date,
        "due_date": draft.due_date,
        "wh": draft.wh,
        "subtotal": draft.subtotal,
        "vat_rate": draft.vat_rate,
        "vat": draft.vat,
        "total": draft.total,
        "status": InvoiceStatus.ISSUED,
    }


def line_values(draft: InvoiceDraft) -> list[dict[str, object]]:
    return [
        {
            "position": position,
            "kind": line.kind,
            "quantity": line.quantity,
            "unit": line.unit,
            "unit_price": line.unit_price,
            "amount": line.amount,
            "band_split": line.band_split,
        }
        for position, line in enumerate(draft.lines, start=1)
    ]
