"""Reports from real data: access, request checks, and the same figures on screen,
in the PDF and in the XLSX."""

from __future__ import annotations

import io

import openpyxl
import pytest
from sqlalchemy import event

from db.models import Customer, Role, Site
from lounge import access, localtime, reporting
from lounge.access import Viewer
from lounge.components.report_view import document_view
from lounge.exports import to_csv, to_xlsx
from reports import values
from tests.factories import csv_bytes, import_bytes, month_reads
from tests.test_exports import excel_shows, report_text

CLIENT_A = Viewer(1, "client@a.test", Role.CLIENT, "CA")
DEMAND = Viewer(2, "demand@a.test", Role.DEMAND_STAFF)


def _request(kind: str, customer: str = "CA", group: str = "") -> reporting.ReportRequest:
    last = localtime.add_months(localtime.first_of_month(localtime.today()), -1)
    first = localtime.add_months(last, -12)
    return reporting.ReportRequest.parse(kind, customer, f"{first:%Y-%m}", f"{last:%Y-%m}", group)


def _screen_rows(component) -> list[list[str]]:
    """The texts of every row the report's grids show, totals included."""
    rows = []

    def walk(node) -> None:
        if getattr(node, "_type", None) == "AgGrid":
            pinned = node.dashGridOptions.get("pinnedBottomRowData", [])
            for row in [*node.rowData, *pinned]:
                rows.append([row[f"t{i}"] for i in range(len(node.columnDefs))])
            return
        children = getattr(node, "children", None)
        for child in children if isinstance(children, list) else [children]:
            if child is not None and not isinstance(child, str):
                walk(child)

    walk(component)
    return rows


@pytest.mark.parametrize(
    ("kind", "group"),
    [
        ("consumption", ""),
        ("consumption", "region"),
        ("tou", ""),
        ("yoy", ""),
        ("billing", ""),
        ("debts", ""),
    ],
)
def test_screen_pdf_and_xlsx_show_the_same_figures(db, world, kind, group):
    with db.session() as session:
        document = reporting.build(session, CLIENT_A, _request(kind, group=group), "en")
    screen = _screen_rows(document_view(document))
    pdf = report_text(document)
    book = openpyxl.load_workbook(io.BytesIO(to_xlsx(document)))
    sheet_rows = [
        [excel_shows(cell) for cell in row]
        for sheet in book.worksheets
        for row in sheet.iter_rows(min_row=5)
    ]
    expected_rows = sum(len(s.rows) + (s.totals is not None) for s in document.sections)
    assert len(screen) == expected_rows
    figures = [
        text for row in screen for text in row[1:] if text and any(c.isdigit() for c in text)
    ]
    assert figures, "the report has figures"
    xlsx_texts = {text for row in sheet_rows for text in row}
    dates = {  # the spreadsheet keeps them ISO, for programs to read
        values.display(row[column.key], column.kind)
        for section in document.sections
        for column in section.columns
        if column.kind in ("date", "month")
        for row in section.rows
    }
    for figure in figures:
        assert figure in pdf, figure
        assert figure in xlsx_texts or figure in dates, figure


def test_consumption_report_totals_match_the_sites(db, world):
    with db.session() as session:
        document = reporting.build(session, CLIENT_A, _request("consumption"), "en")
    (section,) = document.sections
    assert sum(row["total"] for row in section.rows) == section.totals["total"]
    assert {row["site"].split(" · ")[0] for row in section.rows} == {"SA1", "SA2"}
    assert section.totals["total"] == 13 * 105_000 * 1000  # 13 months of seeded reads


def test_consumption_report_reads_every_site_in_one_query(db, world):
    statements: list[str] = []

    def record(_conn, _cursor, statement, *_args) -> None:
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        with db.session() as session:
            reporting.build(session, CLIENT_A, _request("consumption"), "en")
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    # one grouped read of the monthly rollup for all sites, not one per site
    assert sum("FROM consumption_monthly" in s for s in statements) == 1


