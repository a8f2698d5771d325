"""Invoices, debts and payments as the screens and documents read them.

Every function takes the viewer. Billing is commercial data: clients see their
own customer's, account managers their portfolio's, admins everyone's; demand
staff none (``access.COMMERCIAL_ROLES``). Lists are built on
their queries passed through :func:`access.restrict` and single objects are fetched through
:func:`_get_invoice` / :func:`_get_payment`, so a forged id of another
customer's invoice or payment is :class:`lounge.access.NotFound`.

What is paid of an invoice is never stored on it: it is the sum of the
allocations of succeeded payments, so a failed or pending payment pays
nothing and the figures cannot drift apart.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, ScalarSelect, Select, Subquery, func, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from db.models import (
    Contract,
    Customer,
    Invoice,
    InvoiceLine,
    InvoiceStatus,
    Payment,
    PaymentAllocation,
    PaymentStatus,
    Site,
)
from lounge import access, consumption, i18n, localtime, tariffs
from lounge.access import Columns, Viewer
from lounge.i18n import N_, _
from lounge.settings import TIMEZONE
from reports.documents import BillDocument, BillLine, Party, ReceiptAllocation, ReceiptDocument

ZERO = Decimal("0.00")

PAID = "paid"
PARTIALLY_PAID = "partially_paid"
OPEN = "open"
OVERDUE = "overdue"
CANCELLED = "cancelled"
STATUSES = {
    PAID: N_("Paid"),
    PARTIALLY_PAID: N_("Partially paid"),
    OPEN: N_("Open"),
    OVERDUE: N_("Overdue"),
    CANCELLED: N_("Cancelled"),
}
#: What a list can be filtered by: anything still to pay (open), settled (paid), past due.
STATUS_FILTERS = (OPEN, PAID, OVERDUE)

AGING_BUCKETS = ("0-30", "31-60", "61-90", "90+")
BUCKET_LABELS = {
    "0-30": N_("0–30 days"),
    "31-60": N_("31–60 days"),
    "61-90": N_("61–90 days"),
    "90+": N_("Over 90 days"),
}
#: The last day overdue of each bucket but the open-ended one.
_BUCKET_LAST_DAYS = (30, 60, 90)

PAYMENT_STATUSES = {
    PaymentStatus.PENDING: N_("Processing"),
    PaymentStatus.SUCCEEDED: N_("Succeeded"),
    PaymentStatus.FAILED: N_("Failed"),
}


class BillingError(ValueError):
    """A request that cannot be answered as asked (the message says why, translated)."""


def _require(viewer: Viewer) -> None:
    access.require(viewer, *access.COMMERCIAL_ROLES)


def aging_bucket(days_overdue: int) -> str | None:
    """The aging bucket of a debt: days 1-30 are "0-30", ..., day 91 on is "90+"."""
    if days_overdue <= 0:
        return None
    return AGING_BUCKETS[bisect.bisect_left(_BUCKET_LAST_DAYS, days_overdue)]


def invoice_status(
    total: Decimal, paid: Decimal, due_date: dt.date, as_of: dt.date, cancelled: bool = False
) -> str:
    """Paid, overdue (due before ``as_of`` and not paid in full), partially paid, or open.

    An invoice is payable on its due date; it is overdue from the day after.
    """
    if cancelled:
        return CANCELLED
    if paid >= total:
        return PAID
    if due_date < as_of:
        return OVERDUE
    return PARTIALLY_PAID if paid > 0 else OPEN


def _end_of(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), TIMEZONE)


def _succeeded(as_of: dt.date | None) -> list[ColumnElement[bool]]:
    """Payments that count: succeeded (and completed by the end of ``as_of``)."""
    conditions = [Payment.status == PaymentStatus.SUCCEEDED]
    if as_of is not None:
        conditions.append(Payment.completed_at < _end_of(as_of))
    return conditions


def _paid_per_invoice(as_of: dt.date | None = None) -> Subquery:
    """(invoice_id, paid): what succeeded payments (completed by ``as_of``) put on each invoice."""
    return (
        select(PaymentAllocation.invoice_id, func.sum(PaymentAllocation.amount).label("paid"))
        .join(Payment, Payment.id == PaymentAllocation.payment_id)
        .where(*_succeeded(as_of))
        .group_by(PaymentAllocation.invoice_id)
        .subquery()
    )


def _paid_of_invoice(as_of: dt.date) -> ScalarSelect[Decimal]:
    """What is paid of the invoice of the enclosing query, as :func:`_paid_per_invoice` says,
    correlated: read through the invoice's own allocations, not every invoice's."""
    return (
        select(func.coalesce(func.sum(PaymentAllocation.amount), 0))
        .join(Payment, Payment.id == PaymentAllocation.payment_id)
        .where(PaymentAllocation.invoice_id == Invoice.id, *_succeeded(as_of))
        .scalar_subquery()
    )


def paid_amounts(session: Session, invoice_ids: Iterable[int]) -> dict[int, Decimal]:
    """What is paid of each invoice (ids without payments are absent).

    No access check: only for invoices the caller has already fetched through
    the viewer (``lounge.payments`` does).
    """
    paid = _paid_per_invoice()
    rows = session.execute(
        select(paid.c.invoice_id, paid.c.paid).where(paid.c.invoice_id.in_(list(invoice_ids)))
    )
    return {invoice_id: amount for invoice_id, amount in rows}


def object_id(value: object) -> int:
    """A database id from a callback's input; anything else is not found (never an error page)."""
    if isinstance(value, str) and value.isascii() and value.isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value < 2**63:
        raise access.NotFound(value)
    return value


