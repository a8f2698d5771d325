"""Notices in the lounge: for a client, the current and upcoming notices touching its sites (the
outage panel) with an acknowledge button and the reduction it plans; for an account manager, the
events touching the portfolio (current, upcoming and of the last week, with their state) and, per
event, which customers have acknowledged and which have not."""

from __future__ import annotations

import datetime as dt
from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import MATCH, Input, Output, State, callback, dcc, html

from db.models import NoticeKind, NoticeState, Role
from lounge import access, labels
from lounge.access import AccessDenied
from lounge.components import past_events, widgets
from lounge.demand import acknowledgements
from lounge.demand.acknowledgements import CustomerAnswer, CustomerNotice, FollowedNotice
from lounge.demand.rules import NoticeRefused
from lounge.i18n import _, format_datetime, format_number
from lounge.labels import NOTICE_STATES, label
from lounge.notify import demand as messages
from lounge.web.context import db_session, viewer
from lounge.week import customer_href

dash.register_page(__name__, path="/notices", title="Business Lounge")

STATE_COLORS = {
    NoticeState.ISSUED: "warning",
    NoticeState.UPDATED: "warning",
    NoticeState.CANCELLED: "secondary",
    NoticeState.COMPLETED: "success",
}


def _acknowledged(notice: CustomerNotice) -> str:
    if notice.acknowledged_at is None:
        return ""
    said = _("Acknowledged on {at}.").format(at=format_datetime(notice.acknowledged_at, "short"))
    if notice.planned_kw:
        said += " " + _("You will reduce by {kw} kW.").format(kw=format_number(notice.planned_kw))
    return said


def _heading(notice: CustomerNotice | FollowedNotice) -> list[html.Div]:
    """A notice's state, what it is and its window."""
    return [
        html.Div(
            [
                dbc.Badge(
                    label(NOTICE_STATES, notice.state),
                    color=STATE_COLORS.get(NoticeState(notice.state), "info"),
                    class_name="me-2",
                ),
                html.Strong(labels.notice_title(notice.kind, notice.level, notice.reason)),
            ],
            className="mb-1",
        ),
        html.Div(messages.window(notice.starts_at, notice.ends_at), className="mb-1"),
    ]


def _card(notice: CustomerNotice) -> dbc.Card:
    emergency = notice.kind == NoticeKind.EMERGENCY_OUTAGE
    ask = ""
    if notice.reduction_kw:
        ask = _("Please reduce your load by {kw} kW in this window.").format(
            kw=format_number(notice.reduction_kw)
        )
    elif notice.reduction_pct:
        ask = _("Please reduce your load by {pct}% in this window.").format(
            pct=notice.reduction_pct
        )
    body: list[Any] = [
        *_heading(notice),
        html.Div(
            _("Your sites: {sites}").format(sites=messages.name_sites(notice.sites, 6)),
            className="small mb-1",
        ),
    ]
    if ask:
        body.append(html.Div(ask, className="mb-1"))
    if notice.note:
        body.append(html.Div(notice.note, className="small text-body-secondary mb-1"))
    status = html.Div(
        _acknowledged(notice),
        id={"type": "notices-ack-status", "index": notice.notice_id},
        className="small text-success",
    )
    if notice.can_acknowledge:
        body.append(
            html.Div(
                [
                    dbc.InputGroup(
                        [
                            dbc.InputGroupText(_("We will reduce by")),
                            dbc.Input(
                                id={"type": "notices-kw", "index": notice.notice_id},
                                type="number",
                                min=0,
                                step=1,
                                value=notice.planned_kw,
                            ),
                            dbc.InputGroupText(_("kW")),
                        ],
                        size="sm",
                        class_name="mb-2",
                        style={"maxWidth": "22rem"},
                    ),
                    dbc.Button(
                        _("Acknowledge"),
                        id={"type": "notices-ack", "index": notice.notice_id},
                        color="primary",
                        size="sm",
                        class_name="mb-2",
                    ),
                ]
            )
        )
    body.append(status)
    return dbc.Card(
        dbc.CardBody(body),
        class_name="shadow-sm mb-2" + (" border-danger" if emergency else ""),
        id=f"notices-card-{notice.notice_id}",
    )


