"""Billing: invoices, debts by age, payments, bill copies and receipts; clients pay here.

The card form goes to the payment provider's tokenizer inside the pay
callback and nowhere else: no store, no log, no database. The idempotency key
is made when the page is built, so a double click or a retried request finds
the payment already made; a new key is issued once an attempt has completed.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, NamedTuple

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, dcc, html

from db.models import BandSplit, PaymentStatus
from lounge import access, billing, localtime, payments
from lounge.access import Viewer
from lounge.components import bill_compare, customer_nav, grid, widgets
from lounge.i18n import _, format_date, format_money, format_number, format_period
from lounge.labels import BAND_SPLITS, band_split_method, label
from lounge.web.context import db_session, viewer

dash.register_page(__name__, path="/billing", title="Business Lounge")
bill_compare.register_callbacks()

MONEY = {"function": "params.value == null ? '' : '₪ ' + d3.format(',.2f')(params.value)"}


def _money_column(field: str, header: str) -> grid.Column:
    return {**grid.number_column(field, header), "valueFormatter": MONEY}


def _invoice_rows(rows: list[billing.InvoiceRow]) -> list[dict[str, Any]]:
    """Invoices with money open first, then the newest."""
    rows = sorted(rows, key=lambda row: (row.open_amount == 0, -row.due_date.toordinal()))
    return [
        {
            "id": row.id,
            "number": row.number,
            "site": f"{row.site_id} · {row.site_name}",
            "period": format_period(row.period_start, row.period_end),
            **grid.date_cells("issued", row.issue_date),
            **grid.date_cells("due", row.due_date),
            "kwh": round(row.wh / 1000),
            "total": float(row.total),
            "paid": float(row.paid),
            "open": float(row.open_amount),
            "status": _(billing.STATUSES[row.status]),
            "status_code": row.status,
            "band_split": label(BAND_SPLITS, row.band_split),
            "band_split_method": band_split_method(row.band_split),
            "band_split_code": row.band_split,
            "days_overdue": row.days_overdue,
            "bill": f"[PDF](/download/bill/{row.id}.pdf)",
        }
        for row in rows
    ]


def _invoice_columns() -> list[grid.Column]:
    return [
        {"field": "number", "headerName": _("Invoice"), "minWidth": 150},
        {"field": "site", "headerName": _("Site"), "minWidth": 180},
        {"field": "period", "headerName": _("Billing period"), "minWidth": 170},
        grid.date_column("due", _("Due date")),
        grid.number_column("kwh", _("kWh")),
        _money_column("total", _("Total")),
        _money_column("open", _("Open")),
        {
            "field": "band_split",
            "headerName": _("Time-of-use split"),
            "tooltipField": "band_split_method",
            "cellClassRules": {
                "fst-italic": f"params.data.band_split_code == '{BandSplit.TYPICAL}'"
            },
        },
        {
            "field": "status",
            "headerName": _("Status"),
            "cellClassRules": {
                "text-danger fw-semibold": "params.data.status_code == 'overdue'",
                "text-success": "params.data.status_code == 'paid'",
            },
        },
        {
            "field": "bill",
            "headerName": _("Bill copy"),
            "cellRenderer": "markdown",
            "cellRendererParams": {"linkTarget": "_blank"},
            "sortable": False,
            "filter": False,
            "maxWidth": 120,
        },
    ]


def _payment_rows(rows: list[billing.PaymentRow]) -> list[dict[str, Any]]:
    return [
        {
            "id": row.id,
            **grid.date_cells("date", localtime.local_day(row.created_at)),
            "amount": float(row.amount),
            "status": _(billing.PAYMENT_STATUSES[PaymentStatus(row.status)]),
            "invoices": ", ".join(row.invoice_numbers),
            "receipt": f"[{row.receipt_number}](/download/receipt/{row.id}.pdf)"
            if row.receipt_number
            else "",
        }
        for row in rows
    ]


def _payment_columns() -> list[grid.Column]:
    return [
        grid.date_column("date", _("Date"), maxWidth=130),
        _money_column("amount", _("Amount")),
        {"field": "status", "headerName": _("Status"), "maxWidth": 140},
        {"field": "invoices", "headerName": _("Invoices"), "minWidth": 220},
        {
            "field": "receipt",
            "headerName": _("Receipt"),
            "cellRenderer": "markdown",
            "cellRendererParams": {"linkTarget": "_blank"},
            "sortable": False,
        },
    ]


def _aging_table(report: billing.DebtReport) -> dbc.Table:
    header = [_("Site"), _("Not yet due")] + [
        _(billing.BUCKET_LABELS[bucket]) for bucket in billing.AGING_BUCKETS
    ]

    def cells(aging: billing.Aging) -> list[html.Td]:
        values = [aging.not_due] + [aging.by_bucket[b] for b in billing.AGING_BUCKETS]
        return [
            html.Td(format_money(value) if value else "–", className="text-end") for value in values
        ]

    body = [html.Tr([html.Td(f"{t.key} · {t.name}"), *cells(t.aging)]) for t in report.by_site]
    body.append(html.Tr([html.Th(_("Total")), *cells(report.total)], className="table-light"))
    return dbc.Table(
        [html.Thead(html.Tr([html.Th(h) for h in header])), html.Tbody(body)],
        size="sm",
        hover=True,
        responsive=True,
        id="billing-aging",
    )


def _pay_form() -> dbc.Card:
    return dbc.Card(
        dbc.CardBody(
            [
                html.H5(_("Pay")),
                html.P(
                    _(
                        "Choose invoices in the table. Payments go to the oldest due first; "
                        "you may pay part of the amount."
                    ),
                    className="small text-body-secondary",
                ),
                dbc.Label(_("Amount (₪)"), html_for="billing-amount"),
                dbc.Input(id="billing-amount", type="text", inputMode="decimal", class_name="mb-2"),
                dbc.Label(_("Card number"), html_for="billing-card"),
                dbc.Input(
                    id="billing-card",
                    type="text",
                    inputMode="numeric",
                    autoComplete="cc-number",
                    class_name="mb-2",
                ),
                dbc.Row(
                    [
                        dbc.Col(
                            [
                                dbc.Label(_("Expiry (MM/YY)"), html_for="billing-expiry"),
                                dbc.Input(id="billing-expiry", autoComplete="cc-exp"),
                            ]
                        ),
                        dbc.Col(
                            [
                                dbc.Label(_("CVC"), html_for="billing-cvc"),
                                dbc.Input(
                                    id="billing-cvc",
                                    type="password",
                                    inputMode="numeric",
                                    autoComplete="cc-csc",
                                ),
                            ]
                        ),
                    ],
                    class_name="mb-2",
                ),
                dbc.Button(_("Pay"), id="billing-pay", color="primary", class_name="w-100"),
                html.Div(id="billing-pay-result", className="mt-2"),
                html.P(
                    _("Card details go straight to the payment provider and are never stored."),
                    className="small text-body-secondary mt-2 mb-0",
                ),
            ]
        ),
        class_name="shadow-sm",
    )


def _split_note(invoices: list[dict[str, Any]]) -> list[html.P]:
    """Under the grid, how estimated time-of-use splits were made (when any invoice has one)."""
    if not any(row["band_split_code"] == BandSplit.TYPICAL for row in invoices):
        return []
    note = band_split_method(BandSplit.TYPICAL)
    return [html.P(note, id="billing-split-note", className="small text-body-secondary mt-2 mb-0")]


class _State(NamedTuple):
    """Everything the page shows about a customer's money, read in one unit of work.

    (A NamedTuple: Dash loads page modules without registering them, and a
    dataclass needs its module registered.)
    """

    invoices: list[dict[str, Any]]
    payments: list[dict[str, Any]]
    kpis: dbc.Row
    aging: dbc.Table


def _kpis(report: billing.DebtReport, paid: list[billing.PaymentRow]) -> dbc.Row:
    total = report.total
    last = next((p for p in paid if p.receipt_number), None)
    return dbc.Row(
        [
            dbc.Col(widgets.kpi(_("Open"), format_money(total.open), id_="billing-open"), md=3),
            dbc.Col(
                widgets.kpi(_("Overdue"), format_money(total.overdue), id_="billing-overdue"), md=3
            ),
            dbc.Col(widgets.kpi(_("Open invoices"), format_number(len(report.rows))), md=3),
            dbc.Col(
                widgets.kpi(
                    _("Last payment"),
                    format_money(last.amount) if last else "–",
                    format_date(localtime.local_day(last.created_at)) if last else None,
                ),
                md=3,
            ),
        ],
        class_name="g-3 mb-3",
    )


def _state(you: access.Viewer, customer_id: str) -> _State:
    with db_session() as db:
        invoices = billing.list_invoices(db, you, customer_id=customer_id)
        report = billing.debts(db, you, customer_id=customer_id)
        paid = billing.list_payments(db, you, customer_id=customer_id)
    return _State(
        _invoice_rows(invoices), _payment_rows(paid), _kpis(report, paid), _aging_table(report)
    )


@customer_nav.customer_page("billing")
def layout(you: Viewer, customer_id: str) -> Any:
    with db_session() as db:
        name = access.get_commercial_customer(db, you, customer_id).name
    state = _state(you, customer_id)
    may_pay = you.is_client
    table = grid.data_grid(
        "billing-invoices",
        state.invoices,
        _invoice_columns(),
        height="460px",
    )
    if may_pay:
        table.dashGridOptions = {
            **table.dashGridOptions,
            "rowSelection": {
                "mode": "multiRow",
                "isRowSelectable": {"function": "params.data.open > 0"},
                "enableClickSelection": False,
            },
        }
    aging = dbc.Card(
        dbc.CardBody([html.H5(_("Debts by age")), html.Div(state.aging, id="billing-aging-box")]),
        class_name="shadow-sm h-100",
    )
    money = dbc.Row(
        ([dbc.Col(_pay_form(), lg=4)] if may_pay else [])
        + [dbc.Col(aging, lg=8 if may_pay else 12)],
        class_name="g-3 mb-3",
    )
    return html.Div(
        [
            dcc.Store(id="billing-key", data=payments.new_idempotency_key()),
            html.H2(name, className="mb-1"),
            customer_nav.tabs("/billing", you, customer_id),
            html.Div(state.kpis, id="billing-kpis"),
            dbc.Card(
                dbc.CardBody([html.H5(_("Invoices")), table, *_split_note(state.invoices)]),
                class_name="shadow-sm mb-3",
            ),
            bill_compare.section(you, customer_id),
            money,
            dbc.Card(
                dbc.CardBody(
                    [
                        html.H5(_("Payments")),
                        grid.data_grid(
                            "billing-payments",
                            state.payments,
                            _payment_columns(),
                            height="320px",
                        ),
                    ]
                ),
                class_name="shadow-sm",
            ),
        ]
    )


@callback(
    Output("billing-amount", "value"),
    Input("billing-invoices", "selectedRows"),
    prevent_initial_call=True,
)
def suggest_amount(selected: Any) -> str:
    """The open total of the chosen invoices (the payer may lower it for a partial payment)."""
    rows = selected if isinstance(selected, list) else []
    amounts = [row.get("open") for row in rows if isinstance(row, dict)]
    total = sum(
        (
            Decimal(str(a))
            for a in amounts
            if isinstance(a, int | float) and not isinstance(a, bool)
        ),
        Decimal(0),
    )
    return f"{total:.2f}" if total > 0 else ""


@callback(
    Output("billing-pay-result", "children"),
    Output("billing-key", "data"),
    Output("billing-card", "value"),
    Output("billing-cvc", "value"),
    Output("billing-invoices", "rowData"),
    Output("billing-payments", "rowData"),
    Output("billing-kpis", "children"),
    Output("billing-aging-box", "children"),
    Input("billing-pay", "n_clicks"),
    State("billing-invoices", "selectedRows"),
    State("billing-amount", "value"),
    State("billing-card", "value"),
    State("billing-expiry", "value"),
    State("billing-cvc", "value"),
    State("billing-key", "data"),
    prevent_initial_call=True,
)
def pay(
    clicks: Any, selected: Any, amount: Any, card: Any, expiry: Any, cvc: Any, key: Any
) -> tuple[Any, ...]:
    """Tokenize the card and pay; the card fields are emptied whatever happens."""
    rows = selected if isinstance(selected, list) else []
    invoice_ids = [row.get("id") for row in rows if isinstance(row, dict)]
    month, _sep, year = str(expiry or "").partition("/")
    provider = payments.default_provider()
    unchanged = (dash.no_update,) * 4
    you = viewer()
    try:
        token = provider.tokenize(
            payments.CardDetails(str(card or ""), month.strip(), year.strip(), str(cvc or ""))
        )
        with db_session() as db:
            result = payments.pay(db, you, invoice_ids, amount, key, token, provider)
    except access.AccessDenied:
        return (widgets.not_found(), dash.no_update, "", "", *unchanged)
    except payments.PaymentError as error:
        alert = dbc.Alert(str(error), color="danger", id="billing-pay-error")
        return (alert, dash.no_update, "", "", *unchanged)
    state = _state(you, str(you.customer_id))
    refreshed = (state.invoices, state.payments, state.kpis, state.aging)
    if result.status == "pending":
        # no answer yet: the same key asks the provider again, and never charges twice
        alert = dbc.Alert(result.message, color="warning", id="billing-pay-pending")
        return (alert, dash.no_update, "", "", *refreshed)
    # a completed attempt is final for its key: the next payment needs a new one (a double
    # click's second request left with the old key before this answer, and is replayed)
    if result.status != "succeeded":
        alert = dbc.Alert(result.message, color="danger", id="billing-pay-failed")
        return (alert, payments.new_idempotency_key(), "", "", *refreshed)
    alert = dbc.Alert(
        [
            _("This payment was made before.") + " " if result.replayed else "",
            result.message,
            " ",
            html.A(
                _("Download the receipt"),
                href=f"/download/receipt/{result.payment_id}.pdf",
                target="_blank",
            ),
        ],
        color="success",
        id="billing-pay-ok",
    )
    return (alert, payments.new_idempotency_key(), "", "", *refreshed)
