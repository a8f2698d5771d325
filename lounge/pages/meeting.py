"""One meeting (``/meeting?id=``): its planner edits, records minutes and follows up the actions;
its customer reads it. Every callback names the meeting or action it acts on, and the domain
checks that the viewer may.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, ctx, dcc, html

from db.models import ActionItem, ActionOwner, Meeting, MeetingState
from lounge import localtime, meetings, settings
from lounge.access import AccessDenied, Viewer
from lounge.components import meeting_view, widgets
from lounge.i18n import _, format_number
from lounge.labels import ACTION_OWNERS, MEETING_STATES, label
from lounge.meetings import MeetingError, MeetingForm
from lounge.notify import contacts
from lounge.web.context import db_session, viewer
from lounge.web.downloads import meeting_pack_href

dash.register_page(__name__, path="/meeting", title="Business Lounge")

FORM = (
    "day",
    "time",
    "duration",
    "place",
    "link",
    "contacts",
    "theirs",
    "ours",
    "agenda",
    "minutes",
)


def _field(text: str, control: Any) -> dbc.Row:
    return dbc.Row([dbc.Label(text, md=3), dbc.Col(control, md=9)], class_name="mb-2")


def _form(meeting: Meeting, people: list[tuple[str, str]]) -> dbc.Card:
    start = meetings.local(meeting.starts_at)
    closed = meeting.state == MeetingState.CANCELLED
    return dbc.Card(
        dbc.CardBody(
            [
                _field(
                    _("Date"), dbc.Input(id="meeting-day", type="date", value=f"{start:%Y-%m-%d}")
                ),
                _field(
                    _("Time"), dbc.Input(id="meeting-time", type="time", value=f"{start:%H:%M}")
                ),
                _field(
                    _("Duration"),
                    dbc.Select(
                        id="meeting-duration",
                        value=str(meeting.duration_minutes),
                        options=[
                            {"label": format_number(m), "value": str(m)}
                            for m in sorted({*meetings.DURATIONS, meeting.duration_minutes})
                        ],
                    ),
                ),
                _field(_("Place"), dbc.Input(id="meeting-place", value=meeting.place)),
                _field(
                    _("Video link"),
                    dbc.Input(id="meeting-link", type="url", value=meeting.video_link),
                ),
                _field(
                    _("Contacts invited"),
                    dbc.Checklist(
                        id="meeting-contacts",
                        options=[{"label": name, "value": value} for value, name in people],
                        value=[str(contact.id) for contact in meeting.contacts],
                    ),
                ),
                _field(
                    _("Also from the customer"),
                    dbc.Input(id="meeting-theirs", value=meeting.their_attendees),
                ),
                _field(
                    _("From the company"), dbc.Input(id="meeting-ours", value=meeting.our_attendees)
                ),
                _field(
                    _("Agenda"), dbc.Textarea(id="meeting-agenda", rows=3, value=meeting.agenda)
                ),
                _field(
                    _("Minutes"), dbc.Textarea(id="meeting-minutes", rows=6, value=meeting.minutes)
                ),
                html.Div(
                    [
                        dbc.Button(_("Save"), id="meeting-save", color="primary", disabled=closed),
                        dbc.Button(
                            _("Save as held"), id="meeting-held", color="success", disabled=closed
                        ),
                        dbc.Button(
                            _("Cancel the meeting"),
                            id="meeting-cancel",
                            color="danger",
                            outline=True,
                            disabled=meeting.state != MeetingState.SCHEDULED,
                        ),
                    ],
                    className="d-flex flex-wrap gap-2",
                ),
                html.Div(id="meeting-result", className="mt-2"),
            ]
        ),
        class_name="shadow-sm mb-3",
    )


def _done_options(items: list[ActionItem], you: Viewer) -> tuple[list[dict[str, Any]], list[str]]:
    today = localtime.today()
    options = [
        {"label": html.Span(meeting_view.action_text(item, you, today)), "value": str(item.id)}
        for item in items
    ]
    return options, [str(item.id) for item in items if item.done_at]


def _actions(meeting: Meeting, you: Viewer) -> dbc.Card:
    options, done = _done_options(list(meeting.actions), you)
    due = localtime.today() + dt.timedelta(days=30)
    return dbc.Card(
        dbc.CardBody(
            [
                html.H5(_("Action items")),
                html.Div(_("Tick an item when it is done."), className="small text-body-secondary"),
                dbc.Checklist(id="meeting-done", options=options, value=done, class_name="mb-3"),
                dbc.Input(
                    id="meeting-action-text", placeholder=_("What is to be done"), class_name="mb-2"
                ),
                html.Div(
                    [
                        dbc.Select(
                            id="meeting-action-owner",
                            value=ActionOwner.US.value,
                            options=[
                                {"label": label(ACTION_OWNERS, owner), "value": owner.value}
                                for owner in ActionOwner
                            ],
                            style={"maxWidth": "10rem"},
                        ),
                        dbc.Input(
                            id="meeting-action-due",
                            type="date",
                            value=due.isoformat(),
                            style={"maxWidth": "11rem"},
                        ),
                        dbc.Button(_("Add"), id="meeting-action-add", color="secondary"),
                    ],
                    className="d-flex flex-wrap gap-2",
                ),
                html.Div(id="meeting-action-problems", className="mt-2"),
            ]
        ),
        class_name="shadow-sm mb-3",
    )


def _pack(meeting: Meeting) -> dbc.Card:
    return dbc.Card(
        dbc.CardBody(
            [
                html.H5(_("Meeting pack")),
                html.Div(
                    _(
                        "The customer's year in one PDF, in the customer's language: membership, "
                        "forecast, consumption, contracts, money, requests, notices and the "
                        "previous meeting's actions."
                    ),
                    className="small text-body-secondary mb-2",
                ),
                html.A(
                    _("Meeting pack (PDF)"),
                    href=meeting_pack_href(meeting.customer_id),
                    className="btn btn-outline-primary btn-sm",
                    id="meeting-pack-pdf",
                ),
            ]
        ),
        class_name="shadow-sm",
        id="meeting-pack",
    )


def _planner_view(meeting: Meeting, name: str, you: Viewer) -> Any:
    with db_session() as db:
        people = [(str(c.id), c.name) for c in contacts.contacts(db, you, meeting.customer_id)]
    return html.Div(
        [
            dcc.Store(id="meeting-id", data=meeting.id),
            html.Div(
                [
                    html.H2(name, className="mb-0", id="meeting-customer"),
                    meeting_view.state_badge(meeting, "meeting-state"),
                ],
                className="d-flex flex-wrap gap-2 align-items-center",
            ),
            html.Div(
                [
                    dcc.Link(_("All meetings"), href="/meetings"),
                    " · ",
                    html.A(
                        _("Calendar file (.ics)"),
                        href=meetings.ics_path(meeting),
                        id="meeting-ics",
                    ),
                ],
                className="mb-3 small",
            ),
            dbc.Row(
                [
                    dbc.Col(_form(meeting, people), lg=7),
                    dbc.Col([_actions(meeting, you), _pack(meeting)], lg=5),
                ],
                class_name="g-3",
            ),
        ]
    )


def layout(id: str | None = None, **_query: Any) -> Any:  # noqa: A002 - the address's word
    you = viewer()
    try:
        with db_session() as db:
            meeting = meetings.get_meeting(db, you, id)
            name = meetings.customer_name(db, meeting)
            if you.is_client:
                items = list(meeting.actions)
                return html.Div(
                    [
                        html.H2(_("Meeting"), className="mb-3"),
                        meeting_view.summary(meeting, "meeting-view"),
                        dbc.Card(
                            dbc.CardBody(
                                [
                                    html.H5(_("What we agreed")),
                                    meeting_view.action_list(
                                        items, you, localtime.today(), "meeting-agreed"
                                    ),
                                ]
                            ),
                            class_name="shadow-sm",
                        ),
                    ]
                )
    except AccessDenied:
        return widgets.not_found()
    return _planner_view(meeting, name, you)


@callback(
    Output("meeting-result", "children"),
    Output("meeting-state", "children"),
    Input("meeting-save", "n_clicks"),
    Input("meeting-held", "n_clicks"),
    Input("meeting-cancel", "n_clicks"),
    State("meeting-id", "data"),
    *(State(f"meeting-{name}", "value") for name in FORM),
    prevent_initial_call=True,
)
def save(_save: Any, _held: Any, _cancel: Any, meeting_id: Any, *values: Any) -> Any:
    """Save, record as held, or cancel; the domain checks the meeting and every value."""
    form = MeetingForm.sent(dict(zip(FORM, values, strict=True)))
    base_url = settings.load().public_url
    try:
        with db_session() as db:
            you = viewer()
            if ctx.triggered_id == "meeting-cancel":
                meeting = meetings.cancel(db, you, meeting_id, base_url)
                done = _("The meeting is cancelled; the contacts are told.")
            else:
                held = ctx.triggered_id == "meeting-held"
                meeting = meetings.update(db, you, meeting_id, form, base_url, held)
                done = _("Saved.")
            state = label(MEETING_STATES, meeting.state)
    except MeetingError as error:
        return meeting_view.refusal(error, "meeting-refused"), dash.no_update
    except AccessDenied:
        return widgets.not_found(), dash.no_update
    return dbc.Alert(done, color="success", id="meeting-saved", duration=6000), state


def _current(meeting_id: Any) -> tuple[list[dict[str, Any]], list[str]]:
    with db_session() as db:
        you = viewer()
        return _done_options(list(meetings.get_meeting(db, you, meeting_id).actions), you)


@callback(
    Output("meeting-done", "options"),
    Output("meeting-done", "value"),
    Output("meeting-action-problems", "children"),
    Output("meeting-action-text", "value"),
    Input("meeting-action-add", "n_clicks"),
    State("meeting-id", "data"),
    State("meeting-action-text", "value"),
    State("meeting-action-owner", "value"),
    State("meeting-action-due", "value"),
    prevent_initial_call=True,
)
def add_action(_clicks: Any, meeting_id: Any, text: Any, owner: Any, due: Any) -> Any:
    try:
        with db_session() as db:
            meetings.add_action(db, viewer(), meeting_id, text, owner, due)
        options, done = _current(meeting_id)
    except MeetingError as error:
        unchanged = (dash.no_update, dash.no_update)
        return *unchanged, meeting_view.refusal(error, "meeting-action-refused"), dash.no_update
    except AccessDenied:
        return dash.no_update, dash.no_update, widgets.not_found(), dash.no_update
    return options, done, None, ""


@callback(
    Output("meeting-done", "options", allow_duplicate=True),
    Input("meeting-done", "value"),
    State("meeting-id", "data"),
    prevent_initial_call=True,
)
def tick(done: Any, meeting_id: Any) -> Any:
    """Mark the ticked items done and the others open again (the meeting's items only)."""
    ticked = {str(value) for value in done} if isinstance(done, list) else set()
    try:
        with db_session() as db:
            you = viewer()
            for item in meetings.get_meeting(db, you, meeting_id).actions:
                if (str(item.id) in ticked) != (item.done_at is not None):
                    meetings.set_done(db, you, item.id, str(item.id) in ticked)
        options, _done = _current(meeting_id)
    except AccessDenied:
        return dash.no_update
    return options
