"""Typed SQLAlchemy 2 models: the one database layer.

Conventions, and why:
- Customers and sites keep the identifiers of the source systems as primary
  keys (``customer_id``, ``site_id`` in every CSV), so imports are upserts and
  nothing needs a lookup table.
- Reading times are Unix seconds UTC (``start_s``/``end_s``), the convention of
  Green Button as well. The table is the largest by far; integers keep it small,
  compare fast on every backend and never meet a time-zone bug. Energy is
  stored as integer watt-hours so that sums are exact and the inclusive
  thresholds of the VIP rule compare exactly (1,000,000 kWh is 1e9 Wh, not
  999999.9999).
- Other timestamps are timezone-aware UTC (:class:`UTCDateTime`); calendar
  facts (a classification date, a rollup day) are local ``Date`` values.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    TypeDecorator,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

#: An auto-incrementing 64-bit key; SQLite only auto-increments INTEGER keys.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Stores aware datetimes as UTC and always returns them aware (SQLite forgets)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(dt.UTC)

    def process_result_value(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


class ScaledDecimal(TypeDecorator[Decimal]):
    """An exact decimal kept as an integer count of 10**-scale units.

    SQLite has no exact decimal type (SQLAlchemy would go through float), so
    money is stored as integer agorot (scale 2) and rates as millionths of a
    shekel (scale 6) on every backend; Python always sees ``Decimal``.
    """

    impl = BigInteger
    cache_ok = True

    def __init__(self, scale: int) -> None:
        super().__init__()
        self.scale = scale
        self.unit = Decimal(1).scaleb(-scale)

    def process_bind_param(self, value: Decimal | int | None, dialect: Any) -> int | None:
        if value is None:
            return None
        exact = Decimal(value).quantize(self.unit, rounding=ROUND_HALF_UP)
        return int(exact.scaleb(self.scale))

    def process_result_value(self, value: int | None, dialect: Any) -> Decimal | None:
        if value is None:
            return None
        return Decimal(value).scaleb(-self.scale).quantize(self.unit)


#: Shekels with agorot.
Money = ScaledDecimal(2)
#: Prices per unit (e.g. ILS per kWh), to the millionth.
Rate = ScaledDecimal(6)
#: Quantities (kWh, kVA, months), to the thousandth.
Quantity = ScaledDecimal(3)


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Role(StrEnum):
    CLIENT = "client"
    ACCOUNT_MANAGER = "account_manager"
    DEMAND_STAFF = "demand_staff"
    ADMIN = "admin"
    #: The VIP fault desk: every customer's faults (members' first), nothing else.
    FAULT_DESK = "fault_desk"


class Quality(StrEnum):
    ACTUAL = "actual"
    ESTIMATED = "estimated"


class Customer(Base):
    __tablename__ = "customer"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    tax_id: Mapped[str] = mapped_column(String(20), unique=True)
    segment: Mapped[str | None] = mapped_column(String(40))
    language: Mapped[str] = mapped_column(String(5), default="he")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    sites: Mapped[list[Site]] = relationship(back_populates="customer", order_by="Site.id")


class Site(Base):
    __tablename__ = "site"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    customer_id: Mapped[str] = mapped_column(ForeignKey("customer.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    region: Mapped[str] = mapped_column(String(60), index=True)
    address: Mapped[str | None] = mapped_column(String(300))
    supplier: Mapped[str | None] = mapped_column(String(100))
    meter_number: Mapped[str | None] = mapped_column(String(40))
    #: What the site is (store, plant, warehouse, ...), for cuts by group of sites.
    site_type: Mapped[str | None] = mapped_column(String(40))
    #: The first and last local months the site's readings touch (None without
    #: readings), kept by :mod:`lounge.rollups`. The monthly rollup has a row for
    #: every month in between, so the classification finds a site whose data ends
    #: inside its window here (by index) instead of scanning the window.
    first_data_month: Mapped[dt.date | None] = mapped_column(Date)
    last_data_month: Mapped[dt.date | None] = mapped_column(Date, index=True)

    customer: Mapped[Customer] = relationship(back_populates="sites")
    contracts: Mapped[list[Contract]] = relationship(
        back_populates="site", order_by="Contract.start_date"
    )


class Contract(Base):
    __tablename__ = "contract"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    number: Mapped[str] = mapped_column(String(40), unique=True)
    site_id: Mapped[str] = mapped_column(ForeignKey("site.id"), index=True)
    tariff: Mapped[str] = mapped_column(String(60))
    voltage_level: Mapped[str] = mapped_column(String(20))
    capacity_kva: Mapped[int] = mapped_column(Integer)
    supplier: Mapped[str] = mapped_column(String(100))
    start_date: Mapped[dt.date] = mapped_column(Date)
    end_date: Mapped[dt.date | None] = mapped_column(Date)

    site: Mapped[Site] = relationship(back_populates="contracts")


class ImportBatch(Base):
    """One accepted import file: what it was, who sent it, what it changed."""

    __tablename__ = "import_batch"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    filename: Mapped[str] = mapped_column(String(300))
    rows: Mapped[int] = mapped_column(Integer)
    inserted: Mapped[int] = mapped_column(Integer)
    replaced: Mapped[int] = mapped_column(Integer)
    unchanged: Mapped[int] = mapped_column(Integer)
    actor: Mapped[str] = mapped_column(String(200))
    imported_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class Reading(Base):
    """Energy of a site over [start_s, end_s), in Wh.

    The natural key is the primary key: a row with the same site, start and end
    is the same reading, and a new value for it is a correction.
    """

    __tablename__ = "reading"
    __table_args__ = {"sqlite_with_rowid": False}

    site_id: Mapped[str] = mapped_column(ForeignKey("site.id"), primary_key=True)
    start_s: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    end_s: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    wh: Mapped[int] = mapped_column(BigInteger)
    estimated: Mapped[bool] = mapped_column(Boolean, default=False)
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("import_batch.id"))


class ConsumptionMonthly(Base):
    """Energy per site and local calendar month, readings split pro rata by time.

    Built at import from the readings (finer data wins where both exist); the
    classification and every monthly view read this, never the raw rows.

    A site has a row for every month from its first to its last month with
    readings (``Site.first_data_month`` to ``last_data_month``), zero where a
    gap lies between, so that ``rolling_wh`` of one month says everything about
    the 12 months before it.
    """

    __tablename__ = "consumption_monthly"
    __table_args__ = (
        # Every site's row of one month, read off the index alone: the classification.
        # Partial on a condition every row meets, so that only a statement that says
        # so can use it: one over the months of given sites keeps the primary key even
        # when the planner's statistics are stale (PostgreSQL took this index for
        # those, range by range, while an import filled the table it had seen empty).
        Index(
            "ix_consumption_monthly_month",
            "month",
            "site_id",
            "rolling_wh",
            sqlite_where=text("rolling_wh IS NOT NULL"),
            postgresql_where=text("rolling_wh IS NOT NULL"),
        ),
        {"sqlite_with_rowid": False},
    )

    site_id: Mapped[str] = mapped_column(ForeignKey("site.id"), primary_key=True)
    month: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    wh: Mapped[int] = mapped_column(BigInteger)
    estimated_wh: Mapped[int] = mapped_column(BigInteger, default=0)
    #: The site's energy in the 12 months ending with this one (``month`` - 11
    #: months to ``month``): the VIP rule's per-site figure, one row per site.
    #: Always set by the rollups; NULL only on rows written some other way.
    rolling_wh: Mapped[int | None] = mapped_column(BigInteger)


class ConsumptionDaily(Base):
    """Energy per site and local day, from interval readings only.

    Billing reads (one or two months) are not spread over days: that would
    invent a daily shape nobody measured.
    """

    __tablename__ = "consumption_daily"
    __table_args__ = {"sqlite_with_rowid": False}

    site_id: Mapped[str] = mapped_column(ForeignKey("site.id"), primary_key=True)
    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    wh: Mapped[int] = mapped_column(BigInteger)
    estimated_wh: Mapped[int] = mapped_column(BigInteger, default=0)
    #: Highest average demand of any interval that day, in watts.
    peak_w: Mapped[int] = mapped_column(BigInteger, default=0)
    #: Energy per local wall-clock hour (24 little-endian int64 Wh; on the autumn
    #: DST day hour 1 holds both 01:00 hours, on the spring day hour 2 is empty).
    #: Time-of-use bands and the typical-day profile are cut from it at read time,
    #: so a change of the band table needs no rebuild.
    hourly_wh: Mapped[bytes | None] = mapped_column(LargeBinary)
    #: Energy per quarter hour of the day in time order (96 values; 92 on the spring
    #: DST day, 100 on the autumn one), little-endian int32 Wh, or int64 when a value
    #: does not fit (the length tells which). The coincident peak of a group sums it.
    quarter_wh: Mapped[bytes | None] = mapped_column(LargeBinary)


class ClassificationRun(Base):
    __tablename__ = "classification_run"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    as_of: Mapped[dt.date] = mapped_column(Date)
    window_start: Mapped[dt.date] = mapped_column(Date)
    window_end: Mapped[dt.date] = mapped_column(Date)
    customers: Mapped[int] = mapped_column(Integer)
    members: Mapped[int] = mapped_column(Integer)
    entered: Mapped[int] = mapped_column(Integer)
    exited: Mapped[int] = mapped_column(Integer)
    actor: Mapped[str] = mapped_column(String(200))
    ran_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class VipStatus(Base):
    """Current membership of a customer; a row exists once it was ever a member."""

    __tablename__ = "vip_status"

    customer_id: Mapped[str] = mapped_column(ForeignKey("customer.id"), primary_key=True)
    is_vip: Mapped[bool] = mapped_column(Boolean)
    #: The date the current state began (entry for members, exit otherwise).
    since: Mapped[dt.date] = mapped_column(Date)
    rule: Mapped[str | None] = mapped_column(String(20))


class VipEvent(Base):
    __tablename__ = "vip_event"
    __table_args__ = (Index("ix_vip_event_customer_date", "customer_id", "effective_date"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    customer_id: Mapped[str] = mapped_column(ForeignKey("customer.id"))
    event: Mapped[str] = mapped_column(String(10))
    effective_date: Mapped[dt.date] = mapped_column(Date)
    rule: Mapped[str] = mapped_column(String(20))
    window_start: Mapped[dt.date] = mapped_column(Date)
    window_end: Mapped[dt.date] = mapped_column(Date)
    window_wh: Mapped[int] = mapped_column(BigInteger)
    max_site_wh: Mapped[int] = mapped_column(BigInteger)
    max_site_id: Mapped[str | None] = mapped_column(String(40))
    run_id: Mapped[int] = mapped_column(ForeignKey("classification_run.id"))


class User(Base):
    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    full_name: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str] = mapped_column(String(300))
    role: Mapped[str] = mapped_column(String(20))
    customer_id: Mapped[str | None] = mapped_column(ForeignKey("customer.id"))
    language: Mapped[str] = mapped_column(String(5), default="en")
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    #: Part of the login cookie; rotating it signs the user out everywhere.
    session_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class SignInThrottle(Base):
    """Recent failed sign-ins of one key (a client address, or an account from an address).

    In the database, not in a process, so that every server worker sees the same
    counts (see :mod:`lounge.signin`).
    """

    __tablename__ = "sign_in_throttle"

    key: Mapped[str] = mapped_column(String(400), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    last_failure_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
    #: Until when attempts with this key are refused without looking at the password.
    wait_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class ManagerAssignment(Base):
    """The personal account manager of a customer (one at a time)."""

    __tablename__ = "manager_assignment"

    customer_id: Mapped[str] = mapped_column(ForeignKey("customer.id"), primary_key=True)
    manager_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    assigned_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class AssignmentReason(StrEnum):
    """Why a customer got the manager it has: chosen on entering the lounge, or by an admin."""

    ENTRY = "entry"
    REASSIGNED = "reassigned"


class AssignmentHistory(Base):
    """One assignment of a manager to a customer, kept after the next one replaces it."""

    __tablename__ = "assignment_history"
    __table_args__ = (Index("ix_assignment_history_customer_at", "customer_id", "at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    customer_id: Mapped[str] = mapped_column(ForeignKey("customer.id"))
    manager_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    #: The manager it replaced (None for a customer's first).
    previous_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    reason: Mapped[str] = mapped_column(String(20))
    #: Who decided it (an admin's e-mail, or the classification run's actor).
    actor: Mapped[str] = mapped_column(String(254))
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class CustomerNote(Base):
    """A staff note about a customer (the customer never sees it), with its author and time."""

    __tablename__ = "customer_note"
    __table_args__ = (Index("ix_customer_note_customer_at", "customer_id", "at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    customer_id: Mapped[str] = mapped_column(ForeignKey("customer.id"))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    #: The author's name as it was then (notes outlive renames).
    author_name: Mapped[str] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Text)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class ContactRole(StrEnum):
    """A contact's role in the customer's business (who should hear about what)."""

    OWNER = "owner"
    FINANCE = "finance"
    OPERATIONS = "operations"
    ENERGY_MANAGER = "energy_manager"
    OTHER = "other"


class Topic(StrEnum):
    """What a message is about; a contact chooses channels per topic."""

    MEMBERSHIP = "membership"  # entry into and exit from the lounge
    WARNINGS = "warnings"  # peak-load warnings
    OUTAGES = "outages"  # planned and possible outages
    SERVICE = "service"  # requests, faults, meetings


class Channel(StrEnum):
    EMAIL = "email"
    SMS = "sms"
    IN_APP = "in_app"
    POST = "post"


#: Channels a contact can choose (in-app messages go to users who sign in, not to contacts).
CONTACT_CHANNELS = (Channel.EMAIL, Channel.SMS, Channel.POST)


class Contact(Base):
    """A person at a customer who receives notices, over the channels they chose per topic."""

    __tablename__ = "contact"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    customer_id: Mapped[str] = mapped_column(ForeignKey("customer.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20), default=ContactRole.OTHER)
    #: E.164 (``+972501234567``), checked at import and on edit.
    phone: Mapped[str | None] = mapped_column(String(30))
    email: Mapped[str | None] = mapped_column(String(254))
    #: Lines of a letter's address window, newline-separated.
    postal_address: Mapped[str | None] = mapped_column(String(300))
    language: Mapped[str] = mapped_column(String(5), default="he")

    channels: Mapped[list[ContactChannel]] = relationship(
        cascade="all, delete-orphan", order_by="(ContactChannel.topic, ContactChannel.channel)"
    )


class ContactChannel(Base):
    """One choice of a contact: messages on ``topic`` reach them over ``channel``."""

    __tablename__ = "contact_channel"

    contact_id: Mapped[int] = mapped_column(
        ForeignKey("contact.id", ondelete="CASCADE"), primary_key=True
    )
    topic: Mapped[str] = mapped_column(String(20), primary_key=True)
    channel: Mapped[str] = mapped_column(String(10), primary_key=True)


class AuditLog(Base):
    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(254))
    action: Mapped[str] = mapped_column(String(60))
    target: Mapped[str | None] = mapped_column(String(200))
    details: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class InvoiceStatus(StrEnum):
    ISSUED = "issued"
    CANCELLED = "cancelled"


class BandSplit(StrEnum):
    """How an energy line of a time-of-use bill got its share of the energy.

    Ordered so that the greatest code of an invoice's lines says whether any
    of them is estimated.
    """

    #: Measured: the site's interval data, cut by the time-of-use band table.
    INTERVAL = "interval"
    #: Estimated: no interval data, so a typical commercial load shape
    #: (``lounge.invoicing.TYPICAL_SHARES``) shares the month's energy.
    TYPICAL = "typical"


class Invoice(Base):
    """A bill for one contract and period. What is paid of it comes from allocations."""

    __tablename__ = "invoice"
    __table_args__ = (
        Index("ix_invoice_customer_due", "customer_id", "due_date"),
        CheckConstraint("total >= 0", name="total_not_negative"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    number: Mapped[str] = mapped_column(String(30), unique=True)
    customer_id: Mapped[str] = mapped_column(ForeignKey("customer.id"))
    contract_id: Mapped[int] = mapped_column(ForeignKey("contract.id"), index=True)
    site_id: Mapped[str] = mapped_column(ForeignKey("site.id"), index=True)
    #: The billed period, [period_start, period_end) in local dates.
    period_start: Mapped[dt.date] = mapped_column(Date)
    period_end: Mapped[dt.date] = mapped_column(Date)
    issue_date: Mapped[dt.date] = mapped_column(Date)
    due_date: Mapped[dt.date] = mapped_column(Date)
    wh: Mapped[int] = mapped_column(BigInteger)
    subtotal: Mapped[Decimal] = mapped_column(Money)
    vat_rate: Mapped[Decimal] = mapped_column(Rate)
    vat: Mapped[Decimal] = mapped_column(Money)
    total: Mapped[Decimal] = mapped_column(Money)
    status: Mapped[str] = mapped_column(String(12), default=InvoiceStatus.ISSUED)

    lines: Mapped[list[InvoiceLine]] = relationship(
        back_populates="invoice", order_by="InvoiceLine.position"
    )


class InvoiceLine(Base):
    __tablename__ = "invoice_line"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoice.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    #: energy_peak / energy_shoulder / energy_offpeak / energy / fixed / capacity
    kind: Mapped[str] = mapped_column(String(20))
    quantity: Mapped[Decimal] = mapped_column(Quantity)
    #: kWh, kVA or month
    unit: Mapped[str] = mapped_column(String(10))
    unit_price: Mapped[Decimal] = mapped_column(Rate)
    amount: Mapped[Decimal] = mapped_column(Money)
    #: A :class:`BandSplit` on time-of-use energy lines, None on the others.
    band_split: Mapped[str | None] = mapped_column(String(20))

    invoice: Mapped[Invoice] = relationship(back_populates="lines")


class PaymentStatus(StrEnum):
    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class Payment(Base):
    """Money received from a customer. The idempotency key makes a repeated
    request (double click, retry) find the payment it already made."""

    __tablename__ = "payment"
    __table_args__ = (CheckConstraint("amount > 0", name="amount_positive"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    customer_id: Mapped[str] = mapped_column(ForeignKey("customer.id"), index=True)
    idempotency_key: Mapped[str] = mapped_column(String(64), unique=True)
    amount: Mapped[Decimal] = mapped_column(Money)
    method: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(12), default=PaymentStatus.PENDING)
    provider: Mapped[str] = mapped_column(String(30))
    #: The provider's id of the charge; card data never reaches this database.
    provider_reference: Mapped[str | None] = mapped_column(String(100))
    failure_reason: Mapped[str | None] = mapped_column(String(200))
    receipt_number: Mapped[str | None] = mapped_column(String(30), unique=True)
    created_by: Mapped[str] = mapped_column(String(254))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    completed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    allocations: Mapped[list[PaymentAllocation]] = relationship(back_populates="payment")


class PaymentAllocation(Base):
    """The part of a payment that settles one invoice (oldest open invoices first)."""

    __tablename__ = "payment_allocation"
    __table_args__ = (CheckConstraint("amount > 0", name="amount_positive"),)

    payment_id: Mapped[int] = mapped_column(ForeignKey("payment.id"), primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoice.id"), primary_key=True, index=True)
    amount: Mapped[Decimal] = mapped_column(Money)

    payment: Mapped[Payment] = relationship(back_populates="allocations")


class Delivery(StrEnum):
    """Where one message stands. ``sent`` means a provider accepted it (for post: posted);
    ``delivered`` only where the channel reports it (in-app: on writing)."""

    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    DELIVERED = "delivered"
    FAILED = "failed"


class Notification(Base):
    """The outbox: one message to one recipient over one channel, and how its sending went.

    Whatever issues messages (a classification run, a warning, a request update) writes them
    here in the same transaction as the change itself, so a change and its messages are never
    apart; workers send them. ``key`` travels to the provider (Message-ID, gateway idempotency
    key) so a message sent again after a worker died is recognised as the same one.
    """

    __tablename__ = "notification"
    __table_args__ = (
        Index("ix_notification_due", "status", "next_attempt_at"),
        Index("ix_notification_user_unread", "user_id", "read_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    key: Mapped[str] = mapped_column(String(36), unique=True)
    topic: Mapped[str] = mapped_column(String(20))
    #: The template it was written from ("welcome", "farewell", ...).
    kind: Mapped[str] = mapped_column(String(40))
    #: What issued it, e.g. ``vip_event:17``: staff trace a message to its cause.
    source: Mapped[str] = mapped_column(String(60), index=True)
    customer_id: Mapped[str | None] = mapped_column(ForeignKey("customer.id"), index=True)
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contact.id", ondelete="SET NULL"))
    #: The user whose inbox an in-app message is in.
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    channel: Mapped[str] = mapped_column(String(10))
    language: Mapped[str] = mapped_column(String(5))
    #: E-mail address, E.164 number, user's name, or the letter's address lines.
    recipient: Mapped[str] = mapped_column(String(300))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    html: Mapped[str | None] = mapped_column(Text)
    #: Path into the lounge that the message points to.
    link: Mapped[str | None] = mapped_column(String(200))
    #: Parts an SMS is billed as.
    sms_parts: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(10), default=Delivery.QUEUED)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: A worker's claim runs until then; past it, another worker may take the message.
    lease_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    worker: Mapped[str | None] = mapped_column(String(80))
    last_error: Mapped[str | None] = mapped_column(String(500))
    provider_id: Mapped[str | None] = mapped_column(String(200))
    #: The failed electronic message a letter replaces.
    fallback_for_id: Mapped[int | None] = mapped_column(ForeignKey("notification.id"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    delivered_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    read_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    #: The PDF the message carries, as the plain document it is rendered from at sending
    #: (``{"document": name, "facts": {...}}``; :mod:`lounge.notify.attachments` says why).
    attachment: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class NotificationStep(Base):
    """One step in a message's history: an attempt and how it ended, a provider's delivery
    report, a letter posted, an in-app message read. What staff read on the message's page."""

    __tablename__ = "notification_step"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    notification_id: Mapped[int] = mapped_column(
        ForeignKey("notification.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: The message's status after this step (``queued`` after a failed attempt: it will retry).
    status: Mapped[str] = mapped_column(String(10))
    #: The attempt this step ended (none for reports, posting, reading).
    attempt: Mapped[int | None] = mapped_column(Integer)
    #: Who took the step: a worker, ``gateway``, a staff member's e-mail, ``reader``.
    actor: Mapped[str | None] = mapped_column(String(254))
    #: The reason of a failure, or what a provider said.
    detail: Mapped[str | None] = mapped_column(String(500))


class MeetingState(StrEnum):
    SCHEDULED = "scheduled"
    HELD = "held"
    CANCELLED = "cancelled"


class ActionOwner(StrEnum):
    """Who does an action item agreed in a meeting: the company (us) or the customer."""

    US = "us"
    CUSTOMER = "customer"


class Meeting(Base):
    """A meeting of an account manager with a customer (at least one a calendar year).

    ``uid`` and ``sequence`` are the calendar's: every change sent to the customer keeps the UID
    and raises the sequence, so calendar programs update the event instead of adding another.
    """

    __tablename__ = "meeting"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    customer_id: Mapped[str] = mapped_column(ForeignKey("customer.id"), index=True)
    #: The account manager who organised it (an admin may organise one too).
    organiser_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    uid: Mapped[str] = mapped_column(String(100), unique=True)
    sequence: Mapped[int] = mapped_column(Integer, default=0)
    starts_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
    duration_minutes: Mapped[int] = mapped_column(Integer, default=60)
    place: Mapped[str] = mapped_column(String(300), default="")
    video_link: Mapped[str] = mapped_column(String(500), default="")
    state: Mapped[str] = mapped_column(String(12), default=MeetingState.SCHEDULED)
    #: Who comes from the company, and anyone from the customer who is not a contact (free text).
    our_attendees: Mapped[str] = mapped_column(Text, default="")
    their_attendees: Mapped[str] = mapped_column(Text, default="")
    agenda: Mapped[str] = mapped_column(Text, default="")
    minutes: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    contacts: Mapped[list[Contact]] = relationship(
        secondary="meeting_contact", order_by=Contact.name
    )
    actions: Mapped[list[ActionItem]] = relationship(
        back_populates="meeting", cascade="all, delete-orphan", order_by="ActionItem.id"
    )


class MeetingContact(Base):
    """A contact of the customer who attends a meeting."""

    __tablename__ = "meeting_contact"

    meeting_id: Mapped[int] = mapped_column(
        ForeignKey("meeting.id", ondelete="CASCADE"), primary_key=True
    )
    contact_id: Mapped[int] = mapped_column(
        ForeignKey("contact.id", ondelete="CASCADE"), primary_key=True
    )


class ActionItem(Base):
    """Something agreed in a meeting, followed up until done."""

    __tablename__ = "action_item"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    meeting_id: Mapped[int] = mapped_column(
        ForeignKey("meeting.id", ondelete="CASCADE"), index=True
    )
    #: The meeting's customer, kept here too so that lists go through ``access.restrict``.
    customer_id: Mapped[str] = mapped_column(ForeignKey("customer.id"), index=True)
    text: Mapped[str] = mapped_column(String(500))
    owner: Mapped[str] = mapped_column(String(10), default=ActionOwner.US)
    due_date: Mapped[dt.date] = mapped_column(Date)
    done_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    meeting: Mapped[Meeting] = relationship(back_populates="actions")


class RequestKind(StrEnum):
    """What a customer asks for; each kind has its own form fields and SLA."""

    FAULT = "fault"
    METER_INSPECTION = "meter_inspection"
    CONTRACT_CHANGE = "contract_change"
    NEW_CONNECTION = "new_connection"
    BILLING = "billing"
    GENERAL = "general"


class RequestState(StrEnum):
    """Where a request stands, in the order it usually moves."""

    RECEIVED = "received"
    ASSIGNED = "assigned"
    IN_PROGRESS = "in_progress"
    WAITING = "waiting_for_customer"
    RESOLVED = "resolved"
    CLOSED = "closed"


class ServiceRequest(Base):
    """A request or fault report of a customer, opened by its users or by staff on its behalf.

    The kind's own fields (the site of a fault, the contract to change, the invoice in
    question, an address and capacity for a new connection) are columns where they point at
    other rows (so access and joins need no JSON) and ``details`` where they are free values.
    ``due_date`` is the SLA's last working day, fixed when the request is opened.
    """

    __tablename__ = "service_request"
    __table_args__ = (
        Index("ix_service_request_customer_state", "customer_id", "state"),
        Index("ix_service_request_kind_state", "kind", "state"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    customer_id: Mapped[str] = mapped_column(ForeignKey("customer.id"))
    kind: Mapped[str] = mapped_column(String(20))
    #: The kind's subtype (no_supply, tariff, dispute, ...); None where a kind has none.
    subtype: Mapped[str | None] = mapped_column(String(30))
    subject: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    site_id: Mapped[str | None] = mapped_column(ForeignKey("site.id"))
    contract_id: Mapped[int | None] = mapped_column(ForeignKey("contract.id"))
    invoice_id: Mapped[int | None] = mapped_column(ForeignKey("invoice.id"))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    state: Mapped[str] = mapped_column(String(24), default=RequestState.RECEIVED)
    #: A fault of a lounge member (at opening): first in the fault desk's queue.
    priority: Mapped[bool] = mapped_column(Boolean, default=False)
    opened_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    opened_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    due_date: Mapped[dt.date] = mapped_column(Date)
    resolved_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    events: Mapped[list[RequestEvent]] = relationship(
        back_populates="request", order_by="(RequestEvent.at, RequestEvent.id)"
    )
    attachments: Mapped[list[RequestAttachment]] = relationship(
        back_populates="request", order_by="RequestAttachment.id"
    )


class RequestEvent(Base):
    """One line of a request's timeline: a change of state, or a comment (who and when)."""

    __tablename__ = "request_event"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("service_request.id"), index=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    #: The actor's name and role as they were then (the timeline outlives renames).
    actor_name: Mapped[str] = mapped_column(String(200))
    actor_role: Mapped[str] = mapped_column(String(20))
    #: The state entered; None for a comment.
    state: Mapped[str | None] = mapped_column(String(24))
    text: Mapped[str] = mapped_column(Text, default="")
    #: A staff note the customer does not see.
    internal: Mapped[bool] = mapped_column(Boolean, default=False)

    request: Mapped[ServiceRequest] = relationship(back_populates="events")


class RequestAttachment(Base):
    """A file attached to a request; its bytes live under the instance folder, not the web root."""

    __tablename__ = "request_attachment"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("service_request.id"), index=True)
    filename: Mapped[str] = mapped_column(String(200))
    #: Decided from the content (PDF, PNG, JPEG), not from the name.
    content_type: Mapped[str] = mapped_column(String(40))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    #: The file's name in the attachments folder (random; nothing of the user's name).
    stored_as: Mapped[str] = mapped_column(String(64), unique=True)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    uploaded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    request: Mapped[ServiceRequest] = relationship(back_populates="attachments")


class NoticeKind(StrEnum):
    """What a demand-management notice announces."""

    PEAK_WARNING = "peak_warning"  # a peak-load warning: cut load in a window
    POSSIBLE_OUTAGE = "possible_outage"  # a possible temporary outage in the area
    PLANNED_OUTAGE = "planned_outage"  # works that cut supply: at least 5 days ahead
    EMERGENCY_OUTAGE = "emergency_outage"  # labelled as an emergency; no notice period


class NoticeState(StrEnum):
    """Where a notice stands. ``updated`` is an issued notice changed since its issue."""

    DRAFT = "draft"
    SCHEDULED = "scheduled"
    ISSUED = "issued"
    UPDATED = "updated"
    CANCELLED = "cancelled"
    COMPLETED = "completed"


class Notice(Base):
    """A peak-load warning or an outage notice: what, when, for whom, and where it stands.

    The targeting (regions, sites, segments, site types, members only) is kept as the staff
    chose it; what it reached at issue is frozen in :class:`NoticeTarget` (sites) and
    :class:`NoticeRecipient` (contacts and channels), so that an update or a cancellation goes
    to exactly those and to nobody else. Issuing moves ``state`` from draft or scheduled to
    issued by one conditional update, so a notice is issued once even under two requests.
    """

    __tablename__ = "notice"
    __table_args__ = (
        Index("ix_notice_state_scheduled", "state", "scheduled_at"),
        Index("ix_notice_window", "starts_at", "ends_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    state: Mapped[str] = mapped_column(String(12), default=NoticeState.DRAFT)
    #: Peak-load warnings: level 1 to 3 and the reason (heat or cold).
    level: Mapped[int | None] = mapped_column(Integer)
    reason: Mapped[str | None] = mapped_column(String(10))
    #: The event window (or the works), [starts_at, ends_at).
    starts_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    #: The reduction asked for: kW or per cent of the site's load (one of them, or none).
    reduction_kw: Mapped[int | None] = mapped_column(Integer)
    reduction_pct: Mapped[int | None] = mapped_column(Integer)
    #: Staff's words to the customers, as written (shown under the standard text).
    note: Mapped[str] = mapped_column(Text, default="")
    #: The targeting as chosen: lists of region names, site ids, segments, site types.
    regions: Mapped[list[str]] = mapped_column(JSON, default=list)
    site_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    segments: Mapped[list[str]] = mapped_column(JSON, default=list)
    site_types: Mapped[list[str]] = mapped_column(JSON, default=list)
    members_only: Mapped[bool] = mapped_column(Boolean, default=False)
    #: When a scheduled notice is issued by the periodic job.
    scheduled_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    #: Bumped by every update after issue (messages and acknowledgements name it).
    revision: Mapped[int] = mapped_column(Integer, default=0)
    created_by: Mapped[str] = mapped_column(String(254))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    issued_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    issued_by: Mapped[str | None] = mapped_column(String(254))
    updated_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    completed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    targets: Mapped[list[NoticeTarget]] = relationship(
        back_populates="notice", order_by="NoticeTarget.site_id"
    )


class NoticeTarget(Base):
    """A site a notice reached at issue, with its load at stake then (mean W in the window)."""

    __tablename__ = "notice_target"

    notice_id: Mapped[int] = mapped_column(ForeignKey("notice.id"), primary_key=True)
    site_id: Mapped[str] = mapped_column(ForeignKey("site.id"), primary_key=True, index=True)
    customer_id: Mapped[str] = mapped_column(ForeignKey("customer.id"), index=True)
    region: Mapped[str] = mapped_column(String(60))
    #: Mean demand in the event window on the 10 most recent similar days; None without data.
    load_w: Mapped[int | None] = mapped_column(BigInteger)

    notice: Mapped[Notice] = relationship(back_populates="targets")


class NoticeRecipient(Base):
    """One contact and channel (or user, in the lounge) a notice went to at issue: its updates,
    cancellation and completion go to exactly these."""

    __tablename__ = "notice_recipient"
    __table_args__ = (Index("ix_notice_recipient_notice", "notice_id", "customer_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    notice_id: Mapped[int] = mapped_column(ForeignKey("notice.id"))
    customer_id: Mapped[str] = mapped_column(ForeignKey("customer.id"))
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contact.id", ondelete="SET NULL"))
    #: The customer's user an in-app message went to (contacts are reached on their channels).
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    channel: Mapped[str] = mapped_column(String(10))
    language: Mapped[str] = mapped_column(String(5))
    #: The address used at issue (e-mail, E.164 number, letter lines), kept for the follow-ups.
    recipient: Mapped[str] = mapped_column(String(300))


class NoticeAcknowledgement(Base):
    """A customer's acknowledgement of a notice, with the reduction it plans (one per customer)."""

    __tablename__ = "notice_acknowledgement"

    notice_id: Mapped[int] = mapped_column(ForeignKey("notice.id"), primary_key=True)
    customer_id: Mapped[str] = mapped_column(ForeignKey("customer.id"), primary_key=True)
    #: "we will reduce by N kW"; None when the customer only acknowledged.
    planned_kw: Mapped[int | None] = mapped_column(Integer)
    #: The notice's revision acknowledged.
    revision: Mapped[int] = mapped_column(Integer, default=0)
    #: ``lounge`` (the button) or ``link`` (the signed link in a message).
    via: Mapped[str] = mapped_column(String(10))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contact.id", ondelete="SET NULL"))
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class VenState(StrEnum):
    """Where a site's OpenADR registration stands: only approved VENs get events. A VEN may
    cancel its own registration (``cancelled``); asking to register again makes it pending."""

    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    CANCELLED = "cancelled"


class VenRegistration(Base):
    """A site's automated system, an OpenADR 2.0b VEN, as the VTN knows it.

    A registration request (the VEN names the site and connects with its TLS client
    certificate) makes a pending row; demand staff approve it, which gives the VEN its
    ``ven_id`` and ``registration_id``. The certificate's fingerprint identifies the VEN on
    every later message: one certificate, one VEN, one site.
    """

    __tablename__ = "ven_registration"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    site_id: Mapped[str] = mapped_column(ForeignKey("site.id"), index=True)
    customer_id: Mapped[str] = mapped_column(ForeignKey("customer.id"), index=True)
    #: The name the VEN gave (the site's id, by the lounge's convention).
    ven_name: Mapped[str] = mapped_column(String(100))
    #: The OpenADR fingerprint of the VEN's client certificate (``AB:CD:...``).
    fingerprint: Mapped[str] = mapped_column(String(64), unique=True)
    state: Mapped[str] = mapped_column(String(10), default=VenState.PENDING)
    #: Given at approval; unique across the VTN.
    ven_id: Mapped[str | None] = mapped_column(String(40), unique=True)
    registration_id: Mapped[str | None] = mapped_column(String(40), unique=True)
    requested_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    decided_by: Mapped[str | None] = mapped_column(String(254))

    site: Mapped[Site] = relationship()


class OpenADREvent(Base):
    """A notice as an OpenADR event: its id and modification number survive a VTN restart.

    ``notice_revision`` is the notice's revision last published: an update of the notice
    bumps ``modification_number`` once; a cancellation sets ``cancelled_at`` and bumps it too.
    """

    __tablename__ = "openadr_event"

    notice_id: Mapped[int] = mapped_column(ForeignKey("notice.id"), primary_key=True)
    event_id: Mapped[str] = mapped_column(String(40), unique=True)
    modification_number: Mapped[int] = mapped_column(Integer, default=0)
    notice_revision: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    modified_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    cancelled_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    notice: Mapped[Notice] = relationship()


class OpenADRDelivery(Base):
    """An event as one VEN has it: the modification last delivered and the VEN's opt answer.

    Linked to the notice's target (the VEN's site was reached by the notice): a VEN is only
    ever given, and only ever answers, events of its own site.
    """

    __tablename__ = "openadr_delivery"
    __table_args__ = (
        ForeignKeyConstraint(
            ["notice_id", "site_id"],
            ["notice_target.notice_id", "notice_target.site_id"],
            name="fk_openadr_delivery_target",
        ),
    )

    notice_id: Mapped[int] = mapped_column(ForeignKey("openadr_event.notice_id"), primary_key=True)
    ven_registration_id: Mapped[int] = mapped_column(
        ForeignKey("ven_registration.id"), primary_key=True, index=True
    )
    site_id: Mapped[str] = mapped_column(String(40))
    customer_id: Mapped[str] = mapped_column(ForeignKey("customer.id"), index=True)
    delivered_modification: Mapped[int | None] = mapped_column(Integer)
    delivered_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    #: ``optIn`` or ``optOut``, as the VEN last answered, and to which modification.
    opt_type: Mapped[str | None] = mapped_column(String(8))
    opt_modification: Mapped[int | None] = mapped_column(Integer)
    opt_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    ven: Mapped[VenRegistration] = relationship()


class SurveySubject(StrEnum):
    """What a satisfaction survey asks about."""

    MEETING = "meeting"
    REQUEST = "request"


class Survey(Base):
    """One satisfaction survey sent to one recipient after a meeting held or a request closed.

    A row per invitation: each of the customer's contacts (reached on their channels, with a
    signed link naming this row) and each of its users (in the lounge). ``subject`` and
    ``subject_id`` name the meeting or request; with ``recipient`` they are unique, so that a
    meeting recorded as held twice, or a repeated close, invites nobody twice. ``manager_id`` is
    the customer's manager when it was sent: results stay with the manager who served, whatever
    reassignments come later. The score is answered once; a score of 1 or 2 waits on the
    manager's week until someone records the follow-up.
    """

    __tablename__ = "survey"
    __table_args__ = (
        Index("uq_survey_subject_recipient", "subject", "subject_id", "recipient", unique=True),
        Index("ix_survey_manager_answered", "manager_id", "answered_at"),
        CheckConstraint("score IS NULL OR (score >= 1 AND score <= 5)", name="score_1_to_5"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    customer_id: Mapped[str] = mapped_column(ForeignKey("customer.id"), index=True)
    subject: Mapped[str] = mapped_column(String(10))
    subject_id: Mapped[int] = mapped_column(BigInteger)
    manager_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    #: ``contact:<id>`` or ``user:<id>``: whom this invitation went to.
    recipient: Mapped[str] = mapped_column(String(40))
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contact.id", ondelete="SET NULL"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    sent_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    score: Mapped[int | None] = mapped_column(Integer)
    comment: Mapped[str] = mapped_column(Text, default="")
    answered_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    #: ``lounge`` (signed in) or ``link`` (the signed link of a message).
    answered_via: Mapped[str | None] = mapped_column(String(10))
    follow_up_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    follow_up_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    #: The follow-up's author's name as it was then.
    follow_up_by: Mapped[str | None] = mapped_column(String(200))
