"""Paying invoices: a payment-provider adapter, its local sandbox, and :func:`pay`.

Card data never reaches this database or the logs. The page hands the card to
the provider's ``tokenize`` (a real provider does this in the browser, the
sandbox on the server without keeping anything) and passes only the opaque
token on; :func:`pay` sees the token, never the card.

A double click or a retried request must not pay twice. Each payment request
carries an idempotency key (the page makes one per payment form, and a new one
after a failed attempt): the payment row is claimed under that key, unique in
the database, before the provider is called, and the provider is called with
the same key. Whatever happens next, a second request with the key finds the
first payment and returns it as it stands, charging nothing.

Who pays: only a client, for its own customer's invoices. Account managers
and admins never hold a customer's card, so they cannot pay on its behalf
(a payment taken by phone would be a separate, audited flow).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import logging
import re
import secrets
import threading
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, Protocol

from sqlalchemy import delete, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from db.models import (
    Invoice,
    InvoiceStatus,
    Payment,
    PaymentAllocation,
    PaymentStatus,
    Role,
    utcnow,
)
from lounge import access, audit, billing, localtime
from lounge.access import Viewer
from lounge.i18n import N_, _, format_money
from lounge.settings import CURRENCY, TIMEZONE
from lounge.tariffs import AGORA

log = logging.getLogger(__name__)

#: A payment request's idempotency key: what :func:`new_idempotency_key` makes, or a
#: client's own (16-64 letters, digits, ``-`` and ``_``).
KEY_PATTERN = re.compile(r"[A-Za-z0-9_-]{16,64}")
METHOD = "card"
#: No single card payment of a customer reaches a billion shekels.
MAX_AMOUNT = Decimal(10) ** 9

#: Why a charge fails, as providers report it, and what the payer is told.
CARD_DECLINED = "card_declined"
INSUFFICIENT_FUNDS = "insufficient_funds"
INVALID_TOKEN = "invalid_token"
FAILURES = {
    CARD_DECLINED: N_("The card was declined. Try another card."),
    INSUFFICIENT_FUNDS: N_("The card has insufficient funds."),
    INVALID_TOKEN: N_("The card details are no longer valid. Please enter them again."),
}
UNKNOWN_FAILURE = N_("The payment did not go through.")


class PaymentError(ValueError):
    """A payment request that was refused before anything was charged (message translated)."""


class CardError(PaymentError):
    """Card details that cannot be used; ``field`` is number, expiry or cvc."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


class ProviderUnavailable(Exception):
    """Raised by a provider that cannot be reached (the outcome of the charge is unknown)."""


# --- the provider adapter -------------------------------------------------------------


@dataclass(frozen=True)
class CardDetails:
    """A card as typed; never stored, and its number and code never printed."""

    number: str = dataclasses.field(repr=False)
    expiry_month: int | str
    expiry_year: int | str
    cvc: str = dataclasses.field(repr=False)


@dataclass(frozen=True)
class ChargeResult:
    succeeded: bool
    #: The provider's id of the charge (also of a declined one).
    reference: str
    failure_code: str | None = None


class PaymentProvider(Protocol):
    #: Stored on each payment (``Payment.provider``).
    name: str

    def tokenize(self, card: CardDetails) -> str:
        """Check the card and return an opaque token for it (raises :class:`CardError`)."""
        ...

    def charge(
        self, token: str, amount: Decimal, currency: str, idempotency_key: str
    ) -> ChargeResult:
        """Charge once per idempotency key: a repeated key returns the first result.

        Raises :class:`ProviderUnavailable` when the outcome is unknown.
        """
        ...


def _luhn_ok(digits: str) -> bool:
    total = 0
    for position, digit in enumerate(reversed(digits)):
        value = int(digit) * (2 if position % 2 else 1)
        total += value - 9 if value > 9 else value
    return total % 10 == 0


