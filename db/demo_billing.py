"""Demo invoices and payments: two years of bills, mostly paid on time, and the debts a demo needs.

Every contract is billed for each period of the demo history (monthly, or
every two months for sites read every two months) from the monthly rollup,
with the same code that issues real invoices (:mod:`lounge.invoicing`). Each
customer issues on its own day of the month (its bill run), so due dates
spread over the month and every aging bucket has something in it.

Payments, through the ``sandbox`` provider, follow each customer's habits:
most pay each bill run on time in one payment, some often pay late, a few
pay part first and the rest later, and the odd card is declined first.
The stories:

- the *prompt payer* (the demo client's retail chain) pays each bill run the
  day after it is issued, except for two bills of the latest run (not yet
  due) and one earlier bill (overdue);
- the *debtor* stopped paying about four months ago (debt in every bucket up
  to 90+), after paying only part of its first unpaid run;
- a few other customers owe their last one to three runs, and if some aging
  bucket is still empty, one more run somewhere is left unpaid to fill it.

Nothing is paid on or after ``today`` (so no timestamp lies in the future) and
nothing is issued on it. Rows go in with bulk inserts: ORM objects one by one
would take most of the demo's time.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

import numpy as np
from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from db.models import (
    ConsumptionMonthly,
    Contract,
    Invoice,
    InvoiceLine,
    Payment,
    PaymentAllocation,
    PaymentStatus,
    Site,
)
from lounge import billing, invoicing, localtime, payments, tariffs
from lounge.invoicing import InvoiceDraft, MonthUsage
from lounge.settings import TIMEZONE

ACTOR = "demo"
HISTORY_MONTHS = 24
#: Days from the end of a period to a customer's bill run: drawn per customer.
ISSUE_LAG_DAYS = (2, 15)
#: Share of customers that often pay late, and how often they do.
LATE_PAYERS = 0.25
LATE_SHARE = (0.2, 0.6)
#: How often anyone else pays late, pays in two parts, or has a card declined first.
OCCASIONALLY_LATE = 0.03
PARTIAL = 0.03
DECLINED_FIRST = 0.015
#: Days after the due date that a late payment arrives.
LATE_DAYS = (1, 60)
#: The debtor's unpaid runs: those due within this many days before today.
DEBTOR_DAYS = 130
#: Customers (besides the stories) that owe their latest runs: one per this many.
CUSTOMERS_PER_DEBTOR = 25
#: From starting a payment to the provider's answer.
PROCESSING = dt.timedelta(seconds=3)


@dataclass(frozen=True)
class BillingSite:
    id: str
    bimonthly: bool
    #: Has 15-minute data, so its time-of-use split can be measured.
    interval: bool


@dataclass(frozen=True)
class Profile:
    """How a customer is billed and pays."""

    issue_lag: int
    late_share: float


@dataclass(frozen=True)
class Bill:
    """An inserted invoice, as the payment plan needs it."""

    id: int
    customer_id: str
    issue_date: dt.date
    due_date: dt.date
    period_start: dt.date
    total: Decimal

    @property
    def run(self) -> tuple[str, dt.date]:
        """The customer's bill run: its invoices issued that day are paid together."""
        return self.customer_id, self.issue_date


@dataclass
class PlannedPayment:
    customer_id: str
    #: When the provider answered (the payment was started ``PROCESSING`` earlier).
    at: dt.datetime
    amount: Decimal
    succeeded: bool
    allocations: list[tuple[int, Decimal]] = field(default_factory=list)


def write(
    session: Session,
    rng: np.random.Generator,
    today: dt.date,
    sites: Sequence[BillingSite],
    *,
    prompt_payer: str,
    debtor: str,
) -> None:
    """Invoices for the demo history and their payments, in the caller's transaction."""
    owners = dict(session.execute(select(Site.id, Site.customer_id)).all())
    profiles = _profiles(rng, sorted(set(owners.values())))
    drafts = _drafts(session, today, sites, owners, profiles)
    bills = _insert_invoices(session, drafts, owners)
    planner = _Planner(rng, today, bills, profiles, prompt_payer, debtor)
    _insert_payments(session, planner.payments())


