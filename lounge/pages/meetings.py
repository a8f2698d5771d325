"""Meetings: the planner of annual meetings for account managers and admins; a client's meetings.

A manager sees the members of the portfolio (an admin every member): overdue, due, scheduled and
held this year, with a proposed date for those without a meeting. Clicking a member with a
meeting opens it; clicking one without opens the scheduling form, filled with the proposal.
Below, the open action items of every meeting, overdue ones first and marked.

A client sees its next meeting and the action items agreed with it.
"""

from __future__ import annotations

from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, ctx, dcc, html
from flask_login import current_user

from db.models import Role
from lounge import access, localtime, meeting_pack, meetings, settings
from lounge.access import AccessDenied, Viewer
from lounge.components import grid, job_view, meeting_view, widgets
from lounge.i18n import _, format_number
from lounge.labels import PLAN_STATUSES, label
from lounge.meetings import MeetingError, MeetingForm
from lounge.notify import contacts
from lounge.web import jobs
from lounge.web.context import db_session, viewer

dash.register_page(__name__, path="/meetings", title="Business Lounge")


# --- the client's view -----------------------------------------------------------------------


def _client(you: Viewer) -> Any:
    today = localtime.today()
    with db_session() as db:
        customer_id = access.home_customer(you)
        next_meeting = meetings.upcoming(db, you, customer_id, today)
        upcoming = (
            meeting_view.summary(next_meeting, "meetings-next")
            if next_meeting
            else widgets.empty(
                _("No meeting is scheduled yet; your account manager will propose one."),
                "meetings-next",
            )
        )
        items = [item for item, _name in meetings.actions(db, you, customer_id, open_only=False)]
        agreed = meeting_view.action_list(items, you, today, "meetings-actions")
    return html.Div(
        [
            html.H2(_("Meetings"), className="mb-3"),
            html.H5(_("Your next meeting")),
            upcoming,
            dbc.Card(
                dbc.CardBody([html.H5(_("What we agreed")), agreed]),
                class_name="shadow-sm",
            ),
        ]
    )


# --- the planner -----------------------------------------------------------------------------


def _plan_rows(rows: list[meetings.PlanRow]) -> list[dict[str, Any]]:
    return [
        {
            "customer_id": row.customer_id,
            "name": row.name,
            "manager": row.manager,
            "status": label(PLAN_STATUSES, row.status),
            "status_code": row.status,
            **grid.date_cells("last_held", row.last_held),
            "next": meetings.when(row.next_meeting) if row.next_meeting else "",
            "meeting_id": row.next_meeting.id if row.next_meeting else None,
            "proposed": row.proposed.isoformat() if row.proposed else "",
            "proposed_text": meetings.when_local(row.proposed) if row.proposed else "",
        }
        for row in rows
    ]


def _plan_columns(show_manager: bool) -> list[grid.Column]:
    columns: list[grid.Column] = [
        {"field": "name", "headerName": _("Customer"), "minWidth": 180},
        {
            "field": "status",
            "headerName": _("Status"),
            "maxWidth": 160,
            "cellClassRules": {"text-danger fw-semibold": "params.data.status_code == 'overdue'"},
        },
        grid.date_column("last_held", _("Last meeting"), maxWidth=160),
        {"field": "next", "headerName": _("Next meeting"), "minWidth": 170},
        {
            "field": "proposed",
            "headerName": _("Proposed date"),
            "minWidth": 170,
            "cellDataType": "text",
            "valueFormatter": {"function": "params.data ? params.data.proposed_text : ''"},
        },
    ]
    if show_manager:
        columns.insert(1, {"field": "manager", "headerName": _("Account manager")})
    return columns


def _action_rows(you: Viewer) -> list[dict[str, Any]]:
    today = localtime.today()
    with db_session() as db:
        found = meetings.actions(db, you)
    return [
        {
            "id": item.id,
            "meeting_id": item.meeting_id,
            "customer": name,
            "text": item.text,
            "owner": meeting_view.owner_label(item.owner, you),
            **grid.date_cells("due", item.due_date),
            "late": meetings.is_overdue(item, today),
        }
        for item, name in found
    ]


def _action_columns() -> list[grid.Column]:
    return [
        {"field": "customer", "headerName": _("Customer"), "minWidth": 160},
        {"field": "text", "headerName": _("Action"), "minWidth": 220},
        {"field": "owner", "headerName": _("Who"), "maxWidth": 140},
        grid.date_column(
            "due",
            _("Due"),
            maxWidth=150,
            cellClassRules={"text-danger fw-semibold": "params.data.late"},
        ),
    ]


def _field(text: str, control: Any) -> dbc.Row:
    return dbc.Row(
        [dbc.Label(text, md=4), dbc.Col(control, md=8)],
        class_name="mb-2",
    )


