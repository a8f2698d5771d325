"""Satisfaction surveys. A client answers the surveys sent to it (a score from 1 to 5 and a
comment) and sees its past answers; an account manager reads the portfolio's results per month
with the comments, and follows low scores up; an administrator sees every manager side by side.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import MATCH, Input, Output, State, callback, dcc, html

from db.models import Role
from lounge import localtime
from lounge.access import AccessDenied, Viewer
from lounge.components import charts, grid, survey_view, widgets
from lounge.i18n import _, format_date, format_datetime, format_month, format_number
from lounge.surveys import answers, results
from lounge.surveys.answers import Shown, SurveyRefused
from lounge.web.context import db_session, viewer

dash.register_page(__name__, path="/surveys", title="Business Lounge")

#: The results cover this many months back (the answers list and the files: all of them).
MONTHS_SHOWN = 12
DOWNLOADS = {fmt: f"/download/surveys.{fmt}" for fmt in ("csv", "xlsx", "pdf")}


def _stars(score: int) -> str:
    return "★" * score + "☆" * (5 - score)


def _answered(shown: Shown) -> str:
    if shown.answered_at is None or shown.score is None:
        return ""
    said = _("Answered on {day}: {score} of 5.").format(
        day=format_date(localtime.local_day(shown.answered_at)), score=shown.score
    )
    return said + (f" “{shown.comment}”" if shown.comment else "")


def _question(shown: Shown) -> dbc.Card:
    """One survey sent to the client: the form while open, the answer once given."""
    status = html.Div(
        _answered(shown),
        id={"type": "surveys-status", "index": shown.survey_id},
        className="small text-success",
    )
    body: list[Any] = [
        html.Strong(shown.about, className="d-block mb-1"),
        html.Div(
            _("Open until {day}").format(day=format_date(localtime.local_day(shown.closes_at)))
            if shown.is_open
            else _stars(shown.score or 0),
            className="small text-body-secondary mb-2",
        ),
    ]
    if shown.is_open:
        body += [
            html.Div(
                _("How satisfied are you, from 1 (not at all) to 5 (very)?"), className="mb-1"
            ),
            dbc.RadioItems(
                id={"type": "surveys-score", "index": shown.survey_id},
                options=[{"label": str(n), "value": n} for n in answers.SCORES],
                inline=True,
                class_name="mb-2 surveys-score",
            ),
            dbc.Textarea(
                id={"type": "surveys-comment", "index": shown.survey_id},
                placeholder=_("What could we do better? (optional)"),
                maxLength=answers.COMMENT_MAX,
                rows=2,
                class_name="mb-2",
            ),
            dbc.Button(
                _("Send"),
                id={"type": "surveys-send", "index": shown.survey_id},
                color="primary",
                size="sm",
                class_name="mb-2",
            ),
        ]
    body.append(status)
    return dbc.Card(
        dbc.CardBody(body), class_name="shadow-sm mb-2", id=f"surveys-card-{shown.survey_id}"
    )


def _client(db: Any, you: Viewer) -> Any:
    shown = answers.mine(db, you, dt.datetime.now(dt.UTC))
    if not shown:
        return widgets.empty(_("No surveys for you at the moment."), "surveys-none")
    return html.Div([_question(item) for item in shown], id="surveys-mine")


def _chart(months: list[results.Month]) -> Any:
    if not months:
        return html.Div()
    axis = sorted({m.month for m in months})
    series: dict[str, list[float | None]] = {}
    for m in months:
        series.setdefault(m.manager, [None] * len(axis))[axis.index(m.month)] = m.average
    return dcc.Graph(
        id="surveys-chart",
        figure=charts.score_lines(axis, series),
        config=charts.graph_config(),
    )


def _month_rows(months: list[results.Month], side_by_side: bool) -> Any:
    """Newest month first: its answers, average and low scores; for an administrator, a column
    per manager ("average (answers)") so that managers compare side by side."""
    if not side_by_side:
        headers = [_("Month"), _("Answers"), _("Average score"), _("Scores of 1 or 2")]
        own: list[list[Any]] = [
            [format_month(m.month), format_number(m.answers), format_number(m.average, 2), m.low]
            for m in sorted(months, key=lambda m: m.month, reverse=True)
        ]
        return widgets.table(headers, own, "surveys-months", hover=True)
    managers = list(dict.fromkeys(m.manager for m in months))
    cells = {(m.month, m.manager): m for m in months}
    rows: list[list[Any]] = [
        [format_month(month)]
        + [
            f"{format_number(cells[(month, name)].average, 2)} ({cells[(month, name)].answers})"
            if (month, name) in cells
            else "–"
            for name in managers
        ]
        for month in sorted({m.month for m in months}, reverse=True)
    ]
    return widgets.table([_("Month"), *managers], rows, "surveys-months", hover=True)


def _waiting(found: list[results.Answer]) -> Any:
    lines = [
        html.Li(
            [
                dcc.Link(
                    [html.Span(a.customer, className="fw-semibold me-2"), a.about],
                    href=f"/customer/{a.customer_id}",
                ),
                html.Div(
                    f"{_stars(a.score)} · {format_datetime(a.answered_at, 'short')}"
                    + (f" · “{a.comment}”" if a.comment else ""),
                    className="small text-body-secondary",
                ),
                survey_view.follow_up_button(a.survey_id),
            ],
            className="list-group-item",
        )
        for a in found
    ]
    return dbc.Card(
        [
            dbc.CardHeader(_("Low scores waiting for a follow-up"), class_name="fw-semibold"),
            html.Ul(lines, className="list-group list-group-flush")
            if lines
            else dbc.CardBody(_("None: every low score is followed up."), class_name="small"),
        ],
        class_name="shadow-sm mb-3",
        id="surveys-waiting",
    )


def _answers_grid(found: list[results.Answer], show_manager: bool) -> Any:
    rows = [
        {
            "answered": format_date(localtime.local_day(a.answered_at)),
            "answered_sort": a.answered_at.isoformat(),
            "customer": a.customer,
            "manager": a.manager,
            "about": a.about,
            "score": a.score,
            "comment": a.comment,
            "follow_up": results.follow_up_text(a),
        }
        for a in found
    ]
    columns: list[grid.Column] = [
        {"field": "answered", "headerName": _("Answered"), "maxWidth": 150},
        {"field": "customer", "headerName": _("Customer"), "minWidth": 170},
        {"field": "about", "headerName": _("About"), "minWidth": 220},
        grid.number_column("score", _("Score"), maxWidth=110),
        {"field": "comment", "headerName": _("Comment"), "minWidth": 240, "wrapText": True,
         "autoHeight": True},
        {"field": "follow_up", "headerName": _("Followed up"), "minWidth": 150},
    ]  # fmt: skip
    if show_manager:
        columns.insert(2, {"field": "manager", "headerName": _("Account manager")})
    return grid.data_grid("surveys-answers", rows, columns, height="480px")


def _staff(db: Any, you: Viewer) -> Any:
    since = localtime.add_months(localtime.first_of_month(localtime.today()), 1 - MONTHS_SHOWN)
    found = results.answers(db, you)
    recent = [a for a in found if localtime.local_day(a.answered_at) >= since]
    months = results.by_month(recent)
    waiting = sorted((a for a in found if a.needs_follow_up), key=lambda a: a.answered_at)
    admin = you.role is Role.ADMIN
    average = sum(a.score for a in recent) / len(recent) if recent else None
    kpis = dbc.Row(
        [
            dbc.Col(widgets.kpi(_("Answers, 12 months"), format_number(len(recent))), xs=6, md=4),
            dbc.Col(
                widgets.kpi(
                    _("Average score"),
                    format_number(average, 2) if average is not None else "–",
                    id_="surveys-average",
                ),
                xs=6,
                md=4,
            ),
            dbc.Col(
                widgets.kpi(_("Waiting for a follow-up"), format_number(len(waiting))), xs=12, md=4
            ),
        ],
        class_name="g-3 mb-3",
    )
    per_month = dbc.Card(
        dbc.CardBody(
            [
                html.H5(
                    _("Every manager, month by month") if admin else _("Your portfolio by month")
                ),
                _chart(months),
                _month_rows(months, admin)
                if months
                else widgets.empty(_("No answers in the last 12 months.")),
            ]
        ),
        class_name="shadow-sm mb-3",
    )
    return html.Div(
        [
            kpis,
            _waiting(waiting),
            per_month,
            dbc.Card(
                dbc.CardBody(
                    [
                        html.Div(
                            [
                                html.H5(_("Answers and comments"), className="mb-0"),
                                html.Div(
                                    widgets.labelled_downloads("surveys", DOWNLOADS),
                                    className="d-flex gap-2 align-items-center",
                                ),
                            ],
                            className="d-flex flex-wrap justify-content-between gap-2 mb-2",
                        ),
                        _answers_grid(found, admin),
                    ]
                ),
                class_name="shadow-sm",
            ),
        ]
    )


def layout(**_query: Any) -> Any:
    you = viewer()
    try:
        with db_session() as db:
            content = _client(db, you) if you.is_client else _staff(db, you)
    except AccessDenied:
        return widgets.not_allowed()
    return html.Div(
        [
            html.H2(_("Satisfaction surveys"), className="mb-0"),
            html.Div(
                _("After each meeting and each closed request: how did we do?")
                if you.is_client
                else _("What customers said after meetings and closed requests."),
                className="text-body-secondary mb-3",
            ),
            content,
        ]
    )


@callback(
    Output({"type": "surveys-status", "index": MATCH}, "children"),
    Input({"type": "surveys-send", "index": MATCH}, "n_clicks"),
    State({"type": "surveys-score", "index": MATCH}, "value"),
    State({"type": "surveys-comment", "index": MATCH}, "value"),
    prevent_initial_call=True,
)
def send(clicks: Any, score: Any, comment: Any) -> Any:
    """The client's answer to one survey sent to them."""
    if not clicks:
        return dash.no_update
    survey_id = dash.ctx.triggered_id["index"] if dash.ctx.triggered_id else None
    try:
        with db_session() as db:
            shown = answers.answer(db, viewer(), survey_id, score, comment, dt.datetime.now(dt.UTC))
    except SurveyRefused as refused:
        return html.Span(str(refused), className="text-danger")
    except AccessDenied:
        return widgets.not_found()
    return [html.Strong(_("Thank you!") + " "), _answered(shown)]


@callback(
    Output({"type": survey_view.FOLLOW_UP_STATUS, "index": MATCH}, "children"),
    Input({"type": survey_view.FOLLOW_UP, "index": MATCH}, "n_clicks"),
    prevent_initial_call=True,
)
def follow_up(clicks: Any) -> Any:
    """A manager records the follow-up of a low score (on the week or on this page)."""
    if not clicks:
        return dash.no_update
    survey_id = dash.ctx.triggered_id["index"] if dash.ctx.triggered_id else None
    try:
        with db_session() as db:
            done = results.follow_up(db, viewer(), survey_id)
    except AccessDenied:
        return widgets.not_found()
    assert done.follow_up_at is not None
    return html.Span(
        _("Followed up by {name}, {day}").format(
            name=done.follow_up_by or "", day=format_date(localtime.local_day(done.follow_up_at))
        ),
        className="small text-success",
    )
