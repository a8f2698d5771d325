"""Two invoices of a contract side by side: the change in the total explained by cause.

Invoices are built (``lounge.invoicing``) from energy lines per time-of-use
band and price, a fixed charge per month and a capacity charge per kVA-month,
each line rounded to the agora, then VAT on the rounded subtotal. With A the
earlier invoice, B the later, ``f`` the ratio of their days and, per band,
``q`` its kWh and ``p`` its price (the exact cost over the kWh, where a
two-month period has two prices):

- **days in the period**: A's energy at A's prices, stretched to B's days:
  ``(f - 1) * cost_A``;
- **consumption per band**: B's kWh against A's kWh stretched to B's days, at
  A's price: ``(q_B - f * q_A) * p_A`` (at B's price where A had none);
- **tariff rates**: B's kWh at the change in price: ``q_B * (p_B - p_A)``;
- **fixed** and **capacity charges**: the change in those lines;
- **rounding**: the lines are rounded to the agora, the exact causes are not:
  the subtotals' difference less the causes above, each rounded to the agora;
- **VAT**: the change in VAT (and apart, when the rate changed, B's subtotal at
  the change in rate).

Per band the first three add up to ``q_B p_B - q_A p_A``, so the causes add up
to ``total_B - total_A`` exactly, to the agora (:attr:`Comparison.difference`).
Every read takes the viewer: invoices through :func:`billing.visible_invoices`,
so another customer's invoice id is :class:`lounge.access.NotFound`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from db.models import BandSplit, Contract, Invoice, InvoiceStatus, Site, utcnow
from lounge import access, billing, i18n, localtime, tariffs
from lounge.access import Viewer
from lounge.i18n import N_, _, format_money, format_number, format_percent, format_period
from lounge.labels import band_split_method
from lounge.tou import BAND_LABELS
from reports.documents import Chart, ReportColumn, ReportDocument, ReportSection

ZERO = Decimal("0.00")
#: Energy line kinds and the band each one prices ("energy": a flat tariff's one line).
ENERGY_KINDS = {
    "energy_peak": "peak",
    "energy_shoulder": "shoulder",
    "energy_offpeak": "offpeak",
    "energy": "energy",
}
BAND_ORDER = ("peak", "shoulder", "offpeak", "energy")
FLAT_LABEL = N_("Energy")

#: Cause kinds, in the order they are shown.
DAYS = "days"
CONSUMPTION = "consumption"
RATES = "rates"
FIXED = "fixed"
CAPACITY = "capacity"
ROUNDING = "rounding"
VAT = "vat"
VAT_RATE = "vat_rate"


def _band_label(band: str) -> str:
    return _(BAND_LABELS.get(band, FLAT_LABEL))


@dataclass(frozen=True)
class BandFigures:
    kwh: Decimal
    #: The exact cost of the band's lines (quantity times price, before rounding).
    cost: Decimal

    @property
    def price(self) -> Decimal | None:
        return self.cost / self.kwh if self.kwh else None


@dataclass(frozen=True)
class Side:
    """One of the two invoices, as the comparison reads it."""

    id: int
    number: str
    period_start: dt.date
    period_end: dt.date
    wh: int
    subtotal: Decimal
    vat_rate: Decimal
    vat: Decimal
    total: Decimal
    bands: dict[str, BandFigures]
    fixed: Decimal
    fixed_months: Decimal
    capacity: Decimal
    capacity_kva_months: Decimal
    #: ``typical`` when any time-of-use line's split is estimated.
    band_split: str | None

    @property
    def days(self) -> int:
        return (self.period_end - self.period_start).days

    @property
    def estimated(self) -> bool:
        return self.band_split == BandSplit.TYPICAL

    @classmethod
    def of(cls, invoice: Invoice) -> Side:
        bands: dict[str, BandFigures] = {}
        fixed = fixed_months = capacity = kva_months = ZERO
        splits = [line.band_split for line in invoice.lines if line.band_split]
        for line in invoice.lines:
            band = ENERGY_KINDS.get(line.kind)
            if band is not None:
                known = bands.get(band, BandFigures(Decimal(0), Decimal(0)))
                bands[band] = BandFigures(
                    known.kwh + line.quantity, known.cost + line.quantity * line.unit_price
                )
            elif line.kind == "fixed":
                fixed, fixed_months = fixed + line.amount, fixed_months + line.quantity
            elif line.kind == "capacity":
                capacity, kva_months = capacity + line.amount, kva_months + line.quantity
        return cls(
            id=invoice.id,
            number=invoice.number,
            period_start=invoice.period_start,
            period_end=invoice.period_end,
            wh=invoice.wh,
            subtotal=invoice.subtotal,
            vat_rate=invoice.vat_rate,
            vat=invoice.vat,
            total=invoice.total,
            bands=bands,
            fixed=fixed,
            fixed_months=fixed_months,
            capacity=capacity,
            capacity_kva_months=kva_months,
            band_split=max(splits) if splits else None,
        )


@dataclass(frozen=True)
class Cause:
    kind: str
    #: The band of a consumption or rate cause ("peak", ..., "energy"), else None.
    band: str | None
    label: str
    amount: Decimal
    explanation: str


@dataclass(frozen=True)
class Comparison:
    contract_id: int
    contract_number: str
    site_id: str
    site_name: str
    customer_id: str
    before: Side
    after: Side
    causes: tuple[Cause, ...]

    @property
    def difference(self) -> Decimal:
        return self.after.total - self.before.total

    @property
    def estimated_numbers(self) -> tuple[str, ...]:
        return tuple(side.number for side in (self.before, self.after) if side.estimated)

    def estimate_note(self) -> str:
        """What the reader must know when a band split is an estimate (else empty)."""
        numbers = self.estimated_numbers
        if not numbers:
            return ""
        return (
            _(
                "The time-of-use split of {numbers} is estimated, so the causes by band "
                "are estimates too (the totals are not)."
            ).format(numbers=", ".join(numbers))
            + " "
            + band_split_method(BandSplit.TYPICAL)
        )


class ComparisonError(billing.BillingError):
    """Two invoices that cannot be compared (the message says why)."""


# --- the arithmetic -------------------------------------------------------------------


def _kwh(value: Decimal) -> str:
    return _("{value} kWh").format(value=format_number(value))


def _price(value: Decimal | None) -> str:
    return "–" if value is None else f"₪{format_number(value, 4)}"


def explain(before: Side, after: Side) -> tuple[Cause, ...]:
    """The causes of ``after.total - before.total``; they add up to it exactly.

    Causes of zero are left out (they add nothing).
    """
    stretch = Decimal(after.days) / Decimal(before.days) if before.days else Decimal(1)
    causes: list[Cause] = []
    energy_a = sum((band.cost for band in before.bands.values()), Decimal(0))
    causes.append(
        Cause(
            DAYS,
            None,
            _("Days in the period"),
            tariffs.to_agorot((stretch - 1) * energy_a),
            _("{after} days against {before}: the same daily use, at the earlier prices.").format(
                after=after.days, before=before.days
            ),
        )
    )
    for band in BAND_ORDER:
        a = before.bands.get(band)
        b = after.bands.get(band)
        if a is None and b is None:
            continue
        a = a or BandFigures(Decimal(0), Decimal(0))
        b = b or BandFigures(Decimal(0), Decimal(0))
        price_a = a.price if a.price is not None else (b.price or Decimal(0))
        price_b = b.price if b.price is not None else price_a
        name = _band_label(band)
        causes.append(
            Cause(
                CONSUMPTION,
                band,
                _("Consumption: {band}").format(band=name),
                tariffs.to_agorot((b.kwh - stretch * a.kwh) * price_a),
                _("{after} against {before} ({after_day} against {before_day} a day).").format(
                    after=_kwh(b.kwh),
                    before=_kwh(a.kwh),
                    after_day=_kwh(b.kwh / after.days if after.days else b.kwh),
                    before_day=_kwh(a.kwh / before.days if before.days else a.kwh),
                ),
            )
        )
        causes.append(
            Cause(
                RATES,
                band,
                _("Rate: {band}").format(band=name),
                tariffs.to_agorot(b.kwh * (price_b - price_a)),
                _("{after} per kWh against {before}.").format(
                    after=_price(b.price), before=_price(a.price)
                ),
            )
        )
    causes.append(
        Cause(
            FIXED,
            None,
            _("Fixed charge"),
            after.fixed - before.fixed,
            _("{after} for {after_months} months against {before} for {before_months}.").format(
                after=format_money(after.fixed),
                after_months=format_number(after.fixed_months),
                before=format_money(before.fixed),
                before_months=format_number(before.fixed_months),
            ),
        )
    )
    causes.append(
        Cause(
            CAPACITY,
            None,
            _("Capacity charge"),
            after.capacity - before.capacity,
            _("{after} for {after_kva} kVA-months against {before} for {before_kva}.").format(
                after=format_money(after.capacity),
                after_kva=format_number(after.capacity_kva_months),
                before=format_money(before.capacity),
                before_kva=format_number(before.capacity_kva_months),
            ),
        )
    )
    explained = sum((cause.amount for cause in causes), ZERO)
    causes.append(
        Cause(
            ROUNDING,
            None,
            _("Rounding and other charges"),
            after.subtotal - before.subtotal - explained,
            _("Each invoice line is rounded to the agora; anything not priced by the tariff."),
        )
    )
    rate_effect = (
        tariffs.to_agorot(after.subtotal * (after.vat_rate - before.vat_rate))
        if after.vat_rate != before.vat_rate
        else ZERO
    )
    causes.append(
        Cause(
            VAT_RATE,
            None,
            _("VAT rate"),
            rate_effect,
            _("VAT at {after} against {before}.").format(
                after=format_percent(float(after.vat_rate)),
                before=format_percent(float(before.vat_rate)),
            ),
        )
    )
    causes.append(
        Cause(
            VAT,
            None,
            _("VAT"),
            after.vat - before.vat - rate_effect,
            _("VAT on the change in the charges above."),
        )
    )
    return tuple(cause for cause in causes if cause.amount != 0)


# --- reading invoices through the viewer ----------------------------------------------


def _visible(session: Session, viewer: Viewer, *conditions: ColumnElement[bool]) -> list[Invoice]:
    access.require(viewer, *access.COMMERCIAL_ROLES)
    query = select(Invoice).where(*conditions).order_by(Invoice.period_start, Invoice.id)
    return list(session.scalars(billing.visible_invoices(query, viewer)))


@dataclass(frozen=True)
class Choice:
    value: int
    label: str


def contract_choices(session: Session, viewer: Viewer, customer_id: object) -> list[Choice]:
    """The customer's contracts with at least two issued invoices, by number."""
    customer = access.get_commercial_customer(session, viewer, customer_id)
    billed = (
        select(Invoice.contract_id)
        .where(Invoice.customer_id == customer.id, Invoice.status == InvoiceStatus.ISSUED)
        .group_by(Invoice.contract_id)
        .having(func.count() >= 2)
    )
    rows = session.execute(
        select(Contract.id, Contract.number, Site.id, Site.name)
        .join(Site, Site.id == Contract.site_id)
        .where(Contract.id.in_(billing.visible_invoices(billed, viewer).scalar_subquery()))
        .order_by(Contract.number)
    )
    return [Choice(cid, f"{number} · {site} · {name}") for cid, number, site, name in rows]


