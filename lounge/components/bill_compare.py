"""Bill comparison on the billing page: pick a contract and two invoices, see why the total moved.

A section of its own (layout and callbacks), so that the billing page only
places it. Every callback is an endpoint: the domain (:mod:`lounge.bill_comparison`)
checks the viewer, and whatever it refuses shows as "not found".
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import dash
import dash_bootstrap_components as dbc
import plotly.graph_objects as go
from dash import Input, Output, callback, dcc, html

from lounge import access, bill_comparison
from lounge.access import Viewer
from lounge.bill_comparison import Comparison
from lounge.components import charts, widgets
from lounge.i18n import _, format_money, is_rtl
from lounge.web.context import db_session, viewer


def href(comparison: Comparison) -> str:
    query = urlencode({"a": comparison.before.id, "b": comparison.after.id})
    return f"/download/bill-comparison.pdf?{query}"


def waterfall(comparison: Comparison) -> go.Figure:
    """The earlier total, each cause, the later total: horizontal, to fit a phone."""
    before, after = comparison.before, comparison.after
    labels = [before.number, *(c.label for c in comparison.causes), after.number]
    amounts = [before.total, *(c.amount for c in comparison.causes), after.total]
    figure = go.Figure(
        go.Waterfall(
            orientation="h",
            y=labels,
            x=[float(a) for a in amounts],
            measure=["absolute", *(["relative"] * len(comparison.causes)), "total"],
            text=[format_money(a) for a in amounts],
            # inside the bars only (scaled down in small ones): outside, a phone cuts them
            textposition="inside",
            hovertemplate="%{y}: %{text}<extra></extra>",
            increasing={"marker": {"color": charts.PALETTE[3]}},
            decreasing={"marker": {"color": charts.PALETTE[2]}},
            totals={"marker": {"color": charts.PALETTE[0]}},
            connector={"line": {"color": "#adb5bd", "dash": "dot"}},
        )
    )
    figure.update_layout(
        height=90 + 34 * len(labels),
        showlegend=False,
        # the causes beside the bars: automargin makes room on the left; on the right (Hebrew)
        # it does not, so room is kept there
        margin={"l": 10, "r": 150 if is_rtl() else 10, "t": 10, "b": 10},
        template="plotly_white",
    )
    figure.update_yaxes(autorange="reversed", automargin=True, side="right" if is_rtl() else "left")
    figure.update_xaxes(tickprefix="₪", separatethousands=True, automargin=True)
    return figure


def _causes_table(comparison: Comparison) -> dbc.Table:
    """Cause and why in one column (narrow screens), the amount beside it."""

    def row(label: str, amount: Any, why: str = "", strong: bool = False) -> html.Tr:
        cell = html.Th if strong else html.Td
        return html.Tr(
            [
                cell(
                    [label, html.Div(why, className="small text-body-secondary")] if why else label
                ),
                cell(format_money(amount), className="text-end text-nowrap"),
            ]
        )

    before, after = comparison.before, comparison.after
    body = [
        row(_("Total of {number}").format(number=before.number), before.total, strong=True),
        *(row(c.label, c.amount, c.explanation) for c in comparison.causes),
        row(_("Total of {number}").format(number=after.number), after.total, strong=True),
    ]
    return dbc.Table(
        [
            html.Thead(html.Tr([html.Th(_("Cause")), html.Th(_("Change"), className="text-end")])),
            html.Tbody(body),
        ],
        size="sm",
        id="billcmp-table",
    )


def result(comparison: Comparison) -> list[Any]:
    """What the section shows for one comparison."""
    shown: list[Any] = [
        html.P(bill_comparison.summary(comparison), className="fw-semibold", id="billcmp-summary")
    ]
    note = comparison.estimate_note()
    if note:
        shown.append(dbc.Alert(note, color="warning", class_name="small", id="billcmp-estimated"))
    shown += [
        dcc.Graph(id="billcmp-chart", figure=waterfall(comparison), config=charts.graph_config()),
        _causes_table(comparison),
        html.Div(
            widgets.labelled_downloads("billcmp", {"pdf": href(comparison)}),
            className="d-flex gap-2 align-items-center",
        ),
    ]
    return shown


def _options(choices: list[bill_comparison.Choice]) -> list[dict[str, Any]]:
    return [{"label": choice.label, "value": str(choice.value)} for choice in choices]


def _pair(pair: tuple[int, int] | None) -> tuple[str | None, str | None]:
    """The default pair as the selects hold it (text)."""
    return (str(pair[0]), str(pair[1])) if pair else (None, None)


def section(you: Viewer, customer_id: str) -> dbc.Card:
    """The comparison card, opened on the first contract's default pair."""
    with db_session() as db:
        contracts = bill_comparison.contract_choices(db, you, customer_id)
        first = contracts[0].value if contracts else None
        invoices = bill_comparison.invoice_choices(db, you, first) if first else []
        pair = bill_comparison.default_pair(db, you, first) if first else None
        shown = result(bill_comparison.compare(db, you, *pair)) if pair else []
    title = html.H5(_("Bill comparison"))
    if not contracts:
        return dbc.Card(
            dbc.CardBody(
                [title, widgets.empty(_("No contract has two invoices to compare yet."), "billcmp")]
            ),
            class_name="shadow-sm mb-3",
        )

    def picker(id_: str, label: str, options: list[dict[str, Any]], value: Any) -> dbc.Col:
        return dbc.Col(
            [
                dbc.Label(label, html_for=id_, class_name="small mb-0"),
                dbc.Select(id=id_, options=options, value=value),
            ],
            md=4,
        )

    options = _options(invoices)
    earlier, later = _pair(pair)
    return dbc.Card(
        dbc.CardBody(
            [
                title,
                html.P(
                    _("Two invoices of a contract, and what changed between them, by cause."),
                    className="small text-body-secondary",
                ),
                dbc.Row(
                    [
                        picker("billcmp-contract", _("Contract"), _options(contracts), str(first)),
                        picker("billcmp-first", _("Earlier invoice"), options, earlier),
                        picker("billcmp-second", _("Later invoice"), options, later),
                    ],
                    class_name="g-2 mb-3",
                ),
                dcc.Loading(html.Div(shown, id="billcmp-result")),
            ]
        ),
        class_name="shadow-sm mb-3",
    )