def _schedule_form() -> dbc.Modal:
    return dbc.Modal(
        [
            dbc.ModalHeader(dbc.ModalTitle(id="meetings-form-title")),
            dbc.ModalBody(
                [
                    _field(_("Date"), dbc.Input(id="meetings-day", type="date")),
                    _field(_("Time"), dbc.Input(id="meetings-time", type="time")),
                    _field(
                        _("Duration"),
                        dbc.Select(
                            id="meetings-duration",
                            value="60",
                            options=[
                                {"label": format_number(m), "value": str(m)}
                                for m in meetings.DURATIONS
                            ],
                        ),
                    ),
                    _field(_("Place"), dbc.Input(id="meetings-place")),
                    _field(
                        _("Video link"),
                        dbc.Input(id="meetings-link", type="url", placeholder="https://"),
                    ),
                    _field(_("Contacts invited"), dbc.Checklist(id="meetings-contacts")),
                    _field(_("Also from the customer"), dbc.Input(id="meetings-theirs")),
                    _field(_("From the company"), dbc.Input(id="meetings-ours")),
                    _field(_("Agenda"), dbc.Textarea(id="meetings-agenda", rows=3)),
                    html.Div(id="meetings-problems"),
                ]
            ),
            dbc.ModalFooter(
                dbc.Button(_("Schedule and invite"), id="meetings-schedule", color="primary")
            ),
        ],
        id="meetings-form",
        is_open=False,
        size="lg",
    )


def _planner(you: Viewer) -> Any:
    today = localtime.today()
    with db_session() as db:
        rows = meetings.planner(db, you, today)
    actions = _action_rows(you)
    count = {status: sum(r.status == status for r in rows) for status in PLAN_STATUSES}
    late = sum(row["late"] for row in actions)
    kpis = dbc.Row(
        [
            dbc.Col(widgets.kpi(_(text), format_number(count[code]), id_=f"meetings-kpi-{code}"))
            for code, text in PLAN_STATUSES.items()
        ]
        + [
            dbc.Col(widgets.kpi(_("Overdue actions"), format_number(late), id_="meetings-kpi-late"))
        ],
        class_name="g-3 mb-3 row-cols-2 row-cols-md-5",
    )
    rule = _(
        "Every member meets its account manager at least once a calendar year. Overdue: no "
        "meeting this year and none in the last 12 months, or fewer than {days} working days "
        "left in the year. Proposed dates fall on working days that are not holiday eves, one a "
        "day on the manager's free days."
    ).format(days=meetings.OVERDUE_WORKING_DAYS)
    return html.Div(
        [
            dcc.Location(id="meetings-go", refresh=True),
            dcc.Store(id="meetings-customer"),
            html.H2(_("Annual meetings"), className="mb-1"),
            html.P(rule, className="text-body-secondary small", id="meetings-rule"),
            kpis,
            _packs(),
            dbc.Card(
                dbc.CardBody(
                    [
                        grid.data_grid(
                            "meetings-grid",
                            _plan_rows(rows),
                            _plan_columns(show_manager=you.role is Role.ADMIN),
                            height="440px",
                            row_id="customer_id",
                        ),
                        html.Div(
                            _(
                                "Click a customer to schedule its meeting on the proposed date, "
                                "or to open its next meeting."
                            ),
                            className="small text-body-secondary mt-1",
                        ),
                    ]
                ),
                class_name="shadow-sm mb-3",
            ),
            dbc.Card(
                dbc.CardBody(
                    [
                        html.H5(_("Open action items")),
                        grid.data_grid(
                            "meetings-actions-grid",
                            actions,
                            _action_columns(),
                            height="360px",
                            row_id="id",
                        ),
                    ]
                ),
                class_name="shadow-sm",
            ),
            _schedule_form(),
        ]
    )


def _packs() -> dbc.Card:
    """The portfolio's meeting packs in one ZIP, built in a background job."""
    return dbc.Card(
        dbc.CardBody(
            [
                html.Div(
                    [
                        dbc.Button(
                            _("Meeting packs of the whole portfolio (ZIP)"),
                            id="meetings-packs",
                            color="primary",
                            outline=True,
                            size="sm",
                        ),
                        html.Span(
                            _("One PDF per customer, each in the customer's language."),
                            className="small text-body-secondary",
                        ),
                    ],
                    className="d-flex flex-wrap gap-2 align-items-center",
                ),
                job_view.progress("meetings-packs"),
                html.Div(id="meetings-packs-result"),
                dcc.Download(id="meetings-packs-zip"),
            ]
        ),
        class_name="shadow-sm mb-3",
    )


def layout(**_query: Any) -> Any:
    you = viewer()
    try:
        return _client(you) if you.is_client else _planner(you)
    except AccessDenied:  # the roles are the domain's to say
        return widgets.not_allowed()