def _contract_invoices(session: Session, viewer: Viewer, contract_id: object) -> list[Invoice]:
    """The contract's issued invoices the viewer may see, oldest first (NotFound: none)."""
    invoices = _visible(
        session,
        viewer,
        Invoice.contract_id == billing.object_id(contract_id),
        Invoice.status == InvoiceStatus.ISSUED,
    )
    if not invoices:
        raise access.NotFound(contract_id)
    return invoices


def invoice_choices(session: Session, viewer: Viewer, contract_id: object) -> list[Choice]:
    """The contract's issued invoices the viewer may see, newest first."""
    return [
        Choice(
            invoice.id,
            f"{invoice.number} · {format_period(invoice.period_start, invoice.period_end)}",
        )
        for invoice in reversed(_contract_invoices(session, viewer, contract_id))
    ]


def default_pair(session: Session, viewer: Viewer, contract_id: object) -> tuple[int, int] | None:
    """(earlier, newest): the newest invoice and the same month last year, else the one before."""
    invoices = _contract_invoices(session, viewer, contract_id)
    if len(invoices) < 2:
        return None
    newest = invoices[-1]
    year_before = localtime.add_months(newest.period_start, -12)
    earlier = next((i for i in invoices if i.period_start == year_before), invoices[-2])
    return earlier.id, newest.id


