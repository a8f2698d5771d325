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
from lounge.labels import CHANNELS, TOPICS, label
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
#: What a step's detail code means (other details are a provider's words, shown as they are).
STEP_DETAILS = {"read": N_("Read by the recipient"), "posted": N_("Posted")}
KINDS = {
    "welcome": N_("Welcome to the lounge"),
    "farewell": N_("Leaving the lounge"),
    "manager_entered": N_("To the account manager: a customer joined"),
    "manager_exited": N_("To the account manager: a customer left"),
    "meeting_scheduled": N_("Meeting invitation"),
    "meeting_updated": N_("Meeting changed"),
    "meeting_cancelled": N_("Meeting cancelled"),
    "request_update": N_("A request changed state"),
    "manager_member_fault": N_("To the account manager and the fault desk: a member's fault"),
    "manager_new_request": N_("To the account manager: a new request"),
    "manager_assigned": N_("To the account manager: a customer assigned"),
    "manager_changed": N_("The customer's account manager changed"),
    "survey_invitation": N_("A satisfaction survey"),
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
            "channel": label(CHANNELS, message.channel),
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
                        html.P(
                            _("Click a message to see its steps, what it said and its contact."),
                            className="text-body-secondary small mb-2",
                        ),
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
            dbc.Modal(
                [
                    dbc.ModalHeader(dbc.ModalTitle(_("Message"), id="message-title")),
                    dbc.ModalBody(id="message-body"),
                ],
                id="message-modal",
                size="lg",
                scrollable=True,
                is_open=False,
            ),
        ]
    )


def _letter_text(subject: str, text: str, language: str, id_: str) -> html.Div:
    """An e-mail's or letter's subject and paragraphs, in the direction of its language."""
    return html.Div(
        [html.P(html.Strong(subject))] + [html.P(paragraph) for paragraph in text.split("\n\n")],
        dir="rtl" if language == "he" else "ltr",
        lang=language,
        className="border rounded p-3 mb-3 bg-body-tertiary text-break",
        style={"whiteSpace": "pre-line"},
        id=id_,
    )


def _when(value: Any) -> str:
    return format_datetime(value) if value else "–"


def _facts(found: status.MessageDetail) -> html.Dl:
    message = found.message
    channel = Channel(message.channel)
    pairs = [
        (_("Customer"), found.customer),
        (_("Recipient"), message.recipient.replace("\n", ", ")),
        (_("Channel"), _(CHANNELS[channel])),
        (_("Topic"), label(TOPICS, message.topic)),
        (_("Message"), _(KINDS.get(message.kind, message.kind))),
        (_("Language"), LANGUAGE_NAMES.get(message.language, message.language)),
        (_("Status"), _(STATUSES[Delivery(message.status)])),
        (_("Attempts"), format_number(message.attempts)),
        (_("Written"), _when(message.created_at)),
        (_("Sent"), _when(message.sent_at)),
        (_("Delivered"), _when(message.delivered_at)),
    ]
    if message.sms_parts:
        pairs.append((_("SMS parts"), format_number(message.sms_parts)))
    if message.last_error:
        pairs.append((_("Reason"), message.last_error))
    if message.provider_id:
        pairs.append((_("Provider's id"), message.provider_id))
    items: list[Any] = []
    for term, value in pairs:
        items += [
            html.Dt(term, className="col-5 col-md-3"),
            html.Dd(value, className="col-7 col-md-9 text-break"),
        ]
    return html.Dl(items, className="row mb-3", id="message-facts")


def _steps(found: status.MessageDetail) -> Any:
    """Each step on a line of its own (it reads on a phone too): when, what, which attempt, by
    whom, and below it the reason or what the provider said."""
    if not found.steps:
        return widgets.empty(_("No attempt yet."), id_="message-no-steps")
    items = []
    for step in found.steps:
        said = _(STEP_DETAILS[step.detail]) if step.detail in STEP_DETAILS else step.detail
        head = [
            html.Strong(_(STATUSES[Delivery(step.status)])),
            html.Span(format_datetime(step.at), className="text-nowrap"),
        ]
        if step.attempt:
            head.append(html.Span(_("attempt {n}").format(n=format_number(step.attempt))))
        items.append(
            dbc.ListGroupItem(
                [
                    html.Div(head, className="d-flex flex-wrap gap-2"),
                    html.Div(
                        [html.Span(step.actor or ""), html.Div(said or "")],
                        className="small text-body-secondary text-break",
                    ),
                ]
            )
        )
    return dbc.ListGroup(items, class_name="mb-3", id="message-steps")


def _detail(found: status.MessageDetail) -> list[Any]:
    message = found.message
    links: list[Any] = []
    if found.has_pdf:
        links.append(
            dbc.Button(
                _("Letter (PDF)") if message.channel == Channel.POST else _("Attachment (PDF)"),
                href=f"/download/notification/{message.id}.pdf",
                external_link=True,
                color="secondary",
                outline=True,
                size="sm",
                id="message-pdf",
            )
        )
    contact: list[Any] = []
    if found.contact is not None:
        contact = [
            html.H6(_("Contact"), className="mt-3"),
            html.P(
                [
                    html.Span(found.contact.name, className="me-2"),
                    dbc.Button(
                        _("Edit contact"),
                        href=f"/contacts?customer={found.contact.customer_id}"
                        f"&contact={found.contact.id}",
                        color="primary",
                        outline=True,
                        size="sm",
                        id="message-edit-contact",
                    )
                    if found.may_edit_contact
                    else None,
                ],
                id="message-contact",
            ),
        ]
    return [
        _facts(found),
        html.H6(_("Steps")),
        _steps(found),
        html.H6(_("What it said")),
        _letter_text(message.subject, message.body, message.language, "message-text"),
        html.Div(links, className="d-flex gap-2 flex-wrap"),
        *contact,
    ]


@callback(
    Output("message-modal", "is_open"),
    Output("message-title", "children"),
    Output("message-body", "children"),
    Input("outbox-grid", "cellClicked"),
    prevent_initial_call=True,
)
def open_message(clicked: Any) -> Any:
    """The clicked message, read again through the domain (a forged id is not found)."""
    if not isinstance(clicked, dict):
        return dash.no_update, dash.no_update, dash.no_update
    try:
        with db_session() as db:
            found = status.detail(db, viewer(), clicked.get("rowId"))
            return True, found.message.subject, _detail(found)
    except AccessDenied:
        return True, _("Message"), widgets.not_found()


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
            _letter_text(shown.subject, shown.text, shown.language, "preview-email"),
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
