"""Demand management: draft, target, preview, issue or schedule, update, cancel and complete
peak-load warnings and outage notices; the list of notices and their acknowledgements."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, dcc, html

from db.models import NoticeKind
from lounge import access, labels
from lounge.access import AccessDenied
from lounge.components import grid, openadr_view, past_events, widgets
from lounge.demand import acknowledgements, notices, openadr, targeting
from lounge.demand.links import Links
from lounge.demand.notices import Change, Draft
from lounge.demand.rules import NoticeRefused
from lounge.demand.targeting import Targeting
from lounge.i18n import _, format_datetime, format_number
from lounge.labels import NOTICE_KINDS, NOTICE_STATES, REGIONS, SEGMENTS, SITE_TYPES, label
from lounge.notify import demand as messages
from lounge.settings import TIMEZONE
from lounge.web.context import db_session, public_url, viewer

dash.register_page(__name__, path="/demand", title="Business Lounge")

#: How often the acknowledgements refresh while the page is open.
REFRESH_MS = 15_000
LOCAL_FORMAT = "%Y-%m-%d %H:%M"
FORM = (
    "demand-kind",
    "demand-level",
    "demand-reason",
    "demand-start",
    "demand-end",
    "demand-kw",
    "demand-pct",
    "demand-note",
    "demand-regions",
    "demand-sites",
    "demand-segments",
    "demand-types",
    "demand-members",
)


def _links() -> Links:
    from flask import current_app

    return Links(public_url(), str(current_app.config["SECRET_KEY"]))


def _local(value: Any) -> dt.datetime | None:
    """A "YYYY-MM-DD HH:MM" input's value as an instant in Israel time (None if not one)."""
    if not isinstance(value, str):
        return None
    try:
        text = value.strip().replace("T", " ")[:16]
        return dt.datetime.strptime(text, LOCAL_FORMAT).replace(tzinfo=TIMEZONE)
    except ValueError:
        return None


def _input_value(moment: dt.datetime) -> str:
    return moment.astimezone(TIMEZONE).strftime(LOCAL_FORMAT)


def _tomorrow_at(hour: int) -> dt.datetime:
    """Tomorrow (in Israel) at ``hour`` o'clock: what the form offers and shows as examples."""
    tomorrow = dt.datetime.now(TIMEZONE).date() + dt.timedelta(days=1)
    return dt.datetime.combine(tomorrow, dt.time(hour), TIMEZONE)


def _example(moment: dt.datetime) -> str:
    """A time input's placeholder in its format, near today: "e.g. 2026-12-03 08:00"."""
    return _("e.g. {time}").format(time=_input_value(moment))


