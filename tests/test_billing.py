"""The read side of billing: invoices, status, debts and aging, payments, documents, access."""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from decimal import Decimal

import openpyxl
import pytest
from sqlalchemy.orm import Session

from db.models import (
    ConsumptionMonthly,
    Contract,
    Customer,
    Invoice,
    InvoiceLine,
    Payment,
    PaymentAllocation,
    PaymentStatus,
    Site,
)
from db.session import Database
from lounge import access, billing, exports, invoicing, localtime, reporting, tariffs, users
from lounge.access import Viewer
from lounge.invoicing import Period
from lounge.settings import TIMEZONE

AS_OF = dt.date(2026, 7, 20)
JULY = Period(dt.date(2026, 7, 1), dt.date(2026, 8, 1))


@dataclass(frozen=True)
class Books:
    """Customer CA (two sites, Hebrew) managed by ``manager``; CB (one site, English)."""

    client_a: Viewer
    client_b: Viewer
    manager: Viewer
    demand: Viewer
    admin: Viewer
    #: Contract ids by site: SA1 (time of use), SA2 and SB1 (flat).
    contracts: dict[str, int]


def seed_books(db: Database) -> Books:
    with db.session() as session:
        session.add_all(
            [
                Customer(id="CA", name="Acme Steel Works", tax_id="510000011", language="he"),
                Customer(id="CB", name="Zebra Cold Storage", tax_id="510000022", language="en"),
                Site(id="SA1", customer_id="CA", name="Acme Ashdod Plant", region="South",
                     address="1 Port Road, Ashdod", meter_number="M-1001"),
                Site(id="SA2", customer_id="CA", name="Acme Haifa Depot", region="Haifa"),
                Site(id="SB1", customer_id="CB", name="Zebra Eilat", region="South"),
            ]
        )  # fmt: skip
        session.flush()
        contracts = {
            site: Contract(
                number=f"CN-{site}",
                site_id=site,
                tariff=tariff,
                voltage_level=tariffs.tariff(tariff).voltage_level,
                capacity_kva=kva,
                supplier="Israel Electric",
                start_date=dt.date(2024, 1, 1),
            )
            for site, tariff, kva in (
                ("SA1", "General TOU", 1000),
                ("SA2", "Low-voltage flat", 100),
                ("SB1", "Low-voltage flat", 63),
            )
        }
        session.add_all(contracts.values())
        session.add_all(
            ConsumptionMonthly(site_id="SA1", month=month, wh=1_000_000 * month.month)
            for month in localtime.month_starts(dt.date(2025, 6, 1), JULY.start)
        )
        viewers = [
            Viewer.of(
                users.create_user(
                    session,
                    email=email,
                    role=role,
                    password="correct-horse-battery",
                    customer_id=customer,
                    actor="test",
                )
            )
            for email, role, customer in (
                ("client@a.test", "client", "CA"),
                ("client@b.test", "client", "CB"),
                ("manager@a.test", "account_manager", None),
                ("demand@a.test", "demand_staff", None),
                ("admin@a.test", "admin", None),
            )
        ]
        users.assign_manager(session, "manager@a.test", ["CA"], "test")
        session.flush()
        return Books(*viewers, {site: contract.id for site, contract in contracts.items()})


@pytest.fixture
def books(db: Database) -> Books:
    return seed_books(db)


def add_invoice(
    session: Session,
    books: Books,
    site_id: str,
    due_date: dt.date,
    subtotal: str = "1000.00",
    number: str | None = None,
) -> int:
    """A one-line invoice with VAT at 18 %, issued 30 days before it is due."""
    contract = session.get_one(Contract, books.contracts[site_id])
    site = session.get_one(Site, site_id)
    amount = Decimal(subtotal)
    vat = tariffs.to_agorot(amount * Decimal("0.18"))
    period_start = localtime.first_of_month(due_date - dt.timedelta(days=60))
    invoice = Invoice(
        number=number or f"T-{site_id}-{due_date.isoformat()}",
        customer_id=site.customer_id,
        contract_id=contract.id,
        site_id=site_id,
        period_start=period_start,
        period_end=localtime.add_months(period_start, 1),
        issue_date=due_date - dt.timedelta(days=30),
        due_date=due_date,
        wh=1_000_000,
        subtotal=amount,
        vat_rate=Decimal("0.18"),
        vat=vat,
        total=amount + vat,
        lines=[InvoiceLine(position=1, kind="energy", quantity=Decimal(1000), unit="kWh",
                           unit_price=amount / 1000, amount=amount)],
    )  # fmt: skip
    session.add(invoice)
    session.flush()
    return invoice.id


