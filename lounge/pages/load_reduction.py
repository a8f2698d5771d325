"""The measured load reduction of a past peak-load warning: baseline against actual load.

Staff see every site the warning reached, account managers their portfolio's, a client its
own (the domain decides: :func:`lounge.demand.baseline.measure`). The tables are the report
document, so the screen and its PDF, CSV and XLSX files show the same figures.
"""

from __future__ import annotations

from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import dcc, html

from lounge import access, i18n
from lounge.components import charts, report_view, widgets
from lounge.demand import baseline
from lounge.demand import report as reduction_report
from lounge.i18n import _
from lounge.web.context import db_session, viewer
from lounge.web.downloads import REPORT_FORMATS, load_reduction_href

dash.register_page(__name__, path_template="/load-reduction/<notice_id>", title="Business Lounge")


def _kpis(found: baseline.Reduction) -> dbc.Row:
    total = found.total
    cards = [
        (_("Baseline, kWh"), i18n.format_kwh(total.baseline_wh)),
        (_("Actual, kWh"), i18n.format_kwh(total.actual_wh)),
        (_("Reduction, kW"), i18n.format_number(total.reduction_w / 1000, 1)),
        (_("Reduction, % of baseline"), i18n.format_percent(total.share, 1)),
    ]
    return dbc.Row(
        [
            dbc.Col(widgets.kpi(title, value, id_=f"reduction-kpi-{n}"), xs=6, lg=3)
            for n, (title, value) in enumerate(cards)
        ],
        class_name="g-2 mb-3",
    )


def _chart(found: baseline.Reduction) -> dbc.Card:
    times = [f"{at:%H:%M}" for at in found.series["at"]]
    figure = charts.lines(
        times,
        {
            _("Baseline, kW"): found.series["baseline_w"].tolist(),
            _("Actual, kW"): found.series["actual_w"].tolist(),
        },
        "kW",
    )
    figure.update_yaxes(rangemode="tozero")  # a cut looks as big as it is
    graph = dcc.Graph(id="reduction-chart", figure=figure, config=charts.graph_config())
    title = _("Baseline and actual load, quarter hour by quarter hour")
    return dbc.Card(dbc.CardBody([html.H5(title), graph]), class_name="shadow-sm mb-4")


def layout(notice_id: str = "", **_query: Any) -> Any:
    you = viewer()
    try:
        with db_session() as db:
            found = baseline.measure(db, you, notice_id)
    except baseline.NotMeasured as error:
        return dbc.Alert(str(error), color="info", id="reduction-not-over")
    except access.AccessDenied:
        return widgets.not_found()
    document = reduction_report.build(found)
    return html.Div(
        [
            html.H2(document.title, className="mb-1"),
            html.Div(document.subtitle, className="text-body-secondary mb-3"),
            _kpis(found),
            html.Div(
                widgets.labelled_downloads(
                    "reduction",
                    {fmt: load_reduction_href(found.notice_id, fmt) for fmt in REPORT_FORMATS},
                ),
                className="mb-3 d-flex flex-wrap gap-2 align-items-center",
            ),
            _chart(found),
            # the chart is the first section; the tables follow as in the files
            *(
                report_view.section_table(section, n)
                for n, section in enumerate(document.sections[1:])
            ),
        ],
        id="reduction-view",
    )