def check_card(card: CardDetails, today: dt.date) -> str:
    """The card number's digits if the card can be charged, else :class:`CardError`.

    What a provider checks before it tokenizes: the number (12-19 digits,
    spaces and dashes allowed, Luhn check digit), an expiry month that has not
    ended, and a 3-4 digit security code.
    """
    digits = re.sub(r"[ -]", "", str(card.number))
    if not (digits.isascii() and digits.isdigit() and 12 <= len(digits) <= 19 and _luhn_ok(digits)):
        raise CardError("number", _("The card number is not valid."))
    month, year = _as_int(card.expiry_month), _as_int(card.expiry_year)
    if month is None or year is None or not 1 <= month <= 12 or year < 0:
        raise CardError("expiry", _("The expiry date is not valid (month 1-12, year YY or YYYY)."))
    if (year + 2000 if year < 100 else year, month) < (today.year, today.month):
        raise CardError("expiry", _("The card has expired."))
    cvc = str(card.cvc).strip()
    if not (cvc.isascii() and cvc.isdigit() and len(cvc) in (3, 4)):
        raise CardError("cvc", _("The security code (CVC) must be 3 or 4 digits."))
    return digits


def _as_int(value: object) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
        return int(value)
    return None


class SandboxProvider:
    """A local stand-in for a card processor: no network, test cards as the big ones use.

    Any valid card succeeds except ``4000 0000 0000 0002`` (declined) and
    ``4000 0000 0000 9995`` (insufficient funds). Tokens carry only the test
    outcome; charge references derive from the idempotency key, so even a
    new sandbox answers a repeated key with the same reference. ``calls`` and
    ``charges`` let tests count what reached the provider; ``unavailable``
    simulates an outage.
    """

    name = "sandbox"
    TEST_OUTCOMES = {"4000000000000002": CARD_DECLINED, "4000000000009995": INSUFFICIENT_FUNDS}
    _APPROVED = "approved"
    _TOKEN = re.compile(
        rf"tok_sandbox_({'|'.join([_APPROVED, *TEST_OUTCOMES.values()])})_[0-9a-f]{{16}}"
    )

    def __init__(self, unavailable: bool = False) -> None:
        self.unavailable = unavailable
        #: Every charge request that reached the sandbox, repeated keys included.
        self.calls = 0
        self._results: dict[str, ChargeResult] = {}
        self._lock = threading.Lock()

    @property
    def charges(self) -> int:
        """Charges that moved money (one per idempotency key at most)."""
        return sum(result.succeeded for result in self._results.values())

    @staticmethod
    def reference_for(idempotency_key: str) -> str:
        return "sbx_" + hashlib.sha256(idempotency_key.encode()).hexdigest()[:24]

    def tokenize(self, card: CardDetails) -> str:
        digits = check_card(card, localtime.today())
        outcome = self.TEST_OUTCOMES.get(digits, self._APPROVED)
        return f"tok_sandbox_{outcome}_{secrets.token_hex(8)}"

    def charge(
        self, token: str, amount: Decimal, currency: str, idempotency_key: str
    ) -> ChargeResult:
        if amount <= 0 or currency != CURRENCY:
            raise ValueError(
                f"the sandbox charges positive {CURRENCY} amounts, not {amount} {currency}"
            )
        with self._lock:
            self.calls += 1
            if self.unavailable:
                raise ProviderUnavailable("sandbox outage")
            if idempotency_key not in self._results:
                match = self._TOKEN.fullmatch(token)
                outcome = match.group(1) if match else INVALID_TOKEN
                self._results[idempotency_key] = ChargeResult(
                    succeeded=outcome == self._APPROVED,
                    reference=self.reference_for(idempotency_key),
                    failure_code=None if outcome == self._APPROVED else outcome,
                )
            return self._results[idempotency_key]


#: The sandbox stands in for an outside service that remembers every idempotency key,
#: so there is one per process (a real provider keeps that memory on its side).
_SANDBOX = SandboxProvider()


def default_provider() -> PaymentProvider:
    """The provider payments go to (the sandbox until a processor is contracted)."""
    return _SANDBOX