def test_year_over_year_report_compares_the_same_months_and_says_which(db):
    with db.session() as session:
        session.add(Customer(id="C3", name="Eleven Months", tax_id="C3"))
        session.add(Site(id="U1", customer_id="C3", name="U1", region="North"))
    rows = month_reads("U1", 2024, dict.fromkeys(range(1, 13), "1000"))
    rows += month_reads("U1", 2025, dict.fromkeys(range(1, 12), "1100"))  # no December yet
    import_bytes(db, "readings", csv_bytes("site_id,start,end,kwh", *rows))
    request = reporting.ReportRequest.parse("yoy", "C3", "2025-01", "2025-12")
    with db.session() as session:
        document = reporting.build(session, access.SYSTEM, request, "en")
    (section,) = document.sections
    assert section.totals == {
        "wh": 11 * 1_100_000,
        "previous_wh": 11 * 1_000_000,
        "change": pytest.approx(0.10),
    }
    assert section.rows[-1]["change"] is None  # December: nothing to compare yet
    note = "Totals compare the same months of both years: Jan 2025 to Nov 2025."
    assert section.note == note
    assert note in to_csv(document).decode("utf-8-sig")
    sheet = openpyxl.load_workbook(io.BytesIO(to_xlsx(document))).worksheets[0]
    assert note in [cell.value for row in sheet.iter_rows() for cell in row]
    pdf_text = report_text(document).replace("\n", " ")
    assert note in pdf_text
    # the change reads as the screens say one: an arrow and a sign; files keep the ratio
    assert "Jan 2025 1,100 1,000 ▲ +10.0%" in pdf_text
    assert "Total 12,100 11,000 ▲ +10.0%" in pdf_text
    assert to_csv(document).decode("utf-8-sig").splitlines()[-1].startswith("Total,12100,11000,0.1")


def test_grouped_report_adds_a_section_of_group_totals(db, world):
    with db.session() as session:
        document = reporting.build(session, CLIENT_A, _request("consumption", group="region"), "he")
    titles = [section.title for section in document.sections]
    assert titles[-1] == "סיכום לפי קבוצה"
    groups = document.sections[-1]
    assert groups.totals["total"] == sum(s.totals["total"] for s in document.sections[:-1])


@pytest.mark.parametrize("kind", sorted(reporting.KINDS))
def test_another_customers_report_is_not_found(db, world, kind):
    with db.session() as session, pytest.raises(access.NotFound):
        reporting.build(session, CLIENT_A, _request(kind, customer="CB"), "en")


@pytest.mark.parametrize("kind", ["billing", "debts"])
def test_demand_staff_get_no_money_reports(db, world, kind):
    with db.session() as session, pytest.raises(access.AccessDenied):
        reporting.build(session, DEMAND, _request(kind), "en")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("nope", "CA", "2025-01", "2025-02"), "Unknown report"),
        (("tou", "CA", "2025-05", "2025-02"), "comes after"),
        (("tou", "CA", "2020-01", "2025-02"), "at most 36 months"),
        (("tou", "CA", "2025-1", "2025-02"), "is not a month"),
        (("tou", "CA", "2025-01", "2025-02", "colour"), "Unknown grouping"),
    ],
)
def test_bad_requests_are_refused_with_a_reason(args, message):
    with pytest.raises(reporting.ReportError, match=message):
        reporting.ReportRequest.parse(*args)


def test_time_of_use_report_warns_how_much_the_interval_data_cover(db, world):
    with db.session() as session:
        document = reporting.build(session, CLIENT_A, _request("tou"), "en")
    (section,) = document.sections
    # the seeded sites have billing reads only: nothing is banded
    assert section.warning is not None
    assert section.warning.startswith("Interval data cover 0 of 2 sites and 0.0% of their energy")
    assert section.warning in to_csv(document).decode("utf-8-sig")
    sheet = openpyxl.load_workbook(io.BytesIO(to_xlsx(document))).worksheets[0]
    assert sheet.cell(row=3, column=1).value.startswith(section.warning)
    assert sheet.cell(row=3, column=1).font.bold
    assert "Interval data cover 0 of 2 sites" in report_text(document).replace("\n", " ")
