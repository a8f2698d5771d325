"""How a report value is shown: one rule for the screen, the PDF, the CSV and the XLSX.

A :class:`~reports.documents.ReportColumn`'s ``kind`` says what its raw values
are (Wh, Decimal shekels, ratios, dates). :func:`display` turns a value into the
text a person reads in the active language; :func:`cell_value` and
:func:`number_format` give the number a spreadsheet stores and the format that
makes the spreadsheet show that same text.

Rounding is half up (away from zero) everywhere, as spreadsheets round when
they format a number, so a kWh that is ``1234.5`` shows ``1,235`` in the PDF and
in Excel alike (Python's and Babel's default, half to even, would print
``1,234``).
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from lounge import i18n
from lounge.i18n import _
from reports.documents import ColumnKind, ReportColumn, ReportSection
from reports.rtl import visual

#: Kinds whose values are numbers: aligned at the end of the cell, summed in charts.
NUMERIC_KINDS: frozenset[str] = frozenset({"number", "kwh", "kw", "money", "percent", "change"})
#: Kinds whose raw values are ratios (0.25 = 25%): a share, or a change (-0.03 = 3% less).
RATIO_KINDS: frozenset[str] = frozenset({"percent", "change"})
#: Kinds whose raw values are thousandths of the unit shown (Wh as kWh, W as kW).
_MILLI_KINDS: frozenset[str] = frozenset({"kwh", "kw"})
#: Decimals shown: a percent to a tenth (year-over-year changes are small), money to agorot.
PERCENT_DECIMALS = 1
MONEY_DECIMALS = 2
NUMBER_DECIMALS = 2
#: Spreadsheet dates read the same in every language and sort as text too.
ISO_DATE, ISO_MONTH = "yyyy-mm-dd", "yyyy-mm"


def round_half_up(value: Decimal | int | float, places: int) -> Decimal:
    """``value`` to ``places`` decimals, halves away from zero (how a spreadsheet shows it)."""
    exact = value if isinstance(value, Decimal) else Decimal(str(value))
    return exact.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def cell_value(value: Any, kind: ColumnKind) -> Any:
    """The value a spreadsheet cell stores: kWh (not Wh), money in agorot precision, dates."""
    if value is None:
        return None
    if kind in _MILLI_KINDS:
        return Decimal(value) / 1000
    if kind == "money":
        return round_half_up(value, MONEY_DECIMALS)
    if kind == "month" and isinstance(value, dt.date):
        return value.replace(day=1)
    return value


def display(value: Any, kind: ColumnKind) -> str:
    """The text a reader sees for ``value`` in the active language; empty for ``None``.

    Text is shown as it is in any column (the "Total" label of a totals row
    may sit in a date or month column).
    """
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if kind in _MILLI_KINDS:
        return i18n.format_number(round_half_up(Decimal(value) / 1000, 0))
    if kind == "money":
        return i18n.format_money(round_half_up(value, MONEY_DECIMALS))
    if kind in RATIO_KINDS:
        rounded = float(round_half_up(value, PERCENT_DECIMALS + 2))
        if kind == "change":  # the arrow and the sign, as the screens say a change
            return i18n.format_change(rounded, PERCENT_DECIMALS)
        return i18n.format_percent(rounded, PERCENT_DECIMALS)
    if kind == "number":
        if isinstance(value, int):
            return i18n.format_number(value)
        return i18n.format_number(round_half_up(value, NUMBER_DECIMALS), NUMBER_DECIMALS)
    if kind == "date":
        return i18n.format_date(value)
    if kind == "month":
        return i18n.format_month(value)
    return str(value)


def machine(value: Any, kind: ColumnKind) -> str:
    """The text a CSV holds for ``value``, the same in every language so programs read it:
    ISO dates (``2026-02-20``), months (``2026-02``), plain numbers in the unit shown
    (``1234567.89`` kWh, ``73435.79`` shekels, ``0.125`` for 12.5%)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if kind == "month":
        return f"{value:%Y-%m}"
    if isinstance(value, dt.date):
        return value.isoformat()
    stored = cell_value(value, kind)
    return format(stored, "f") if isinstance(stored, Decimal) else str(stored)


def number_format(value: Any, kind: ColumnKind) -> str | None:
    """Excel's format that shows :func:`cell_value` as :func:`display` does (active language).

    ``None`` keeps Excel's "General" (text and missing values).
    """
    if kind in _MILLI_KINDS:
        return "#,##0"
    if kind == "money":
        return _excel_money_format()
    percent = "0." + "0" * PERCENT_DECIMALS + "%"
    if kind == "change":  # the cell keeps the plain ratio; the format adds the arrow
        half = f"{5 * 10 ** -(PERCENT_DECIMALS + 3):.{PERCENT_DECIMALS + 3}f}"
        return f'[>={half}]"▲ +"{percent};[<=-{half}]"▼ \u2212"{percent};{percent}'
    if kind == "percent":
        return percent
    if kind == "number":
        return "#,##0" if isinstance(value, int) else "#,##0." + "0" * NUMBER_DECIMALS
    if kind == "date":
        return ISO_DATE
    if kind == "month":
        return ISO_MONTH
    return None


def _excel_money_format() -> str:
    """The shekel sign on the side where the PDF prints it.

    A spreadsheet draws a formatted number left to right even in a right-to-left
    sheet, so the format spells the amount in printed (visual) order: ``₪1.00``
    in English, and in Hebrew ``1.00 ₪`` read from the right, i.e. ``₪ 1.00``.
    """
    amount = "#,##0." + "0" * MONEY_DECIMALS
    printed = visual(i18n.format_money(Decimal(1))).replace("\xa0", " ")
    sign, _one, after = printed.partition("1.00")
    if sign.strip():
        return f'"{sign}"{amount}'
    return f'{amount}"{after}"'


def is_numeric(column: ReportColumn) -> bool:
    return column.kind in NUMERIC_KINDS


def totals_row(section: ReportSection) -> dict[str, Any] | None:
    """The section's totals, labelled "Total" in its first column when that cell is free.

    Every output shows the same row, so the label is decided here, once.
    """
    if section.totals is None:
        return None
    first = section.columns[0]
    if section.totals.get(first.key) is None and not is_numeric(first):
        return {**section.totals, first.key: _("Total")}
    return dict(section.totals)


def chart_number(value: Any, kind: ColumnKind) -> float:
    """A value on a chart's axis, in the unit the table shows (kWh, kW, shekels, percent)."""
    if value is None:
        return 0.0
    if kind in RATIO_KINDS:
        return float(value) * 100
    return float(cell_value(value, kind))


def decimal_places(value: Decimal, least: int, most: int) -> int:
    """How many decimals ``value`` needs, between ``least`` and ``most`` (0.534210 -> 5)."""
    exponent = value.normalize().as_tuple().exponent
    needed = -exponent if isinstance(exponent, int) and exponent < 0 else 0
    return max(least, min(most, needed))


def quantity(value: Decimal, most: int = 3) -> str:
    """A quantity or unit price with the decimals it has: ``1,500``, ``0.53421``."""
    return i18n.format_number(value, decimal_places(value, 0, most))


def period(start: dt.date, end: dt.date) -> str:
    """A billing period ``[start, end)`` as people write it, with its last day included."""
    return f"{i18n.format_date(start)} – {i18n.format_date(end - dt.timedelta(days=1))}"