# --- allocation and numbers -----------------------------------------------------------


@dataclass(frozen=True)
class OpenInvoice:
    id: int
    due_date: dt.date
    period_start: dt.date
    open_amount: Decimal


def allocate(amount: Decimal, invoices: Iterable[OpenInvoice]) -> list[tuple[int, Decimal]]:
    """(invoice id, part) settling the oldest due invoices first; the last gets the remainder."""
    parts = []
    left = amount
    for invoice in sorted(invoices, key=lambda i: (i.due_date, i.period_start, i.id)):
        if left <= 0:
            break
        part = min(left, invoice.open_amount)
        parts.append((invoice.id, part))
        left -= part
    if left > 0:
        raise ValueError(f"{amount} is more than the open total")
    return parts


def receipt_number(payment_id: int, completed_at: dt.datetime) -> str:
    """``RCP-2026-000123``: unique because the payment id is, with no counter to race for."""
    return f"RCP-{completed_at.astimezone(TIMEZONE).year}-{payment_id:06d}"


def new_idempotency_key() -> str:
    return uuid.uuid4().hex


# --- paying ---------------------------------------------------------------------------


@dataclass(frozen=True)
class PaymentResult:
    payment_id: int
    status: str
    amount: Decimal
    receipt_number: str | None
    failure_reason: str | None
    #: True when the key had been used before: this is that payment, and nothing was charged now.
    replayed: bool

    @property
    def message(self) -> str:
        """What to tell the payer, in the active language."""
        if self.status == PaymentStatus.SUCCEEDED:
            return _("Payment of {amount} received. Receipt {receipt}.").format(
                amount=format_money(self.amount), receipt=self.receipt_number
            )
        if self.status == PaymentStatus.FAILED:
            return _(FAILURES.get(self.failure_reason or "", UNKNOWN_FAILURE))
        return _(
            "The payment service has not answered yet. Press Pay again to ask it once more: "
            "it never charges twice."
        )


def _result(payment: Payment, replayed: bool) -> PaymentResult:
    return PaymentResult(
        payment_id=payment.id,
        status=str(payment.status),
        amount=payment.amount,
        receipt_number=payment.receipt_number,
        failure_reason=payment.failure_reason,
        replayed=replayed,
    )


def parse_amount(value: object) -> Decimal:
    """A positive amount in shekels with at most two decimals (a form may send text or numbers)."""
    amount = _decimal(value)
    if amount is None:
        raise PaymentError(_("The amount must be a number, e.g. 1234.50."))
    if amount <= 0:
        raise PaymentError(_("The amount must be more than zero."))
    if amount >= MAX_AMOUNT:
        raise PaymentError(_("The amount is too large for one payment."))
    if amount % AGORA:
        raise PaymentError(_("The amount can have at most two decimal places (agorot)."))
    return amount + Decimal("0.00")


def _decimal(value: object) -> Decimal | None:
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        return None
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        return None
    return amount if amount.is_finite() else None


def _check_key(value: object) -> str:
    if not isinstance(value, str) or not KEY_PATTERN.fullmatch(value):
        raise PaymentError(_("The payment request is not valid; reload the page and try again."))
    return value


def _check_invoice_ids(session: Session, viewer: Viewer, values: object) -> list[int]:
    """Distinct ids of invoices of the viewer's customer; another customer's is NotFound."""
    if not isinstance(values, list | tuple) or not values:
        raise PaymentError(_("Choose at least one invoice to pay."))
    ids = sorted({billing.object_id(value) for value in values})
    visible = set(
        session.scalars(
            billing.visible_invoices(select(Invoice.id).where(Invoice.id.in_(ids)), viewer)
        )
    )
    if missing := [i for i in ids if i not in visible]:
        raise access.NotFound(missing)
    return ids


