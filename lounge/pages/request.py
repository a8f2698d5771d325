"""One request: what it is about, its state and SLA, the timeline (who did what and when),
comments both ways, files, and the next states the viewer may move it to.

The page and its one callback name the request by id; the domain finds it only for a viewer who
may see it (a client its own customer's, a manager the portfolio's, the fault desk faults), so a
forged id gets "not found" and changes nothing.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, ctx, dcc, html

from db.models import (
    Contract,
    Customer,
    Invoice,
    RequestKind,
    Role,
    ServiceRequest,
    Site,
    User,
)
from lounge import labels, localtime
from lounge.access import AccessDenied, Viewer
from lounge.components import requests_view, widgets
from lounge.i18n import _, format_date, format_datetime, format_number
from lounge.notify.service import number
from lounge.requests import attachments, desk, sla, workflow
from lounge.requests.kinds import STATES
from lounge.requests.workflow import RequestError
from lounge.web.context import attachment_store, db_session, public_url, viewer

dash.register_page(__name__, path_template="/requests/<request_id>", title="Business Lounge")

ACCEPT = ".pdf,.png,.jpg,.jpeg,application/pdf,image/png,image/jpeg"
HIDDEN = {"display": "none"}


def _about(db: Any, you: Viewer, request: ServiceRequest) -> list[Any]:
    """The request's own facts: kind, customer, site, contract or invoice, details."""
    facts: list[tuple[str, str]] = [(_("Kind"), requests_view.kind_text(request))]
    if not you.is_client:
        customer = db.get(Customer, request.customer_id)
        facts.append((_("Customer"), customer.name if customer else request.customer_id))
    if request.site_id:
        site = db.get(Site, request.site_id)
        facts.append((_("Site"), f"{site.name} ({site.id})" if site else request.site_id))
    if request.contract_id:
        contract = db.get(Contract, request.contract_id)
        facts.append((_("Contract"), contract.number if contract else ""))
    if request.invoice_id and request.kind == RequestKind.BILLING:
        invoice = db.get(Invoice, request.invoice_id)
        facts.append((_("Invoice"), invoice.number if invoice else ""))
    if address := request.details.get("address"):
        facts.append((_("Address to connect"), str(address)))
    if capacity := request.details.get("capacity_kva"):
        facts.append((_("Requested capacity"), f"{format_number(int(capacity))} kVA"))
    opener = db.get(User, request.opened_by_id) if request.opened_by_id else None
    facts.append(
        (
            _("Opened"),
            f"{format_datetime(request.opened_at)}"
            + (f" · {opener.full_name or opener.email}" if opener else ""),
        )
    )
    facts.append((_("Due by"), format_date(request.due_date)))
    if request.assignee_id and (assignee := db.get(User, request.assignee_id)):
        facts.append((_("Handled by"), assignee.full_name or assignee.email))
    rows = [
        html.Div(
            [html.Dt(term, className="col-sm-3"), html.Dd(value, className="col-sm-9")],
            className="row mb-0",
        )
        for term, value in facts
    ]
    body: list[Any] = [html.Dl(rows, className="mb-2")]
    if request.description:
        body.append(html.P(request.description, className="lounge-comment mb-0", dir="auto"))
    return body


def _live(db: Any, you: Viewer, request_id: Any) -> tuple[Any, ...]:
    """What every action changes: badges, timeline, files, and the states one may move to."""
    request = workflow.get_request(db, you, request_id)
    status = sla.status(request, localtime.today())
    badges = [requests_view.state_badge(request.state), requests_view.sla_badge(status)]
    if request.priority:
        badges.append(requests_view.member_badge())
    states = workflow.next_states(you, request)
    options = [{"label": labels.label(STATES, s), "value": s} for s in states]
    return (
        badges,
        requests_view.timeline(workflow.timeline(you, request)),
        requests_view.attachment_links(request.id, list(request.attachments)),
        options,
        options[0]["value"] if options else None,
        None if options else HIDDEN,
        HIDDEN if request.state == "closed" else None,
    )


def _card(title: str, body: Any, id_: str | None = None) -> dbc.Card:
    return dbc.Card(
        dbc.CardBody([html.H5(title), *body] if isinstance(body, list) else [html.H5(title), body]),
        class_name="shadow-sm mb-3",
        id=id_ or "",
    )


def _writing_card(
    title: str, box_id: str, choice: Any, text: dbc.Textarea, internal: str | None, button: Any
) -> dbc.Card:
    """A card to write in: an optional choice, the text, its "internal" box (staff only, id
    ``<text id>-internal``) and the button."""
    text.class_name = "mb-2"
    check = dbc.Checkbox(
        id=f"{text.id}-internal",
        label=internal or "",
        value=False,
        style=None if internal else HIDDEN,
    )
    return _card(title, [choice, text, check, button], box_id)