def _whole(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or value != int(value):
        return None
    return int(value)


def _codes(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [part.strip() for part in value.replace("\n", ",").split(",")]
    if not isinstance(value, list):
        return ()
    return tuple(v for v in value if isinstance(v, str) and v)


def _draft(values: tuple[Any, ...]) -> Draft:
    kind, level, reason, start, end, kw, pct, note, regions, sites, segments, types, members = (
        values
    )
    starts_at, ends_at = _local(start), _local(end)
    if starts_at is None or ends_at is None:
        raise NoticeRefused(_("Give the start and the end of the window."))
    return Draft(
        kind=kind if isinstance(kind, str) else "",
        starts_at=starts_at,
        ends_at=ends_at,
        targeting=Targeting(
            _codes(regions), _codes(sites), _codes(segments), _codes(types), members is True
        ),
        level=_whole(level),
        reason=reason if isinstance(reason, str) else None,
        reduction_kw=_whole(kw),
        reduction_pct=_whole(pct),
        note=note if isinstance(note, str) else "",
    )


def _field(title: str, control: Any, width: int = 6) -> dbc.Col:
    return dbc.Col([dbc.Label(title, class_name="small mb-1"), control], md=width, xs=12)


def _multi(id_: str, table: dict[str, str], codes: list[str]) -> dcc.Dropdown:
    """A choice of several of ``codes``, each in the reader's words."""
    return dcc.Dropdown(
        id=id_, options=[{"label": label(table, c), "value": c} for c in codes], multi=True
    )


def _form(choices: targeting.Choices) -> dbc.Card:
    start = _tomorrow_at(14)
    kinds = [{"label": _(text), "value": code} for code, text in NOTICE_KINDS.items()]
    return dbc.Card(
        dbc.CardBody(
            [
                html.H5(_("Notice")),
                dbc.Row(
                    [
                        _field(
                            _("Kind"),
                            dcc.Dropdown(
                                id="demand-kind",
                                options=kinds,
                                value=NoticeKind.PEAK_WARNING,
                                clearable=False,
                            ),
                        ),
                        _field(
                            _("Level"),
                            dcc.Dropdown(
                                id="demand-level",
                                options=[{"label": str(n), "value": n} for n in (1, 2, 3)],
                                value=1,
                            ),
                            3,
                        ),
                        _field(
                            _("Reason"),
                            dcc.Dropdown(
                                id="demand-reason",
                                options=[
                                    {"label": _(text), "value": code}
                                    for code, text in labels.NOTICE_REASONS.items()
                                ],
                                value="heat",
                            ),
                            3,
                        ),
                        _field(
                            _("Start (Israel time)"),
                            dbc.Input(
                                id="demand-start",
                                type="text",
                                placeholder=_example(start),
                                value=_input_value(start),
                            ),
                        ),
                        _field(
                            _("End (Israel time)"),
                            dbc.Input(
                                id="demand-end",
                                type="text",
                                placeholder=_example(start + dt.timedelta(hours=4)),
                                value=_input_value(start + dt.timedelta(hours=4)),
                            ),
                        ),
                        _field(
                            _("Reduction asked for, kW"),
                            dbc.Input(id="demand-kw", type="number", min=1, step=1),
                        ),
                        _field(
                            _("or per cent"),
                            dbc.Input(id="demand-pct", type="number", min=1, max=100, step=1),
                        ),
                        _field(
                            _("Words to the customers (optional)"),
                            dbc.Textarea(id="demand-note", rows=2),
                            12,
                        ),
                    ],
                    class_name="g-2 mb-3",
                ),
                html.H5(_("Whom it is for")),
                dbc.Row(
                    [
                        _field(
                            _("Regions"),
                            _multi("demand-regions", REGIONS, choices.regions),
                        ),
                        _field(
                            _("Sites (ids, comma-separated)"),
                            dbc.Input(id="demand-sites", type="text"),
                        ),
                        _field(
                            _("Segments"),
                            _multi("demand-segments", SEGMENTS, choices.segments),
                        ),
                        _field(
                            _("Site types"),
                            _multi("demand-types", SITE_TYPES, choices.site_types),
                        ),
                        dbc.Col(
                            dbc.Checkbox(
                                id="demand-members",
                                label=_("Lounge members only"),
                                value=False,
                            ),
                            xs=12,
                        ),
                    ],
                    class_name="g-2 mb-3",
                ),
                html.Div(
                    [
                        dbc.Button(
                            _("Preview"), id="demand-preview", color="secondary", class_name="me-2"
                        ),
                        dbc.Button(_("Save draft"), id="demand-save", color="primary"),
                    ],
                    className="mb-2",
                ),
                html.Div(id="demand-save-feedback"),
                dcc.Loading(html.Div(id="demand-preview-box")),
            ]
        ),
        class_name="shadow-sm mb-3",
    )


def _actions(options: list[dict[str, Any]]) -> dbc.Card:
    return dbc.Card(
        dbc.CardBody(
            [
                html.H5(_("Send")),
                dcc.Dropdown(
                    id="demand-pick",
                    options=options,
                    placeholder=_("Choose a notice"),
                    className="mb-2",
                ),
                html.Div(id="demand-detail", className="mb-2"),
                html.Div(
                    [
                        dbc.Button(
                            _("Issue now"), id="demand-issue", color="danger", class_name="me-2"
                        ),
                        dbc.Input(
                            id="demand-schedule-at",
                            type="text",
                            placeholder=_example(_tomorrow_at(8)),
                            class_name="d-inline-block me-2",
                            style={"width": "15rem", "maxWidth": "100%"},
                        ),
                        dbc.Button(
                            _("Schedule"),
                            id="demand-schedule",
                            color="secondary",
                            class_name="me-2",
                        ),
                    ],
                    className="mb-2 d-flex flex-wrap gap-1",
                ),
                html.Div(
                    [
                        dbc.Button(
                            _("Send an update (the form's window, level, reduction and words)"),
                            id="demand-update",
                            color="warning",
                            class_name="me-2",
                        ),
                        dbc.Button(
                            _("Cancel the notice"),
                            id="demand-cancel",
                            color="outline-danger",
                            class_name="me-2",
                        ),
                        dbc.Button(
                            _("Mark completed"), id="demand-complete", color="outline-success"
                        ),
                    ],
                    className="mb-2 d-flex flex-wrap gap-1",
                ),
                html.Div(id="demand-act-feedback"),
                html.H5(_("Acknowledgements"), className="mt-3"),
                html.Div(id="demand-acks"),
                dcc.Interval(id="demand-refresh", interval=REFRESH_MS),
                dcc.Store(id="demand-acted"),
            ]
        ),
        class_name="shadow-sm mb-3",
    )


def _list_columns() -> list[dict[str, Any]]:
    return [
        grid.number_column("id", _("No."), maxWidth=90),
        {"field": "title", "headerName": _("Notice"), "minWidth": 220},
        {"field": "state", "headerName": _("State"), "maxWidth": 140},
        {"field": "window", "headerName": _("Window"), "minWidth": 200},
        grid.number_column("customers", _("Customers")),
        grid.number_column("acknowledged", _("Acknowledged")),
        grid.number_column("load_kw", _("Load at stake, kW")),
        grid.number_column("planned_kw", _("Reduction promised, kW")),
    ]


def _list_rows(lines: list[notices.NoticeLine]) -> list[dict[str, Any]]:
    return [
        {
            "id": line.notice.id,
            "title": labels.notice_title(line.notice.kind, line.notice.level, line.notice.reason),
            "state": label(NOTICE_STATES, line.notice.state),
            "window": messages.window(line.notice.starts_at, line.notice.ends_at),
            "customers": line.customers,
            "acknowledged": line.acknowledged,
            "load_kw": round(line.load_w / 1000),
            "planned_kw": line.planned_kw,
        }
        for line in lines
    ]


def _options(lines: list[notices.NoticeLine]) -> list[dict[str, Any]]:
    """The notices to choose from (named by what and when: their state shows beside)."""
    return [
        {
            "label": f"{line.notice.id} · "
            f"{labels.notice_title(line.notice.kind, line.notice.level, line.notice.reason)} · "
            f"{messages.window(line.notice.starts_at, line.notice.ends_at)}",
            "value": line.notice.id,
        }
        for line in lines
    ]


def layout(**_query: Any) -> Any:
    you = viewer()
    with db_session() as db:
        try:
            choices = targeting.choices(db, you)
        except access.AccessDenied:
            return widgets.not_allowed()
        lines = notices.listing(db, you)
        past = past_events.card(db, you)
    return html.Div(
        [
            html.H2(_("Demand management"), className="mb-0"),
            html.Div(
                _("Peak-load warnings and outage notices: draft, preview, send, follow up."),
                className="text-body-secondary mb-3",
            ),
            dbc.Row(
                [
                    dbc.Col(_form(choices), lg=6),
                    dbc.Col(_actions(_options(lines)), lg=6),
                ],
                class_name="g-3",
            ),
            dbc.Card(
                dbc.CardBody(
                    [
                        html.H5(_("Notices")),
                        grid.data_grid(
                            "demand-list", _list_rows(lines), _list_columns(), height=None
                        ),
                    ]
                ),
                class_name="shadow-sm",
            ),
            past,
        ]
    )


def _preview_view(shown: targeting.Preview) -> Any:
    from lounge.labels import CHANNELS

    channels = ", ".join(
        f"{_(CHANNELS.get(code, code))}: {format_number(count)}"
        for code, count in sorted(shown.messages.items())
    )
    kpis = dbc.Row(
        [
            dbc.Col(widgets.kpi(_("Customers"), format_number(len(shown.customers))), xs=6),
            dbc.Col(widgets.kpi(_("Sites"), format_number(shown.sites)), xs=6),
            dbc.Col(widgets.kpi(_("Contacts"), format_number(shown.contacts)), xs=6),
            dbc.Col(
                widgets.kpi(
                    _("Load at stake"),
                    f"{format_number(round(shown.load_w / 1000))} kW",
                    _("{count} sites with interval data").format(
                        count=format_number(shown.measured_sites)
                    ),
                ),
                xs=6,
            ),
        ],
        class_name="g-2 mb-2",
    )
    rows = [
        {
            "customer": f"{line.name} ({line.customer_id})",
            "region": label(REGIONS, line.region),
            "sites": line.sites,
            "contacts": line.contacts,
            "channels": ", ".join(_(CHANNELS.get(c, c)) for c in line.channels),
            "load_kw": round(line.load_w / 1000),
        }
        for line in shown.customers
    ]
    columns: list[dict[str, Any]] = [
        {"field": "customer", "headerName": _("Customer"), "minWidth": 200},
        {"field": "region", "headerName": _("Region")},
        grid.number_column("sites", _("Sites")),
        grid.number_column("contacts", _("Contacts")),
        {"field": "channels", "headerName": _("Channels")},
        grid.number_column("load_kw", _("Load at stake, kW")),
    ]
    return html.Div(
        [
            kpis,
            html.Div(
                [
                    _("Messages: {channels}").format(channels=channels or "—"),
                    " · ",
                    _("Contacts who cannot be reached: {count}").format(
                        count=format_number(shown.unreachable)
                    ),
                ],
                className="small mb-2",
                id="demand-preview-summary",
            ),
            grid.data_grid("demand-preview-grid", rows, columns, height="320px"),
        ]
    )


@callback(
    Output("demand-preview-box", "children"),
    Input("demand-preview", "n_clicks"),
    *(State(name, "value") for name in FORM),
    prevent_initial_call=True,
)
def preview(clicks: Any, *values: Any) -> Any:
    """Who the notice would reach and the load at stake, before anything is saved or sent."""
    if not clicks:
        return dash.no_update
    try:
        draft = _draft(values)
        with db_session() as db:
            shown = targeting.preview(
                db, viewer(), draft.targeting, draft.kind, draft.starts_at, draft.ends_at
            )
    except NoticeRefused as refused:
        return dbc.Alert(str(refused), color="danger")
    except AccessDenied:
        return widgets.not_allowed()
    return _preview_view(shown)


@callback(
    Output("demand-pick", "options"),
    Output("demand-pick", "value"),
    Output("demand-save-feedback", "children"),
    Input("demand-save", "n_clicks"),
    State("demand-pick", "value"),
    *(State(name, "value") for name in FORM),
    prevent_initial_call=True,
)
def save(clicks: Any, picked: Any, *values: Any) -> Any:
    """Save the form as a new draft, or into the chosen notice while it is a draft."""
    if not clicks:
        return dash.no_update, dash.no_update, dash.no_update
    try:
        draft = _draft(values)
        with db_session() as db:
            you = viewer()
            current = notices.get(db, you, picked) if picked is not None else None
            if current is not None and current.state in notices.WAITING:
                saved = notices.edit(db, you, current.id, draft)
            else:
                saved = notices.create(db, you, draft)
            saved_id = saved.id
            options = _options(notices.listing(db, you))
    except NoticeRefused as refused:
        return dash.no_update, dash.no_update, dbc.Alert(str(refused), color="danger")
    except AccessDenied:
        return dash.no_update, dash.no_update, widgets.not_allowed()
    return (
        options,
        saved_id,
        dbc.Alert(
            _("Saved as notice {number}.").format(number=saved_id), color="success", duration=6000
        ),
    )


@callback(
    *(Output(name, "value") for name in FORM),
    Input("demand-pick", "value"),
    prevent_initial_call=True,
)
def load(picked: Any) -> Any:
    """The chosen notice into the form (to edit a draft, or to write an update)."""
    try:
        with db_session() as db:
            notice = notices.get(db, viewer(), picked)
            values = (
                notice.kind,
                notice.level,
                notice.reason,
                _input_value(notice.starts_at),
                _input_value(notice.ends_at),
                notice.reduction_kw,
                notice.reduction_pct,
                notice.note,
                list(notice.regions),
                ", ".join(notice.site_ids),
                list(notice.segments),
                list(notice.site_types),
                notice.members_only,
            )
    except AccessDenied:
        return (dash.no_update,) * len(FORM)
    return values


def _detail(notice: Any) -> Any:
    done = [
        (_("Drafted"), notice.created_at, notice.created_by),
        (_("Scheduled for"), notice.scheduled_at, None),
        (_("Issued"), notice.issued_at, notice.issued_by),
        (_("Last update"), notice.updated_at, None),
        (_("Cancelled"), notice.cancelled_at, None),
        (_("Completed"), notice.completed_at, None),
    ]
    return html.Div(
        [
            html.Div(
                [
                    dbc.Badge(label(NOTICE_STATES, notice.state), color="info", class_name="me-2"),
                    html.Strong(labels.notice_title(notice.kind, notice.level, notice.reason)),
                    " · ",
                    messages.window(notice.starts_at, notice.ends_at),
                ],
                id="demand-detail-title",
            ),
            html.Ul(
                [
                    html.Li(
                        f"{what}: {format_datetime(at, 'short')}" + (f" ({who})" if who else "")
                    )
                    for what, at, who in done
                    if at is not None
                ],
                className="small mb-0",
            ),
        ]
    )


def _acks_view(
    by_customer: list[acknowledgements.CustomerAck], by_region: list[acknowledgements.RegionAck]
) -> Any:
    if not by_customer:
        return widgets.empty(_("No customer has been sent this notice yet."))
    regions = widgets.table(
        [
            _("Region"),
            _("Customers"),
            _("Acknowledged"),
            _("Reduction promised, kW"),
            _("Load at stake, kW"),
        ],
        [
            [
                label(REGIONS, r.region),
                format_number(r.customers),
                format_number(r.acknowledged),
                format_number(r.planned_kw),
                format_number(round(r.load_w / 1000)),
            ]
            for r in by_region
        ],
        "demand-ack-regions",
    )
    rows = [
        {
            "customer": f"{row.customer} ({row.customer_id})",
            "region": ", ".join(label(REGIONS, r) for r in row.regions.split(", ")),
            "sites": row.sites,
            "load_kw": round(row.load_w / 1000),
            "acknowledged": format_datetime(row.acknowledged_at, "short")
            if row.acknowledged_at
            else _("Not yet"),
            "planned_kw": row.planned_kw,
        }
        for row in by_customer
    ]
    columns: list[dict[str, Any]] = [
        {"field": "customer", "headerName": _("Customer"), "minWidth": 200},
        {"field": "region", "headerName": _("Region")},
        grid.number_column("sites", _("Sites")),
        grid.number_column("load_kw", _("Load at stake, kW")),
        {"field": "acknowledged", "headerName": _("Acknowledged")},
        grid.number_column("planned_kw", _("Reduction promised, kW")),
    ]
    return html.Div([regions, grid.data_grid("demand-ack-grid", rows, columns, height="320px")])


@callback(
    Output("demand-list", "rowData"),
    Output("demand-detail", "children"),
    Output("demand-acks", "children"),
    Input("demand-pick", "value"),
    Input("demand-acted", "data"),
    Input("demand-refresh", "n_intervals"),
)
def show(picked: Any, _acted: Any, _tick: Any) -> Any:
    """The list of notices, and the chosen one with its acknowledgements (refreshing)."""
    try:
        with db_session() as db:
            you = viewer()
            lines = notices.listing(db, you)
            if picked is None:
                return _list_rows(lines), None, None
            notice = notices.get(db, you, picked)
            detail = _detail(notice)
            acks = html.Div(
                [
                    _acks_view(
                        acknowledgements.by_customer(db, you, notice.id),
                        acknowledgements.by_region(db, you, notice.id),
                    ),
                    # the automated sites' answers (OpenADR) beside the people's
                    html.H6(_("Automated sites (OpenADR)"), className="mt-3"),
                    openadr_view.answers_table(openadr.answers(db, you, notice.id)),
                ]
            )
    except AccessDenied:
        return [], None, None
    return _list_rows(lines), detail, acks


@callback(
    Output("demand-acted", "data"),
    Output("demand-act-feedback", "children"),
    Input("demand-issue", "n_clicks"),
    Input("demand-schedule", "n_clicks"),
    Input("demand-update", "n_clicks"),
    Input("demand-cancel", "n_clicks"),
    Input("demand-complete", "n_clicks"),
    State("demand-pick", "value"),
    State("demand-schedule-at", "value"),
    *(State(name, "value") for name in FORM),
    prevent_initial_call=True,
)
def act(*values: Any) -> Any:
    """Issue, schedule, update, cancel or complete the chosen notice; say what happened."""
    trigger = dash.ctx.triggered_id
    picked, schedule_at = values[5], values[6]
    form = values[7:]
    now = dt.datetime.now(dt.UTC)
    try:
        with db_session() as db:
            you = viewer()
            notice = notices.get(db, you, picked)
            revision = notice.revision
            if trigger == "demand-issue":
                issued = notices.issue(db, you, notice.id, _links(), now)
                said = _("Issued to {sites} sites: {messages} messages.").format(
                    sites=format_number(issued.sites), messages=format_number(issued.messages)
                )
            elif trigger == "demand-schedule":
                at = _local(schedule_at)
                if at is None:
                    raise NoticeRefused(_("Give the time to issue the notice at."))
                notices.schedule(db, you, notice.id, at, now)
                said = _("Scheduled for {at}.").format(at=format_datetime(at, "short"))
            elif trigger == "demand-update":
                draft = _draft(form)
                change = Change(
                    draft.starts_at,
                    draft.ends_at,
                    draft.level,
                    draft.reduction_kw,
                    draft.reduction_pct,
                    draft.note,
                )
                notices.change(db, you, notice.id, revision, change, _links(), now)
                said = _("The update has been sent to the recipients of the notice.")
            elif trigger == "demand-cancel":
                notices.cancel(db, you, notice.id, revision, _links(), now)
                said = _("The notice is cancelled.")
            elif trigger == "demand-complete":
                notices.complete(db, you, notice.id, revision, _links(), now)
                said = _("The notice is completed.")
            else:
                return dash.no_update, dash.no_update
    except NoticeRefused as refused:
        return dash.no_update, dbc.Alert(str(refused), color="danger", id="demand-refused")
    except AccessDenied:
        return dash.no_update, widgets.not_found()
    return time.time(), dbc.Alert(said, color="success", id="demand-done", duration=8000)