# --- invoices -------------------------------------------------------------------------


@dataclass(frozen=True)
class InvoiceRow:
    id: int
    number: str
    customer_id: str
    customer_name: str
    site_id: str
    site_name: str
    period_start: dt.date
    #: Exclusive: the first day after the period.
    period_end: dt.date
    issue_date: dt.date
    due_date: dt.date
    wh: int
    subtotal: Decimal
    vat: Decimal
    total: Decimal
    paid: Decimal
    open_amount: Decimal
    status: str
    #: Days past the due date with money still open (0 when not overdue).
    days_overdue: int
    #: How the energy was split by time-of-use band (a ``BandSplit``, estimated
    #: if any line is); None on a flat tariff.
    band_split: str | None = None

    @property
    def bucket(self) -> str | None:
        return aging_bucket(self.days_overdue)


#: What :func:`_invoice_query` reads of an invoice, as plain values (loading ``Invoice``
#: objects cost more than the rest of the invoices list together).
_ROW_COLUMNS = (
    Invoice.id,
    Invoice.number,
    Invoice.customer_id,
    Customer.name,
    Invoice.site_id,
    Site.name,
    Invoice.period_start,
    Invoice.period_end,
    Invoice.issue_date,
    Invoice.due_date,
    Invoice.wh,
    Invoice.subtotal,
    Invoice.vat,
    Invoice.total,
)


def _invoice_row(row: Sequence[Any], as_of: dt.date) -> InvoiceRow:
    """An :func:`_invoice_query` row as it stood at the end of ``as_of``."""
    (id_, number, customer_id, customer_name, site_id, site_name, start, end, issue_date,
     due_date, wh, subtotal, vat, total, paid, stored, band_split) = row  # fmt: skip
    status = invoice_status(total, paid, due_date, as_of, stored == InvoiceStatus.CANCELLED)
    return InvoiceRow(
        id_, number, customer_id, customer_name, site_id, site_name, start, end,
        issue_date, due_date, wh, subtotal, vat, total, paid,
        open_amount=ZERO if status in (PAID, CANCELLED) else total - paid,
        status=status,
        days_overdue=(as_of - due_date).days if status == OVERDUE else 0,
        band_split=band_split,
    )  # fmt: skip


def _customer_filters(
    session: Session, viewer: Viewer, column: InstrumentedAttribute[str], customer_id: object
) -> list[ColumnElement[bool]]:
    """One customer when asked (NotFound if not visible); the scope is :func:`access.restrict`'s."""
    _require(viewer)
    conditions: list[ColumnElement[bool]] = []
    if customer_id is not None:
        conditions.append(column == access.get_customer(session, viewer, customer_id).id)
    return conditions


def list_invoices(
    session: Session,
    viewer: Viewer,
    *,
    customer_id: object = None,
    site_id: object = None,
    period_from: dt.date | None = None,
    period_to: dt.date | None = None,
    status: str | None = None,
    as_of: dt.date | None = None,
    issued: tuple[dt.date, dt.date] | None = None,
) -> list[InvoiceRow]:
    """Invoices the viewer may see, newest due date first, as they stood at the end of ``as_of``.

    ``period_from`` / ``period_to`` keep invoices whose period overlaps those
    days (inclusive). ``status`` is one of :data:`STATUS_FILTERS`: ``open``
    is anything with money still to pay, overdue or not. ``issued`` keeps
    those issued in the days [first, end).
    """
    as_of = as_of or localtime.today()
    conditions = _customer_filters(session, viewer, Invoice.customer_id, customer_id)
    if site_id is not None:
        conditions.append(Invoice.site_id == access.get_site(session, viewer, site_id).id)
    if period_from is not None:
        conditions.append(Invoice.period_end > period_from)
    if period_to is not None:
        conditions.append(Invoice.period_start <= period_to)
    if issued is not None:
        conditions.extend((Invoice.issue_date >= issued[0], Invoice.issue_date < issued[1]))
    paid_amount = _paid_of_invoice(as_of)
    if status is not None:
        conditions.extend(_status_conditions(status, paid_amount, as_of))
    query = visible_invoices(
        _invoice_query(paid_amount).where(*conditions), viewer, as_of
    ).order_by(Invoice.due_date.desc(), Invoice.id.desc())
    return [_invoice_row(row, as_of) for row in session.execute(query)]