def add_payment(
    session: Session,
    customer_id: str,
    parts: dict[int, str],
    completed: dt.date = AS_OF,
    status: PaymentStatus = PaymentStatus.SUCCEEDED,
    amount: str | None = None,
) -> int:
    """A payment (made at noon Israel time on ``completed``) allocated as ``parts`` says."""
    at = dt.datetime.combine(completed, dt.time(12), TIMEZONE)
    payment = Payment(
        customer_id=customer_id,
        idempotency_key=f"test-key-{customer_id}-{sorted(parts)}-{at.timestamp()}-{status}",
        amount=Decimal(amount) if amount else sum(Decimal(part) for part in parts.values()),
        method="card",
        status=status,
        provider="sandbox",
        provider_reference=f"sbx_{at.timestamp()}",
        failure_reason=None if status == PaymentStatus.SUCCEEDED else "card_declined",
        created_by="test",
        created_at=at,
        completed_at=at,
    )
    session.add(payment)
    session.flush()
    if status == PaymentStatus.SUCCEEDED:
        payment.receipt_number = f"RCP-{completed.year}-{payment.id:06d}"
    session.add_all(
        PaymentAllocation(payment_id=payment.id, invoice_id=invoice_id, amount=Decimal(part))
        for invoice_id, part in parts.items()
    )
    session.flush()
    return payment.id


def _days(n: int) -> dt.date:
    return AS_OF - dt.timedelta(days=n)


# --- aging ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("days", "bucket"),
    [(-3, None), (0, None), (1, "0-30"), (30, "0-30"), (31, "31-60"), (60, "31-60"),
     (61, "61-90"), (90, "61-90"), (91, "90+"), (400, "90+")],
)  # fmt: skip
def test_aging_bucket_edges(days, bucket):
    assert billing.aging_bucket(days) == bucket


def test_debts_by_bucket_site_and_customer(db: Database, books: Books):
    with db.session() as session:
        ids = {
            days: add_invoice(session, books, site, _days(days))
            for days, site in ((30, "SA1"), (31, "SA1"), (60, "SA2"), (61, "SA2"), (90, "SA1"),
                               (91, "SA1"), (0, "SA2"), (-5, "SB1"), (45, "SB1"), (200, "SA2"))
        }  # fmt: skip
        add_payment(session, "CA", {ids[31]: "180.00"}, completed=_days(10))  # part of 1180
        add_payment(session, "CA", {ids[200]: "1180.00"}, completed=_days(150))  # settled
        add_payment(session, "CA", {ids[60]: "1180.00"}, status=PaymentStatus.FAILED)

    with db.session() as session:
        report = billing.debts(session, books.admin, as_of=AS_OF)
        mine = billing.debts(session, books.client_a, as_of=AS_OF)
        every_invoice = billing.list_invoices(session, books.admin, as_of=AS_OF)
    # the page that lists every invoice anyway derives the same report from that list
    assert len(every_invoice) > len(report.rows)
    assert billing.debt_report(every_invoice, AS_OF) == report
    full = Decimal("1180.00")
    days_and_buckets = [(row.number[-10:], row.days_overdue, row.bucket) for row in report.rows]
    assert days_and_buckets == [
        (_days(91).isoformat(), 91, "90+"),
        (_days(90).isoformat(), 90, "61-90"),
        (_days(61).isoformat(), 61, "61-90"),
        (_days(60).isoformat(), 60, "31-60"),
        (_days(45).isoformat(), 45, "31-60"),
        (_days(31).isoformat(), 31, "31-60"),
        (_days(30).isoformat(), 30, "0-30"),
        (_days(0).isoformat(), 0, None),  # due today: not yet overdue
        (_days(-5).isoformat(), 0, None),
    ]
    assert report.total.by_bucket == {
        "0-30": full,
        "31-60": 3 * full - Decimal("180.00"),
        "61-90": 2 * full,
        "90+": full,
    }
    assert report.total.not_due == 2 * full
    assert report.total.open == 9 * full - Decimal("180.00")
    by_site = {total.key: total.aging for total in report.by_site}
    assert by_site["SA1"].by_bucket == {
        "0-30": full, "31-60": full - Decimal("180.00"), "61-90": full, "90+": full
    }  # fmt: skip
    assert by_site["SA2"].by_bucket["61-90"] == by_site["SA2"].by_bucket["31-60"] == full
    assert by_site["SA2"].not_due == by_site["SB1"].not_due == full
    by_customer = {total.key: total for total in report.by_customer}
    assert by_customer["CA"].name == "Acme Steel Works"
    assert by_customer["CA"].aging.overdue == 6 * full - Decimal("180.00")
    assert by_customer["CB"].aging.by_bucket["31-60"] == full
    assert [total.key for total in mine.by_customer] == ["CA"]
    assert mine.total == by_customer["CA"].aging


