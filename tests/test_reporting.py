"""Reports from real data: access, request checks, and the same figures on screen,
in the PDF and in the XLSX."""

from __future__ import annotations

import io

import openpyxl
import pytest

from db.models import Role
from lounge import access, localtime, reporting
from lounge.access import Viewer
from lounge.components.report_view import document_view
from lounge.exports import to_xlsx
from reports import values
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
