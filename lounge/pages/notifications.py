"""Notifications, for staff: every message to the customers they serve and how it went; the
letters waiting to be printed; and each template previewed in either language before it is sent."""

from __future__ import annotations

from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, html

from db.models import Channel, Delivery
from lounge.access import AccessDenied
from lounge.components import grid, widgets
from lounge.i18n import N_, _, format_datetime, format_number
from lounge.notify import letters, sms, status
from lounge.notify.templates import TEMPLATES
from lounge.web.context import db_session, viewer

dash.register_page(__name__, path="/notifications", title="Business Lounge")

STATUSES = {
    Delivery.QUEUED: N_("Queued"),
    Delivery.SENDING: N_("Sending"),
    Delivery.SENT: N_("Sent"),
    Delivery.DELIVERED: N_("Delivered"),
    Delivery.FAILED: N_("Failed"),
}
CHANNELS = {
    Channel.EMAIL: N_("E-mail"),
    Channel.SMS: N_("Text message"),
    Channel.POST: N_("Letter"),
}
KINDS = {
    "welcome": N_("Welcome to the lounge"),
    "farewell": N_("Leaving the lounge"),
    "manager_entered": N_("To the account manager: a customer joined"),
    "manager_exited": N_("To the account manager: a customer left"),
    "request_update": N_("A request changed state"),
    "manager_member_fault": N_("To the account manager and the fault desk: a member's fault"),
    "manager_new_request": N_("To the account manager: a new request"),
    "notice_issued": N_("A peak-load warning or outage notice"),
    "notice_updated": N_("An update of a notice"),
    "notice_cancelled": N_("A cancellation of a notice"),
    "notice_completed": N_("The end of a notice's event"),
}
LANGUAGE_NAMES = {"en": "English", "he": "עברית"}


def _message_rows(session: Any, you: Any, state: str | None, channel: str | None) -> list[dict]:
    return [
        {
            "id": message.id,
            "created": format_datetime(message.created_at),
            "customer": name,
            "kind": _(KINDS.get(message.kind, message.kind)),
            "channel": _(CHANNELS.get(Channel(message.channel), message.channel)),
            "recipient": message.recipient.replace("\n", ", "),
            "language": message.language,
            "status": _(STATUSES[Delivery(message.status)]),
            "status_code": message.status,
            "attempts": message.attempts,
            "error": message.last_error or "",
            "parts": message.sms_parts or "",
            "sent": format_datetime(message.sent_at) if message.sent_at else "",
        }
        for message, name in status.messages(session, you, status=state, channel=channel)
    ]


def _columns() -> list[grid.Column]:
    return [
        {"field": "created", "headerName": _("Written"), "minWidth": 175},
        {"field": "customer", "headerName": _("Customer"), "minWidth": 170},
        {"field": "kind", "headerName": _("Message"), "minWidth": 170},
        {"field": "channel", "headerName": _("Channel")},
        {
            "field": "recipient",
            "headerName": _("Recipient"),
            "minWidth": 190,
            "tooltipField": "recipient",
        },
        {"field": "language", "headerName": _("Language"), "maxWidth": 110},
        {
            "field": "status",
            "headerName": _("Status"),
            "cellClassRules": {
                "text-danger fw-semibold": "params.data.status_code == 'failed'",
                "text-success": "params.data.status_code == 'delivered'",
            },
        },
        grid.number_column("attempts", _("Attempts")),
        {"field": "error", "headerName": _("Reason"), "minWidth": 200, "tooltipField": "error"},
        grid.number_column("parts", _("SMS parts")),
        {"field": "sent", "headerName": _("Sent"), "minWidth": 175},
    ]


def _select(id_: str, everything: str, options: dict[str, str]) -> dbc.Select:
    return dbc.Select(
        id=id_,
        options=[{"label": everything, "value": "all"}]
        + [{"label": _(text), "value": code} for code, text in options.items()],
        value="all",
        style={"maxWidth": "14rem"},
    )


def _letters_card(waiting: list[Any]) -> dbc.Card:
    if not waiting:
        body: list[Any] = [widgets.empty(_("No letters are waiting."), id_="letters-empty")]
    else:
        ids = ",".join(str(letter.id) for letter in waiting)
        body = [
            html.P(
                _("{count} letters are waiting to be printed and posted.").format(
                    count=format_number(len(waiting))
                ),
                id="letters-count",
            ),
            html.Div(
                [
                    dbc.Button(
                        _("Download letters (PDF)"),
                        href=f"/download/letters.pdf?ids={ids}",
                        external_link=True,
                        color="primary",
                        id="letters-download",
                    ),
                    dbc.Button(
                        _("Mark as posted"),
                        id="letters-posted",
                        color="secondary",
                        outline=True,
                    ),
                ],
                className="d-flex gap-2 flex-wrap",
            ),
            html.Div(id="letters-result", className="mt-2"),
        ]
    return dbc.Card(
        [dbc.CardHeader(_("Letters")), dbc.CardBody(body)],
        class_name="shadow-sm mb-3",
        id="letters-card",
    )


