"""Paying invoices: cards, allocation, idempotency, concurrency, access and failures."""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from db.models import AuditLog, Payment, PaymentAllocation
from db.session import Database
from lounge import access, billing, localtime, payments
from lounge.access import Viewer
from lounge.payments import CardDetails, PaymentError, SandboxProvider
from tests.test_billing import Books, add_invoice, seed_books

GOOD = "4242 4242 4242 4242"
DECLINED = "4000 0000 0000 0002"
NO_FUNDS = "4000-0000-0000-9995"
FULL = Decimal("1180.00")
#: Payments happen now, so the invoices they pay are dated from today.
TODAY = localtime.today()


@pytest.fixture
def books(db: Database) -> Books:
    return seed_books(db)


@pytest.fixture
def sandbox() -> SandboxProvider:
    return SandboxProvider()


def _key(n: int = 1) -> str:
    return f"test-payment-key-{n:04d}"


def _token(sandbox: SandboxProvider, number: str = GOOD) -> str:
    return sandbox.tokenize(CardDetails(number, 12, 2031, "123"))


def _invoice(db: Database, books: Books, site: str = "SA1", days_late: int = 5) -> int:
    with db.session() as session:
        return add_invoice(session, books, site, TODAY - dt.timedelta(days=days_late))


def _pay(
    db: Database,
    viewer: Viewer,
    invoice_ids: list[int],
    amount: object,
    sandbox: SandboxProvider,
    key: str | None = None,
    number: str = GOOD,
) -> payments.PaymentResult:
    """One request: its own session, committed unless it raises."""
    with db.session() as session:
        return payments.pay(
            session, viewer, invoice_ids, amount, key or _key(), _token(sandbox, number), sandbox
        )


def _count(db: Database, model: type[Payment] | type[PaymentAllocation]) -> int:
    with db.session() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def _allocations(db: Database) -> dict[int, Decimal]:
    with db.session() as session:
        rows = session.execute(select(PaymentAllocation.invoice_id, PaymentAllocation.amount))
        return {invoice_id: amount for invoice_id, amount in rows}


def _status(db: Database, viewer: Viewer, invoice_id: int) -> tuple[str, Decimal]:
    with db.session() as session:
        row = billing.invoice_detail(session, viewer, invoice_id).row
    return row.status, row.open_amount


# --- cards and amounts ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("number", "month", "year", "cvc", "field"),
    [
        ("4242 4242 4242 4241", 12, 2030, "123", "number"),  # Luhn
        ("4242", 12, 2030, "123", "number"),
        ("4242 4242 4242 424x", 12, 2030, "123", "number"),
        (GOOD, 6, 2026, "123", "expiry"),  # ended before July 2026
        (GOOD, 13, 2030, "123", "expiry"),
        (GOOD, "", 2030, "123", "expiry"),
        (GOOD, 12, 2030, "12", "cvc"),
        (GOOD, 12, 2030, "12a", "cvc"),
    ],
)
def test_card_checks_name_the_bad_field(number, month, year, cvc, field):
    with pytest.raises(payments.CardError) as refused:
        payments.check_card(CardDetails(number, month, year, cvc), dt.date(2026, 7, 20))
    assert refused.value.field == field


def test_a_good_card_becomes_a_token_without_its_number():
    card = CardDetails(GOOD, "7", "26", "1234")  # July 2026 is still good in July
    assert payments.check_card(card, dt.date(2026, 7, 31)) == "4242424242424242"
    token = SandboxProvider().tokenize(CardDetails(GOOD, 7, 2099, "123"))
    assert "4242" not in token and token.startswith("tok_sandbox_")
    assert "4242" not in repr(card) and "1234" not in repr(card)


@pytest.mark.parametrize(
    "amount", [0, "-5", "12.345", "abc", "NaN", "Infinity", None, True, 0.001, [], "1,000"]
)
def test_bad_amounts_are_refused(amount):
    with pytest.raises(PaymentError):
        payments.parse_amount(amount)


@pytest.mark.parametrize(
    ("amount", "parsed"), [(100, "100.00"), ("100.5", "100.50"), (99.99, "99.99"), (" 7 ", "7.00")]
)
def test_amounts_in_shekels_and_agorot(amount, parsed):
    assert str(payments.parse_amount(amount)) == parsed


# --- paying -----------------------------------------------------------------------------