def layout(request_id: str = "", **_query: Any) -> Any:
    you = viewer()
    try:
        with db_session() as db:
            request = workflow.get_request(db, you, request_id)
            badges, shown, files, options, first, move_style, open_style = _live(
                db, you, request.id
            )
            about = _about(db, you, request)
            fault = (
                desk.card(db, you, request.id, localtime.today())
                if request.kind == RequestKind.FAULT and workflow.is_staff(you)
                else None
            )
            title = f"{number(request.id)} · {request.subject}"
            rid = request.id
    except AccessDenied:
        return widgets.not_found()
    _dir, limit = attachment_store()
    staff = workflow.is_staff(you)
    move = _writing_card(
        _("Change state"),
        "request-move-box",
        dbc.Select(id="request-state", options=options, value=first, class_name="mb-2"),
        dbc.Textarea(id="request-note", placeholder=_("Note (optional)"), rows=2),
        _("Internal: the note is for staff only") if staff else None,
        dbc.Button(_("Change state"), id="request-move", color="primary"),
    )
    move.style = move_style
    comment = _writing_card(
        _("Comment"),
        "request-comment-box",
        None,
        dbc.Textarea(id="request-comment", rows=3, maxLength=5000),
        _("Internal note (staff only)") if staff else None,
        dbc.Button(_("Send comment"), id="request-send", color="secondary"),
    )
    comment.style = open_style
    upload = dcc.Upload(
        id="request-upload",
        children=html.Div(_("Drop a PDF, PNG or JPEG here, or click to choose one")),
        accept=ACCEPT,
        max_size=limit,
        className="lounge-upload p-3 mt-2",
        style=open_style,
    )
    return html.Div(
        [
            dcc.Store(id="request-id", data=rid),
            html.Div(
                [
                    dcc.Link(
                        _("Fault desk") if you.role is Role.FAULT_DESK else _("All requests"),
                        href="/fault-desk" if you.role is Role.FAULT_DESK else "/requests",
                        className="small",
                    ),
                    html.H2(title, className="mb-1", id="request-title"),
                    html.Div(badges, id="request-status", className="mb-3"),
                ]
            ),
            html.Div(id="request-feedback"),
            dbc.Row(
                [
                    dbc.Col(
                        [
                            _card(_("Request"), about),
                            _card(_("Timeline"), html.Div(shown, id="request-live")),
                        ],
                        lg=7,
                    ),
                    dbc.Col(
                        [
                            requests_view.fault_card(fault) if fault else None,
                            move,
                            comment,
                            _card(_("Files"), [html.Div(files, id="request-files-box"), upload]),
                        ],
                        lg=5,
                    ),
                ]
            ),
        ]
    )


def _decoded(contents: Any) -> bytes | None:
    if not isinstance(contents, str) or "," not in contents:
        return None
    try:
        return base64.b64decode(contents.partition(",")[2], validate=True)
    except (binascii.Error, ValueError):
        return None


@callback(
    Output("request-status", "children"),
    Output("request-live", "children"),
    Output("request-files-box", "children"),
    Output("request-state", "options"),
    Output("request-state", "value"),
    Output("request-move-box", "style"),
    Output("request-comment-box", "style"),
    Output("request-note", "value"),
    Output("request-comment", "value"),
    Output("request-feedback", "children"),
    Input("request-move", "n_clicks"),
    Input("request-send", "n_clicks"),
    Input("request-upload", "contents"),
    State("request-id", "data"),
    State("request-state", "value"),
    State("request-note", "value"),
    State("request-note-internal", "value"),
    State("request-comment", "value"),
    State("request-comment-internal", "value"),
    State("request-upload", "filename"),
    prevent_initial_call=True,
)
def act(
    _move: Any,
    _send: Any,
    contents: Any,
    request_id: Any,
    state: Any,
    note: Any,
    note_internal: Any,
    text: Any,
    text_internal: Any,
    filename: Any,
) -> Any:
    """Move the request, comment on it or attach a file; the domain checks every part."""
    you = viewer()
    trigger = ctx.triggered_id
    unchanged = (dash.no_update,) * 9
    try:
        with db_session() as db:
            if trigger == "request-move":
                workflow.change_state(
                    db,
                    you,
                    request_id,
                    state,
                    note if isinstance(note, str) else "",
                    public_url(),
                    internal=note_internal is True,
                )
            elif trigger == "request-send":
                workflow.comment(
                    db,
                    you,
                    request_id,
                    text if isinstance(text, str) else "",
                    public_url(),
                    internal=text_internal is True,
                )
            elif trigger == "request-upload":
                data = _decoded(contents)
                if data is None:
                    raise RequestError([_("The file could not be read.")])
                folder, limit = attachment_store()
                attachments.add(db, you, request_id, str(filename or "file"), data, folder, limit)
            else:
                return (*unchanged, None)
        with db_session() as db:
            live = _live(db, you, request_id)
    except RequestError as error:
        alert = dbc.Alert(
            html.Ul([html.Li(m) for m in error.messages], className="mb-0"),
            color="danger",
            id="request-refused",
        )
        return (*unchanged, alert)
    except AccessDenied:
        return (*unchanged, widgets.not_found())
    cleared_note = "" if trigger == "request-move" else dash.no_update
    cleared_text = "" if trigger == "request-send" else dash.no_update
    return (*live, cleared_note, cleared_text, None)
