"""Inbox: the signed-in user's messages in the lounge, newest first; opening one marks it read."""

from __future__ import annotations

from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, callback, html

from db.models import Notification
from lounge.access import NotFound
from lounge.components import shell, widgets
from lounge.i18n import _, format_datetime
from lounge.notify import inbox
from lounge.web.context import db_session, viewer

dash.register_page(__name__, path="/inbox", title="Business Lounge")

ITEM_PREFIX = "message-"


def _item(message: Notification) -> dbc.AccordionItem:
    unread = message.read_at is None
    title = html.Span(
        [
            html.Span("●", className="text-primary me-2", title=_("Unread")) if unread else None,
            html.Span(message.subject, className="fw-semibold" if unread else None),
            html.Small(format_datetime(message.created_at), className="text-body-secondary ms-3"),
        ],
        className="d-flex flex-wrap align-items-baseline",
    )
    body = [html.P(paragraph) for paragraph in message.body.split("\n\n")]
    if message.link and message.link.startswith("/"):
        body.append(dbc.Button(_("Open"), href=message.link, size="sm", color="primary"))
    return dbc.AccordionItem(body, title=title, item_id=f"{ITEM_PREFIX}{message.id}")


def layout(**_query: Any) -> html.Div:
    you = viewer()
    with db_session() as db:
        messages = inbox.messages(db, you)
        unread = inbox.unread_count(db, you)
    header = html.Div(
        [
            html.H2(_("Inbox"), className="mb-0"),
            dbc.Button(
                _("Mark all as read"),
                id="inbox-read-all",
                color="secondary",
                outline=True,
                size="sm",
                disabled=unread == 0,
            ),
        ],
        className="d-flex justify-content-between align-items-center flex-wrap gap-2 mb-3",
    )
    if not messages:
        return html.Div([header, widgets.empty(_("No messages yet."), id_="inbox-empty")])
    return html.Div(
        [
            header,
            dbc.Accordion(
                [_item(message) for message in messages],
                id="inbox-list",
                start_collapsed=True,
                always_open=False,
            ),
        ]
    )


@callback(
    Output("shell-bell-count", "children", allow_duplicate=True),
    Input("inbox-list", "active_item"),
    prevent_initial_call=True,
)
def open_message(active: Any) -> Any:
    """Opening a message marks it read (only one of the viewer's own: others are not found)."""
    if not isinstance(active, str) or not active.startswith(ITEM_PREFIX):
        return dash.no_update
    you = viewer()
    with db_session() as db:
        try:
            inbox.open_message(db, you, active.removeprefix(ITEM_PREFIX))
        except NotFound:
            return dash.no_update
        return shell.bell_text(inbox.unread_count(db, you))


@callback(
    Output("shell-bell-count", "children", allow_duplicate=True),
    Output("inbox-read-all", "disabled"),
    Input("inbox-read-all", "n_clicks"),
    prevent_initial_call=True,
)
def read_all(clicks: Any) -> Any:
    if not clicks:
        return dash.no_update, dash.no_update
    you = viewer()
    with db_session() as db:
        inbox.mark_all_read(db, you)
    return "", True