def test_pay_an_invoice_in_full(db: Database, books: Books, sandbox: SandboxProvider):
    invoice = _invoice(db, books)
    result = _pay(db, books.client_a, [invoice], "1180.00", sandbox)
    assert result.status == "succeeded" and not result.replayed
    assert result.receipt_number == f"RCP-{TODAY.year}-{result.payment_id:06d}"
    assert "Receipt" in result.message
    assert _allocations(db) == {invoice: FULL}
    assert _status(db, books.client_a, invoice) == (billing.PAID, Decimal("0.00"))
    assert (sandbox.calls, sandbox.charges) == (1, 1)
    with db.session() as session:
        payment = session.get_one(Payment, result.payment_id)
        key = payments.request_key(_key(), [invoice], FULL)
        assert payment.idempotency_key == key
        assert payment.provider_reference == SandboxProvider.reference_for(key)
        assert payment.created_by == books.client_a.email and payment.completed_at is not None
        audit = session.scalars(select(AuditLog).where(AuditLog.action.like("payment.%"))).one()
        assert (audit.action, audit.target) == ("payment.succeeded", f"payment:{payment.id}")
        assert audit.details and audit.details["amount"] == "1180.00"


def test_partial_payments_add_up(db: Database, books: Books, sandbox: SandboxProvider):
    invoice = _invoice(db, books)
    _pay(db, books.client_a, [invoice], 500, sandbox, _key(1))
    assert _status(db, books.client_a, invoice) == (billing.OVERDUE, Decimal("680.00"))
    _pay(db, books.client_a, [invoice], "680.00", sandbox, _key(2))
    assert _status(db, books.client_a, invoice) == (billing.PAID, Decimal("0.00"))
    assert sandbox.charges == 2


def test_several_invoices_are_paid_oldest_due_first(
    db: Database, books: Books, sandbox: SandboxProvider
):
    newest = _invoice(db, books, "SA1", days_late=-20)
    oldest = _invoice(db, books, "SA2", days_late=40)
    middle = _invoice(db, books, "SA1", days_late=10)
    result = _pay(db, books.client_a, [newest, middle, oldest], "1770.00", sandbox)
    assert result.status == "succeeded"
    assert _allocations(db) == {oldest: FULL, middle: Decimal("590.00")}
    assert _status(db, books.client_a, middle) == (billing.OVERDUE, Decimal("590.00"))
    assert _status(db, books.client_a, newest) == (billing.OPEN, FULL)


def test_more_than_is_open_is_refused_and_nothing_happens(
    db: Database, books: Books, sandbox: SandboxProvider
):
    invoice = _invoice(db, books)
    with db.session() as session:  # a caller that commits after the refusal keeps nothing
        with pytest.raises(PaymentError, match="1,180.01"):
            payments.pay(
                session, books.client_a, [invoice], "1180.01", _key(), _token(sandbox), sandbox
            )
    assert _count(db, Payment) == 0
    _pay(db, books.client_a, [invoice], FULL, sandbox, _key(2))
    with pytest.raises(PaymentError, match=f"T-SA1-{TODAY - dt.timedelta(days=5)}"):
        _pay(db, books.client_a, [invoice], "1.00", sandbox, _key(3))
    assert (_count(db, Payment), sandbox.calls) == (1, 1)


@pytest.mark.parametrize(
    ("number", "reason"),
    [(DECLINED, payments.CARD_DECLINED), (NO_FUNDS, payments.INSUFFICIENT_FUNDS)],
)
def test_a_refused_card_is_recorded_and_pays_nothing(
    db: Database, books: Books, sandbox: SandboxProvider, number: str, reason: str
):
    invoice = _invoice(db, books)
    result = _pay(db, books.client_a, [invoice], FULL, sandbox, number=number)
    assert (result.status, result.failure_reason, result.receipt_number) == ("failed", reason, None)
    assert result.message == payments.FAILURES[reason]
    assert _status(db, books.client_a, invoice) == (billing.OVERDUE, FULL)
    assert _count(db, PaymentAllocation) == 0
    with db.session() as session:
        payment = session.get_one(Payment, result.payment_id)
        assert (payment.status, payment.failure_reason) == ("failed", reason)
        actions = session.scalars(select(AuditLog.action).where(AuditLog.target.like("payment:%")))
        assert actions.all() == ["payment.failed"]
    assert sandbox.charges == 0


def test_the_same_request_twice_makes_one_payment(
    db: Database, books: Books, sandbox: SandboxProvider
):
    invoice = _invoice(db, books)
    first = _pay(db, books.client_a, [invoice], "100.00", sandbox)
    again = _pay(db, books.client_a, [invoice], "100.00", sandbox)
    assert again.payment_id == first.payment_id
    assert again.replayed and not first.replayed
    assert again.receipt_number == first.receipt_number
    assert (sandbox.calls, _count(db, Payment), _count(db, PaymentAllocation)) == (1, 1, 1)


