"""The plain data that documents are built from.

The domain (``lounge.billing``, ``lounge.payments``, ``lounge.reports``) fills
these after checking the viewer's access; the builders in ``reports/`` and the
exporters in ``lounge.exports`` only render them. One document feeds the
screen, the PDF, the CSV and the XLSX, so their figures cannot disagree.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Literal

#: How a column's values are shown: ``kwh`` values are Wh (int) shown as whole kWh,
#: ``kw`` values are W (int) shown as whole kW, ``money`` values are Decimal ILS,
#: ``percent`` values are ratios (0.25 = 25%), and so are ``change`` values, shown with an
#: arrow and a sign (``▲ +2.5%``, ``▼ −3.1%``; a spreadsheet cell keeps the plain ratio).
#: kWh and kW cells show the bare figure, as a spreadsheet does, so the unit belongs in the
#: column's label ("Consumption, kWh").
ColumnKind = Literal["text", "number", "kwh", "kw", "money", "percent", "change", "date", "month"]


@dataclass(frozen=True)
class ReportColumn:
    key: str
    label: str
    kind: ColumnKind = "text"


@dataclass(frozen=True)
class Chart:
    """A small bar chart of one section: categories from ``x`` (a column's key, or a key the
    rows hold for the chart alone), one series per ``y``."""

    x: str
    y: tuple[str, ...]
    stacked: bool = False
    #: Only the first rows (the largest, in a table sorted so), when there are too many.
    rows: int | None = None
    #: ``waterfall``: the rows are a start total, the steps up or down from it and the end
    #: total they come to, of the one ``y`` (a bill comparison's causes).
    kind: Literal["bars", "waterfall"] = "bars"


@dataclass(frozen=True)
class ReportSection:
    title: str
    columns: tuple[ReportColumn, ...]
    rows: tuple[dict[str, Any], ...]
    #: Values for a totals row (same keys as the columns; missing keys stay empty).
    totals: dict[str, Any] | None = None
    chart: Chart | None = None
    note: str | None = None
    #: What the reader must not miss (the figures leave something out): a
    #: warning box on screen, bold in the PDF, the first line in CSV and XLSX.
    warning: str | None = None


@dataclass(frozen=True)
class ReportDocument:
    """A report in one language: labels are already translated, values are raw."""

    language: str
    kind: str
    title: str
    subtitle: str
    generated_at: dt.datetime
    sections: tuple[ReportSection, ...]


@dataclass(frozen=True)
class Party:
    name: str
    customer_id: str
    tax_id: str
    address: str | None = None


@dataclass(frozen=True)
class BillLine:
    #: energy_peak / energy_shoulder / energy_offpeak / energy / fixed / capacity
    kind: str
    quantity: Decimal
    unit: str
    unit_price: Decimal
    amount: Decimal
    #: ``interval`` (measured) or ``typical`` (estimated) on time-of-use energy lines.
    band_split: str | None = None


@dataclass(frozen=True)
class BillDocument:
    """A copy of one invoice, in the customer's language."""

    language: str
    number: str
    issue_date: dt.date
    due_date: dt.date
    period_start: dt.date
    #: Exclusive: the first day after the period.
    period_end: dt.date
    customer: Party
    site_id: str
    site_name: str
    site_address: str | None
    contract_number: str
    tariff: str
    meter_number: str | None
    lines: tuple[BillLine, ...]
    subtotal: Decimal
    vat_rate: Decimal
    vat: Decimal
    total: Decimal
    paid: Decimal
    open_amount: Decimal
    #: (first day of month, Wh) for the last 13 months of the site, oldest first.
    history: tuple[tuple[dt.date, int], ...] = field(default_factory=tuple)
    #: The stored invoice status (``issued`` / ``cancelled``); the copy prints
    #: "Cancelled", or else paid / partly paid / unpaid from ``paid`` and ``open_amount``.
    status: str = "issued"


@dataclass(frozen=True)
class ReceiptAllocation:
    invoice_number: str
    period_start: dt.date
    period_end: dt.date
    amount: Decimal


@dataclass(frozen=True)
class ReceiptDocument:
    language: str
    receipt_number: str
    paid_at: dt.datetime
    customer: Party
    amount: Decimal
    method: str
    provider_reference: str
    allocations: tuple[ReceiptAllocation, ...]


@dataclass(frozen=True)
class LetterDocument:
    """One letter of a posting batch, in its reader's language."""

    language: str
    #: The address window: the recipient's name, then the postal address lines.
    recipient: tuple[str, ...]
    date: dt.date
    subject: str
    body: str
    #: Printed small under the date, so a returned letter can be traced to its message.
    reference: str