def test_status_comes_from_succeeded_payments(db: Database, books: Books):
    with db.session() as session:
        paid = add_invoice(session, books, "SA1", _days(40))
        part = add_invoice(session, books, "SA1", _days(-10))
        late_part = add_invoice(session, books, "SA2", _days(10))
        open_ = add_invoice(session, books, "SA2", _days(-20))
        add_payment(session, "CA", {paid: "1000.00"}, completed=_days(50))
        add_payment(session, "CA", {paid: "180.00", part: "1.00", late_part: "500.00"})
        add_payment(session, "CA", {open_: "1180.00"}, status=PaymentStatus.PENDING)

    with db.session() as session:
        rows = {row.id: row for row in billing.list_invoices(session, books.client_a, as_of=AS_OF)}
    assert (rows[paid].status, rows[paid].open_amount) == (billing.PAID, Decimal("0.00"))
    assert (rows[part].status, rows[part].open_amount) == (billing.PARTIALLY_PAID, Decimal("1179"))
    assert (rows[late_part].status, rows[late_part].days_overdue) == (billing.OVERDUE, 10)
    assert rows[late_part].paid == Decimal("500.00")
    assert (rows[open_].status, rows[open_].paid) == (billing.OPEN, Decimal("0.00"))


def test_as_of_counts_only_what_was_paid_and_issued_by_then(db: Database, books: Books):
    with db.session() as session:
        invoice = add_invoice(session, books, "SA1", _days(5))
        add_payment(session, "CA", {invoice: "1180.00"}, completed=AS_OF)
    with db.session() as session:

        def status(as_of: dt.date) -> list[str]:
            return [row.status for row in billing.list_invoices(session, books.admin, as_of=as_of)]

        assert status(AS_OF) == [billing.PAID]
        assert status(AS_OF - dt.timedelta(days=1)) == [billing.OVERDUE]
        assert status(_days(40)) == []  # issued 35 days before AS_OF


def test_list_filters(db: Database, books: Books):
    with db.session() as session:
        may = add_invoice(session, books, "SA1", dt.date(2026, 7, 1))
        june = add_invoice(session, books, "SA2", dt.date(2026, 8, 1))
        paid = add_invoice(session, books, "SA1", dt.date(2026, 6, 1))
        other = add_invoice(session, books, "SB1", dt.date(2026, 7, 1))
        add_payment(session, "CA", {paid: "1180.00"})

    with db.session() as session:

        def ids(viewer: Viewer = books.admin, **filters: object) -> list[int]:
            rows = billing.list_invoices(session, viewer, as_of=AS_OF, **filters)  # type: ignore[arg-type]
            return [row.id for row in rows]

        assert ids() == [june, other, may, paid]  # newest due first
        assert ids(customer_id="CA") == [june, may, paid]
        assert ids(site_id="SA1") == [may, paid]
        assert ids(status=billing.OPEN) == [june, other, may]
        assert ids(status=billing.OVERDUE) == [other, may]
        assert ids(status=billing.PAID) == [paid]
        # periods are the month 60 days before due: April (paid), May, June
        assert ids(period_from=dt.date(2026, 5, 15), period_to=dt.date(2026, 6, 1)) == [
            june,
            other,
            may,
        ]
        # issued 30 days before due: May 2 (paid), June 1 (may, other), July 2 (june)
        assert ids(issued=(dt.date(2026, 6, 1), dt.date(2026, 7, 2))) == [other, may]
        assert ids(issued=(dt.date(2026, 5, 3), dt.date(2026, 7, 3))) == [june, other, may]
        assert ids(books.client_b) == [other]
        with pytest.raises(billing.BillingError, match="late"):
            ids(status="late")


