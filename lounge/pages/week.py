"""The manager's week: where an account manager lands after signing in.

Sections in the order a Sunday morning goes: requests past their SLA and due today, meetings,
money, the lounge's movements; every line opens the customer. The week is the working week of
:mod:`lounge.calendar` (Sunday to Thursday, holidays off).
"""

from __future__ import annotations

from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import dcc, html

from lounge import access, localtime
from lounge import week as weeks
from lounge.components import survey_view, widgets
from lounge.i18n import _, format_date, format_number
from lounge.web.context import db_session, viewer

dash.register_page(__name__, path="/week", title="Business Lounge")


def _line(line: weeks.Line, index: int, section: str) -> html.Li:
    opens = dcc.Link(
        [
            html.Span(line.customer, className="fw-semibold me-2"),
            html.Span(line.text, className="text-body-secondary"),
        ],
        href=line.href,
        className="d-block text-decoration-none text-body",
        id=f"week-{section}-{index}",
    )
    return html.Li(
        [opens, survey_view.follow_up_button(line.survey_id)] if line.survey_id else opens,
        className="list-group-item list-group-item-action week-line",
        style={"borderInlineStart": f"4px solid var(--bs-{line.tone})"},
    )


def _section(section: str, title: str, lines: tuple[weeks.Line, ...], empty: str) -> dbc.Card:
    body: Any = (
        html.Ul(
            [_line(line, i, section) for i, line in enumerate(lines)],
            className="list-group list-group-flush",
        )
        if lines
        else html.Div(empty, className="text-body-secondary small")
    )
    return dbc.Card(
        [
            dbc.CardHeader(
                [
                    html.Span(title, className="fw-semibold"),
                    dbc.Badge(
                        format_number(len(lines)),
                        color="danger" if section == "breached" and lines else "secondary",
                        class_name="ms-2",
                        pill=True,
                    ),
                ]
            ),
            dbc.CardBody(body, class_name="p-0" if lines else None),
        ],
        class_name="shadow-sm mb-3",
        id=f"week-{section}",
    )


def layout(**_query: Any) -> Any:
    you = viewer()
    today = localtime.today()
    try:
        with db_session() as db:
            found = weeks.week(db, you, today)
    except access.AccessDenied:
        return widgets.not_allowed()
    days = found.days
    span = (
        _("Working week {first} to {last}").format(
            first=format_date(days[0]), last=format_date(days[-1])
        )
        if days
        else _("No working days this week")
    )
    kpis = dbc.Row(
        [
            dbc.Col(
                widgets.kpi(_("Past their SLA"), format_number(len(found.breached))), xs=6, md=3
            ),
            dbc.Col(
                widgets.kpi(
                    _("Due this week"),
                    format_number(len(found.due_today) + len(found.due_this_week)),
                ),
                xs=6,
                md=3,
            ),
            dbc.Col(
                widgets.kpi(_("Meetings to arrange"), format_number(len(found.meetings))),
                xs=6,
                md=3,
            ),
            dbc.Col(
                widgets.kpi(_("Debts past 60 days"), format_number(len(found.debts))), xs=6, md=3
            ),
        ],
        class_name="g-3 mb-3",
    )
    left = [
        _section(
            "breached",
            _("Requests past their SLA"),
            found.breached,
            _("None: every request is within its SLA."),
        ),
        _section("today", _("Requests due today"), found.due_today, _("Nothing due today.")),
        _section(
            "thisweek",
            _("Requests due later this week"),
            found.due_this_week,
            _("Nothing else due this week."),
        ),
        _section(
            "meetings",
            _("Annual meetings"),
            found.meetings,
            _("Every member is met this year or scheduled."),
        ),
        _section(
            "notices",
            _("Notices not acknowledged"),
            found.notices,
            _("Every customer has acknowledged the open notices."),
        ),
    ]
    right = [
        _section("debts", _("Debts past 60 days"), found.debts, _("No debt older than 60 days.")),
        _section(
            "forecast",
            _("Forecast to enter or leave"),
            found.forecast,
            _("No entry or exit expected within 3 months."),
        ),
        _section(
            "movements",
            _("New entries and exits"),
            found.movements,
            _("No entries or exits in the last 45 days."),
        ),
        _section(
            "surveys",
            _("Low survey scores"),
            found.surveys,
            _("No low score waits for a follow-up."),
        ),
    ]
    return html.Div(
        [
            html.H2(_("My week"), className="mb-0"),
            html.Div(span, className="text-body-secondary mb-3", id="week-span"),
            kpis,
            dbc.Row([dbc.Col(left, lg=7), dbc.Col(right, lg=5)]),
        ]
    )
