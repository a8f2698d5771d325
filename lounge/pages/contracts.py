"""Contracts: every supply contract of every site, with status; filter, sort, search, export."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, Patch, callback, html

from lounge import access, contracts, localtime, tariffs
from lounge.access import Viewer
from lounge.components import customer_nav, grid, widgets
from lounge.i18n import _, format_number
from lounge.labels import REGIONS, VOLTAGES, label
from lounge.web.context import db_session

dash.register_page(__name__, path="/contracts", title="Business Lounge")


def _rows(items: list[contracts.ContractRow]) -> list[dict[str, Any]]:
    return [
        {
            "number": c.number,
            "site": f"{c.site_id} · {c.site_name}",
            "region": label(REGIONS, c.region),
            "tariff": tariffs.display_name(c.tariff),
            "voltage": label(VOLTAGES, c.voltage_level),
            "capacity_kva": c.capacity_kva,
            "supplier": c.supplier,
            **grid.date_cells("start", c.start_date),
            **grid.date_cells("end", c.end_date),
            "status": _(contracts.STATUSES[c.status]),
            "status_code": c.status,
        }
        for c in items
    ]


def _columns() -> list[grid.Column]:
    return [
        {"field": "number", "headerName": _("Contract"), "minWidth": 150},
        {"field": "site", "headerName": _("Site"), "minWidth": 200, "tooltipField": "site"},
        {"field": "region", "headerName": _("Region")},
        {"field": "tariff", "headerName": _("Tariff"), "minWidth": 190, "tooltipField": "tariff"},
        {"field": "voltage", "headerName": _("Voltage")},
        grid.number_column("capacity_kva", _("Capacity, kVA")),
        {"field": "supplier", "headerName": _("Supplier")},
        grid.date_column("start", _("Start")),
        grid.date_column("end", _("End")),
        {
            "field": "status",
            "headerName": _("Status"),
            "cellClassRules": {
                "text-warning fw-semibold": "params.data.status_code == 'ending'",
                "text-body-secondary": "params.data.status_code == 'ended'",
            },
        },
    ]


@customer_nav.customer_page("contracts")
def layout(you: Viewer, customer_id: str) -> Any:
    with db_session() as db:
        items = contracts.contracts(db, you, customer_id, localtime.today())
        name = access.get_customer(db, you, customer_id).name
    counts = contracts.count_statuses(items)
    kpis = dbc.Row(
        [
            dbc.Col(widgets.kpi(_("Contracts"), format_number(counts.total)), md=3),
            dbc.Col(
                widgets.kpi(
                    _("Active"),
                    format_number(counts.active),
                    _("of which {count} end within 90 days").format(
                        count=format_number(counts.ending)
                    ),
                    id_="contracts-active",
                ),
                md=3,
            ),
            dbc.Col(widgets.kpi(_("Not started"), format_number(counts.upcoming)), md=3),
            dbc.Col(widgets.kpi(_("Ended"), format_number(counts.ended)), md=3),
        ],
        class_name="g-3 mb-3",
    )
    status_filter = dbc.Select(
        id="contracts-status",
        options=[{"label": _("All statuses"), "value": "all"}]
        + [{"label": _(text), "value": code} for code, text in contracts.STATUSES.items()],
        value="all",
        style={"maxWidth": "16rem"},
    )
    toolbar = html.Div(
        [
            dbc.Input(
                id="contracts-search",
                type="search",
                placeholder=_("Search contracts..."),
                style={"maxWidth": "20rem"},
            ),
            status_filter,
            html.Div(
                widgets.labelled_downloads(
                    "contracts",
                    {
                        fmt: f"/download/contracts.{fmt}?customer={quote(customer_id)}"
                        for fmt in ("csv", "xlsx")
                    },
                ),
                className="d-flex gap-2 ms-auto align-items-center",
            ),
        ],
        className="d-flex flex-wrap gap-2 mb-2 align-items-center",
    )
    return html.Div(
        [
            html.H2(name, className="mb-1", id="contracts-customer"),
            customer_nav.tabs("/contracts", you, customer_id),
            kpis,
            dbc.Card(
                dbc.CardBody(
                    [
                        toolbar,
                        grid.data_grid(
                            "contracts-grid",
                            _rows(items),
                            _columns(),
                            height="560px",
                            row_id="number",
                        ),
                    ]
                ),
                class_name="shadow-sm",
            ),
        ]
    )


@callback(
    Output("contracts-grid", "dashGridOptions"),
    Input("contracts-search", "value"),
    Input("contracts-status", "value"),
    prevent_initial_call=True,
)
def filter_rows(text: Any, status: Any) -> Patch:
    """Search and status filter run in the browser, over rows the page already holds.

    Only these options are sent back, built here (never echoed from the request).
    """
    options = Patch()
    options["quickFilterText"] = text if isinstance(text, str) else ""
    options["isExternalFilterPresent"] = {"function": "true"}
    code = status if isinstance(status, str) and status in contracts.STATUSES else ""
    options["doesExternalFilterPass"] = {
        "function": f"'{code}' === '' || params.data.status_code === '{code}'"
    }
    return options
