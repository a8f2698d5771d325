"""Reports as files for a spreadsheet: CSV and XLSX, with the PDF's figures.

Both take the :class:`~reports.documents.ReportDocument` the screen and the PDF
are made from, and show each value by the same rule
(:mod:`reports.values`): the CSV carries the displayed text, the XLSX stores
the number (kWh, shekels, real dates) with a number format that displays that
same text. Free text that a spreadsheet would run as a formula is defused.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from typing import Any

from openpyxl import Workbook
from openpyxl.cell.cell import Cell
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from lounge import i18n
from lounge.company import COMPANY
from lounge.i18n import _
from reports import rtl, values
from reports.documents import ReportDocument, ReportSection

#: UTF-8 with a byte order mark: without it Excel reads a CSV as the local code page
#: and Hebrew turns into mojibake.
CSV_ENCODING = "utf-8-sig"
#: First characters that make a spreadsheet run a CSV field as a formula (OWASP "CSV injection").
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

SHEET_NAME_LIMIT = 31
#: The period at the end of a title: from its first word with a digit to the end.
_PERIOD = re.compile(r"\s\S*\d.*$")
_SHEET_NAME_FORBIDDEN = re.compile(r"[\\/*?:\[\]]")
#: Rows above a sheet's table: title, subtitle, note; the header row comes next.
HEADER_ROW = 4
_HEADER_FILL = PatternFill("solid", fgColor="1F3A5F")
_HEADER_FONT = Font(bold=True, color="FFFFFF")
_TITLE_FONT = Font(bold=True, size=14)
_WARNING_FONT = Font(bold=True, color="9C2A00")
_CENTERED = Alignment(horizontal="center")
_TOTAL_BORDER = Border(top=Side(style="thin", color="1F3A5F"))
_MAX_COLUMN_WIDTH = 60
#: More columns than this print on landscape paper.
LANDSCAPE_COLUMNS = 6


def to_csv(doc: ReportDocument) -> bytes:
    """The report as CSV: the title lines, then per section a title, header, rows and totals."""
    with i18n.use(doc.language):
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerows([_safe(line)] for line in _document_lines(doc))
        for section in doc.sections:
            writer.writerow([])
            writer.writerow([_safe(section.title)])
            if section.warning:
                writer.writerow([_safe(section.warning)])
            if section.note:
                writer.writerow([_safe(section.note)])
            writer.writerow([_safe(column.label) for column in section.columns])
            writer.writerows(_csv_row(section, row) for row in _table_rows(section))
        return buffer.getvalue().encode(CSV_ENCODING)


def to_xlsx(doc: ReportDocument) -> bytes:
    """The report as an Excel workbook, one sheet per section (right to left in Hebrew)."""
    with i18n.use(doc.language):
        workbook = Workbook()
        workbook.remove(workbook.active)
        workbook.properties.title = doc.title
        workbook.properties.creator = _(COMPANY.name)
        names = sheet_names([section.title for section in doc.sections])
        for section, name in zip(doc.sections, names, strict=True):
            sheet = workbook.create_sheet(name)
            _write_sheet(sheet, doc, section)
            sheet.sheet_view.rightToLeft = i18n.is_rtl()
        buffer = io.BytesIO()
        workbook.save(buffer)
        return buffer.getvalue()


def sheet_names(titles: Sequence[str]) -> list[str]:
    """Valid, distinct sheet names: no ``\\/*?:[]``, at most 31 characters, unique
    regardless of case (Excel refuses a workbook otherwise)."""
    names: list[str] = []
    taken: set[str] = set()
    for index, title in enumerate(titles, start=1):
        cleaned = " ".join(_SHEET_NAME_FORBIDDEN.sub(" ", title).split()).strip("'")
        base = cleaned or _("Sheet {number}").format(number=index)
        name = _shorten(base, SHEET_NAME_LIMIT)
        copy = 1
        while name.casefold() in taken:
            copy += 1
            suffix = f" ({copy})"
            name = _shorten(base, SHEET_NAME_LIMIT - len(suffix)) + suffix
        taken.add(name.casefold())
        names.append(name)
    return names


def _shorten(title: str, limit: int) -> str:
    """``title`` in at most ``limit`` characters with its period whole: the words before
    the period give way, marked by an ellipsis. Cutting the end lost the year's last
    digit of the Hebrew "Debts by age on 23 Nov 2026" (32 characters)."""
    if len(title) <= limit:
        return title
    period = _PERIOD.search(title)
    tail = period.group(0) if period else ""
    if not tail or len(tail) > limit // 2:
        return title[:limit]
    return title[: limit - len(tail) - 2].rstrip() + "… " + tail.lstrip()


def _document_lines(doc: ReportDocument) -> list[str]:
    generated = _("Generated {time}").format(time=i18n.format_datetime(doc.generated_at))
    return [doc.title, doc.subtitle, rtl.unmarked(generated)]


def _table_rows(section: ReportSection) -> Iterable[dict[str, Any]]:
    """The section's rows followed by its totals row, if any."""
    yield from section.rows
    totals = values.totals_row(section)
    if totals is not None:
        yield totals


def _csv_row(section: ReportSection, row: dict[str, Any]) -> list[str]:
    cells = []
    for column in section.columns:
        shown = values.machine(row.get(column.key), column.kind)
        cells.append(_safe(shown) if isinstance(row.get(column.key), str) else shown)
    return cells


def _safe(text: str) -> str:
    """CSV free text that cannot run as a formula when opened (a leading apostrophe)."""
    return "'" + text if text.startswith(_FORMULA_START) else text


def _write_sheet(sheet: Worksheet, doc: ReportDocument, section: ReportSection) -> None:
    _put_text(sheet.cell(row=1, column=1), section.title).font = _TITLE_FONT
    _put_text(sheet.cell(row=2, column=1), " · ".join(_document_lines(doc)[1:]))
    # a warning and a note share the row above the header, the warning first and bold
    above = " ".join(text for text in (section.warning, section.note) if text)
    if above:
        cell = _put_text(sheet.cell(row=3, column=1), above)
        if section.warning:
            cell.font = _WARNING_FONT
    for index, column in enumerate(section.columns, start=1):
        cell = _put_text(sheet.cell(row=HEADER_ROW, column=index), column.label)
        cell.font = _HEADER_FONT
        cell.fill = _HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    sheet.freeze_panes = sheet.cell(row=HEADER_ROW + 1, column=1)
    for row_number, row in enumerate(_table_rows(section), start=HEADER_ROW + 1):
        _write_row(sheet, section, row_number, row)
    if section.totals is not None:
        totals_row = HEADER_ROW + len(section.rows) + 1
        for index in range(1, len(section.columns) + 1):
            cell = sheet.cell(row=totals_row, column=index)
            cell.font = Font(bold=True)
            cell.border = _TOTAL_BORDER
    _set_widths(sheet, section)
    _fit_page_width(sheet, len(section.columns))


def _fit_page_width(sheet: Worksheet, columns: int) -> None:
    """Printed, a sheet is as wide as the paper (landscape for wide tables), as the PDF is."""
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    if columns > LANDSCAPE_COLUMNS:
        sheet.page_setup.orientation = sheet.ORIENTATION_LANDSCAPE
    sheet.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW}"


def _write_row(
    sheet: Worksheet, section: ReportSection, row_number: int, row: dict[str, Any]
) -> None:
    for index, column in enumerate(section.columns, start=1):
        raw = row.get(column.key)
        value = values.cell_value(raw, column.kind)
        cell = sheet.cell(row=row_number, column=index)
        if isinstance(value, str):
            _put_text(cell, value)
            continue
        cell.value = value
        number_format = values.number_format(raw, column.kind)
        if number_format is not None and value is not None:
            cell.number_format = number_format
        if column.kind in ("date", "month"):
            # Spreadsheets push dates against the next column's figures otherwise.
            cell.alignment = _CENTERED


def _put_text(cell: Cell, text: str) -> Cell:
    """A string cell kept as text: openpyxl would store a leading ``=`` as a formula."""
    cell.value = text
    cell.data_type = "s"
    return cell


def _set_widths(sheet: Worksheet, section: ReportSection) -> None:
    """Columns as wide as their longest displayed value (Excel does not autofit on open)."""
    for index, column in enumerate(section.columns, start=1):
        shown = [values.display(row.get(column.key), column.kind) for row in _table_rows(section)]
        longest = max((len(rtl.unmarked(text)) for text in [column.label, *shown]), default=8)
        sheet.column_dimensions[get_column_letter(index)].width = min(
            longest + 3, _MAX_COLUMN_WIDTH
        )