def test_viewers_see_their_own_invoices_only(db: Database, books: Books):
    with db.session() as session:
        own = add_invoice(session, books, "SA1", _days(5))
        other = add_invoice(session, books, "SB1", _days(5))
        receipt = add_payment(session, "CB", {other: "1180.00"})

    with db.session() as session:
        assert [r.id for r in billing.list_invoices(session, books.manager, as_of=AS_OF)] == [own]
        assert {r.id for r in billing.list_invoices(session, books.admin, as_of=AS_OF)} == {
            own,
            other,
        }
        for forged in (other, str(other), "CB", None, True, -1, 2**70, "1 OR 1=1"):
            with pytest.raises(access.NotFound):
                billing.invoice_detail(session, books.client_a, forged)
            with pytest.raises(access.NotFound):
                billing.bill_document(session, books.manager, forged)
        with pytest.raises(access.NotFound):
            billing.receipt_document(session, books.client_a, receipt)
        with pytest.raises(access.NotFound):
            billing.list_invoices(session, books.client_a, customer_id="CB")
        with pytest.raises(access.NotFound):
            billing.debts(session, books.manager, customer_id="CB")
        with pytest.raises(access.NotFound):
            billing.list_payments(session, books.client_a, customer_id="CB")
        assert billing.list_payments(session, books.client_a) == []
        # demand staff work with load, not money: refused outright
        for read in (
            lambda: billing.list_invoices(session, books.demand),
            lambda: billing.debts(session, books.demand),
            lambda: billing.list_payments(session, books.demand),
            lambda: billing.invoice_detail(session, books.demand, own),
            lambda: billing.bill_document(session, books.demand, own),
            lambda: billing.receipt_document(session, books.demand, receipt),
        ):
            with pytest.raises(access.AccessDenied):
                read()


def test_invoice_detail_has_lines_and_payments(db: Database, books: Books):
    with db.session() as session:
        contract = session.get_one(Contract, books.contracts["SA1"])
        invoice = invoicing.issue_invoice(session, contract, JULY, dt.date(2026, 8, 4))
        payment = add_payment(session, "CA", {invoice.id: "100.00"}, completed=dt.date(2026, 8, 9))
    with db.session() as session:
        detail = billing.invoice_detail(session, books.manager, invoice.id, dt.date(2026, 8, 10))
    assert detail.row.number == invoice.number and detail.row.status == billing.PARTIALLY_PAID
    assert detail.contract_number == "CN-SA1" and detail.tariff == "General TOU"
    assert detail.tariff_label == "General time-of-use (medium voltage)"
    assert [line.kind for line in detail.lines][:3] == [
        "energy_peak",
        "energy_shoulder",
        "energy_offpeak",
    ]
    assert sum(line.amount for line in detail.lines) == detail.row.subtotal
    # SA1 has no interval data: its split is an estimate, and says so
    assert [line.band_split for line in detail.lines] == ["typical"] * 3 + [None, None]
    assert detail.row.band_split == "typical"
    assert [(p.payment_id, p.amount) for p in detail.payments] == [(payment, Decimal("100.00"))]
    assert detail.row.open_amount == detail.row.total - Decimal("100.00")


def test_bill_document(db: Database, books: Books):
    with db.session() as session:
        contract = session.get_one(Contract, books.contracts["SA1"])
        invoice = invoicing.issue_invoice(session, contract, JULY)
        add_payment(session, "CA", {invoice.id: "250.50"})
    with db.session() as session:
        doc = billing.bill_document(session, books.client_a, invoice.id)
        english = billing.bill_document(session, books.admin, invoice.id, "en")
        arabic = billing.bill_document(session, books.admin, invoice.id, "ar")
    assert (doc.language, english.language, arabic.language) == ("he", "en", "en")
    assert doc.number == invoice.number and doc.status == "issued"
    assert (doc.period_start, doc.period_end) == (JULY.start, JULY.end)
    assert (doc.issue_date, doc.due_date) == (dt.date(2026, 8, 4), dt.date(2026, 9, 3))
    assert doc.customer.name == "Acme Steel Works" and doc.customer.tax_id == "510000011"
    assert (doc.site_id, doc.site_address, doc.meter_number) == (
        "SA1",
        "1 Port Road, Ashdod",
        "M-1001",
    )
    assert doc.contract_number == "CN-SA1"
    assert english.tariff == "General time-of-use (medium voltage)"
    assert len(doc.lines) == 5 and sum(line.amount for line in doc.lines) == doc.subtotal
    assert doc.vat_rate == Decimal("0.18") and doc.total == doc.subtotal + doc.vat
    assert doc.paid == Decimal("250.50") and doc.open_amount == doc.total - Decimal("250.50")
    expected = [
        (month, 1_000_000 * month.month if month >= dt.date(2025, 6, 1) else 0)
        for month in localtime.month_starts(dt.date(2025, 7, 1), JULY.start)
    ]
    assert list(doc.history) == expected and len(doc.history) == 13