def test_the_same_page_key_with_another_choice_is_another_payment(
    db: Database, books: Books, sandbox: SandboxProvider
):
    """A reply lost, then another amount or invoice chosen on the same page: never
    answered with the first payment's receipt."""
    invoice = _invoice(db, books)
    first = _pay(db, books.client_a, [invoice], "100.00", sandbox)
    other = _pay(db, books.client_a, [invoice], "200.00", sandbox)
    assert other.payment_id != first.payment_id and not other.replayed
    assert other.amount == Decimal("200.00") and other.status == "succeeded"
    assert _status(db, books.client_a, invoice)[1] == FULL - Decimal("300.00")


def test_a_failed_key_stays_failed_and_a_new_key_pays(
    db: Database, books: Books, sandbox: SandboxProvider
):
    invoice = _invoice(db, books)
    failed = _pay(db, books.client_a, [invoice], FULL, sandbox, number=DECLINED)
    again = _pay(db, books.client_a, [invoice], FULL, sandbox)  # same key, good card
    assert (again.payment_id, again.status, again.replayed) == (failed.payment_id, "failed", True)
    paid = _pay(db, books.client_a, [invoice], FULL, sandbox, _key(2))
    assert paid.status == "succeeded" and sandbox.calls == 2


class SlowSandbox(SandboxProvider):
    """Answers after a while, so that a second request arrives while the first waits."""

    def charge(self, token, amount, currency, idempotency_key):
        time.sleep(0.5)
        return super().charge(token, amount, currency, idempotency_key)


def _at_once(
    db: Database, viewer: Viewer, invoice: int, keys: list[str], sandbox: SandboxProvider
) -> tuple[list[payments.PaymentResult], list[Exception]]:
    """Two requests for ``invoice`` started together, each in its own thread and session."""
    token = _token(sandbox)
    start = threading.Barrier(len(keys))
    results: list[payments.PaymentResult] = []
    errors: list[Exception] = []

    def request(key: str) -> None:
        start.wait()
        try:
            with db.session() as session:
                results.append(payments.pay(session, viewer, [invoice], FULL, key, token, sandbox))
        except Exception as exc:  # the test looks at it
            errors.append(exc)

    threads = [threading.Thread(target=request, args=(key,)) for key in keys]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results, errors


def test_concurrent_requests_with_one_key_make_one_payment(db: Database, books: Books):
    invoice = _invoice(db, books)
    sandbox = SlowSandbox()
    results, errors = _at_once(db, books.client_a, invoice, [_key(), _key()], sandbox)
    assert errors == []
    assert len({result.payment_id for result in results}) == 1 and len(results) == 2
    assert sorted(result.replayed for result in results) == [False, True]
    assert {result.status for result in results} == {"succeeded"}
    assert (sandbox.calls, _count(db, Payment), _count(db, PaymentAllocation)) == (1, 1, 1)


def test_concurrent_payments_of_one_invoice_cannot_overpay(db: Database, books: Books):
    invoice = _invoice(db, books)
    sandbox = SlowSandbox()
    results, errors = _at_once(db, books.client_a, invoice, [_key(1), _key(2)], sandbox)
    assert [result.status for result in results] == ["succeeded"]
    assert len(errors) == 1 and isinstance(errors[0], PaymentError)
    assert (sandbox.calls, _count(db, Payment)) == (1, 1)
    assert _status(db, books.client_a, invoice) == (billing.PAID, Decimal("0.00"))


def test_a_provider_outage_keeps_the_payment_pending_and_the_retry_pays_once(
    db: Database, books: Books
):
    invoice = _invoice(db, books)
    down = SandboxProvider(unavailable=True)
    pending = _pay(db, books.client_a, [invoice], FULL, down)
    assert pending.status == "pending" and "has not answered" in pending.message
    assert _count(db, Payment) == 1 and _count(db, PaymentAllocation) == 0
    up = SandboxProvider()
    retried = _pay(db, books.client_a, [invoice], FULL, up)  # the page retries with its key
    assert (retried.payment_id, retried.status, retried.replayed) == (
        pending.payment_id,
        "succeeded",
        True,
    )
    assert up.charges == 1 and _status(db, books.client_a, invoice) == (
        billing.PAID,
        Decimal("0.00"),
    )


