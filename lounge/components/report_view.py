"""A report document on screen: the same rows and the same formatting as its files.

Each section is an AG Grid that pages its rows: a year of invoices of a
40-site chain as one HTML table froze the browser for most of a minute.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import dash_bootstrap_components as dbc
from dash import html

from lounge.components import grid
from reports import values
from reports.documents import ReportColumn, ReportDocument, ReportSection


def _sort_value(value: Any, column: ReportColumn) -> Any:
    """What the grid sorts and filters by: the number shown (kWh, shekels, percent), or text."""
    if value is None or isinstance(value, str):
        return value
    if values.is_numeric(column):
        return values.chart_number(value, column.kind)
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _grid_row(section: ReportSection, row: dict[str, Any]) -> dict[str, Any]:
    """A row as the grid holds it: ``c<i>`` sorts, ``t<i>`` is the text the reader sees."""
    cells: dict[str, Any] = {}
    for i, column in enumerate(section.columns):
        value = row.get(column.key)
        cells[f"c{i}"] = _sort_value(value, column)
        cells[f"t{i}"] = values.display(value, column.kind)
    return cells


def _column(column: ReportColumn, i: int) -> grid.Column:
    shown = {"function": f"params.data ? params.data.t{i} : ''"}
    if values.is_numeric(column):
        return grid.number_column(f"c{i}", column.label, valueFormatter=shown)
    return {"field": f"c{i}", "headerName": column.label, "valueFormatter": shown}


def section_table(section: ReportSection, index: int) -> html.Div:
    totals = values.totals_row(section)
    parts: list[Any] = [html.H5(section.title)]
    if section.warning:
        parts.append(dbc.Alert(section.warning, color="warning", class_name="py-2"))
    if section.note:
        parts.append(html.P(section.note, className="small text-body-secondary"))
    parts.append(
        grid.data_grid(
            f"report-section-{index}",
            [_grid_row(section, row) for row in section.rows],
            [_column(column, i) for i, column in enumerate(section.columns)],
            height=None,
            totals=None if totals is None else [_grid_row(section, totals)],
        )
    )
    return html.Div(parts, className="mb-4")


def document_view(doc: ReportDocument) -> html.Div:
    return html.Div(
        [
            html.H4(doc.title, className="mb-0"),
            html.Div(doc.subtitle, className="text-body-secondary mb-3"),
            *(section_table(section, i) for i, section in enumerate(doc.sections)),
        ],
        id="report-view",
        className=f"report-{doc.kind}",  # which report the view shows, for tests and styles
    )