def choose_contract(contract_id: Any) -> tuple[Any, ...]:
    """The contract's invoices, set to its default pair (none for another customer's)."""
    try:
        with db_session() as db:
            options = _options(bill_comparison.invoice_choices(db, viewer(), contract_id))
            pair = bill_comparison.default_pair(db, viewer(), contract_id)
    except access.AccessDenied:
        return [], None, [], None
    earlier, later = _pair(pair)
    return options, earlier, options, later


def compare(first: Any, second: Any) -> Any:
    if not first or not second:
        return dash.no_update
    try:
        with db_session() as db:
            comparison = bill_comparison.compare(db, viewer(), first, second)
    except access.AccessDenied:
        return widgets.not_found()
    except bill_comparison.ComparisonError as error:
        return dbc.Alert(str(error), color="warning", id="billcmp-error")
    return result(comparison)


def register_callbacks() -> None:
    """Register the section's callbacks; the page that places the section calls this.

    Dash executes page modules afresh for every app it builds, and takes the
    callbacks registered meanwhile, so they are registered from there, not at
    this module's (one) import.
    """
    callback(
        Output("billcmp-first", "options"),
        Output("billcmp-first", "value"),
        Output("billcmp-second", "options"),
        Output("billcmp-second", "value"),
        Input("billcmp-contract", "value"),
        prevent_initial_call=True,
    )(choose_contract)
    callback(
        Output("billcmp-result", "children"),
        Input("billcmp-first", "value"),
        Input("billcmp-second", "value"),
        prevent_initial_call=True,
    )(compare)