def _claim(session: Session, values: dict[str, Any]) -> int | None:
    """Insert the pending payment unless its key exists; its id, or None if the key was taken.

    ``ON CONFLICT DO NOTHING`` is the unique constraint without an error: a
    failed INSERT would abort a PostgreSQL transaction (and SAVEPOINTs are
    unreliable on pysqlite). A concurrent request with the same key waits
    here for the first one's transaction, then finds its payment.
    """
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = (
        insert(Payment)
        .values(values)
        .on_conflict_do_nothing(index_elements=[Payment.idempotency_key])
        .returning(Payment.id)
    )
    return session.scalar(statement)


def _open_invoices(session: Session, ids: Sequence[int]) -> dict[int, tuple[Invoice, Decimal]]:
    """The chosen invoices, locked against concurrent payments, with what is open of each.

    Runs after the claim: on PostgreSQL the row locks serialise payers of the
    same invoices; on SQLite the claim already holds the database's write lock.
    """
    invoices = session.scalars(
        select(Invoice).where(Invoice.id.in_(ids)).order_by(Invoice.id).with_for_update()
    ).all()
    paid = billing.paid_amounts(session, ids)
    return {
        invoice.id: (
            invoice,
            invoice.total - paid.get(invoice.id, billing.ZERO)
            if invoice.status == InvoiceStatus.ISSUED
            else billing.ZERO,
        )
        for invoice in invoices
    }


def _check_amount(amount: Decimal, invoices: dict[int, tuple[Invoice, Decimal]]) -> None:
    for invoice, open_amount in invoices.values():
        if open_amount <= 0:
            raise PaymentError(
                _("Invoice {number} has nothing left to pay.").format(number=invoice.number)
            )
    open_total = sum((open_amount for _invoice, open_amount in invoices.values()), billing.ZERO)
    if amount > open_total:
        raise PaymentError(
            _("The amount {amount} is more than the {total} open on the chosen invoices.").format(
                amount=format_money(amount), total=format_money(open_total)
            )
        )


#: Declined attempts a customer may make in ``DECLINES_WINDOW`` before paying is paused:
#: trying card after card is how stolen cards are tested.
MAX_DECLINES = 5
DECLINES_WINDOW = dt.timedelta(minutes=15)


