"""The demo's invoices and payments: consistent, repeatable, and telling the debt stories.

Checked as subtests on the demo data each backend generates once per test
session (the ``demo_data`` fixture); test_demo.py compares the bills of the
two generations (:data:`COMPARED`).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db import demo
from db.models import (
    ConsumptionMonthly,
    Invoice,
    InvoiceLine,
    Payment,
    PaymentAllocation,
    PaymentStatus,
)
from lounge import access, billing, localtime, tariffs
from lounge.settings import TIMEZONE
from tests.conftest import DEMO_CUSTOMERS, DEMO_TODAY, Demo

CUSTOMERS, TODAY = DEMO_CUSTOMERS, DEMO_TODAY
DAY = dt.timedelta(days=1)
#: What must come out the same for the same seed and date (no ids: PostgreSQL keeps
#: counting after a test empties a table).
COMPARED = (
    select(Invoice.number, Invoice.site_id, Invoice.period_start, Invoice.period_end,
           Invoice.issue_date, Invoice.due_date, Invoice.wh, Invoice.total),
    select(Invoice.number, InvoiceLine.position, InvoiceLine.kind, InvoiceLine.quantity,
           InvoiceLine.amount).join(Invoice),
    select(Payment.idempotency_key, Payment.customer_id, Payment.amount, Payment.status,
           Payment.completed_at),
    select(Payment.idempotency_key, Invoice.number, PaymentAllocation.amount)
    .join(Payment).join(Invoice),
)  # fmt: skip


def test_demo_billing(demo_data: Demo, subtests: pytest.Subtests):
    with demo_data.read() as session:
        with subtests.test("invoices add up and follow the rollup"):
            _check_invoices(session)
        with subtests.test("payments are allocated, receipted and in the past"):
            _check_payments(session)
        with subtests.test("debts in every bucket, and the stories"):
            _check_debts(session)


def _check_invoices(session: Session) -> None:
    invoices = session.scalars(select(Invoice)).all()
    assert len(invoices) > CUSTOMERS * 12
    energy = {
        (site, month): wh
        for site, month, wh in session.execute(
            select(ConsumptionMonthly.site_id, ConsumptionMonthly.month, ConsumptionMonthly.wh)
        )
    }
    for invoice in invoices:
        assert sum(line.amount for line in invoice.lines) == invoice.subtotal, invoice.number
        assert invoice.vat == tariffs.vat_on(invoice.subtotal, invoice.issue_date), invoice.number
        assert invoice.total == invoice.subtotal + invoice.vat
        assert invoice.period_end < invoice.issue_date < TODAY
        months = localtime.month_starts(invoice.period_start, invoice.period_end - DAY)
        assert invoice.wh == sum(energy.get((invoice.site_id, m), 0) for m in months)
    new_vat = dt.date(2025, 1, 1)
    assert {i.vat_rate for i in invoices if i.issue_date < new_vat} == {Decimal("0.17")}
    assert {i.vat_rate for i in invoices if i.issue_date >= new_vat} == {Decimal("0.18")}
    # each site is billed every month or every two months, without gaps
    by_site: dict[str, list[Invoice]] = {}
    for invoice in sorted(invoices, key=lambda inv: inv.period_start):
        by_site.setdefault(invoice.site_id, []).append(invoice)
    cycles = Counter()
    for bills in by_site.values():
        lengths = {len(localtime.month_starts(b.period_start, b.period_end - DAY)) for b in bills}
        assert len(lengths) == 1
        cycle = lengths.pop()
        cycles[cycle] += 1
        assert all(a.period_end == b.period_start for a, b in zip(bills, bills[1:], strict=False))
        # the latest period is billed unless its customer's bill run is still to come
        assert bills[-1].period_end >= localtime.add_months(TODAY.replace(day=1), -cycle)
    assert set(cycles) == {1, 2}


def _check_payments(session: Session) -> None:
    payments = session.scalars(select(Payment)).all()
    statuses = Counter(payment.status for payment in payments)
    assert statuses[PaymentStatus.SUCCEEDED] > 100 and statuses[PaymentStatus.PENDING] == 0
    due = dict(session.execute(select(Invoice.id, Invoice.due_date)).all())
    late = 0
    for payment in payments:
        assert payment.provider == "sandbox" and payment.completed_at is not None
        paid_on = payment.completed_at.astimezone(TIMEZONE).date()
        assert paid_on < TODAY
        allocated = sum((a.amount for a in payment.allocations), billing.ZERO)
        if payment.status == PaymentStatus.SUCCEEDED:
            assert allocated == payment.amount and payment.receipt_number
        else:
            assert allocated == 0 and payment.receipt_number is None
        late += sum(paid_on > due[a.invoice_id] for a in payment.allocations)
    assert late >= 5
    overpaid = session.execute(
        select(Invoice.number)
        .join(PaymentAllocation, PaymentAllocation.invoice_id == Invoice.id)
        .group_by(Invoice.id, Invoice.number, Invoice.total)
        .having(func.sum(PaymentAllocation.amount) > Invoice.total)
    ).all()
    assert overpaid == []


def _check_debts(session: Session) -> None:
    report = billing.debts(session, access.SYSTEM, as_of=TODAY)
    assert all(amount > 0 for amount in report.total.by_bucket.values()), report.total
    customers = {total.key: total.aging for total in report.by_customer}
    assert customers[demo.FACTORY_CLIENT_ID].by_bucket["90+"] > 0
    chain = [row for row in report.rows if row.customer_id == demo.CHAIN_ID]
    assert 2 <= len(chain) <= 3
    assert any(row.status == billing.OVERDUE for row in chain)
    rows = billing.list_invoices(session, access.SYSTEM, as_of=TODAY)
    statuses = Counter(row.status for row in rows)
    assert statuses[billing.PAID] > 5 * statuses[billing.OVERDUE] > 0
    partly = billing.list_invoices(
        session, access.SYSTEM, customer_id=demo.FACTORY_CLIENT_ID, as_of=TODAY
    )
    assert any(0 < row.paid < row.total for row in partly)
