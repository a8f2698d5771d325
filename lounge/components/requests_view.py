"""Pieces of the request pages: state and SLA badges, a request in a list, its timeline, and
the fault card the fault desk works from (site, contract, recent load, manager, contacts)."""

from __future__ import annotations

from typing import Any

import dash_bootstrap_components as dbc
from dash import html

from db.models import RequestAttachment, Role, ServiceRequest
from lounge import labels
from lounge.i18n import _, format_date, format_datetime, format_kwh, format_month, format_number
from lounge.notify.service import number
from lounge.requests import sla
from lounge.requests.desk import FaultCard
from lounge.requests.kinds import KINDS, STATES
from lounge.requests.workflow import Entry, Listed

STATE_COLORS = {
    "received": "secondary",
    "assigned": "info",
    "in_progress": "primary",
    "waiting_for_customer": "warning",
    "resolved": "success",
    "closed": "dark",
}
SLA_COLORS = {
    sla.Sla.BREACHED: "danger",
    sla.Sla.DUE_TODAY: "warning",
    sla.Sla.THIS_WEEK: "info",
    sla.Sla.ON_TRACK: "light",
    sla.Sla.MET: "success",
}


def kind_text(request: ServiceRequest) -> str:
    kind = KINDS[request.kind]
    sub = labels.label(kind.subtypes, request.subtype) if request.subtype else ""
    return f"{_(kind.label)} · {sub}" if sub else _(kind.label)


def state_badge(state: str) -> dbc.Badge:
    return dbc.Badge(
        labels.label(STATES, state), color=STATE_COLORS.get(state, "secondary"), class_name="me-1"
    )


def sla_badge(status: sla.Sla) -> dbc.Badge:
    return dbc.Badge(
        _(sla.LABELS[status]),
        color=SLA_COLORS[status],
        text_color="dark" if status in (sla.Sla.ON_TRACK, sla.Sla.DUE_TODAY) else None,
        class_name="me-1 lounge-sla-" + status.value.replace("_", "-"),
    )


def member_badge() -> dbc.Badge:
    return dbc.Badge(_("Lounge member"), color="danger", class_name="me-1")


def list_item(item: Listed, show_customer: bool) -> dbc.ListGroupItem:
    request = item.request
    top = html.Div(
        [
            html.Span(number(request.id), className="text-body-secondary me-2 small"),
            html.Strong(request.subject, className="me-2"),
            member_badge() if request.priority else None,
        ],
        className="d-flex flex-wrap align-items-baseline",
    )
    facts = [kind_text(request)]
    if show_customer:
        facts.append(item.customer)
    if item.site:
        facts.append(item.site)
    facts.append(_("opened {date}").format(date=format_date(request.opened_at.date())))
    facts.append(_("due {date}").format(date=format_date(request.due_date)))
    return dbc.ListGroupItem(
        [
            top,
            html.Div(" · ".join(facts), className="small text-body-secondary"),
            html.Div([state_badge(request.state), sla_badge(item.sla)], className="mt-1"),
        ],
        href=f"/requests/{request.id}",
        action=True,
        class_name="lounge-request-item"
        + (" border-start border-danger border-4" if item.sla is sla.Sla.BREACHED else ""),
    )


def timeline(events: list[Entry]) -> html.Ol:
    items = []
    for event in events:
        head = [
            html.Strong(event.actor_name, className="me-2"),
            html.Small(
                f"{_(labels.ROLES[Role(event.actor_role)])} · {format_datetime(event.at)}",
                className="text-body-secondary",
            ),
        ]
        body: list[Any] = []
        if event.state:
            body.append(
                html.Div(
                    [html.Span(_("Moved to") + " ", className="small"), state_badge(event.state)]
                )
            )
        if event.internal:
            body.append(dbc.Badge(_("Internal note"), color="warning", text_color="dark"))
        if event.text:
            body.append(html.P(event.text, className="mb-0 lounge-comment", dir="auto"))
        items.append(html.Li([html.Div(head), *body], className="mb-3"))
    return html.Ol(items, className="lounge-timeline", id="request-timeline")