def _check_not_card_testing(session: Session, customer_id: str) -> None:
    since = utcnow() - DECLINES_WINDOW
    declined = session.scalar(
        select(func.count())
        .select_from(Payment)
        .where(
            Payment.customer_id == customer_id,
            Payment.status == PaymentStatus.FAILED,
            Payment.created_at >= since,
        )
    )
    if (declined or 0) >= MAX_DECLINES:
        raise PaymentError(
            _("Too many declined payments. Please wait {minutes} minutes and try again.").format(
                minutes=int(DECLINES_WINDOW.total_seconds() // 60)
            )
        )


def request_key(page_key: str, invoice_ids: Sequence[int], amount: Decimal) -> str:
    """The key a payment is stored and charged under: the page's key and what it asks for.

    The same form submitted twice (a double click, a retry) asks for the same
    invoices and amount and so finds the first payment; the same form with
    another choice is another payment request, never mistaken for the first.
    """
    request = f"{page_key}|{','.join(map(str, sorted(invoice_ids)))}|{amount}"
    return hashlib.sha256(request.encode()).hexdigest()


def pay(
    session: Session,
    viewer: Viewer,
    invoice_ids: object,
    amount: object,
    idempotency_key: object,
    card_token: str,
    provider: PaymentProvider | None = None,
) -> PaymentResult:
    """Pay ``amount`` towards the chosen invoices with a tokenized card, exactly once per request.

    A request made before (same page key, invoices and amount) returns that
    payment as it stands and charges nothing, unless the provider never
    answered it: then it asks again under the same key, which a provider
    answers with the first charge's outcome rather than charging twice.
    Otherwise the payment is recorded as pending, then charged, then marked
    succeeded (allocated to the invoices, oldest due first, and given a receipt
    number) or failed (nothing allocated). A declined card is a result, not an
    error, and so is an unanswered charge (it stays pending); the caller commits
    as usual, so nothing is lost either way.

    Raises, leaving nothing behind: :class:`PaymentError` (nothing charged) for
    bad input or an amount above what is open; ``AccessDenied`` for anyone but
    a client and ``NotFound`` for another customer's invoice.
    """
    access.require(viewer, Role.CLIENT)
    if viewer.customer_id is None:
        raise access.NotFound(invoice_ids)
    page_key = _check_key(idempotency_key)
    _check_not_card_testing(session, viewer.customer_id)
    value = parse_amount(amount)
    ids = _check_invoice_ids(session, viewer, invoice_ids)
    key = request_key(page_key, ids, value)
    provider = provider or default_provider()
    payment_id = _claim(
        session,
        {
            "customer_id": viewer.customer_id,
            "idempotency_key": key,
            "amount": value,
            "method": METHOD,
            "status": PaymentStatus.PENDING,
            "provider": provider.name,
            "created_by": viewer.email,
            "created_at": utcnow(),
        },
    )
    replayed = payment_id is None
    if payment_id is None:
        earlier = _earlier(session, viewer, key)
        if earlier.status != PaymentStatus.PENDING:
            return _result(earlier, replayed=True)
        payment_id = earlier.id  # its charge was never answered: ask again, same key
    try:
        invoices = _open_invoices(session, ids)
        _check_amount(value, invoices)
    except PaymentError:
        if not replayed:
            # take the claim back, so that nothing is left even if the caller commits
            session.execute(delete(Payment).where(Payment.id == payment_id))
        raise
    payment = session.get_one(Payment, payment_id)
    try:
        charge = provider.charge(card_token, value, CURRENCY, key)
    except ProviderUnavailable:
        log.warning("payment provider %s did not answer (payment %s)", provider.name, payment_id)
        audit.record(session, viewer.email, "payment.unanswered", f"payment:{payment_id}")
        return _result(payment, replayed)  # pending: the next request with the key asks again
    _record(session, viewer, payment, charge, invoices)
    return _result(payment, replayed)


def _earlier(session: Session, viewer: Viewer, key: str) -> Payment:
    """The payment already claimed under ``key`` (locked), if it is the viewer's customer's."""
    payment = session.scalars(
        select(Payment).where(Payment.idempotency_key == key).with_for_update()
    ).one()
    if payment.customer_id != viewer.customer_id:
        raise PaymentError(_("The payment request is not valid; reload the page and try again."))
    return payment


def _record(
    session: Session,
    viewer: Viewer,
    payment: Payment,
    charge: ChargeResult,
    invoices: dict[int, tuple[Invoice, Decimal]],
) -> None:
    """Write the provider's answer: allocations and a receipt number for a succeeded charge."""
    payment.status = PaymentStatus.SUCCEEDED if charge.succeeded else PaymentStatus.FAILED
    payment.provider_reference = charge.reference
    payment.failure_reason = charge.failure_code
    payment.completed_at = utcnow()
    parts: list[tuple[int, Decimal]] = []
    if charge.succeeded:
        parts = allocate(
            payment.amount,
            (
                OpenInvoice(invoice.id, invoice.due_date, invoice.period_start, open_amount)
                for invoice, open_amount in invoices.values()
            ),
        )
        session.add_all(
            PaymentAllocation(payment_id=payment.id, invoice_id=invoice_id, amount=part)
            for invoice_id, part in parts
        )
        payment.receipt_number = receipt_number(payment.id, payment.completed_at)
    audit.record(
        session,
        viewer.email,
        f"payment.{payment.status}",
        f"payment:{payment.id}",
        amount=str(payment.amount),
        invoices=[invoice.number for invoice, _open in invoices.values()],
        allocated={invoices[invoice_id][0].number: str(part) for invoice_id, part in parts},
        failure=payment.failure_reason,
        reference=payment.provider_reference,
    )
    session.flush()
    log.info("payment %s %s (%s)", payment.id, payment.status, payment.customer_id)
