"""A customer for its manager (Customer 360): what the client sees through the tabs, plus the
manager's notes, one timeline, and who has looked after the customer (an admin reassigns here).

The customer is in the address (``/customer/<id>``); the domain decides whether the viewer may
see it (its manager, an admin): anyone else gets "not found", clients included.
"""

from __future__ import annotations

from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, ctx, dcc, html

from db.models import AssignmentHistory, CustomerNote, Role
from lounge import admin, assignment, customer360, customers, labels
from lounge.access import AccessDenied, Viewer
from lounge.assignment import AssignmentError
from lounge.components import customer_nav, widgets
from lounge.customer360 import NoteError
from lounge.i18n import N_, _, format_datetime
from lounge.web.context import db_session, viewer
from lounge.web.downloads import meeting_pack_href

dash.register_page(__name__, path_template="/customer/<customer>", title="Business Lounge")

TIMELINE_KINDS = {
    "contact": N_("Message"),
    "meeting": N_("Meeting"),
    "request": N_("Request"),
    "survey": N_("Survey"),
    "notice": N_("Notice"),
    "membership": N_("Membership"),
    "assignment": N_("Assignment"),
}
REASONS = {"entry": N_("On entering the lounge"), "reassigned": N_("By an administrator")}


def _notes(found: list[CustomerNote]) -> Any:
    if not found:
        return html.Div(_("No notes yet."), className="text-body-secondary small")
    return html.Ul(
        [
            html.Li(
                [
                    html.Div(
                        f"{note.author_name} · {format_datetime(note.at, 'short')}",
                        className="small text-body-secondary",
                    ),
                    html.Div(note.text, style={"whiteSpace": "pre-wrap"}),
                ],
                className="list-group-item",
            )
            for note in found
        ],
        className="list-group list-group-flush",
    )


def _history(found: list[AssignmentHistory], names: dict[int, str]) -> Any:
    if not found:
        return html.Div(_("No assignment recorded yet."), className="text-body-secondary small")
    return html.Ul(
        [
            html.Li(
                [
                    html.Strong(names.get(row.manager_id, "")),
                    " · ",
                    labels.label(REASONS, row.reason),
                    html.Div(
                        f"{format_datetime(row.at, 'short')} · {row.actor}",
                        className="small text-body-secondary",
                    ),
                ],
                className="list-group-item",
            )
            for row in found
        ],
        className="list-group list-group-flush",
    )


def _timeline(entries: list[customer360.Entry]) -> Any:
    if not entries:
        return html.Div(_("Nothing yet."), className="text-body-secondary small")
    return html.Ul(
        [
            html.Li(
                [
                    html.Div(
                        [
                            dbc.Badge(labels.label(TIMELINE_KINDS, e.kind), class_name="me-2"),
                            html.Span(format_datetime(e.at, "short"), className="small"),
                        ]
                    ),
                    dcc.Link(e.title, href=e.href) if e.href else html.Span(e.title),
                    html.Div(e.detail, className="small text-body-secondary") if e.detail else None,
                ],
                className="list-group-item",
            )
            for e in entries
        ],
        className="list-group list-group-flush",
        id="customer-timeline-list",
    )


def _reassign_card(db: Any, you: Viewer, customer_id: str) -> Any:
    if you.role is not Role.ADMIN:
        return None
    options = [{"label": name, "value": str(i)} for i, name in assignment.managers(db, you)]
    return html.Div(
        [
            dbc.Select(id="customer-manager", options=options, class_name="mb-2"),
            dbc.Button(_("Reassign"), id="customer-reassign", color="primary", size="sm"),
            html.Div(id="customer-reassign-result", className="mt-2"),
        ],
        className="mt-3",
    )


def _card(title: str, body: Any, id_: str) -> dbc.Card:
    return dbc.Card(dbc.CardBody([html.H5(title), *body]), class_name="shadow-sm mb-3", id=id_)