def _profiles(rng: np.random.Generator, customer_ids: list[str]) -> dict[str, Profile]:
    lags = rng.integers(*ISSUE_LAG_DAYS, size=len(customer_ids))
    late = rng.random(len(customer_ids)) < LATE_PAYERS
    shares = np.where(late, rng.uniform(*LATE_SHARE, size=len(customer_ids)), OCCASIONALLY_LATE)
    return {
        customer: Profile(int(lag), float(share))
        for customer, lag, share in zip(customer_ids, lags, shares, strict=True)
    }


# --- invoices -------------------------------------------------------------------------


def _drafts(
    session: Session,
    today: dt.date,
    sites: Sequence[BillingSite],
    owners: dict[str, str],
    profiles: dict[str, Profile],
) -> list[tuple[str, int, InvoiceDraft]]:
    """(site, contract id, draft) of every period issued before today, per active contract."""
    end = localtime.first_of_month(today)
    first = localtime.add_months(end, -HISTORY_MONTHS)
    contracts: dict[str, list[Contract]] = {}
    for row in session.scalars(select(Contract).order_by(Contract.id)):
        contracts.setdefault(row.site_id, []).append(row)
    energy = {
        (site, month): wh
        for site, month, wh in session.execute(
            select(
                ConsumptionMonthly.site_id, ConsumptionMonthly.month, ConsumptionMonthly.wh
            ).where(ConsumptionMonthly.month >= first)
        )
    }
    drafts = []
    for site in sorted(sites, key=lambda s: s.id):
        lag = profiles[owners[site.id]].issue_lag
        for period in invoicing.billing_periods(first, end, 2 if site.bimonthly else 1):
            contract = invoicing.contract_for(contracts.get(site.id, []), period)
            issue = invoicing.default_issue_date(period, lag)
            if contract is None or issue >= today:
                continue
            tariff = tariffs.tariff(contract.tariff)
            usage = [
                _month_usage(session, site, month, energy.get((site.id, month), 0), tariff)
                for month in period.months
            ]
            draft = invoicing.compute_invoice(tariff, contract.capacity_kva, period, usage, issue)
            drafts.append((site.id, contract.id, draft))
    return drafts


def _month_usage(
    session: Session, site: BillingSite, month: dt.date, wh: int, tariff: tariffs.Tariff
) -> MonthUsage:
    """Only interval sites can have a measured split; the others get the typical one directly."""
    if not tariff.is_time_of_use:
        return MonthUsage(month, wh, {})
    if site.interval:
        return invoicing.band_usage(session, site.id, month, wh)
    return invoicing.typical_usage(month, wh)


def _insert_invoices(
    session: Session, drafts: list[tuple[str, int, InvoiceDraft]], owners: dict[str, str]
) -> list[Bill]:
    """Numbered in issue order within each year, then their lines."""
    drafts.sort(key=lambda item: (item[2].issue_date, item[0]))
    sequence: dict[int, int] = {}
    rows = []
    for site_id, contract_id, draft in drafts:
        year = draft.issue_date.year
        sequence[year] = sequence.get(year, 0) + 1
        rows.append(
            {
                "number": invoicing.invoice_number(year, sequence[year]),
                "customer_id": owners[site_id],
                "contract_id": contract_id,
                "site_id": site_id,
                **invoicing.invoice_values(draft),
            }
        )
    if not rows:
        return []
    connection = session.connection()
    ids = (
        connection.execute(
            insert(Invoice).returning(Invoice.id, sort_by_parameter_order=True), rows
        )
        .scalars()
        .all()
    )
    connection.execute(
        insert(InvoiceLine),
        [
            {"invoice_id": invoice_id, **line}
            for invoice_id, (_site, _contract, draft) in zip(ids, drafts, strict=True)
            for line in invoicing.line_values(draft)
        ],
    )
    return [
        Bill(
            invoice_id,
            str(row["customer_id"]),
            draft.issue_date,
            draft.due_date,
            draft.period.start,
            draft.total,
        )
        for invoice_id, row, (_site, _contract, draft) in zip(ids, rows, drafts, strict=True)
    ]


