"""Requests: a client's own, an account manager's portfolio (an admin's: every customer's).

The list shows each request's state and SLA; staff filter it by customer, state and SLA
(breached, due today, this week). "New request" opens a form whose fields follow the kind chosen.
Every callback names the customer it acts for, and the domain checks it.
"""

from __future__ import annotations

from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, dcc, html

from db.models import Role
from lounge import localtime
from lounge.access import AccessDenied, Viewer, home_customer
from lounge.components import customer_nav, requests_view, widgets
from lounge.i18n import _, format_number
from lounge.requests import sla, workflow
from lounge.requests.kinds import KINDS, STATES, Field
from lounge.requests.workflow import RequestError, RequestForm
from lounge.web.context import db_session, public_url, viewer

dash.register_page(__name__, path="/requests", title="Business Lounge")

#: The form's inputs for each field some kinds need.
FIELD_IDS = {
    Field.SITE: "requests-new-site",
    Field.CONTRACT: "requests-new-contract",
    Field.INVOICE: "requests-new-invoice",
    Field.ADDRESS: "requests-new-address",
    Field.CAPACITY: "requests-new-capacity",
}


#: A filter's "every ..." choice (an empty value would show an empty box).
ALL = "all"


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _chosen(value: Any) -> str | None:
    """A filter's value, None for its "every ..." choice (and anything that is not text)."""
    text = _text(value)
    return None if text in ("", ALL) else text


def _listing(you: Viewer, customer: Any, state: Any, due: Any) -> Any:
    today = localtime.today()
    with db_session() as db:
        try:
            items = workflow.requests(
                db,
                you,
                today,
                customer_id=_chosen(customer),
                state=_chosen(state),
                sla_filter=_chosen(due),
            )
        except AccessDenied:
            return widgets.not_allowed()
        if not items:
            return widgets.empty(_("No requests to show."), "requests-none")
        open_items = [i for i in items if i.request.state not in ("resolved", "closed")]
        counts = {
            status: sum(i.sla is status for i in open_items)
            for status in (sla.Sla.BREACHED, sla.Sla.DUE_TODAY)
        }
        summary = html.Div(
            _("{open} open · {breached} breached · {today} due today").format(
                open=format_number(len(open_items)),
                breached=format_number(counts[sla.Sla.BREACHED]),
                today=format_number(counts[sla.Sla.DUE_TODAY]),
            ),
            className="small text-body-secondary mb-2",
            id="requests-summary",
        )
        return html.Div(
            [
                summary,
                dbc.ListGroup(
                    [requests_view.list_item(i, not you.is_client) for i in items],
                    id="requests-items",
                ),
            ]
        )


def _filters(
    you: Viewer, customers: list[tuple[str, str]], customer: str, state: str, due: str
) -> dbc.Row:
    def select(id_: str, everything: str, options: list[tuple[str, str]], value: str) -> dbc.Col:
        return dbc.Col(
            dbc.Select(
                id=id_,
                options=[{"label": everything, "value": ALL}]
                + [{"label": label, "value": code} for code, label in options],
                value=value or ALL,
            ),
            xs=12,
            md=4,
        )

    states = [("open", _("Open"))] + [(code, _(text)) for code, text in STATES.items()]
    dues = [(status.value, _(sla.LABELS[status])) for status in sla.FILTERS]
    columns = [
        select("requests-filter-state", _("Every state"), states, state),
        select("requests-filter-sla", _("Any SLA"), dues, due),
    ]
    customer_choice = select("requests-filter-customer", _("Every customer"), customers, customer)
    if you.is_client:
        customer_choice.style = {"display": "none"}
    return dbc.Row([customer_choice, *columns], class_name="g-2 mb-3")


def _form(you: Viewer, customers: list[tuple[str, str]], customer_id: str | None) -> dbc.Modal:
    def field(label: str, control: Any, id_: str) -> html.Div:
        return html.Div([dbc.Label(label, html_for=control.id), control], className="mb-2", id=id_)

    customer = dbc.Select(
        id="requests-new-customer",
        options=[{"label": name, "value": cid} for cid, name in customers],
        value=customer_id or (customers[0][0] if len(customers) == 1 else None),
    )
    return dbc.Modal(
        [
            dbc.ModalHeader(dbc.ModalTitle(_("New request"))),
            dbc.ModalBody(
                [
                    field(_("Customer"), customer, "requests-new-customer-row")
                    if not you.is_client
                    else html.Div(customer, style={"display": "none"}),
                    field(
                        _("Kind of request"),
                        dbc.Select(
                            id="requests-new-kind",
                            options=[
                                {"label": _(kind.label), "value": code}
                                for code, kind in KINDS.items()
                            ],
                            value="fault",
                        ),
                        "requests-new-kind-row",
                    ),
                    field(
                        _("About"),
                        dbc.Select(id="requests-new-subtype"),
                        "requests-new-subtype-row",
                    ),
                    field(_("Site"), dbc.Select(id="requests-new-site"), "requests-new-site-row"),
                    field(
                        _("Contract"),
                        dbc.Select(id="requests-new-contract"),
                        "requests-new-contract-row",
                    ),
                    field(
                        _("Invoice"),
                        dbc.Select(id="requests-new-invoice"),
                        "requests-new-invoice-row",
                    ),
                    field(
                        _("Address to connect"),
                        dbc.Input(id="requests-new-address", maxLength=300),
                        "requests-new-address-row",
                    ),
                    field(
                        _("Requested capacity (kVA)"),
                        dbc.Input(id="requests-new-capacity", type="number", min=1, step=1),
                        "requests-new-capacity-row",
                    ),
                    field(
                        _("Subject"),
                        dbc.Input(id="requests-new-subject", maxLength=workflow.SUBJECT_MAX),
                        "requests-new-subject-row",
                    ),
                    field(
                        _("Description"),
                        dbc.Textarea(id="requests-new-description", rows=4, maxLength=5000),
                        "requests-new-description-row",
                    ),
                    html.Div(id="requests-new-problems"),
                ]
            ),
            dbc.ModalFooter(dbc.Button(_("Send request"), id="requests-new-send", color="primary")),
        ],
        id="requests-new-modal",
        is_open=False,
    )


