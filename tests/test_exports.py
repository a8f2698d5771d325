"""CSV and XLSX exports, read back; and one report's figures agreeing in PDF, CSV and XLSX."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from decimal import ROUND_HALF_UP, Decimal

import openpyxl
import pdfplumber
import pytest
from openpyxl.cell.cell import Cell

from lounge import i18n
from lounge.exports import sheet_names, to_csv, to_xlsx
from reports.documents import ReportColumn, ReportDocument, ReportSection
from reports.report import build_report


def debts_report(language: str = "en") -> ReportDocument:
    """Figures chosen to catch rounding: 2,500 Wh is 2.5 kWh (shown 3), 1.005 ILS (1.01)."""
    he = language == "he"
    columns = (
        ReportColumn("site", "אתר" if he else "Site"),
        ReportColumn("month", "חודש" if he else "Month", "month"),
        ReportColumn("due", "לתשלום עד" if he else "Due", "date"),
        ReportColumn("wh", 'צריכה, קוט"ש' if he else "Consumption, kWh", "kwh"),
        ReportColumn("open", "יתרה" if he else "Open", "money"),
        ReportColumn("change", "שינוי" if he else "Change", "change"),
        ReportColumn("invoices", "חשבוניות" if he else "Invoices", "number"),
    )
    rows = (
        {
            "site": "North plant",
            "month": dt.date(2026, 1, 1),
            "due": dt.date(2026, 2, 20),
            "wh": 1_234_567_890,
            "open": Decimal("73435.79"),
            "change": 0.125,
            "invoices": 3,
        },
        {
            "site": '=HYPERLINK("http://x")',
            "month": dt.date(2026, 2, 1),
            "due": dt.date(2026, 3, 5),
            "wh": 2_500,
            "open": Decimal("1.005"),
            "change": -0.034,
            "invoices": 1,
        },
    )
    section = ReportSection(
        title="חובות" if he else "Debts: open invoices [by site]",
        columns=columns,
        rows=rows,
        totals={"wh": 1_234_570_390, "open": Decimal("73436.795"), "invoices": 4},
    )
    return ReportDocument(
        language=language,
        kind="debts",
        title="חובות" if he else "Debts",
        subtitle="Galilee Works Ltd.",
        generated_at=dt.datetime(2026, 2, 3, 9, 15, tzinfo=dt.UTC),
        sections=(section,),
    )


# What a reader sees for the first row and the totals (written out by hand).
ENGLISH_ROW = ["North plant", "Jan 2026", "20 Feb 2026", "1,234,568", "₪73,435.79", "▲ +12.5%", "3"]
ENGLISH_SECOND = [
    '\'=HYPERLINK("http://x")',
    "Feb 2026",
    "5 Mar 2026",
    "3",
    "₪1.01",
    "▼ \u22123.4%",
    "1",
]
ENGLISH_TOTALS = ["Total", "", "", "1,234,570", "₪73,436.80", "", "4"]
# What a program reads from the CSV, in every language: ISO dates, plain numbers (a change
# without its arrow).
CSV_ROW = ["North plant", "2026-01", "2026-02-20", "1234567.89", "73435.79", "0.125", "3"]
CSV_SECOND = ['\'=HYPERLINK("http://x")', "2026-02", "2026-03-05", "2.5", "1.01", "-0.034", "1"]
CSV_TOTALS = ["Total", "", "", "1234570.39", "73436.80", "", "4"]


def read_csv(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def test_csv_starts_with_a_bom_and_has_title_header_rows_and_totals():
    data = to_csv(debts_report())
    assert data.startswith(b"\xef\xbb\xbf")
    lines = read_csv(data)
    assert lines[0] == ["Debts"]
    assert lines[2] == ["Generated 3 Feb 2026, 11:15:00"]
    block = lines[lines.index(["Debts: open invoices [by site]"]) :]
    assert block[1] == ["Site", "Month", "Due", "Consumption, kWh", "Open", "Change", "Invoices"]
    assert block[2] == CSV_ROW
    assert block[3] == CSV_SECOND  # a formula-looking name is defused
    assert block[4] == CSV_TOTALS


def test_hebrew_csv_is_readable_utf8_without_direction_marks():
    lines = read_csv(to_csv(debts_report("he")))
    header = lines[lines.index(["חובות"], 1) + 1]
    assert header[0] == "אתר"
    row = lines[lines.index(header) + 1]
    assert row[1:5] == CSV_ROW[1:5]  # the same machine-readable figures as in English
    assert not re.search("[\u200e\u200f]", "".join(row))
    with i18n.use("he"):
        assert lines[-1][0] == i18n._("Total")


def test_xlsx_stores_numbers_dates_and_formats():
    workbook = openpyxl.load_workbook(io.BytesIO(to_xlsx(debts_report())))
    sheet = workbook.worksheets[0]
    assert sheet.title == "Debts open invoices by site"
    assert not sheet.sheet_view.rightToLeft
    assert sheet.freeze_panes == "A5"
    header = [c.value for c in sheet[4]]
    assert header[:4] == ["Site", "Month", "Due", "Consumption, kWh"]
    assert all(c.font.bold for c in sheet[4])

    site, month, due, kwh, money, change, count = sheet[5]
    assert month.value == dt.datetime(2026, 1, 1) and month.number_format == "yyyy-mm"
    assert due.value == dt.datetime(2026, 2, 20) and due.number_format == "yyyy-mm-dd"
    assert kwh.value == pytest.approx(1_234_567.89) and kwh.number_format == "#,##0"
    assert money.value == pytest.approx(73435.79) and money.number_format == '"₪"#,##0.00'
    # a change is the plain ratio; its format adds the arrow and the sign the PDF shows
    assert change.value == 0.125
    assert change.number_format == '[>=0.0005]"▲ +"0.0%;[<=-0.0005]"▼ \u2212"0.0%;0.0%'
    assert count.value == 3 and count.number_format == "#,##0"

    assert sheet["A6"].value == '=HYPERLINK("http://x")' and sheet["A6"].data_type == "s"
    assert sheet["E6"].value == pytest.approx(1.01)  # stored to the agora it shows

    totals = sheet[7]
    assert totals[0].value == "Total" and totals[0].font.bold
    assert totals[3].value == pytest.approx(1_234_570.39)
    assert sheet.column_dimensions["D"].width >= len("Consumption, kWh")


def test_hebrew_xlsx_is_right_to_left():
    sheet = openpyxl.load_workbook(io.BytesIO(to_xlsx(debts_report("he")))).worksheets[0]
    assert sheet.sheet_view.rightToLeft
    assert sheet.title == "חובות"
    # dates stay ISO in every language, so a program reads them alike
    assert sheet["B5"].number_format == "yyyy-mm"
    assert sheet["C5"].number_format == "yyyy-mm-dd"
    # Spreadsheets draw the format left to right: the PDF prints "₪ 73,435.79" too.
    assert sheet["E5"].number_format == '"₪ "#,##0.00'


def test_sheet_names_are_valid_short_and_unique():
    names = sheet_names(["Sites: North/South", "A" * 40, "a" * 40, "Debts?", "[]", "Debts*"])
    assert names[0] == "Sites North South"
    assert all(len(name) <= 31 for name in names)
    assert len({name.casefold() for name in names}) == len(names)
    assert names[2].endswith("(2)") and names[5] == "Debts (2)"
    assert names[4] == "Sheet 5"


# --- one document, three outputs ------------------------------------------------------


def excel_shows(cell: Cell) -> str:
    """What Excel displays for the few formats the exports write (half-up, like Excel)."""
    value, number_format = cell.value, cell.number_format
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, dt.datetime):
        return {"yyyy-mm": f"{value:%Y-%m}", "yyyy-mm-dd": f"{value:%Y-%m-%d}"}[number_format]
    if number_format.startswith("[>="):  # a change: [>=half]"▲ +"0.0%;[<=-half]"▼ −"0.0%;0.0%
        up, down, plain = number_format.split(";")
        half = Decimal(up[3 : up.index("]")])
        section = up if value >= half else down if value <= -half else plain
        arrow = re.search(r'"([^"]*)"', section)
        return (arrow.group(1) if arrow else "") + excel_shows_percent(abs(value), plain)
    if number_format.endswith("%"):
        return excel_shows_percent(value, number_format)
    decimals = len(number_format.split(".")[1].rstrip('"₪ ')) if "." in number_format else 0
    figure = f"{_half_up(Decimal(str(value)), decimals):,}"
    prefix = re.match(r'^"([^"]*)"', number_format)
    return (prefix.group(1) if prefix else "") + figure


def excel_shows_percent(value: float, number_format: str) -> str:
    decimals = len(number_format) - number_format.index(".") - 2
    return f"{_half_up(Decimal(str(value)) * 100, decimals):,}%"


def _half_up(value: Decimal, decimals: int) -> Decimal:
    return value.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)


def report_text(document: ReportDocument) -> str:
    with pdfplumber.open(io.BytesIO(build_report(document))) as pdf:
        return "\n".join(page.extract_text() for page in pdf.pages)


def test_the_same_figures_in_pdf_csv_and_xlsx():
    document = debts_report()
    pdf_text = report_text(document)
    csv_rows = read_csv(to_csv(document))[-3:]
    sheet = openpyxl.load_workbook(io.BytesIO(to_xlsx(document))).worksheets[0]
    xlsx_rows = [[excel_shows(cell) for cell in row] for row in sheet.iter_rows(min_row=5)]

    assert csv_rows == [CSV_ROW, CSV_SECOND, CSV_TOTALS]
    for shown, machine, from_xlsx in zip(
        [ENGLISH_ROW, ENGLISH_SECOND, ENGLISH_TOTALS],
        [CSV_ROW, CSV_SECOND, CSV_TOTALS],
        xlsx_rows,
        strict=True,
    ):
        assert " ".join(f for f in shown[1:] if f) in pdf_text
        assert from_xlsx[1:3] == machine[1:3]  # ISO dates, as in the CSV
        assert from_xlsx[3:] == shown[3:]  # the PDF's numbers


def test_hebrew_figures_agree_between_pdf_csv_and_xlsx():
    document = debts_report("he")
    pdf_text = report_text(document)
    csv_row = read_csv(to_csv(document))[-3]
    sheet = openpyxl.load_workbook(io.BytesIO(to_xlsx(document))).worksheets[0]
    money = sheet["E5"]
    # On a right-to-left page "73,435.79 ₪" shows the sign on the left, in the PDF and the XLSX.
    assert csv_row[4] == "73435.79"
    assert excel_shows(money) == "₪ 73,435.79"
    assert "₪ 73,435.79" in pdf_text
    assert excel_shows(sheet["D5"]) == "1,234,568"
    assert "1,234,568" in pdf_text


@pytest.mark.parametrize("language", ["en", "he"])
def test_a_long_sheet_name_keeps_its_whole_period(language):
    with i18n.use(language):
        day = i18n.format_date(dt.date(2026, 11, 23))
        title = i18n._("Debts by age on {date}").format(date=day)
        long_title = "Open invoices of every site of the customer on " + day
        names = sheet_names([title, long_title, long_title])
    assert all(len(name) <= 31 and name.endswith(day) for name in names[:2]), names
    assert names[1].startswith("Open invoices") and "…" in names[1]
    assert names[2].endswith(" (2)") and len(names[2]) <= 31


def test_csv_holds_iso_dates_and_plain_numbers_in_every_language():
    english, hebrew = (read_csv(to_csv(debts_report(language))) for language in ("en", "he"))
    assert english[-3][1:] == hebrew[-3][1:] == CSV_ROW[1:]
    assert english[-1][1:] == hebrew[-1][1:] == CSV_TOTALS[1:]
