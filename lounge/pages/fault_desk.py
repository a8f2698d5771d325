"""The VIP fault desk: every open fault, lounge members' first, each with the site, its contract,
its recent load, the account manager and the contacts, one click from its page."""

from __future__ import annotations

from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import html

from lounge import localtime
from lounge.access import AccessDenied
from lounge.components import requests_view, widgets
from lounge.i18n import _, format_datetime, format_number
from lounge.notify.service import number
from lounge.requests import desk, sla
from lounge.web.context import db_session, viewer

dash.register_page(__name__, path="/fault-desk", title="Business Lounge")


def layout(**_query: Any) -> Any:
    you = viewer()
    today = localtime.today()
    try:
        with db_session() as db:
            queue = desk.queue(db, you, today)
            cards = [desk.card(db, you, item.request.id, today) for item in queue]
    except AccessDenied:
        return widgets.not_allowed()
    members = sum(item.request.priority for item in queue)
    breached = sum(item.sla is sla.Sla.BREACHED for item in queue)
    kpis = dbc.Row(
        [
            dbc.Col(widgets.kpi(_("Open faults"), format_number(len(queue))), xs=4),
            dbc.Col(widgets.kpi(_("Of lounge members"), format_number(members)), xs=4),
            dbc.Col(widgets.kpi(_("Breached"), format_number(breached)), xs=4),
        ],
        class_name="g-2 mb-3",
    )
    if not queue:
        body: Any = widgets.empty(_("No open faults."), "fault-desk-empty")
    else:
        body = dbc.Accordion(
            [
                dbc.AccordionItem(
                    [
                        html.P(item.request.description) if item.request.description else None,
                        requests_view.fault_card(card),
                        dbc.Button(
                            _("Open the fault"),
                            href=f"/requests/{item.request.id}",
                            color="primary",
                            size="sm",
                        ),
                    ],
                    title=html.Div(
                        [
                            html.Div(
                                [
                                    requests_view.member_badge() if item.request.priority else None,
                                    html.Strong(f"{item.customer} · {item.site}"),
                                ]
                            ),
                            html.Div(item.request.subject, dir="auto"),
                            html.Div(
                                [
                                    html.Small(
                                        f"{number(item.request.id)} · "
                                        f"{requests_view.kind_text(item.request)} · "
                                        f"{format_datetime(item.request.opened_at, 'short')} ",
                                        className="text-body-secondary me-1",
                                    ),
                                    requests_view.state_badge(item.request.state),
                                    requests_view.sla_badge(item.sla),
                                ]
                            ),
                        ]
                    ),
                    item_id=f"fault-{item.request.id}",
                )
                for item, card in zip(queue, cards, strict=True)
            ],
            id="fault-desk-queue",
            start_collapsed=True,
            always_open=True,
        )
    return html.Div(
        [
            html.H2(_("Fault desk"), className="mb-1"),
            html.P(
                _("Open faults of every customer: lounge members first, then by time reported."),
                className="text-body-secondary",
            ),
            kpis,
            body,
        ]
    )
