"""Demand management: all sites by region and their aggregate consumption."""

from __future__ import annotations

from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, callback, dcc, html

from lounge import access, consumption, localtime, membership
from lounge.components import charts, grid, widgets
from lounge.i18n import _, format_kwh, format_month, format_number, sort_key
from lounge.labels import REGIONS, label
from lounge.web.context import db_session, viewer

dash.register_page(__name__, path="/regions", title="Business Lounge")


def _site_rows(rows: list[consumption.SiteRow]) -> list[dict[str, Any]]:
    return [
        {
            "site_id": row.site_id,
            "site": row.site_name,
            "customer": f"{row.customer_name} ({row.customer_id})",
            "region": label(REGIONS, row.region),
            "supplier": row.supplier or "",
            "kwh": round(row.wh / 1000),
            "vip": _("Member") if row.vip else "",
        }
        for row in rows
    ]


def _site_columns() -> list[dict[str, Any]]:
    return [
        {"field": "site_id", "headerName": _("Site"), "maxWidth": 140},
        {"field": "site", "headerName": _("Name")},
        {"field": "customer", "headerName": _("Customer"), "minWidth": 220},
        {"field": "region", "headerName": _("Region")},
        {"field": "supplier", "headerName": _("Supplier")},
        grid.number_column("kwh", _("kWh, 12 months")),
        {"field": "vip", "headerName": _("Lounge"), "maxWidth": 130},
    ]


def layout(**_query: Any) -> Any:
    you = viewer()
    end = localtime.add_months(localtime.first_of_month(localtime.today()), 1)
    with db_session() as db:
        window, _classified = membership.current_window(db)
        try:
            summary = consumption.regions(db, you, window)
        except access.AccessDenied:  # the domain decides who sees regions
            return widgets.not_allowed()
        monthly = consumption.region_monthly(db, you, end)
        sites = consumption.sites_by_region(db, you, window)
    summary = sorted(summary, key=lambda r: sort_key(label(REGIONS, r.region)))
    table = widgets.table(
        [_("Region"), _("Sites"), _("Customers"), _("Lounge members"), _("kWh, 12 months")],
        [
            [
                label(REGIONS, r.region),
                format_number(r.sites),
                format_number(r.customers),
                format_number(r.vip_customers),
                format_kwh(r.wh),
            ]
            for r in summary
        ],
        "regions-summary",
        hover=True,
    )
    options = [{"label": _("All regions"), "value": ""}] + [
        {"label": label(REGIONS, r.region), "value": r.region} for r in summary
    ]
    return html.Div(
        [
            html.H2(_("Regions"), className="mb-0"),
            html.Div(
                _("Consumption of the 12 complete months {first} to {last}.").format(
                    first=format_month(window.start), last=format_month(window.last_day)
                ),
                className="text-body-secondary mb-3",
            ),
            dbc.Row(
                [
                    dbc.Col(dbc.Card(dbc.CardBody(table), class_name="shadow-sm h-100"), lg=5),
                    dbc.Col(
                        dbc.Card(
                            dbc.CardBody(
                                [
                                    html.H5(_("Consumption by region, kWh")),
                                    dcc.Graph(
                                        id="regions-chart",
                                        figure=charts.stacked_by(
                                            monthly,
                                            "region",
                                            {code: label(REGIONS, code) for code in REGIONS},
                                        ),
                                        config=charts.graph_config(),
                                    ),
                                ]
                            ),
                            class_name="shadow-sm h-100",
                        ),
                        lg=7,
                    ),
                ],
                class_name="g-3 mb-3",
            ),
            dbc.Card(
                dbc.CardBody(
                    [
                        html.Div(
                            [
                                html.H5(_("Sites"), className="mb-0"),
                                dcc.Dropdown(
                                    id="regions-filter",
                                    options=options,
                                    value="",
                                    clearable=False,
                                    style={"minWidth": "14rem"},
                                ),
                            ],
                            className="d-flex justify-content-between align-items-center mb-2",
                        ),
                        grid.data_grid(
                            "regions-sites",
                            _site_rows(sites),
                            _site_columns(),
                            height="520px",
                        ),
                    ]
                ),
                class_name="shadow-sm",
            ),
        ]
    )


@callback(
    Output("regions-sites", "rowData"),
    Input("regions-filter", "value"),
    prevent_initial_call=True,
)
def filter_sites(region: Any) -> list[dict[str, Any]]:
    """Sites of one region (or all); nothing for a viewer who may not see regions."""
    with db_session() as db:
        window, _classified = membership.current_window(db)
        chosen = region if isinstance(region, str) else None
        try:
            rows = consumption.sites_by_region(db, viewer(), window, chosen)
        except access.AccessDenied:
            return []
    return _site_rows(rows)
