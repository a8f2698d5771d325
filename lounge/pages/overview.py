"""Client overview: VIP status and why, sites, latest consumption, membership history.

A client sees its own customer; an account manager or admin passes
``?customer=ID`` (and the access layer decides whether that is theirs).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import dash
import dash_bootstrap_components as dbc
import pandas as pd
import plotly.graph_objects as go
from dash import Input, Output, State, callback, dcc, html

from lounge import access, consumption, customers, forecast, localtime, membership
from lounge.access import Viewer
from lounge.classification import SITE_THRESHOLD_WH, TOTAL_THRESHOLD_WH
from lounge.components import charts, customer_nav, forecast_view, grid, survey_view, widgets
from lounge.i18n import _, format_change, format_date, format_kwh, format_month, ngettext
from lounge.labels import EVENTS, REGIONS, RULES, SEGMENTS, label
from lounge.membership import Membership
from lounge.surveys import answers
from lounge.web.context import db_session, viewer

dash.register_page(__name__, path="/overview", title="Business Lounge")

MONTHS_SHOWN = 24


def _chart_end() -> Any:
    """Charts run to the end of the current month (the current month is to date)."""
    return localtime.add_months(localtime.first_of_month(localtime.today()), 1)


def _status_card(member: Membership) -> dbc.Card:
    figs = member.figures
    window = _("{first} to {last}").format(
        first=format_month(member.window.start), last=format_month(member.window.last_day)
    )
    if not member.classified:
        headline = html.H4(_("Not classified yet"), id="overview-status")
    elif member.is_vip:
        headline = html.H4(
            [
                dbc.Badge(_("Lounge member"), color="success", class_name="me-2"),
                html.Small(
                    _("since {date}").format(date=format_date(member.since)) if member.since else ""
                ),
            ],
            id="overview-status",
        )
    else:
        headline = html.H4(dbc.Badge(_("Not a member"), color="secondary"), id="overview-status")
    if figs.is_vip:
        why = _("Member because {rule}.").format(rule=label(RULES, figs.rule))
        distance = _("It would stay a member with up to {energy} less.").format(
            energy=format_kwh(figs.margin_wh)
        )
    else:
        why = _("Membership needs one site with 1,000,000 kWh or all sites with 5,000,000 kWh.")
        distance = _("To enter: {site} more at one site, or {total} more in total.").format(
            site=format_kwh(max(figs.site_gap_wh, 0)), total=format_kwh(max(figs.total_gap_wh, 0))
        )
    return dbc.Card(
        dbc.CardBody(
            [
                headline,
                html.P(
                    _("Measured over the 12 complete months {window}.").format(window=window),
                    className="text-body-secondary small",
                    id="overview-window",
                ),
                widgets.threshold_bar(
                    _("Biggest site"), figs.max_site_wh, SITE_THRESHOLD_WH, "overview-site-bar"
                ),
                widgets.threshold_bar(
                    _("All sites together"), figs.total_wh, TOTAL_THRESHOLD_WH, "overview-total-bar"
                ),
                html.P(why, className="mb-1", id="overview-why"),
                html.P(distance, className="mb-0 fw-semibold", id="overview-distance"),
            ]
        ),
        class_name="shadow-sm h-100",
    )


def _sites_table(shares: pd.DataFrame) -> Any:
    rows = [
        {
            "site_id": share.site_id,
            "name": share.name,
            "region": label(REGIONS, share.region),
            "kwh": round(share.wh / 1000),
            "share": round(100 * share.share, 1),
        }
        for share in shares.itertuples()
    ]
    columns: list[grid.Column] = [
        {"field": "site_id", "headerName": _("Site"), "maxWidth": 140},
        {"field": "name", "headerName": _("Name")},
        {"field": "region", "headerName": _("Region")},
        grid.number_column("kwh", _("kWh, 12 months")),
        grid.number_column("share", _("Share %"), decimals=1),
    ]
    return grid.data_grid("overview-sites", rows, columns, height="360px")


def _history(events: list[tuple[Any, str]]) -> Any:
    if not events:
        return widgets.empty(_("No entries or exits recorded yet."), "overview-history")
    items = [
        html.Li(
            [
                html.Strong(format_date(event.effective_date)),
                " · ",
                label(EVENTS, event.event),
                " · ",
                format_kwh(event.window_wh),
            ]
        )
        for event, _name in reversed(events)
    ]
    return html.Ul(items, className="mb-0", id="overview-history")


@customer_nav.customer_page("overview")
def layout(you: Viewer, customer_id: str) -> Any:
    with db_session() as db:
        card = customers.profile(db, you, customer_id)
        member = membership.membership(db, you, customer_id)
        shares = consumption.site_shares(
            db, you, customer_id, member.window.start, member.window.end
        )
        history = membership.events(db, you, customer_id)
        months = consumption.monthly(db, you, customer_id, _chart_end(), MONTHS_SHOWN)
        outlook = forecast.forecast(db, you, customer_id)
        waiting = answers.awaiting(db, you, dt.datetime.now(dt.UTC))
    last_complete = months.iloc[-2] if len(months) > 1 else None
    year_before = months.iloc[-14] if len(months) > 13 else None
    change = (
        format_change(last_complete["wh"] / year_before["wh"] - 1)
        if last_complete is not None and year_before is not None and year_before["wh"]
        else None
    )
    header = html.Div(
        [
            html.H2(card.name, className="mb-0", id="overview-name"),
            html.Div(
                " · ".join(
                    part
                    for part in (
                        _("Tax id {value}").format(value=card.tax_id),
                        label(SEGMENTS, card.segment),
                        ngettext("{count} site", "{count} sites", card.sites).format(
                            count=card.sites
                        ),
                        _("Account manager: {name}").format(name=card.manager_name)
                        if card.manager_name
                        else "",
                    )
                    if part
                ),
                className="text-body-secondary",
            ),
        ],
        className="mb-3",
    )
    kpis = dbc.Row(
        [
            dbc.Col(
                widgets.kpi(
                    _("Last 12 complete months"),
                    format_kwh(member.figures.total_wh),
                    id_="overview-kpi-window",
                ),
                md=4,
            ),
            dbc.Col(
                widgets.kpi(
                    _("Last month ({month})").format(month=format_month(last_complete["month"]))
                    if last_complete is not None
                    else _("Last month"),
                    format_kwh(int(last_complete["wh"])) if last_complete is not None else "–",
                    _("{change} against the same month last year").format(change=change)
                    if change
                    else None,
                    id_="overview-kpi-month",
                ),
                md=4,
            ),
            dbc.Col(
                widgets.kpi(
                    _("Biggest site"),
                    format_kwh(member.figures.max_site_wh),
                    member.figures.max_site_id,
                    id_="overview-kpi-site",
                ),
                md=4,
            ),
        ],
        class_name="g-3 mb-3",
    )
    site_options = [{"label": _("All sites"), "value": ""}] + [
        {"label": f"{share.site_id} · {share.name}", "value": share.site_id}
        for share in shares.itertuples()
    ]
    chart = dbc.Card(
        dbc.CardBody(
            [
                html.Div(
                    [
                        html.H5(_("Consumption by month, kWh"), className="mb-0"),
                        dcc.Dropdown(
                            id="overview-site",
                            options=site_options,
                            value="",
                            clearable=False,
                            style={"minWidth": "16rem"},
                        ),
                    ],
                    className="d-flex flex-wrap justify-content-between align-items-center"
                    " gap-3 mb-2",
                ),
                dcc.Graph(
                    id="overview-chart",
                    figure=charts.monthly_bars(months),
                    config=charts.graph_config(),
                ),
                html.Div(id="overview-chart-note", className="small text-body-secondary"),
            ]
        ),
        class_name="shadow-sm",
    )
    return html.Div(
        [
            dcc.Store(id="overview-customer", data=card.customer_id),
            header,
            customer_nav.tabs("/overview", you, customer_id),
            survey_view.waiting_card(len(waiting)),
            kpis,
            dbc.Row(
                [
                    dbc.Col(_status_card(member), lg=5),
                    dbc.Col(chart, lg=7),
                ],
                class_name="g-3 mb-3",
            ),
            html.Div(
                forecast_view.overview_card(outlook, with_chart=not you.is_client),
                className="mb-3",
            ),
            dbc.Row(
                [
                    dbc.Col(
                        dbc.Card(
                            dbc.CardBody([html.H5(_("Sites")), _sites_table(shares)]),
                            class_name="shadow-sm",
                        ),
                        lg=8,
                    ),
                    dbc.Col(
                        dbc.Card(
                            dbc.CardBody([html.H5(_("Membership history")), _history(history)]),
                            class_name="shadow-sm h-100",
                        ),
                        lg=4,
                    ),
                ],
                class_name="g-3",
            ),
        ]
    )


@callback(
    Output("overview-chart", "figure"),
    Output("overview-chart-note", "children"),
    Input("overview-site", "value"),
    State("overview-customer", "data"),
    prevent_initial_call=True,
)
def show_site(site_id: Any, customer_id: Any) -> tuple[go.Figure, str]:
    """Monthly consumption of the whole customer or of one of its sites."""
    with db_session() as db:
        try:
            months = consumption.monthly(
                db, viewer(), customer_id, _chart_end(), MONTHS_SHOWN, site_id or None
            )
        except access.NotFound:
            return go.Figure(), _("Nothing to show: this customer or site is not yours to see.")
    note = _("Estimated readings are hatched.") if months["estimated_wh"].any() else ""
    return charts.monthly_bars(months), note