class LostAnswerSandbox(SandboxProvider):
    """Charges, then the answer is lost on the way back (a timeout after the fact)."""

    def __init__(self) -> None:
        super().__init__()
        self.lose_next = True

    def charge(self, token, amount, currency, idempotency_key):
        result = super().charge(token, amount, currency, idempotency_key)
        if self.lose_next:
            self.lose_next = False
            raise payments.ProviderUnavailable("timeout")
        return result


def test_a_lost_answer_is_recovered_without_a_second_charge(db: Database, books: Books):
    invoice = _invoice(db, books)
    provider = LostAnswerSandbox()
    assert _pay(db, books.client_a, [invoice], FULL, provider).status == "pending"
    again = _pay(db, books.client_a, [invoice], FULL, provider)
    assert again.status == "succeeded" and again.receipt_number
    assert (provider.calls, provider.charges, _count(db, Payment)) == (2, 1, 1)


# --- who may pay what -------------------------------------------------------------------


def test_another_customers_invoices_are_not_found_and_nothing_is_charged(
    db: Database, books: Books, sandbox: SandboxProvider
):
    own = _invoice(db, books, "SA1")
    other = _invoice(db, books, "SB1")
    for ids in ([other], [own, other], [own, 10**9]):
        with pytest.raises(access.NotFound):
            _pay(db, books.client_a, ids, "10.00", sandbox)
    with pytest.raises(access.NotFound):
        _pay(db, books.client_b, [own], "10.00", sandbox)
    for forged in (["x"], [None], [True], "1,2"):
        with pytest.raises((access.NotFound, PaymentError)):
            _pay(db, books.client_a, forged, "10.00", sandbox)  # type: ignore[arg-type]
    assert (sandbox.calls, _count(db, Payment)) == (0, 0)


def test_only_clients_pay(db: Database, books: Books, sandbox: SandboxProvider):
    invoice = _invoice(db, books)
    for viewer in (books.manager, books.admin, books.demand):
        with pytest.raises(access.AccessDenied):
            _pay(db, viewer, [invoice], "10.00", sandbox)
    assert (sandbox.calls, _count(db, Payment)) == (0, 0)


def test_bad_requests_are_refused_before_anything_is_written(
    db: Database, books: Books, sandbox: SandboxProvider
):
    invoice = _invoice(db, books)
    with pytest.raises(PaymentError, match="at least one invoice"):
        _pay(db, books.client_a, [], "10.00", sandbox)
    for key in ("short", "x" * 65, "bad key with spaces!"):
        with pytest.raises(PaymentError, match="not valid"):
            _pay(db, books.client_a, [invoice], "10.00", sandbox, key)
    with pytest.raises(PaymentError, match="two decimal"):
        _pay(db, books.client_a, [invoice], "10.001", sandbox)
    assert (sandbox.calls, _count(db, Payment)) == (0, 0)


def test_another_customers_key_reveals_nothing(
    db: Database, books: Books, sandbox: SandboxProvider
):
    """Keys are bound to the request's invoices, so another customer's page key only
    ever names that customer's own request: it cannot reach the first payment."""
    first = _pay(db, books.client_a, [_invoice(db, books, "SA1")], "10.00", sandbox)
    own = _pay(db, books.client_b, [_invoice(db, books, "SB1")], "10.00", sandbox)
    assert own.payment_id != first.payment_id and not own.replayed
    assert sandbox.calls == 2


def test_the_card_number_reaches_neither_database_nor_logs(
    db: Database, books: Books, sandbox: SandboxProvider, caplog: pytest.LogCaptureFixture
):
    caplog.set_level(logging.DEBUG)
    invoice = _invoice(db, books)
    _pay(db, books.client_a, [invoice], "10.00", sandbox, _key(1))
    _pay(db, books.client_a, [invoice], "10.00", sandbox, _key(2), number=DECLINED)
    with db.session() as session:
        stored = repr(session.execute(select(Payment.__table__)).all())
        stored += repr(session.execute(select(AuditLog.__table__)).all())
    for secret in ("4242424242424242", GOOD, "0000 0002", "4000000000000002"):
        assert secret not in stored and secret not in caplog.text
    assert "payment" in caplog.text


def test_declined_cards_one_after_another_pause_paying(
    db: Database, books: Books, sandbox: SandboxProvider
):
    invoice = _invoice(db, books)
    for n in range(payments.MAX_DECLINES):
        result = _pay(db, books.client_a, [invoice], FULL, sandbox, _key(n + 10), number=DECLINED)
        assert result.status == "failed"
    with pytest.raises(PaymentError, match="Too many declined payments"):
        _pay(db, books.client_a, [invoice], FULL, sandbox, _key(99))
    assert sandbox.calls == payments.MAX_DECLINES
