"""Reports: pick a report, a period and a grouping; see it, download it as PDF, CSV or XLSX.

The preview and every file are built from the same request through
:mod:`lounge.reporting`, so the figures on screen are the figures in the files.
"""

from __future__ import annotations

from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, dcc, html

from lounge import access, i18n, localtime, reporting
from lounge.access import Viewer
from lounge.components import customer_nav, report_view, widgets
from lounge.i18n import _
from lounge.web.context import db_session, viewer
from lounge.web.downloads import REPORT_FORMATS, report_href

dash.register_page(__name__, path="/reports", title="Business Lounge")

#: A select cannot show an option whose value is empty; this stands for no grouping.
NO_GROUPING = "none"


def _controls(customer_id: str) -> dbc.Card:
    last = localtime.add_months(localtime.first_of_month(localtime.today()), -1)
    first = localtime.add_months(last, -11)
    return dbc.Card(
        dbc.CardBody(
            dbc.Row(
                [
                    dbc.Col(
                        [
                            dbc.Label(_("Report"), html_for="reports-kind"),
                            dbc.Select(
                                id="reports-kind",
                                options=[
                                    {"label": _(text), "value": kind}
                                    for kind, text in reporting.KINDS.items()
                                ],
                                value="consumption",
                            ),
                        ],
                        md=4,
                    ),
                    dbc.Col(
                        [
                            dbc.Label(_("From month"), html_for="reports-from"),
                            dbc.Input(id="reports-from", type="month", value=f"{first:%Y-%m}"),
                        ],
                        md=2,
                    ),
                    dbc.Col(
                        [
                            dbc.Label(_("To month"), html_for="reports-to"),
                            dbc.Input(id="reports-to", type="month", value=f"{last:%Y-%m}"),
                        ],
                        md=2,
                    ),
                    dbc.Col(
                        [
                            dbc.Label(_("Sites"), html_for="reports-group"),
                            dbc.Select(
                                id="reports-group",
                                options=[
                                    {"label": _(text), "value": code or NO_GROUPING}
                                    for code, text in reporting.GROUPINGS.items()
                                ],
                                value=NO_GROUPING,
                            ),
                        ],
                        md=2,
                    ),
                    dbc.Col(
                        dbc.Button(
                            _("Show"), id="reports-show", color="primary", class_name="w-100"
                        ),
                        md=2,
                        class_name="d-flex align-items-end",
                    ),
                ],
                class_name="g-2",
            )
        ),
        class_name="shadow-sm mb-3",
    )


@customer_nav.customer_page("reports")
def layout(you: Viewer, customer_id: str) -> Any:
    with db_session() as db:
        name = access.get_customer(db, you, customer_id).name
    return html.Div(
        [
            dcc.Store(id="reports-customer", data=customer_id),
            html.H2(name, className="mb-1"),
            customer_nav.tabs("/reports", you, customer_id),
            _controls(customer_id),
            html.Div(
                id="reports-downloads", className="mb-3 d-flex flex-wrap gap-2 align-items-center"
            ),
            dcc.Loading(html.Div(id="reports-result")),
        ]
    )


@callback(
    Output("reports-result", "children"),
    Output("reports-downloads", "children"),
    Input("reports-show", "n_clicks"),
    Input("reports-kind", "value"),
    State("reports-customer", "data"),
    State("reports-from", "value"),
    State("reports-to", "value"),
    State("reports-group", "value"),
)
def show(
    clicks: Any, kind: Any, customer_id: Any, first: Any, last: Any, group: Any
) -> tuple[Any, Any]:
    """Build the report for the viewer (the domain checks access), and link its files."""
    try:
        grouping = "" if group == NO_GROUPING else group
        wanted = reporting.ReportRequest.parse(kind, customer_id, first, last, grouping)
        with db_session() as db:
            document = reporting.build(db, viewer(), wanted, i18n.current())
    except reporting.ReportError as error:
        return dbc.Alert(str(error), color="warning", id="reports-error"), []
    except access.AccessDenied:
        return widgets.not_found(), []
    return report_view.document_view(document), widgets.labelled_downloads(
        "reports", {fmt: report_href(wanted, fmt) for fmt in REPORT_FORMATS}
    )