def _client(db: Any, you: access.Viewer) -> Any:
    now = dt.datetime.now(dt.UTC)
    shown = acknowledgements.for_customer(db, you, you.customer_id, now)
    if not shown:
        return widgets.empty(_("No warnings or outages touch your sites now."), "notices-none")
    return html.Div([_card(notice) for notice in shown], id="notices-panel")


#: Customers listed under one notice before "and N more" (staff follow every customer).
CUSTOMERS_SHOWN = 50


def _answer_row(notice: FollowedNotice, answer: CustomerAnswer) -> list[Any]:
    if answer.acknowledged_at is not None:
        status: Any = html.Span(
            _("Acknowledged on {at}.").format(at=format_datetime(answer.acknowledged_at, "short")),
            className="text-success",
        )
    else:
        status = html.Span(
            _("Not acknowledged yet"),
            className="text-danger fw-semibold" if notice.is_open else "text-body-secondary",
        )
    planned = _("{kw} kW").format(kw=format_number(answer.planned_kw)) if answer.planned_kw else ""
    return [
        dcc.Link(answer.customer, href=customer_href(answer.customer_id)),
        status,
        planned,
    ]


def _followed_card(notice: FollowedNotice) -> dbc.Card:
    """One notice touching the portfolio: its state and window, and each customer's answer,
    those who have not acknowledged first."""
    waiting = notice.waiting
    ordered = sorted(notice.customers, key=lambda a: (a.acknowledged_at is not None, a.customer))
    shown = ordered[:CUSTOMERS_SHOWN]
    more = len(ordered) - len(shown)
    done = len(notice.customers) - len(waiting)
    body: list[Any] = [
        *_heading(notice),
        html.Div(
            _("Acknowledged by {done} of {total} customers.").format(
                done=format_number(done), total=format_number(len(notice.customers))
            ),
            className="small mb-2" + (" text-danger" if waiting and notice.is_open else ""),
        ),
        widgets.table(
            [_("Customer"), _("Acknowledgement"), _("Planned reduction")],
            [_answer_row(notice, answer) for answer in shown],
            f"notices-followed-{notice.notice_id}",
            class_name="mb-0 align-middle",
        ),
    ]
    if more:
        body.append(
            html.Div(
                _("and {count} more customers").format(count=format_number(more)),
                className="small text-body-secondary",
            )
        )
    return dbc.Card(
        dbc.CardBody(body),
        class_name="shadow-sm mb-2"
        + (" border-danger" if notice.kind == NoticeKind.EMERGENCY_OUTAGE else ""),
        id=f"notices-notice-{notice.notice_id}",
    )


def _portfolio(db: Any, you: access.Viewer) -> Any:
    found = acknowledgements.followed(db, you)
    if not found:
        return widgets.empty(
            _("No warnings or outages touch the customers you serve now."), "notices-none"
        )
    return html.Div([_followed_card(notice) for notice in found], id="notices-followed")


def layout(**_query: Any) -> Any:
    you = viewer()
    with db_session() as db:
        try:
            content = _client(db, you) if you.role is Role.CLIENT else _portfolio(db, you)
        except AccessDenied:
            return widgets.not_allowed()
        past = past_events.card(db, you)
    return html.Div(
        [
            html.H2(_("Warnings and outages"), className="mb-0"),
            html.Div(
                _("Peak-load warnings and outage notices touching your sites.")
                if you.role is Role.CLIENT
                else _("Notices touching the customers you serve."),
                className="text-body-secondary mb-3",
            ),
            content,
            past,
        ]
    )


@callback(
    Output({"type": "notices-ack-status", "index": MATCH}, "children"),
    Input({"type": "notices-ack", "index": MATCH}, "n_clicks"),
    State({"type": "notices-kw", "index": MATCH}, "value"),
    prevent_initial_call=True,
)
def acknowledge(clicks: Any, planned_kw: Any) -> Any:
    """The client's acknowledgement of one notice touching its sites."""
    if not clicks:
        return dash.no_update
    notice_id = dash.ctx.triggered_id["index"] if dash.ctx.triggered_id else None
    try:
        with db_session() as db:
            done = acknowledgements.acknowledge(
                db, viewer(), notice_id, planned_kw, dt.datetime.now(dt.UTC)
            )
    except NoticeRefused as refused:
        return html.Span(str(refused), className="text-danger")
    except AccessDenied:
        return widgets.not_found()
    return _acknowledged(done)
