"""Administration: imports, classification, users, audit log.

Every callback goes through :mod:`lounge.admin`, which refuses any viewer who
is not an administrator, so a forged call from another role changes nothing.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, dcc, html

from db.models import Role
from lounge import access, admin, localtime, settings
from lounge.classification import RunResult
from lounge.components import grid, job_view, widgets
from lounge.i18n import N_, _, format_datetime
from lounge.ingest.problems import ImportRejected
from lounge.labels import ROLES
from lounge.settings import LANGUAGES
from lounge.users import UserError
from lounge.web import jobs
from lounge.web.context import db_session, upload_limit, viewer

dash.register_page(__name__, path="/admin", title="Business Lounge")

#: What a file may hold: (kind, what it is called, its columns as the file names them).
IMPORT_KINDS = (
    ("customers", N_("Customers"), "customer_id,name,tax_id[,segment][,language]"),
    (
        "sites",
        N_("Sites"),
        "site_id,customer_id,name,region[,address][,supplier][,meter_number][,site_type]",
    ),
    ("readings", N_("Readings"), "site_id,start,end,kwh[,quality]"),
    (
        "contacts",
        N_("Contacts"),
        "customer_id,name[,role][,email][,phone][,postal_address][,language][,channels]"
        "[,membership_channels][,warnings_channels][,outages_channels][,service_channels]",
    ),
)
#: How many problems of a rejected file are listed on screen (all are counted).
SHOWN_PROBLEMS = 500


def _upload_box() -> Any:
    """The drop zone; a file over the limit is refused in the browser with the message
    below it (assets/upload.js), as the server would refuse it."""
    limit = upload_limit()
    return html.Div(
        [
            dcc.Upload(
                id="admin-upload",
                children=html.Div(
                    [
                        _("Drop a CSV file here or "),
                        html.A(_("choose one")),
                        " " + _("(up to {size} MB)").format(size=limit // (1024 * 1024)),
                    ]
                ),
                className="lounge-upload",
                multiple=False,
                max_size=limit,
            ),
            html.Div(
                _("The file is too big: files of up to {size} MB can be imported.").format(
                    size=limit // (1024 * 1024)
                ),
                id="admin-upload-too-big",
                className="alert alert-danger mt-3 lounge-upload-too-big",
                hidden=True,
            ),
        ],
        **{"data-max-bytes": str(limit)},  # type: ignore[arg-type]  # data-* are not in the stubs
    )


def _import_tab() -> Any:
    return html.Div(
        [
            html.P(
                _(
                    "Files are CSV with a header row. A file with any bad row is rejected "
                    "whole and nothing is imported; importing the same file again changes "
                    "nothing."
                ),
                className="text-body-secondary",
            ),
            dbc.RadioItems(
                id="admin-import-kind",
                options=[
                    {"label": f"{_(name)} ({columns})", "value": kind}
                    for kind, name, columns in IMPORT_KINDS
                ],
                value="customers",
                class_name="mb-2",
            ),
            _upload_box(),
            job_view.progress("admin-import"),
            html.Div(id="admin-import-result", className="mt-3"),
        ]
    )


def _classify_tab() -> Any:
    return html.Div(
        [
            html.P(
                _(
                    "Applies the membership rule to every customer as of a date and records "
                    "who entered and who left."
                ),
                className="text-body-secondary",
            ),
            html.Div(
                [
                    dcc.DatePickerSingle(
                        id="admin-as-of",
                        date=localtime.today().isoformat(),
                        display_format="YYYY-MM-DD",
                    ),
                    dbc.Button(_("Run classification"), id="admin-classify", color="primary"),
                ],
                className="d-flex gap-2 align-items-center",
            ),
            job_view.progress("admin-classify"),
            html.Div(id="admin-classify-result", className="mt-3"),
        ]
    )


def _user_rows() -> list[dict[str, Any]]:
    with db_session() as db:
        users = admin.list_users(db, viewer())
        return [
            {
                "email": u.email,
                "name": u.full_name,
                "role": u.role,
                "customer": u.customer_id or "",
                "language": u.language,
                "last_login": format_datetime(u.last_login_at, "short") if u.last_login_at else "",
            }
            for u in users
        ]


def _users_tab() -> Any:
    columns: list[grid.Column] = [
        {"field": "email", "headerName": _("E-mail"), "minWidth": 220},
        {"field": "name", "headerName": _("Name")},
        {"field": "role", "headerName": _("Role")},
        {"field": "customer", "headerName": _("Customer")},
        {"field": "language", "headerName": _("Language"), "maxWidth": 120},
        {"field": "last_login", "headerName": _("Last sign-in")},
    ]
    form = dbc.Form(
        dbc.Row(
            [
                dbc.Col(
                    dbc.Input(id="admin-user-email", type="email", placeholder=_("E-mail")), md=3
                ),
                dbc.Col(dbc.Input(id="admin-user-name", placeholder=_("Full name")), md=2),
                dbc.Col(
                    dbc.Select(
                        id="admin-user-role",
                        value=Role.CLIENT.value,
                        options=[{"label": _(ROLES[r]), "value": r.value} for r in Role],
                    ),
                    md=2,
                ),
                dbc.Col(
                    dbc.Input(id="admin-user-customer", placeholder=_("Customer id (clients)")),
                    md=2,
                ),
                dbc.Col(
                    dbc.Select(
                        id="admin-user-language",
                        value="he",
                        options=[{"label": code, "value": code} for code in LANGUAGES],
                    ),
                    md=1,
                ),
                dbc.Col(
                    dbc.Input(id="admin-user-password", type="password", placeholder=_("Password")),
                    md=2,
                ),
            ],
            class_name="g-2",
        )
    )
    return html.Div(
        [
            form,
            dbc.Button(_("Add user"), id="admin-user-add", color="primary", class_name="mt-2"),
            html.Div(id="admin-user-result", className="mt-2"),
            grid.data_grid("admin-users", _user_rows(), columns, height="380px"),
        ]
    )


def _audit_rows() -> list[dict[str, Any]]:
    with db_session() as db:
        return [
            {
                "at": format_datetime(entry.at, "short"),
                "actor": entry.actor,
                "action": entry.action,
                "target": entry.target or "",
                "details": ", ".join(f"{k}={v}" for k, v in (entry.details or {}).items()),
            }
            for entry in admin.audit_log(db, viewer())
        ]


def _audit_tab() -> Any:
    columns: list[grid.Column] = [
        {"field": "at", "headerName": _("When"), "maxWidth": 170},
        {"field": "actor", "headerName": _("Who")},
        {"field": "action", "headerName": _("What")},
        {"field": "target", "headerName": _("Target")},
        {"field": "details", "headerName": _("Details"), "minWidth": 300},
    ]
    return grid.data_grid("admin-audit", _audit_rows(), columns, height="520px")


def layout(**_query: Any) -> Any:
    if viewer().role is not Role.ADMIN:
        return widgets.not_allowed()
    return html.Div(
        [
            html.H2(_("Administration")),
            dbc.Tabs(
                [
                    dbc.Tab(_import_tab(), label=_("Import"), tab_id="import", class_name="pt-3"),
                    dbc.Tab(
                        _classify_tab(),
                        label=_("Classification"),
                        tab_id="classify",
                        class_name="pt-3",
                    ),
                    dbc.Tab(_users_tab(), label=_("Users"), tab_id="users", class_name="pt-3"),
                    dbc.Tab(_audit_tab(), label=_("Audit log"), tab_id="audit", class_name="pt-3"),
                ],
                id="admin-tabs",
                active_tab="import",
            ),
        ]
    )


def _decode(contents: str) -> bytes:
    _header, _sep, payload = contents.partition(",")
    return base64.b64decode(payload, validate=True)


def _rejected(rejected: ImportRejected) -> Any:
    problems = [str(error) for error in rejected.errors[:SHOWN_PROBLEMS]]
    if len(rejected.errors) > SHOWN_PROBLEMS:
        problems.append(
            _("... and {count} more").format(count=len(rejected.errors) - SHOWN_PROBLEMS)
        )
    return dbc.Alert(
        [html.Strong(rejected.summary()), html.Pre("\n".join(problems), className="mb-0 mt-2")],
        color="danger",
        id="admin-import-rejected",
    )


def _import(set_progress: Any, caller: object, contents: str, filename: str, kind: str) -> Any:
    """Import one uploaded file as ``caller``, with the command line's checks and messages."""
    with jobs.acting_as(caller) as (database, who):
        try:
            data = _decode(contents)
        except (binascii.Error, ValueError):
            return dbc.Alert(_("The upload could not be read."), color="danger")
        limit = settings.load().max_upload_bytes
        if len(data) > limit:
            message = _("The file is too big: files of up to {size} MB can be imported.")
            return dbc.Alert(message.format(size=limit // (1024 * 1024)), color="danger")
        set_progress((25, _("Checking and importing {file}").format(file=filename)))
        try:
            with database.session() as db:
                summary = admin.import_upload(db, who, kind, data, filename)
        except ImportRejected as rejected:
            with database.session() as db:
                admin.record_rejected_import(db, who, kind, filename, rejected)
            return _rejected(rejected)
        set_progress((100, _("Done")))
        return dbc.Alert(str(summary), color="success", id="admin-import-ok")


@callback(
    Output("admin-import-result", "children"),
    Output("admin-upload", "contents"),
    Input("admin-upload", "contents"),
    State("admin-upload", "filename"),
    State("admin-import-kind", "value"),
    background=True,
    progress=[Output("admin-import-progress", "value"), Output("admin-import-progress", "label")],
    running=job_view.running("admin-import", "admin-upload", "disabled"),
    cancel=[Input("admin-import-cancel", "n_clicks")],
    on_error=lambda error: (job_view.failed(error), None),
    prevent_initial_call=True,
)
def upload(set_progress: Any, caller: object, contents: Any, filename: Any, kind: Any) -> Any:
    """Import the uploaded file in a background job.

    The upload's contents are cleared afterwards: the browser only reports a change,
    so choosing the same (now corrected) file again would otherwise do nothing.
    """
    if not isinstance(contents, str) or not isinstance(kind, str):
        return dash.no_update, dash.no_update
    name = filename if isinstance(filename, str) and filename else "upload.csv"
    try:
        return _import(set_progress, caller, contents, name, kind), None
    except access.AccessDenied:
        return widgets.not_allowed(), None


@callback(
    Output("admin-classify-result", "children"),
    Input("admin-classify", "n_clicks"),
    State("admin-as-of", "date"),
    background=True,
    progress=[
        Output("admin-classify-progress", "value"),
        Output("admin-classify-progress", "label"),
    ],
    running=job_view.running("admin-classify", "admin-classify", "disabled"),
    cancel=[Input("admin-classify-cancel", "n_clicks")],
    on_error=job_view.failed,
    prevent_initial_call=True,
)
def classify(set_progress: Any, caller: object, clicks: Any, as_of: Any) -> Any:
    """Classify every customer in a background job, as ``caller``."""
    try:
        with jobs.acting_as(caller) as (database, who):
            try:
                date = dt.date.fromisoformat(str(as_of)[:10])
            except ValueError:
                return dbc.Alert(_("Choose a date."), color="warning")
            set_progress((25, _("Classifying as of {date}").format(date=date.isoformat())))
            with database.session() as db:
                result = admin.run_classification(db, who, date)
                return _classified(date, result)
    except access.AccessDenied:
        return widgets.not_allowed()


def _classified(date: dt.date, result: RunResult) -> Any:
    text = _(
        "Classified {customers} customers as of {date}: {members} members, "
        "{entered} entered, {exited} left."
    ).format(
        customers=result.run.customers,
        date=date.isoformat(),
        members=result.run.members,
        entered=len(result.entered),
        exited=len(result.exited),
    )
    details = []
    if result.entered:
        details.append(html.Div(_("Entered: {ids}").format(ids=", ".join(result.entered))))
    if result.exited:
        details.append(html.Div(_("Left: {ids}").format(ids=", ".join(result.exited))))
    if result.replayed:
        dates = ", ".join(day.isoformat() for day in result.replayed)
        details.append(html.Div(_("Later dates classified again: {dates}").format(dates=dates)))
    return dbc.Alert([html.Div(text), *details], color="success", id="admin-classify-ok")


@callback(
    Output("admin-audit", "rowData"),
    Input("admin-import-result", "children"),
    Input("admin-classify-result", "children"),
    Input("admin-user-result", "children"),
    prevent_initial_call=True,
)
def refresh_audit(*_results: Any) -> Any:
    """After any action the audit log shows it."""
    try:
        return _audit_rows()
    except access.AccessDenied:
        return []


@callback(
    Output("admin-user-result", "children"),
    Output("admin-users", "rowData"),
    Input("admin-user-add", "n_clicks"),
    State("admin-user-email", "value"),
    State("admin-user-name", "value"),
    State("admin-user-role", "value"),
    State("admin-user-customer", "value"),
    State("admin-user-language", "value"),
    State("admin-user-password", "value"),
    prevent_initial_call=True,
)
def add_user(
    clicks: Any, email: Any, name: Any, role: Any, customer: Any, language: Any, password: Any
) -> Any:
    try:
        with db_session() as db:
            user = admin.add_user(
                db,
                viewer(),
                email=str(email or ""),
                role=str(role or ""),
                password=str(password or ""),
                customer_id=str(customer) if customer else None,
                full_name=str(name or ""),
                language=str(language or "en"),
            )
            message = _("Added {email}.").format(email=user.email)
    except access.AccessDenied:
        return widgets.not_allowed(), dash.no_update
    except UserError as error:
        return dbc.Alert(str(error), color="danger"), dash.no_update
    return dbc.Alert(message, color="success", id="admin-user-ok"), _user_rows()