def _invoice_query(paid_amount: ColumnElement[Decimal]) -> Select[*tuple[Any, ...]]:
    """Invoices with customer and site names, the amount paid and the band split.

    The greatest ``BandSplit`` of an invoice's lines is ``typical`` when any
    line's split is estimated.
    """
    band_split = (
        select(func.max(InvoiceLine.band_split))
        .where(InvoiceLine.invoice_id == Invoice.id)
        .scalar_subquery()
    )
    return (
        select(*_ROW_COLUMNS, paid_amount, Invoice.status, band_split)
        .join(Customer, Customer.id == Invoice.customer_id)
        .join(Site, Site.id == Invoice.site_id)
    )


def _status_conditions(
    status: str, paid_amount: ColumnElement[Decimal], as_of: dt.date
) -> list[ColumnElement[bool]]:
    issued = Invoice.status == InvoiceStatus.ISSUED
    if status == PAID:
        return [issued, Invoice.total <= paid_amount]
    if status == OPEN:
        return [issued, Invoice.total > paid_amount]
    if status == OVERDUE:
        return [issued, Invoice.total > paid_amount, Invoice.due_date < as_of]
    raise BillingError(_("Unknown invoice status filter: {status}").format(status=status))


def visible_invoices(
    statement: Select[*Columns], viewer: Viewer, as_of: dt.date | None = None
) -> Select[*Columns]:
    """The one rule for which invoices a viewer may see: its customers', once issued."""
    issued = statement.where(Invoice.issue_date <= (as_of or localtime.today()))
    return access.restrict(issued, viewer)


def _get_invoice(session: Session, viewer: Viewer, invoice_id: object) -> Invoice:
    """The invoice if the viewer may see it, else NotFound (whether or not it exists)."""
    _require(viewer)
    invoice = session.scalars(
        visible_invoices(select(Invoice).where(Invoice.id == object_id(invoice_id)), viewer)
    ).one_or_none()
    if invoice is None:
        raise access.NotFound(invoice_id)
    return invoice


@dataclass(frozen=True)
class AppliedPayment:
    payment_id: int
    receipt_number: str | None
    paid_at: dt.datetime | None
    amount: Decimal


@dataclass(frozen=True)
class InvoiceDetail:
    row: InvoiceRow
    contract_number: str
    #: The tariff as contracts store it; ``tariff_label`` is what a reader sees.
    tariff: str
    tariff_label: str
    vat_rate: Decimal
    lines: tuple[BillLine, ...]
    payments: tuple[AppliedPayment, ...]


def invoice_detail(
    session: Session, viewer: Viewer, invoice_id: object, as_of: dt.date | None = None
) -> InvoiceDetail:
    """One invoice with its lines and the payments applied to it."""
    as_of = as_of or localtime.today()
    invoice = _get_invoice(session, viewer, invoice_id)
    row = session.execute(
        _invoice_query(_paid_of_invoice(as_of)).where(Invoice.id == invoice.id)
    ).one()
    contract = session.get_one(Contract, invoice.contract_id)
    applied = session.execute(
        select(Payment.id, Payment.receipt_number, Payment.completed_at, PaymentAllocation.amount)
        .join(PaymentAllocation, PaymentAllocation.payment_id == Payment.id)
        .where(PaymentAllocation.invoice_id == invoice.id)
        .where(Payment.status == PaymentStatus.SUCCEEDED)
        .order_by(Payment.completed_at, Payment.id)
    )
    return InvoiceDetail(
        row=_invoice_row(row, as_of),
        contract_number=contract.number,
        tariff=contract.tariff,
        tariff_label=tariffs.display_name(contract.tariff),
        vat_rate=invoice.vat_rate,
        lines=_bill_lines(invoice),
        payments=tuple(AppliedPayment(*row) for row in applied),
    )


