"""A report document on screen: the same rows and the same formatting as its files."""

from __future__ import annotations

from typing import Any

import dash_bootstrap_components as dbc
from dash import html

from reports import values
from reports.documents import ReportDocument, ReportSection


def _cells(section: ReportSection, row: dict[str, Any], tag: Any) -> list[Any]:
    return [
        tag(
            values.display(row.get(column.key), column.kind),
            className="text-end" if values.is_numeric(column) else None,
        )
        for column in section.columns
    ]


def section_table(section: ReportSection, index: int) -> html.Div:
    head = html.Thead(
        html.Tr(
            [
                html.Th(column.label, className="text-end" if values.is_numeric(column) else None)
                for column in section.columns
            ]
        )
    )
    body = [html.Tr(_cells(section, row, html.Td)) for row in section.rows]
    totals = values.totals_row(section)
    if totals is not None:
        body.append(html.Tr(_cells(section, totals, html.Th), className="table-light"))
    parts: list[Any] = [html.H5(section.title)]
    if section.warning:
        parts.append(dbc.Alert(section.warning, color="warning", class_name="py-2"))
    if section.note:
        parts.append(html.P(section.note, className="small text-body-secondary"))
    parts.append(
        dbc.Table(
            [head, html.Tbody(body)],
            size="sm",
            hover=True,
            responsive=True,
            className="report-table",
            id=f"report-section-{index}",
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
    )