def layout(customer: str | None = None, state: str = "", **query: Any) -> Any:
    """``?customer=``, ``?state=`` and ``?sla=`` preset the filters (a manager's week links)."""
    you = viewer()
    due = _text(query.get("sla"))
    if you.role not in (Role.CLIENT, Role.ACCOUNT_MANAGER, Role.ADMIN):
        return widgets.not_allowed()
    with db_session() as db:
        customers = workflow.customers(db, you)
    chosen = home_customer(you) or (customer if customer in dict(customers) else None)
    return html.Div(
        [
            dcc.Location(id="requests-go", refresh=True),
            html.Div(
                [
                    html.H2(_("Requests"), className="mb-0"),
                    dbc.Button(_("New request"), id="requests-new", color="primary"),
                ],
                className="d-flex justify-content-between align-items-center flex-wrap gap-2 mb-3",
            ),
            customer_nav.tabs("/requests", you, chosen) if chosen else None,
            _filters(you, customers, chosen or "", _text(state), due),
            html.Div(_listing(you, chosen, state, due), id="requests-list"),
            _form(you, customers, chosen),
        ]
    )


@callback(
    Output("requests-list", "children"),
    Input("requests-filter-customer", "value"),
    Input("requests-filter-state", "value"),
    Input("requests-filter-sla", "value"),
    prevent_initial_call=True,
)
def filter_list(customer: Any, state: Any, due: Any) -> Any:
    """The list again with the filters chosen (the domain keeps it to what the viewer sees)."""
    return _listing(viewer(), customer, state, due)


@callback(
    Output("requests-new-modal", "is_open"),
    Input("requests-new", "n_clicks"),
    prevent_initial_call=True,
)
def open_form(clicks: Any) -> bool:
    return bool(clicks)


@callback(
    Output("requests-new-subtype", "options"),
    Output("requests-new-subtype", "value"),
    Output("requests-new-subtype-row", "style"),
    *(Output(f"{control}-row", "style") for control in FIELD_IDS.values()),
    Input("requests-new-kind", "value"),
)
def fields_of_kind(kind: Any) -> Any:
    """The form's fields follow the kind: its subtypes, and the fields it needs."""
    spec = KINDS.get(_text(kind))
    hidden = {"display": "none"}
    if spec is None:
        return [], None, hidden, *(hidden for _f in FIELD_IDS)
    options = [{"label": _(text), "value": code} for code, text in spec.subtypes.items()]
    first = options[0]["value"] if options else None
    return (
        options,
        first,
        None if options else hidden,
        *(None if f in spec.fields else hidden for f in FIELD_IDS),
    )


@callback(
    Output("requests-new-site", "options"),
    Output("requests-new-contract", "options"),
    Output("requests-new-invoice", "options"),
    Input("requests-new-customer", "value"),
)
def choices_of_customer(customer: Any) -> Any:
    """The customer's sites, contracts and invoices (nothing for one the viewer may not see)."""
    if not customer:
        return [], [], []
    with db_session() as db:
        try:
            found = workflow.choices(db, viewer(), customer)
        except AccessDenied:
            return [], [], []
    return tuple(
        [{"label": label, "value": value} for value, label in pairs]
        for pairs in (found.sites, found.contracts, found.invoices)
    )


@callback(
    Output("requests-go", "href"),
    Output("requests-new-problems", "children"),
    Input("requests-new-send", "n_clicks"),
    State("requests-new-customer", "value"),
    State("requests-new-kind", "value"),
    State("requests-new-subtype", "value"),
    State("requests-new-subject", "value"),
    State("requests-new-description", "value"),
    State("requests-new-site", "value"),
    State("requests-new-contract", "value"),
    State("requests-new-invoice", "value"),
    State("requests-new-address", "value"),
    State("requests-new-capacity", "value"),
    prevent_initial_call=True,
)
def send(clicks: Any, customer: Any, kind: Any, *values: Any) -> Any:
    """Open the request and go to its page; or say what is missing, changing nothing."""
    if not clicks:
        return dash.no_update, dash.no_update
    subtype, subject, description, site, contract, invoice, address, capacity = (
        str(v) if isinstance(v, (str, int)) and not isinstance(v, bool) else "" for v in values
    )
    form = RequestForm(
        _text(kind), subtype, subject, description, site, contract, invoice, address, capacity
    )
    try:
        with db_session() as db:
            made = workflow.open_request(db, viewer(), customer, form, public_url())
            made_id = made.id
    except RequestError as error:
        return dash.no_update, dbc.Alert(
            html.Ul([html.Li(m) for m in error.messages], className="mb-0"),
            color="danger",
            id="requests-new-refused",
        )
    except AccessDenied:
        return dash.no_update, widgets.not_found()
    return f"/requests/{made_id}", None