def _bill_lines(invoice: Invoice) -> tuple[BillLine, ...]:
    return tuple(
        BillLine(line.kind, line.quantity, line.unit, line.unit_price, line.amount, line.band_split)
        for line in invoice.lines
    )


# --- debts ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Aging:
    """Open money split into not yet due and the aging buckets of what is overdue."""

    not_due: Decimal
    by_bucket: Mapping[str, Decimal]

    @property
    def overdue(self) -> Decimal:
        return sum(self.by_bucket.values(), ZERO)

    @property
    def open(self) -> Decimal:
        return self.not_due + self.overdue

    @classmethod
    def of(cls, rows: Iterable[InvoiceRow]) -> Aging:
        not_due = ZERO
        by_bucket = dict.fromkeys(AGING_BUCKETS, ZERO)
        for row in rows:
            if row.bucket is None:
                not_due += row.open_amount
            else:
                by_bucket[row.bucket] += row.open_amount
        return cls(not_due, by_bucket)


@dataclass(frozen=True)
class DebtTotal:
    #: A site id in ``DebtReport.by_site``, a customer id in ``by_customer``.
    key: str
    name: str
    customer_id: str
    aging: Aging


@dataclass(frozen=True)
class DebtReport:
    as_of: dt.date
    #: Every invoice with money open, oldest due first (``days_overdue`` / ``bucket`` say how late).
    rows: tuple[InvoiceRow, ...]
    by_site: tuple[DebtTotal, ...]
    by_customer: tuple[DebtTotal, ...]
    total: Aging


def _totals(rows: Sequence[InvoiceRow], by_site: bool) -> tuple[DebtTotal, ...]:
    groups: dict[str, list[InvoiceRow]] = {}
    for row in rows:
        groups.setdefault(row.site_id if by_site else row.customer_id, []).append(row)
    return tuple(
        DebtTotal(
            key=key,
            name=items[0].site_name if by_site else items[0].customer_name,
            customer_id=items[0].customer_id,
            aging=Aging.of(items),
        )
        for key, items in sorted(groups.items())
    )


def debts(
    session: Session,
    viewer: Viewer,
    *,
    customer_id: object = None,
    site_id: object = None,
    as_of: dt.date | None = None,
) -> DebtReport:
    """Open invoices with days overdue and aging buckets, totalled per site and per customer.

    Debt is money of issued invoices still open at the end of ``as_of``
    (default: today in Israel); what is not yet due is totalled apart.
    """
    as_of = as_of or localtime.today()
    rows = list_invoices(
        session, viewer, customer_id=customer_id, site_id=site_id, status=OPEN, as_of=as_of
    )
    return debt_report(rows, as_of)


def debt_report(invoices: Iterable[InvoiceRow], as_of: dt.date) -> DebtReport:
    """The debts among invoices listed by :func:`list_invoices` as of ``as_of``: those with
    money open, as :func:`debts` reports them (a page that lists every invoice anyway
    reads them once)."""
    rows = sorted(
        (row for row in invoices if row.status not in (PAID, CANCELLED)),
        key=lambda row: (row.due_date, row.id),
    )
    return DebtReport(
        as_of=as_of,
        rows=tuple(rows),
        by_site=_totals(rows, by_site=True),
        by_customer=_totals(rows, by_site=False),
        total=Aging.of(rows),
    )


# --- payments -------------------------------------------------------------------------


@dataclass(frozen=True)
class PaymentRow:
    id: int
    customer_id: str
    customer_name: str
    created_at: dt.datetime
    completed_at: dt.datetime | None
    amount: Decimal
    status: str
    method: str
    provider_reference: str | None
    receipt_number: str | None
    #: Why a failed payment failed: a code of ``lounge.payments.FAILURES``.
    failure_reason: str | None
    #: The invoices a succeeded payment settled (in part or in full).
    invoice_numbers: tuple[str, ...]


