"""Account manager portfolio: customers with status, recent entries and exits.

An account manager sees the customers assigned to them; an admin sees all.
The table sorts and filters in the browser; a row opens the customer.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, Patch, callback, dcc, html

from db.models import Role
from lounge import access, forecast, localtime, membership, portfolio
from lounge.components import forecast_view, grid, widgets
from lounge.i18n import (
    _,
    format_date,
    format_kwh,
    format_money,
    format_month,
    format_number,
    ngettext,
)
from lounge.labels import EVENTS, SEGMENTS, label
from lounge.web.context import db_session, viewer

dash.register_page(__name__, path="/portfolio", title="Business Lounge")


def _extra_cells(extra: portfolio.Extras) -> dict[str, Any]:
    return {
        "open_debt": float(extra.open_debt),
        "open_requests": extra.open_requests,
        **grid.date_cells("last_meeting", extra.last_meeting),
        **grid.date_cells("next_meeting", extra.next_meeting),
        "main_contact": extra.main_contact,
    }


def _rows(
    members: list[membership.Membership],
    outlooks: dict[str, forecast.Forecast],
    extras: dict[str, portfolio.Extras],
) -> list[dict[str, Any]]:
    return [
        {
            "customer_id": m.customer_id,
            "name": m.name,
            "segment": label(SEGMENTS, m.segment),
            "status": _("Member") if m.is_vip else _("Not a member"),
            **grid.date_cells("since", m.since if m.is_vip else None),
            "window_kwh": round(m.figures.total_wh / 1000),
            "max_site_kwh": round(m.figures.max_site_wh / 1000),
            "margin_kwh": round(m.figures.margin_wh / 1000),
            "manager": m.manager or "",
            **forecast_view.portfolio_cells(outlooks.get(m.customer_id)),
            **_extra_cells(extras.get(m.customer_id, portfolio.Extras())),
        }
        for m in members
    ]


def _columns(show_manager: bool) -> list[grid.Column]:
    columns: list[grid.Column] = [
        {"field": "customer_id", "headerName": _("Customer"), "maxWidth": 140},
        {"field": "name", "headerName": _("Name"), "minWidth": 200},
        {"field": "segment", "headerName": _("Segment")},
        {"field": "status", "headerName": _("Status"), "maxWidth": 150},
        grid.date_column("since", _("Member since"), maxWidth=150),
        grid.number_column("window_kwh", _("kWh, 12 months")),
        grid.number_column("max_site_kwh", _("Biggest site kWh")),
        grid.number_column(
            "margin_kwh",
            _("kWh to the edge"),
            headerTooltip=_(
                "Members: how much less they could use and stay. "
                "Others: how much more they need to enter."
            ),
        ),
    ]
    columns += [
        forecast_view.portfolio_column(),
        grid.number_column("open_debt", _("Open debt"), decimals=2),
        grid.number_column("open_requests", _("Open requests")),
        grid.date_column("last_meeting", _("Last meeting"), maxWidth=150),
        grid.date_column("next_meeting", _("Next meeting"), maxWidth=150),
        {"field": "main_contact", "headerName": _("Main contact")},
    ]
    if show_manager:
        columns.append({"field": "manager", "headerName": _("Account manager")})
    return columns


def _recent(events: list[tuple[Any, str]]) -> Any:
    if not events:
        return widgets.empty(_("No entries or exits in the last 12 months."), "portfolio-recent")
    return html.Ul(
        [
            html.Li(
                [
                    html.Strong(format_date(event.effective_date)),
                    " · ",
                    dcc.Link(name, href=f"/overview?customer={event.customer_id}"),
                    " · ",
                    label(EVENTS, event.event),
                    " · ",
                    format_kwh(event.window_wh),
                ],
                className="entered" if event.event == "enter" else "exited",
            )
            for event, name in reversed(events)
        ],
        className="mb-0",
        id="portfolio-recent",
    )


def layout(**_query: Any) -> Any:
    you = viewer()
    since = localtime.one_year_before(localtime.today())
    try:
        with db_session() as db:
            members = membership.memberships(db, you)
            recent = membership.events(db, you, since=since)
            window, classified = membership.current_window(db)
            outlooks = {f.customer_id: f for f in forecast.portfolio(db, you)}
            extras = portfolio.extras(db, you, localtime.today())
    except access.AccessDenied:  # the portfolio's roles are the domain's to say
        return widgets.not_allowed()
    count = sum(m.is_vip for m in members)
    summary = ngettext(
        "{members} member among {customers} customers; window {first} to {last}.",
        "{members} members among {customers} customers; window {first} to {last}.",
        count,
    ).format(
        members=count,
        customers=len(members),
        first=format_month(window.start),
        last=format_month(window.last_day),
    )
    entered = sum(event.event == "enter" for event, _name in recent)
    debt = sum((e.open_debt for e in extras.values()), Decimal(0))
    tiles = [
        (_("Customers"), format_number(len(members))),
        (_("Lounge members"), format_number(count)),
        (_("Entered, last 12 months"), format_number(entered)),
        (_("Left, last 12 months"), format_number(len(recent) - entered)),
        (_("Open debt"), format_money(debt)),
        (_("Open requests"), format_number(sum(e.open_requests for e in extras.values()))),
    ]
    kpis = dbc.Row(
        [dbc.Col(widgets.kpi(title, value), xs=6, md=4, xl=2) for title, value in tiles],
        class_name="g-3 mb-3",
    )
    toolbar = html.Div(
        [
            dbc.Input(
                id="portfolio-search",
                placeholder=_("Search customers..."),
                type="search",
                style={"maxWidth": "20rem"},
            ),
            html.Div(
                widgets.download_buttons(
                    "portfolio",
                    {fmt: f"/download/portfolio.{fmt}" for fmt in ("csv", "xlsx", "pdf")},
                ),
                className="d-flex gap-2 align-items-center",
            ),
        ],
        className="d-flex flex-wrap justify-content-between gap-2 mb-2",
    )
    table = grid.data_grid(
        "portfolio-grid",
        _rows(members, outlooks, extras),
        _columns(show_manager=you.role is Role.ADMIN),
        height="520px",
        row_id="customer_id",
    )
    return html.Div(
        [
            dcc.Location(id="portfolio-go", refresh=True),
            html.H2(_("Portfolio"), className="mb-0"),
            html.Div(
                summary if classified else _("Not classified yet."),
                className="text-body-secondary mb-3",
                id="portfolio-summary",
            ),
            kpis,
            dbc.Card(
                dbc.CardBody(
                    [
                        toolbar,
                        table,
                        html.Div(
                            _("Click a customer to open its overview."),
                            className="small text-body-secondary mt-1",
                        ),
                    ]
                ),
                class_name="shadow-sm mb-3",
            ),
            forecast_view.expected_card(forecast.expected_changes(outlooks.values())),
            dbc.Card(
                dbc.CardBody([html.H5(_("Entries and exits, last 12 months")), _recent(recent)]),
                class_name="shadow-sm",
            ),
        ]
    )


@callback(
    Output("portfolio-grid", "dashGridOptions"),
    Input("portfolio-search", "value"),
    prevent_initial_call=True,
)
def search(text: Any) -> Patch:
    """Quick filter over every column (runs on the rows already in the browser)."""
    options = Patch()
    options["quickFilterText"] = text if isinstance(text, str) else ""
    return options


@callback(
    Output("portfolio-go", "href"),
    Input("portfolio-grid", "cellClicked"),
    prevent_initial_call=True,
)
def open_customer(cell: dict[str, Any] | None) -> Any:
    """Open the clicked customer's overview (the overview checks access itself)."""
    customer_id = cell.get("rowId") if isinstance(cell, dict) else None
    if not isinstance(customer_id, str) or not customer_id:
        return dash.no_update
    return f"/overview?customer={customer_id}"
