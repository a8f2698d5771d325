"""AG Grid tables: sortable, filterable, right-to-left in Hebrew, exportable."""

from __future__ import annotations

import datetime as dt
from typing import Any

import dash_ag_grid as dag

from lounge.i18n import _, format_date, is_rtl

Column = dict[str, Any]
#: Rows a page: a grid never puts more in the page than a reader can take in at once.
PAGE_SIZE = 50

NUMBER = {"function": "params.value == null ? '' : d3.format(',.0f')(params.value)"}
DECIMAL = {"function": "params.value == null ? '' : d3.format(',.1f')(params.value)"}


def number_column(field: str, header: str, decimals: int = 0, **extra: Any) -> Column:
    """A right-aligned numeric column with grouping, sorted and filtered as numbers."""
    return {
        "field": field,
        "headerName": header,
        "type": "numericColumn",
        "valueFormatter": DECIMAL if decimals else NUMBER,
        "filter": "agNumberColumnFilter",
        **extra,
    }


def date_cells(field: str, value: dt.date | None) -> dict[str, str]:
    """A date for :func:`date_column`: ISO to sort and filter by, and the text people read."""
    if value is None:
        return {field: "", f"{field}_text": ""}
    return {field: value.isoformat(), f"{field}_text": format_date(value)}


def date_column(field: str, header: str, **extra: Any) -> Column:
    """A date column that sorts by date and shows the one date style of the language."""
    return {
        "field": field,
        "headerName": header,
        "cellDataType": "text",
        "valueFormatter": {"function": f"params.data ? params.data.{field}_text : ''"},
        **extra,
    }


def _locale_text() -> dict[str, str]:
    """AG Grid's own words (filter menus, paging) in the reader's language."""
    return {
        "page": _("Page"),
        "pageSizeSelectorLabel": _("Page size:"),
        "of": _("of"),
        "to": _("to"),
        "more": _("more"),
        "next": _("Next"),
        "last": _("Last"),
        "first": _("First"),
        "previous": _("Previous"),
        "noRowsToShow": _("No rows to show"),
        "filterOoo": _("Filter..."),
        "contains": _("Contains"),
        "notContains": _("Does not contain"),
        "equals": _("Equals"),
        "notEqual": _("Does not equal"),
        "startsWith": _("Starts with"),
        "endsWith": _("Ends with"),
        "blank": _("Blank"),
        "notBlank": _("Not blank"),
        "lessThan": _("Less than"),
        "greaterThan": _("Greater than"),
        "lessThanOrEqual": _("Less than or equal to"),
        "greaterThanOrEqual": _("Greater than or equal to"),
        "inRange": _("Between"),
        "andCondition": _("AND"),
        "orCondition": _("OR"),
        "applyFilter": _("Apply"),
        "resetFilter": _("Reset"),
        "clearFilter": _("Clear"),
    }


def data_grid(
    id_: str,
    rows: list[dict[str, Any]],
    columns: list[dict[str, Any]],
    height: str | None = "480px",
    row_id: str | None = None,
    totals: list[dict[str, Any]] | None = None,
) -> dag.AgGrid:
    """A grid of 50 rows a page, however long ``rows`` is: the browser draws only what shows.

    ``height=None`` fits the grid to its rows (at most a page); ``totals`` stay pinned
    below the rows, out of sorting and paging.
    """
    extra: dict[str, Any] = {"getRowId": f"params.data.{row_id}"} if row_id else {}  # a string
    options: dict[str, Any] = {
        "enableRtl": is_rtl(),
        "pagination": len(rows) > PAGE_SIZE,
        "paginationPageSize": PAGE_SIZE,
        "localeText": _locale_text(),
        "animateRows": False,
    }
    if totals:
        options["pinnedBottomRowData"] = totals
    if height is None:
        options["domLayout"] = "autoHeight"
    return dag.AgGrid(
        id=id_,
        rowData=rows,
        columnDefs=columns,
        defaultColDef={
            "sortable": True,
            "filter": True,
            "resizable": True,
            "floatingFilter": True,
            "minWidth": 110,
        },
        columnSize="responsiveSizeToFit",
        dashGridOptions=options,
        style={} if height is None else {"height": height},
        **extra,
    )