@customer_nav.customer_page("customer")
def layout(you: Viewer, customer_id: str) -> Any:
    with db_session() as db:
        found_notes = customer360.notes(db, you, customer_id)  # checks role and customer first
        profile = customers.profile(db, you, customer_id)
        entries = customer360.timeline(db, you, customer_id)
        history = assignment.history(db, you, customer_id)
        names = assignment.names(db, [h.manager_id for h in history])
        reassign = _reassign_card(db, you, customer_id)
    manager = profile.manager_name or _("No account manager")
    return html.Div(
        [
            dcc.Store(id="customer-id", data=profile.customer_id),
            html.H2(profile.name, className="mb-0", id="customer-name"),
            html.Div(
                [
                    html.Span(
                        _("Account manager: {name}").format(name=manager),
                        id="customer-manager-name",
                    ),
                    " · ",
                    html.A(
                        _("Meeting pack (PDF)"),
                        href=meeting_pack_href(profile.customer_id),
                        id="customer-pack",
                    ),
                ],
                className="text-body-secondary mb-3",
            ),
            customer_nav.tabs("/customer", you, profile.customer_id),
            dbc.Row(
                [
                    dbc.Col(_card(_("Timeline"), [_timeline(entries)], "customer-timeline"), lg=7),
                    dbc.Col(
                        [
                            _card(
                                _("Notes"),
                                [
                                    dbc.Textarea(
                                        id="customer-note-text",
                                        rows=3,
                                        maxLength=customer360.NOTE_MAX,
                                        placeholder=_(
                                            "A note for the team (the customer never sees it)"
                                        ),
                                        class_name="mb-2",
                                    ),
                                    dbc.Button(_("Add note"), id="customer-note-add", size="sm"),
                                    html.Div(id="customer-note-result", className="mt-2"),
                                    html.Div(
                                        _notes(found_notes), id="customer-notes", className="mt-2"
                                    ),
                                ],
                                "customer-notes-card",
                            ),
                            _card(
                                _("Account managers"),
                                [
                                    html.Div(_history(history, names), id="customer-history"),
                                    reassign,
                                ],
                                "customer-history-card",
                            ),
                        ],
                        lg=5,
                    ),
                ]
            ),
        ]
    )


@callback(
    Output("customer-notes", "children"),
    Output("customer-note-text", "value"),
    Output("customer-note-result", "children"),
    Input("customer-note-add", "n_clicks"),
    State("customer-id", "data"),
    State("customer-note-text", "value"),
    prevent_initial_call=True,
)
def add_note(_clicks: Any, customer_id: Any, text: Any) -> Any:
    """Write a note; the domain checks the role and the customer."""
    you = viewer()
    try:
        with db_session() as db:
            customer360.add_note(db, you, customer_id, text)
        with db_session() as db:
            shown = _notes(customer360.notes(db, you, customer_id))
    except NoteError as error:
        return dash.no_update, dash.no_update, dbc.Alert(str(error), color="danger")
    except AccessDenied:
        return dash.no_update, dash.no_update, widgets.not_found()
    return shown, "", None


@callback(
    Output("customer-history", "children"),
    Output("customer-manager-name", "children"),
    Output("customer-reassign-result", "children"),
    Input("customer-reassign", "n_clicks"),
    State("customer-id", "data"),
    State("customer-manager", "value"),
    prevent_initial_call=True,
)
def reassign(_clicks: Any, customer_id: Any, manager_id: Any) -> Any:
    """An admin gives the customer to another manager (the domain checks the role)."""
    if ctx.triggered_id != "customer-reassign":
        return dash.no_update, dash.no_update, None
    you = viewer()
    try:
        with db_session() as db:
            made = admin.reassign_manager(db, you, customer_id, manager_id)
            name = made.manager.full_name or made.manager.email
        with db_session() as db:
            history = assignment.history(db, you, customer_id)
            shown = _history(history, assignment.names(db, [h.manager_id for h in history]))
    except AssignmentError:
        return (
            dash.no_update,
            dash.no_update,
            dbc.Alert(_("Choose another active account manager."), color="danger"),
        )
    except AccessDenied:
        return dash.no_update, dash.no_update, widgets.not_found()
    return (
        shown,
        _("Account manager: {name}").format(name=name),
        dbc.Alert(_("Reassigned; the customer and the manager are told."), color="success"),
    )