def list_payments(
    session: Session, viewer: Viewer, *, customer_id: object = None, status: str | None = None
) -> list[PaymentRow]:
    """Payments the viewer may see (failed attempts too), newest first."""
    conditions = _customer_filters(session, viewer, Payment.customer_id, customer_id)
    if status is not None:
        if status not in PAYMENT_STATUSES:
            raise BillingError(_("Unknown payment status filter: {status}").format(status=status))
        conditions.append(Payment.status == status)
    numbers: dict[int, list[str]] = {}
    allocated = session.execute(
        access.restrict(
            select(Payment.id, Invoice.number)
            .join(PaymentAllocation, PaymentAllocation.payment_id == Payment.id)
            .join(Invoice, Invoice.id == PaymentAllocation.invoice_id)
            .where(*conditions)
            .order_by(Invoice.due_date, Invoice.id),
            viewer,
        )
    )
    for payment_id, number in allocated:
        numbers.setdefault(payment_id, []).append(number)
    rows = session.execute(
        access.restrict(
            select(Payment, Customer.name)
            .join(Customer, Customer.id == Payment.customer_id)
            .where(*conditions)
            .order_by(Payment.created_at.desc(), Payment.id.desc()),
            viewer,
        )
    )
    return [
        PaymentRow(
            id=payment.id,
            customer_id=payment.customer_id,
            customer_name=name,
            created_at=payment.created_at,
            completed_at=payment.completed_at,
            amount=payment.amount,
            status=payment.status,
            method=payment.method,
            provider_reference=payment.provider_reference,
            receipt_number=payment.receipt_number,
            failure_reason=payment.failure_reason,
            invoice_numbers=tuple(numbers.get(payment.id, ())),
        )
        for payment, name in rows
    ]


def _get_payment(session: Session, viewer: Viewer, payment_id: object) -> Payment:
    _require(viewer)
    payment = session.scalars(
        access.restrict(select(Payment).where(Payment.id == object_id(payment_id)), viewer)
    ).one_or_none()
    if payment is None:
        raise access.NotFound(payment_id)
    return payment


# --- documents ------------------------------------------------------------------------


def _party(customer: Customer) -> Party:
    return Party(name=customer.name, customer_id=customer.id, tax_id=customer.tax_id)


def _document_language(language: str | None, customer: Customer) -> str:
    return i18n.normalize(language or customer.language)


def bill_document(
    session: Session, viewer: Viewer, invoice_id: object, language: str | None = None
) -> BillDocument:
    """A copy of the invoice for the PDF builder, in ``language`` (default: the customer's).

    Paid and open amounts are as of now; the history is the site's last 13
    months of consumption up to the period's last month, for the chart.
    """
    invoice = _get_invoice(session, viewer, invoice_id)
    customer = session.get_one(Customer, invoice.customer_id)
    site = session.get_one(Site, invoice.site_id)
    contract = session.get_one(Contract, invoice.contract_id)
    paid = paid_amounts(session, [invoice.id]).get(invoice.id, ZERO)
    cancelled = invoice.status == InvoiceStatus.CANCELLED
    last_month = localtime.first_of_month(invoice.period_end - dt.timedelta(days=1))
    history = consumption.monthly(
        session, viewer, customer.id, localtime.add_months(last_month, 1), 13, site.id
    )
    language = _document_language(language, customer)
    with i18n.use(language):
        tariff_label = tariffs.display_name(contract.tariff)
    return BillDocument(
        language=language,
        number=invoice.number,
        issue_date=invoice.issue_date,
        due_date=invoice.due_date,
        period_start=invoice.period_start,
        period_end=invoice.period_end,
        customer=_party(customer),
        site_id=site.id,
        site_name=site.name,
        site_address=site.address,
        contract_number=contract.number,
        tariff=tariff_label,
        meter_number=site.meter_number,
        lines=_bill_lines(invoice),
        subtotal=invoice.subtotal,
        vat_rate=invoice.vat_rate,
        vat=invoice.vat,
        total=invoice.total,
        paid=paid,
        open_amount=ZERO if cancelled else invoice.total - paid,
        status=invoice.status,
        history=tuple(
            (month, int(wh)) for month, wh in zip(history["month"], history["wh"], strict=True)
        ),
    )


def receipt_document(
    session: Session, viewer: Viewer, payment_id: object, language: str | None = None
) -> ReceiptDocument:
    """The receipt of a succeeded payment, in ``language`` (default: the customer's)."""
    payment = _get_payment(session, viewer, payment_id)
    if (
        payment.status != PaymentStatus.SUCCEEDED
        or payment.receipt_number is None
        or payment.completed_at is None
    ):
        raise BillingError(_("Only a payment that went through has a receipt."))
    customer = session.get_one(Customer, payment.customer_id)
    allocations = session.execute(
        select(Invoice.number, Invoice.period_start, Invoice.period_end, PaymentAllocation.amount)
        .join(PaymentAllocation, PaymentAllocation.invoice_id == Invoice.id)
        .where(PaymentAllocation.payment_id == payment.id)
        .order_by(Invoice.due_date, Invoice.id)
    )
    return ReceiptDocument(
        language=_document_language(language, customer),
        receipt_number=payment.receipt_number,
        paid_at=payment.completed_at,
        customer=_party(customer),
        amount=payment.amount,
        method=payment.method,
        provider_reference=payment.provider_reference or "",
        allocations=tuple(ReceiptAllocation(*row) for row in allocations),
    )