def compare(session: Session, viewer: Viewer, first_id: object, second_id: object) -> Comparison:
    """The two invoices (of one contract, any order) explained; NotFound for any not visible."""
    ids = {billing.object_id(first_id), billing.object_id(second_id)}
    invoices = _visible(session, viewer, Invoice.id.in_(ids))
    if len(invoices) != len(ids):
        raise access.NotFound(sorted(ids))
    if len(invoices) != 2:
        raise ComparisonError(_("Choose two different invoices."))
    before, after = invoices
    if before.contract_id != after.contract_id:
        raise ComparisonError(_("Choose two invoices of the same contract."))
    contract = session.get_one(Contract, after.contract_id)
    site = session.get_one(Site, after.site_id)
    a, b = Side.of(before), Side.of(after)
    return Comparison(
        contract_id=contract.id,
        contract_number=contract.number,
        site_id=site.id,
        site_name=site.name,
        customer_id=after.customer_id,
        before=a,
        after=b,
        causes=explain(a, b),
    )


# --- the document (PDF) ---------------------------------------------------------------


def document(
    session: Session, viewer: Viewer, first_id: object, second_id: object, language: str
) -> ReportDocument:
    """The comparison as a report document (the table of causes and their waterfall, as on
    the screen), for the PDF."""
    with i18n.use(language):
        found = compare(session, viewer, first_id, second_id)
        before, after = found.before, found.after
        columns = (
            ReportColumn("cause", _("Cause")),
            ReportColumn("amount", _("Change"), "money"),
            ReportColumn("explanation", _("Why")),
        )
        rows = (
            {"cause": _("Total of {number}").format(number=before.number), "amount": before.total},
            *(
                {"cause": c.label, "amount": c.amount, "explanation": c.explanation}
                for c in found.causes
            ),
            {"cause": _("Total of {number}").format(number=after.number), "amount": after.total},
        )
        summary_text = summary(found)
        return ReportDocument(
            language=i18n.current(),
            kind="bill_comparison",
            title=_("Bill comparison"),
            subtitle=f"{found.contract_number} · {found.site_id} · {found.site_name}",
            generated_at=utcnow(),
            sections=(
                ReportSection(
                    title=_("{before} ({before_period}) against {after} ({after_period})").format(
                        before=before.number,
                        before_period=format_period(before.period_start, before.period_end),
                        after=after.number,
                        after_period=format_period(after.period_start, after.period_end),
                    ),
                    columns=columns,
                    rows=rows,
                    note=summary_text,
                    warning=found.estimate_note() or None,
                    chart=Chart(x="cause", y=("amount",), kind="waterfall"),
                ),
            ),
        )


def summary(found: Comparison) -> str:
    """The change in one sentence (screens and documents)."""
    return _("The total went from {before} to {after}: a change of {change}.").format(
        before=format_money(found.before.total),
        after=format_money(found.after.total),
        change=format_money(found.difference),
    )
