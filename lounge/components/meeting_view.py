"""How a meeting and its action items look, on the planner's pages and in the client's lounge."""

from __future__ import annotations

import datetime as dt
from typing import Any

import dash_bootstrap_components as dbc
from dash import html

from db.models import ActionItem, ActionOwner, Meeting, MeetingState
from lounge import meetings
from lounge.access import Viewer
from lounge.company import COMPANY
from lounge.components import widgets
from lounge.i18n import _, format_date, ngettext
from lounge.labels import ACTION_OWNERS, MEETING_STATES, label

STATE_COLOURS = {
    MeetingState.SCHEDULED: "primary",
    MeetingState.HELD: "success",
    MeetingState.CANCELLED: "secondary",
}


def owner_label(owner: str, viewer: Viewer) -> str:
    """Who does it, as the reader says it: a client reads "you" and the company's name."""
    if viewer.is_client:
        return _("You") if owner == ActionOwner.CUSTOMER else _(COMPANY.name)
    return label(ACTION_OWNERS, owner)


def state_badge(meeting: Meeting, id_: str) -> dbc.Badge:
    return dbc.Badge(
        label(MEETING_STATES, meeting.state),
        color=STATE_COLOURS.get(MeetingState(meeting.state), "secondary"),
        id=id_,
    )


def _where(meeting: Meeting) -> list[Any]:
    parts: list[Any] = []
    if meeting.place:
        parts.append(html.Div(meeting.place, dir="auto"))
    if meeting.video_link:
        parts.append(
            html.A(
                meeting.video_link,
                href=meeting.video_link,
                target="_blank",
                rel="noopener noreferrer",
                className="text-break",
                dir="ltr",
            )
        )
    return parts


def summary(meeting: Meeting, prefix: str) -> dbc.Card:
    """A meeting's time, place, attendees and agenda, with its calendar file."""
    attendees = [contact.name for contact in meeting.contacts]
    if meeting.their_attendees:
        attendees.append(meeting.their_attendees)
    rows: list[tuple[str, Any]] = [
        (_("Where"), _where(meeting)),
        (_("Who comes"), html.Div(", ".join(attendees) or "–", dir="auto")),
        (_("From the company"), html.Div(meeting.our_attendees or "–", dir="auto")),
        (_("Agenda"), html.Div(meeting.agenda or "–", className="lounge-pre", dir="auto")),
    ]
    return dbc.Card(
        dbc.CardBody(
            [
                html.Div(
                    [
                        html.H5(meetings.when(meeting), className="mb-0", id=f"{prefix}-when"),
                        state_badge(meeting, f"{prefix}-state"),
                    ],
                    className="d-flex flex-wrap gap-2 align-items-center mb-2",
                ),
                html.Div(
                    ngettext("{count} minute", "{count} minutes", meeting.duration_minutes).format(
                        count=meeting.duration_minutes
                    ),
                    className="text-body-secondary small mb-2",
                ),
                html.Dl(
                    [
                        item
                        for term, value in rows
                        for item in (
                            html.Dt(term, className="col-sm-3"),
                            html.Dd(value, className="col-sm-9"),
                        )
                    ],
                    className="row mb-2",
                ),
                dbc.Button(
                    _("Add to calendar (.ics)"),
                    href=meetings.ics_path(meeting),
                    external_link=True,
                    color="secondary",
                    outline=True,
                    size="sm",
                    id=f"{prefix}-ics",
                ),
            ]
        ),
        class_name="shadow-sm mb-3",
        id=prefix,
    )


def action_text(item: ActionItem, viewer: Viewer, today: dt.date) -> list[Any]:
    """One action item in a line: what, who, by when; an overdue one says so in red."""
    late = meetings.is_overdue(item, today)
    due = _("due {date}").format(date=format_date(item.due_date))
    parts: list[Any] = [
        html.Span(
            item.text,
            className="text-decoration-line-through" if item.done_at else "",
            dir="auto",
        ),
        html.Span(f" · {owner_label(item.owner, viewer)} · {due}", className="small"),
    ]
    if late:
        parts.append(dbc.Badge(_("Overdue"), color="danger", class_name="ms-2"))
    elif item.done_at:
        parts.append(dbc.Badge(_("Done"), color="success", class_name="ms-2"))
    return parts


def refusal(error: meetings.MeetingError, id_: str) -> dbc.Alert:
    """Why a form was refused, every reason in a list."""
    return dbc.Alert(
        html.Ul([html.Li(message) for message in error.messages], className="mb-0"),
        color="danger",
        id=id_,
    )


def action_list(items: list[ActionItem], viewer: Viewer, today: dt.date, id_: str) -> Any:
    if not items:
        return widgets.empty(_("No action items."), id_)
    return html.Ul(
        [
            html.Li(
                action_text(item, viewer, today),
                className="text-danger" if meetings.is_overdue(item, today) else "",
            )
            for item in items
        ],
        className="mb-0",
        id=id_,
    )