def test_payments_list_and_receipt(db: Database, books: Books):
    with db.session() as session:
        older = add_invoice(session, books, "SA1", _days(40), number="INV-2026-000001")
        newer = add_invoice(session, books, "SA2", _days(10), number="INV-2026-000002")
        failed = add_payment(
            session, "CA", {}, completed=_days(3), status=PaymentStatus.FAILED, amount="99.00"
        )
        paid = add_payment(session, "CA", {newer: "80.00", older: "1180.00"}, completed=_days(2))

    with db.session() as session:
        rows = billing.list_payments(session, books.client_a)
        failed_only = billing.list_payments(session, books.admin, status="failed")
        receipt = billing.receipt_document(session, books.client_a, paid, "en")
        with pytest.raises(billing.BillingError):
            billing.receipt_document(session, books.client_a, failed)
        with pytest.raises(billing.BillingError, match="refunded"):
            billing.list_payments(session, books.admin, status="refunded")
    assert [(row.id, row.status) for row in rows] == [(paid, "succeeded"), (failed, "failed")]
    assert rows[0].invoice_numbers == ("INV-2026-000001", "INV-2026-000002")
    assert rows[1].failure_reason == "card_declined" and rows[1].invoice_numbers == ()
    assert [row.id for row in failed_only] == [failed]
    assert receipt.language == "en" and receipt.receipt_number == f"RCP-2026-{paid:06d}"
    assert receipt.amount == Decimal("1260.00") and receipt.method == "card"
    assert receipt.paid_at.astimezone(TIMEZONE).date() == _days(2)
    assert receipt.customer.customer_id == "CA" and receipt.provider_reference.startswith("sbx_")
    assert [(a.invoice_number, a.amount) for a in receipt.allocations] == [
        ("INV-2026-000001", Decimal("1180.00")),
        ("INV-2026-000002", Decimal("80.00")),
    ]


def test_estimated_splits_are_marked_in_the_billing_report_and_its_exports(
    db: Database, books: Books
):
    with db.session() as session:
        contract = session.get_one(Contract, books.contracts["SA1"])
        invoicing.issue_invoice(session, contract, JULY, dt.date(2026, 8, 4))
    last = localtime.first_of_month(localtime.today())
    request = reporting.ReportRequest.parse(
        "billing", "CA", f"{localtime.add_months(last, -12):%Y-%m}", f"{last:%Y-%m}"
    )
    for language, word, method in (
        ("en", "Estimated", "typical commercial load shape (17% peak, 31% shoulder, 52% off-peak)"),
        ("he", "הערכה", "פרופיל צריכה מסחרי אופייני (17% פסגה, 31% גבע, 52% שפל)"),
    ):
        with db.session() as session:
            document = reporting.build(session, books.client_a, request, language)
        invoices = document.sections[0]
        assert [row["band_split"] for row in invoices.rows] == [word]
        assert invoices.note is not None and method in invoices.note
        csv_text = exports.to_csv(document).decode("utf-8-sig")
        assert word in csv_text and method in csv_text
        sheet = openpyxl.load_workbook(io.BytesIO(exports.to_xlsx(document))).worksheets[0]
        cells = {str(cell.value) for row in sheet.iter_rows() for cell in row if cell.value}
        assert word in cells and any(method in cell for cell in cells)


def test_bill_copy_marks_estimated_lines(db: Database, books: Books):
    with db.session() as session:
        contract = session.get_one(Contract, books.contracts["SA1"])
        invoice = invoicing.issue_invoice(session, contract, JULY, dt.date(2026, 8, 4))
    with db.session() as session:
        doc = billing.bill_document(session, books.client_a, invoice.id, "en")
    assert [line.band_split for line in doc.lines] == ["typical"] * 3 + [None, None]