def attachment_links(request_id: int, files: list[RequestAttachment]) -> html.Ul:
    if not files:
        return html.Ul(html.Li(_("No files yet."), className="text-body-secondary"))
    return html.Ul(
        [
            html.Li(
                [
                    html.A(
                        f.filename,
                        href=f"/download/request/{request_id}/attachment/{f.id}",
                        target="_blank",
                    ),
                    html.Small(
                        f" · {format_number(max(1, f.size // 1024))} KB · "
                        f"{format_datetime(f.uploaded_at)}",
                        className="text-body-secondary",
                    ),
                ]
            )
            for f in files
        ],
        id="request-files",
    )


def fault_card(card: FaultCard) -> dbc.Card:
    """What the desk needs on a fault, nothing about money."""
    parts: list[Any] = []
    if card.site is not None:
        site = card.site
        parts.append(
            html.Div(
                [
                    html.H6(_("Site"), className="mb-1"),
                    html.Div(f"{site.name} ({site.id})"),
                    html.Div(
                        " · ".join(
                            x
                            for x in (
                                site.address or "",
                                labels.label(labels.REGIONS, site.region),
                                _("meter {number}").format(number=site.meter_number)
                                if site.meter_number
                                else "",
                            )
                            if x
                        ),
                        className="small text-body-secondary",
                    ),
                ],
                className="mb-2",
            )
        )
    if card.contract is not None:
        c = card.contract
        voltage = labels.label(labels.VOLTAGES, c.voltage_level)
        parts.append(
            html.Div(
                [
                    html.H6(_("Contract"), className="mb-1"),
                    html.Div(
                        f"{c.number} · {c.tariff} · {voltage}"
                        f" · {format_number(c.capacity_kva)} kVA · {c.supplier}"
                    ),
                ],
                className="mb-2",
            )
        )
    if card.load:
        rows = [
            html.Tr(
                [
                    html.Td(
                        format_month(load.period) if load.monthly else format_date(load.period)
                    ),
                    html.Td(format_kwh(load.wh), className="text-end"),
                    html.Td(
                        f"{format_number(load.peak_w / 1000, 0)} kW" if load.peak_w else "",
                        className="text-end",
                    ),
                ]
            )
            for load in card.load
        ]
        parts.append(
            html.Div(
                [
                    html.H6(_("Recent load"), className="mb-1"),
                    dbc.Table(
                        [
                            html.Thead(
                                html.Tr(
                                    [html.Th(_("Period")), html.Th(_("Energy")), html.Th(_("Peak"))]
                                )
                            ),
                            html.Tbody(rows),
                        ],
                        size="sm",
                        class_name="mb-2",
                    ),
                ],
                className="table-responsive",
            )
        )
    manager = card.manager
    parts.append(
        html.Div(
            [
                html.H6(_("Account manager"), className="mb-1"),
                html.Div(
                    f"{manager.full_name or manager.email} · {manager.email}"
                    if manager
                    else _("None assigned")
                ),
            ],
            className="mb-2",
        )
    )
    parts.append(
        html.Div(
            [
                html.H6(_("Contacts"), className="mb-1"),
                html.Ul(
                    [
                        html.Li(
                            [
                                html.Span(contact.name),
                                html.Span(f" · {contact.phone}", dir="ltr", className="text-nowrap")
                                if contact.phone
                                else None,
                                html.Span(f" · {contact.email}") if contact.email else None,
                            ]
                        )
                        for contact in card.contacts
                    ]
                    or [html.Li(_("No contacts recorded."))],
                    className="mb-0",
                ),
            ]
        )
    )
    return dbc.Card(dbc.CardBody(parts), class_name="shadow-sm mb-3", id="fault-card")