FORM = ("day", "time", "place", "link", "contacts", "theirs", "ours", "agenda")


@callback(
    Output("meetings-go", "href"),
    Output("meetings-form", "is_open"),
    Output("meetings-customer", "data"),
    Output("meetings-form-title", "children"),
    Output("meetings-contacts", "options"),
    *(Output(f"meetings-{name}", "value") for name in FORM),
    Output("meetings-problems", "children"),
    Input("meetings-grid", "cellClicked"),
    Input("meetings-actions-grid", "cellClicked"),
    prevent_initial_call=True,
)
def open_row(cell: Any, action_cell: Any) -> Any:
    """A member's next meeting, an action's meeting, or the form for a member without one.

    Everything shown is read again through the domain for the id clicked; the row's own data
    (which the browser could forge) is not trusted.
    """
    nothing = (dash.no_update,) * (6 + len(FORM))
    you = viewer()
    today = localtime.today()
    try:
        with db_session() as db:
            if ctx.triggered_id == "meetings-actions-grid":
                wanted = action_cell.get("rowId") if isinstance(action_cell, dict) else None
                found = [item for item, _n in meetings.actions(db, you) if str(item.id) == wanted]
                if not found:
                    return nothing
                return f"/meeting?id={found[0].meeting_id}", *nothing[1:]
            wanted = cell.get("rowId") if isinstance(cell, dict) else None
            row = next(
                (r for r in meetings.planner(db, you, today) if r.customer_id == wanted), None
            )
            if row is None:
                return nothing
            if row.next_meeting is not None:
                return f"/meeting?id={row.next_meeting.id}", *nothing[1:]
            people = contacts.contacts(db, you, row.customer_id)
    except AccessDenied:
        return nothing
    start = row.proposed or meetings.default_start(today)
    options = [{"label": person.name, "value": str(person.id)} for person in people]
    title = _("Meeting with {customer}").format(customer=row.name)
    values = [
        f"{start:%Y-%m-%d}",
        f"{start:%H:%M}",
        "",
        "",
        [option["value"] for option in options],
        "",
        current_user.full_name or current_user.email,
        "",
    ]
    return dash.no_update, True, row.customer_id, title, options, *values, None


@callback(
    Output("meetings-go", "href", allow_duplicate=True),
    Output("meetings-problems", "children", allow_duplicate=True),
    Input("meetings-schedule", "n_clicks"),
    State("meetings-customer", "data"),
    State("meetings-duration", "value"),
    *(State(f"meetings-{name}", "value") for name in FORM),
    prevent_initial_call=True,
)
def schedule(_clicks: Any, customer_id: Any, duration: Any, *values: Any) -> Any:
    """Schedule the meeting and invite the contacts; the domain checks the customer and values."""
    form = MeetingForm.sent({**dict(zip(FORM, values, strict=True)), "duration": duration})
    try:
        with db_session() as db:
            meeting = meetings.schedule(db, viewer(), customer_id, form, settings.load().public_url)
            target = f"/meeting?id={meeting.id}"
    except MeetingError as error:
        return dash.no_update, meeting_view.refusal(error, "meetings-refused")
    except AccessDenied:
        return dash.no_update, None
    return target, None


def _zip(set_progress: Any, caller: object) -> Any:
    """The ZIP of the caller's portfolio's packs, as ``caller`` (the domain checks the role)."""
    with jobs.acting_as(caller) as (database, who):

        def progress(done: int, total: int) -> None:
            set_progress((round(100 * done / total), f"{done} / {total}"))

        today = localtime.today()
        with database.session() as db:
            data = meeting_pack.portfolio_zip(db, who, today, progress)
    name = f"meeting-packs-{today:%Y%m%d}.zip"
    return dcc.send_bytes(data, name), dbc.Alert(
        _("The meeting packs are ready: {file}").format(file=name),
        color="success",
        id="meetings-packs-ready",
    )


@callback(
    Output("meetings-packs-zip", "data"),
    Output("meetings-packs-result", "children"),
    Input("meetings-packs", "n_clicks"),
    background=True,
    progress=[
        Output("meetings-packs-progress", "value"),
        Output("meetings-packs-progress", "label"),
    ],
    running=job_view.running("meetings-packs", "meetings-packs", "disabled"),
    cancel=[Input("meetings-packs-cancel", "n_clicks")],
    on_error=lambda error: (None, job_view.failed(error)),
    prevent_initial_call=True,
)
def packs(set_progress: Any, caller: object, _clicks: Any) -> Any:
    """Build every pack of the caller's portfolio in a background job, then download the ZIP."""
    try:
        return _zip(set_progress, caller)
    except AccessDenied:
        return None, widgets.not_allowed()