def _preview_card() -> dbc.Card:
    return dbc.Card(
        [
            dbc.CardHeader(_("Template preview")),
            dbc.CardBody(
                [
                    html.Div(
                        [
                            dbc.Select(
                                id="preview-kind",
                                options=[
                                    {"label": _(KINDS[kind]), "value": kind} for kind in TEMPLATES
                                ],
                                value="welcome",
                                style={"maxWidth": "22rem"},
                            ),
                            dbc.Select(
                                id="preview-language",
                                options=[
                                    {"label": name, "value": code}
                                    for code, name in LANGUAGE_NAMES.items()
                                ],
                                value="he",
                                style={"maxWidth": "10rem"},
                            ),
                        ],
                        className="d-flex gap-2 flex-wrap mb-3",
                    ),
                    html.Div(id="preview-body"),
                ]
            ),
        ],
        class_name="shadow-sm mb-3",
    )


def layout(**_query: Any) -> Any:
    you = viewer()
    try:
        with db_session() as db:
            counts = status.counts(db, you)
            rows = _message_rows(db, you, None, None)
            waiting = letters.queued(db, you)
    except AccessDenied:
        return widgets.not_allowed()
    tiles = dbc.Row(
        [
            dbc.Col(
                widgets.kpi(_(text), format_number(counts.get(code, 0)), id_=f"outbox-{code}"),
                xs=6,
                md=True,
            )
            for code, text in STATUSES.items()
        ],
        class_name="g-3 mb-3",
    )
    toolbar = html.Div(
        [
            _select("outbox-status", _("All statuses"), {str(k): v for k, v in STATUSES.items()}),
            _select("outbox-channel", _("All channels"), {str(k): v for k, v in CHANNELS.items()}),
        ],
        className="d-flex gap-2 mb-2 flex-wrap lounge-toolbar",
    )
    return html.Div(
        [
            html.H2(_("Notifications"), className="mb-3"),
            tiles,
            dbc.Card(
                dbc.CardBody(
                    [
                        toolbar,
                        grid.data_grid(
                            "outbox-grid", rows, _columns(), height="480px", row_id="id"
                        ),
                    ]
                ),
                class_name="shadow-sm mb-3",
            ),
            dbc.Row(
                [dbc.Col(_letters_card(waiting), lg=5), dbc.Col(_preview_card(), lg=7)],
                class_name="g-3",
            ),
        ]
    )


@callback(
    Output("outbox-grid", "rowData"),
    Input("outbox-status", "value"),
    Input("outbox-channel", "value"),
    prevent_initial_call=True,
)
def filter_messages(state: Any, channel: Any) -> Any:
    """The list again, narrowed on the server (only known codes pass)."""
    state = state if isinstance(state, str) and state in STATUSES else None
    channel = channel if isinstance(channel, str) and channel in CHANNELS else None
    with db_session() as db:
        try:
            return _message_rows(db, viewer(), state, channel)
        except AccessDenied:
            return []


@callback(
    Output("letters-result", "children"),
    Output("letters-posted", "disabled"),
    Input("letters-posted", "n_clicks"),
    State("letters-download", "href"),
    prevent_initial_call=True,
)
def mark_posted(clicks: Any, href: Any) -> Any:
    """Marks the letters of the batch on the page (the domain keeps only the viewer's own)."""
    if not clicks or not isinstance(href, str):
        return dash.no_update, dash.no_update
    ids = href.partition("ids=")[2].split(",")
    with db_session() as db:
        try:
            count = letters.mark_posted(db, viewer(), ids)
        except AccessDenied:
            return widgets.not_allowed(), True
    message = _("{count} letters marked as posted.").format(count=format_number(count))
    return dbc.Alert(message, color="success", class_name="mb-0 py-2"), True


@callback(
    Output("preview-body", "children"),
    Input("preview-kind", "value"),
    Input("preview-language", "value"),
)
def preview(kind: Any, language: Any) -> Any:
    try:
        shown = status.preview(viewer(), str(kind), str(language))
    except AccessDenied:
        return widgets.not_allowed()
    direction = "rtl" if shown.language == "he" else "ltr"
    parts = sms.segment(shown.sms)
    return html.Div(
        [
            html.H6(_("E-mail and letter"), className="text-body-secondary"),
            html.Div(
                [html.P(html.Strong(shown.subject))]
                + [html.P(paragraph) for paragraph in shown.text.split("\n\n")],
                dir=direction,
                lang=shown.language,
                className="border rounded p-3 mb-3 bg-body-tertiary",
                id="preview-email",
            ),
            html.H6(_("Text message"), className="text-body-secondary"),
            html.P(shown.sms, dir=direction, lang=shown.language, className="border rounded p-3"),
            html.Small(
                _("{parts} parts ({encoding}, {length} characters)").format(
                    parts=parts.count, encoding=parts.encoding, length=len(shown.sms)
                ),
                className="text-body-secondary",
                id="preview-sms-parts",
            ),
        ]
    )