# --- payments -------------------------------------------------------------------------


class _Planner:
    """Decides which bills stay open (on creation) and when the others are paid."""

    def __init__(
        self,
        rng: np.random.Generator,
        today: dt.date,
        bills: list[Bill],
        profiles: dict[str, Profile],
        prompt_payer: str,
        debtor: str,
    ) -> None:
        self.rng = rng
        self.today = today
        self.profiles = profiles
        self.prompt = prompt_payer
        self.runs: dict[tuple[str, dt.date], list[Bill]] = {}
        for bill in bills:
            self.runs.setdefault(bill.run, []).append(bill)
        #: Runs left unpaid, and those only partly paid, whatever the habits say.
        self.unpaid: set[tuple[str, dt.date]] = set()
        self.part_paid: set[tuple[str, dt.date]] = set()
        #: Single bills left open within otherwise paid runs.
        self.held: set[int] = set()
        self._hold_stories(debtor)
        self._fill_buckets()

    def _runs_of(self, customer: str) -> list[tuple[str, dt.date]]:
        return sorted(run for run in self.runs if run[0] == customer)

    def _overdue(self, run: tuple[str, dt.date]) -> bool:
        return self.runs[run][0].due_date < self.today

    def _hold_stories(self, debtor: str) -> None:
        prompt_runs = self._runs_of(self.prompt)
        if prompt_runs:
            latest = sorted(self.runs[prompt_runs[-1]], key=lambda b: -b.total)
            self.held.update(bill.id for bill in latest[:2])
            earlier = [run for run in prompt_runs[:-1] if self._overdue(run)]
            if earlier:
                self.held.add(self.runs[earlier[-1]][0].id)
        limit = self.today - dt.timedelta(days=DEBTOR_DAYS)
        owed = [run for run in self._runs_of(debtor) if self.runs[run][0].due_date >= limit]
        self.unpaid.update(owed)
        if owed:
            self.part_paid.add(owed[0])
        others = sorted(set(self.profiles) - {self.prompt, debtor})
        count = max(2, len(others) // CUSTOMERS_PER_DEBTOR)
        for customer in self.rng.choice(others, size=min(count, len(others)), replace=False):
            overdue = [run for run in self._runs_of(str(customer)) if self._overdue(run)]
            self.unpaid.update(overdue[-int(self.rng.integers(1, 4)) :])

    def _bucket(self, bill: Bill) -> str | None:
        return billing.aging_bucket((self.today - bill.due_date).days)

    def _fill_buckets(self) -> None:
        """Leave one more run unpaid (not the prompt payer's) for each empty aging bucket."""
        open_bills = [b for run in self.unpaid for b in self.runs[run]]
        open_bills += [b for bills in self.runs.values() for b in bills if b.id in self.held]
        covered = {self._bucket(bill) for bill in open_bills}
        for bucket in billing.AGING_BUCKETS:
            if bucket in covered:
                continue
            candidates = sorted(
                run
                for run, bills in self.runs.items()
                if run[0] != self.prompt and self._bucket(bills[0]) == bucket
            )
            if candidates:
                self.unpaid.add(candidates[int(self.rng.integers(len(candidates)))])

    def payments(self) -> list[PlannedPayment]:
        planned: list[PlannedPayment] = []
        for run in sorted(self.runs):
            bills = [bill for bill in self.runs[run] if bill.id not in self.held]
            if bills and (run not in self.unpaid or run in self.part_paid):
                planned.extend(self._pay_run(run, bills))
        return planned

    def _pay_run(self, run: tuple[str, dt.date], bills: list[Bill]) -> list[PlannedPayment]:
        """The payments of one run: whole, or a part on time and the rest late (or never)."""
        customer, issue = run
        due = bills[0].due_date
        total = sum((bill.total for bill in bills), Decimal("0.00"))
        on_time = issue + dt.timedelta(days=int(self.rng.integers(2, max(3, (due - issue).days))))
        late = due + dt.timedelta(days=int(self.rng.integers(*LATE_DAYS)))
        if customer == self.prompt:
            instalments = [
                (min(issue + dt.timedelta(days=1), self.today - dt.timedelta(days=1)), total)
            ]
        elif run in self.part_paid or self.rng.random() < PARTIAL:
            first = tariffs.to_agorot(total * Decimal(str(round(self.rng.uniform(0.3, 0.8), 2))))
            rest = [] if run in self.part_paid else [(late, total - first)]
            instalments = [(on_time, first), *rest]
        elif self.rng.random() < self.profiles[customer].late_share:
            instalments = [(late, total)]
        else:
            instalments = [(on_time, total)]
        left = {bill.id: bill.total for bill in bills}
        planned = []
        for day, amount in instalments:
            if day >= self.today:
                break
            planned.extend(self._attempts(customer, day, amount, bills, left))
        return planned

    def _attempts(
        self,
        customer: str,
        day: dt.date,
        amount: Decimal,
        bills: list[Bill],
        left: dict[int, Decimal],
    ) -> list[PlannedPayment]:
        """A succeeded payment, sometimes after a declined card an hour or two earlier."""
        minute = int(self.rng.integers(8 * 60, 18 * 60))
        at = dt.datetime.combine(day, dt.time(minute // 60, minute % 60), TIMEZONE)
        open_bills = [
            payments.OpenInvoice(bill.id, bill.due_date, bill.period_start, left[bill.id])
            for bill in bills
            if left[bill.id] > 0
        ]
        parts = payments.allocate(amount, open_bills)
        for invoice_id, part in parts:
            left[invoice_id] -= part
        paid = PlannedPayment(customer, at.astimezone(dt.UTC), amount, True, parts)
        if self.rng.random() >= DECLINED_FIRST:
            return [paid]
        declined_at = at - dt.timedelta(minutes=int(self.rng.integers(30, 180)))
        return [PlannedPayment(customer, declined_at.astimezone(dt.UTC), amount, False), paid]


def _insert_payments(session: Session, planned: Iterable[PlannedPayment]) -> None:
    """Payments with their allocations; receipt numbers once the ids are known."""
    planned = sorted(planned, key=lambda p: (p.at, p.customer_id))
    if not planned:
        return
    rows = []
    for number, payment in enumerate(planned, start=1):
        key = f"demo-payment-{number:07d}"
        rows.append(
            {
                "customer_id": payment.customer_id,
                "idempotency_key": key,
                "amount": payment.amount,
                "method": payments.METHOD,
                "status": PaymentStatus.SUCCEEDED if payment.succeeded else PaymentStatus.FAILED,
                "provider": payments.SandboxProvider.name,
                "provider_reference": payments.SandboxProvider.reference_for(key),
                "failure_reason": None if payment.succeeded else payments.CARD_DECLINED,
                "created_by": ACTOR,
                "created_at": payment.at - PROCESSING,
                "completed_at": payment.at,
            }
        )
    connection = session.connection()
    ids = (
        connection.execute(
            insert(Payment).returning(Payment.id, sort_by_parameter_order=True), rows
        )
        .scalars()
        .all()
    )
    succeeded = [
        (payment_id, payment)
        for payment_id, payment in zip(ids, planned, strict=True)
        if payment.succeeded
    ]
    session.execute(
        update(Payment),
        [
            {"id": payment_id, "receipt_number": payments.receipt_number(payment_id, payment.at)}
            for payment_id, payment in succeeded
        ],
    )
    connection.execute(
        insert(PaymentAllocation),
        [
            {"payment_id": payment_id, "invoice_id": invoice_id, "amount": part}
            for payment_id, payment in succeeded
            for invoice_id, part in payment.allocations
        ],
    )
