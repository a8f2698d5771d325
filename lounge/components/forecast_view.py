"""The forecast of entry and exit on screen: the overview's card, the portfolio's column and list.

The figures come from :mod:`lounge.forecast` (read through the viewer by the
page); these pieces only lay them out, in the reader's language.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import dash_bootstrap_components as dbc
import plotly.graph_objects as go
from dash import dcc, html

from lounge import forecast
from lounge.classification import SITE_THRESHOLD_WH, TOTAL_THRESHOLD_WH
from lounge.components import charts, grid, widgets
from lounge.forecast import Forecast, Method
from lounge.i18n import N_, _, format_change, format_kwh, format_month, format_number

METHODS = {
    Method.SEASONAL: N_("Last year × trend"),
    Method.RECENT_AVERAGE: N_("Recent average"),
    Method.STOPPED: N_("Stopped"),
}
#: Sites listed under the chart: the biggest ones.
SITES_SHOWN = 5


def figure(found: Forecast) -> go.Figure:
    """Rolling 12-month figures: a year of history, the projection, the thresholds."""
    x = [format_month(m) for m in (*found.history_months, *found.months)]
    series = {
        _("All sites, 12 months"): (
            [f.total_wh for f in found.history],
            [f.total_wh for f in found.projected],
        )
    }
    thresholds = {_("One site: 1,000,000 kWh"): SITE_THRESHOLD_WH}
    if len(found.sites) > 1:
        series[_("Biggest site, 12 months")] = (
            [f.max_site_wh for f in found.history],
            [f.max_site_wh for f in found.projected],
        )
        thresholds[_("All sites: 5,000,000 kWh")] = TOTAL_THRESHOLD_WH
    return charts.projection(x, series, thresholds)


def sites_table(found: Forecast) -> dbc.Table:
    """The biggest sites: how each was projected (a new site at its recent average, a site
    that stopped at nothing more), its 12 months now and at the horizon."""
    biggest = sorted(found.sites, key=lambda site: (-site.now_wh, site.site_id))[:SITES_SHOWN]
    horizon = format_month(found.months[-1])
    header = [
        html.Th(_("Site")),
        html.Th(_("Projected by")),
        html.Th(_("kWh, 12 months"), className="text-end"),
        html.Th(_("kWh by {month}").format(month=horizon), className="text-end"),
    ]
    return dbc.Table(
        [
            html.Thead(html.Tr(header)),
            html.Tbody(
                [
                    html.Tr(
                        [
                            html.Td(site.site_id),
                            html.Td(_(METHODS[Method(site.method)])),
                            html.Td(format_number(round(site.now_wh / 1000)), className="text-end"),
                            html.Td(
                                format_number(round(site.projected_wh[-1] / 1000)),
                                className="text-end",
                            ),
                        ]
                    )
                    for site in biggest
                ]
            ),
        ],
        size="sm",
        responsive=True,
        class_name="small mb-2",
        id="overview-forecast-sites",
    )


def short_text(found: Forecast | None) -> str:
    """The forecast in a few words, for a table cell."""
    if found is None or not found.enough_history:
        return _("Not enough history")
    crossing = found.crossing
    if crossing is None:
        return _("Stays a member") if found.now.is_vip else _("Stays out")
    month = format_month(crossing.month)
    if crossing.entering:
        return _("Enters {month}").format(month=month)
    return _("Leaves {month}").format(month=month)


def overview_card(found: Forecast | None, with_chart: bool) -> dbc.Card:
    """The customer's outlook in a sentence, the method, and (for staff) the chart."""
    body: list[Any] = [html.H5(_("Forecast"))]
    if found is None:
        body.append(widgets.empty(_("No consumption recorded yet."), "overview-forecast"))
    else:
        body.append(
            html.P(forecast.outlook_text(found), className="fw-semibold", id="overview-forecast")
        )
        if found.trend is not None:
            body.append(
                html.P(
                    _("Trend: {change} against the same 3 months a year earlier.").format(
                        change=format_change(found.trend - 1)
                    ),
                    className="small mb-2",
                    id="overview-forecast-trend",
                )
            )
        if with_chart and found.projected:
            body.append(
                dcc.Graph(
                    id="overview-forecast-chart",
                    figure=figure(found),
                    config=charts.graph_config(),
                )
            )
            body.append(sites_table(found))
    body.append(
        html.P(
            forecast.method_text(),
            className="small text-body-secondary mb-0",
            id="overview-forecast-method",
        )
    )
    return dbc.Card(dbc.CardBody(body), class_name="shadow-sm")


def portfolio_cells(found: Forecast | None) -> dict[str, Any]:
    """The forecast cells of a portfolio row."""
    return {
        "forecast": short_text(found),
        "forecast_text": forecast.outlook_text(found) if found is not None else "",
    }


def portfolio_column() -> grid.Column:
    return {
        "field": "forecast",
        "headerName": _("Forecast"),
        "tooltipField": "forecast_text",
        "minWidth": 150,
    }


def expected_card(changing: Sequence[Forecast]) -> dbc.Card:
    """Customers expected to enter or leave within the next months, soonest first."""
    if not changing:
        content: Any = widgets.empty(
            _("No entries or exits expected in the next 3 months."), "portfolio-expected"
        )
    else:
        items = []
        for found in changing:
            crossing = found.crossing
            assert crossing is not None
            items.append(
                html.Li(
                    [
                        html.Strong(format_month(crossing.month)),
                        " · ",
                        dcc.Link(found.name, href=f"/overview?customer={found.customer_id}"),
                        " · ",
                        _("expected to enter") if crossing.entering else _("expected to leave"),
                        " · ",
                        _("margin {energy}").format(energy=format_kwh(abs(found.margin_wh or 0))),
                    ],
                    className="entering" if crossing.entering else "leaving",
                )
            )
        content = html.Ul(items, className="mb-0", id="portfolio-expected")
    return dbc.Card(
        dbc.CardBody(
            [
                html.H5(_("Expected to enter or leave within 3 months")),
                content,
                html.P(forecast.method_text(), className="small text-body-secondary mt-2 mb-0"),
            ]
        ),
        class_name="shadow-sm mb-3",
    )
