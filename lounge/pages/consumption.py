"""Consumption in every cut: by site, group or whole customer; by day, month or year;
time-of-use bands; year over year; share of sites; typical day; peak demand and load
factor; interval zoom down to 15 minutes; distance to the lounge thresholds over time.

Every tab is drawn by one callback from the rollups (``lounge.consumption``);
the zoom asks for the points of the visible range only, at a resolution that
keeps the chart small, so no view waits on the raw readings.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import dash
import dash_bootstrap_components as dbc
import pandas as pd
from dash import Input, Output, State, callback, clientside_callback, dcc, html

from lounge import access, consumption, localtime, reporting, tou
from lounge.access import Viewer
from lounge.classification import SITE_THRESHOLD_WH, TOTAL_THRESHOLD_WH
from lounge.components import charts, customer_nav, grid, widgets
from lounge.i18n import N_, _, format_change, format_date, format_kwh, format_month, format_number
from lounge.labels import REGIONS, SITE_TYPES, label
from lounge.web.context import db_session, viewer

dash.register_page(__name__, path="/consumption", title="Business Lounge")

TABS = (
    ("series", N_("Consumption")),
    ("tou", N_("Time of use")),
    ("yoy", N_("Year over year")),
    ("sites", N_("Sites")),
    ("profile", N_("Typical day")),
    ("peak", N_("Peak demand")),
    ("zoom", N_("Interval zoom")),
    ("vip", N_("Lounge thresholds")),
)
PERIODS = (("day", N_("Day")), ("month", N_("Month")), ("year", N_("Year")))
ALL = "all"


def _selection(value: object) -> consumption.Selection:
    """``all``, ``site:ID``, ``region:NAME`` or ``type:NAME`` from the scope picker."""
    kind, _sep, name = str(value or ALL).partition(":")
    if kind == "site":
        return consumption.Selection(site_id=name)
    if kind == "region":
        return consumption.Selection(region=name)
    if kind == "type":
        return consumption.Selection(site_type=name)
    return consumption.WHOLE_CUSTOMER


def _scope_options(found: consumption.Scope) -> list[dict[str, str]]:
    options = [{"label": _("All sites"), "value": ALL}]
    for region in sorted({site.region for site in found.sites}):
        options.append(
            {
                "label": _("Region: {name}").format(name=label(REGIONS, region)),
                "value": f"region:{region}",
            }
        )
    for kind in sorted({site.site_type for site in found.sites if site.site_type}):
        name = label(SITE_TYPES, kind)
        options.append({"label": _("Site type: {name}").format(name=name), "value": f"type:{kind}"})
    options += [
        {"label": f"{s.site_id} · {s.name}", "value": f"site:{s.site_id}"} for s in found.sites
    ]
    return options


class RangeError(ValueError):
    """Months the reader picked that cannot be shown (the message says why)."""


def _months(first: object, last: object) -> tuple[dt.date, dt.date]:
    """[start, end) from two ``YYYY-MM`` inputs; a bad or reversed pair is refused."""
    try:
        start = dt.date.fromisoformat(f"{str(first)[:7]}-01")
        stop = dt.date.fromisoformat(f"{str(last)[:7]}-01")
    except ValueError:
        raise RangeError(_("Choose the months to show.")) from None
    if not all(reporting.FIRST_YEAR <= m.year <= reporting.LAST_YEAR for m in (start, stop)):
        raise RangeError(_("Choose the months to show."))
    if start > stop:
        raise RangeError(_("The first month comes after the last one."))
    if (stop.year - start.year) * 12 + stop.month - start.month >= 60:
        raise RangeError(_("Show at most five years at a time."))
    return start, localtime.add_months(stop, 1)


def _controls(options: list[dict[str, str]]) -> dbc.Card:
    this_month = localtime.first_of_month(localtime.today())
    first = localtime.add_months(this_month, -12)
    return dbc.Card(
        dbc.CardBody(
            dbc.Row(
                [
                    dbc.Col(
                        [
                            dbc.Label(_("Sites"), html_for="consumption-scope"),
                            dcc.Dropdown(
                                id="consumption-scope", options=options, value=ALL, clearable=False
                            ),
                        ],
                        md=4,
                    ),
                    dbc.Col(
                        [
                            dbc.Label(_("From month"), html_for="consumption-from"),
                            dbc.Input(id="consumption-from", type="month", value=f"{first:%Y-%m}"),
                        ],
                        md=2,
                    ),
                    dbc.Col(
                        [
                            dbc.Label(_("To month"), html_for="consumption-to"),
                            dbc.Input(
                                id="consumption-to", type="month", value=f"{this_month:%Y-%m}"
                            ),
                        ],
                        md=2,
                    ),
                    dbc.Col(
                        [
                            dbc.Label(_("By"), html_for="consumption-period"),
                            dbc.RadioItems(
                                id="consumption-period",
                                value="month",
                                options=[{"label": _(t), "value": v} for v, t in PERIODS],
                                class_name="btn-group d-flex",
                                input_class_name="btn-check",
                                label_class_name="btn btn-outline-primary",
                                label_checked_class_name="active",
                            ),
                        ],
                        md=4,
                    ),
                ],
                class_name="g-2",
            )
        ),
        class_name="shadow-sm mb-3",
    )


@customer_nav.customer_page("consumption")
def layout(you: Viewer, customer_id: str) -> Any:
    with db_session() as db:
        name = access.get_customer(db, you, customer_id).name
        found = consumption.scope(db, you, customer_id)
    return html.Div(
        [
            dcc.Store(id="consumption-customer", data=customer_id),
            html.H2(name, className="mb-1"),
            customer_nav.tabs("/consumption", you, customer_id),
            _controls(_scope_options(found)),
            dbc.Tabs(
                [dbc.Tab(label=_(text), tab_id=code) for code, text in TABS],
                id="consumption-tabs",
                active_tab="series",
                class_name="mb-3",
            ),
            dcc.Loading(html.Div(id="consumption-content"), delay_show=300),
        ]
    )


# --- the tabs ---------------------------------------------------------------------------


def _graph(figure: Any, id_: str) -> dcc.Graph:
    return dcc.Graph(id=id_, figure=figure, config=charts.graph_config())


def _period_label(value: dt.date, period: str) -> str:
    if period == "day":
        return format_date(value)
    if period == "year":
        return str(value.year)
    return format_month(value)


def _coverage(
    db: Any, you: Any, customer: str, selection: Any, start: dt.date, end: dt.date
) -> list[Any]:
    """A warning above a cut of interval data that leaves sites or energy out."""
    found = consumption.coverage(db, you, customer, start, end, selection)
    text = reporting.coverage_warning(found)
    return [dbc.Alert(text, color="warning", id="consumption-coverage")] if text else []


def _series(
    db: Any, you: Any, customer: str, selection: Any, start: dt.date, end: dt.date, period: str
) -> Any:
    frame = consumption.series(db, you, customer, start, end, period, selection)  # type: ignore[arg-type]
    labels = [_period_label(value, period) for value in frame["period"]]
    total, estimated = int(frame["wh"].sum()), int(frame["estimated_wh"].sum())
    note = _("Total {total}; estimated {estimated}.").format(
        total=format_kwh(total), estimated=format_kwh(estimated)
    )
    warning = _coverage(db, you, customer, selection, start, end) if period == "day" else []
    return [
        *warning,
        _graph(
            charts.energy_bars(labels, frame["wh"].tolist(), frame["estimated_wh"].tolist()),
            "consumption-series",
        ),
        html.P(note, className="small text-body-secondary", id="consumption-series-note"),
    ]


def _tou(
    db: Any, you: Any, customer: str, selection: Any, start: dt.date, end: dt.date, period: str
) -> Any:
    breakdown = consumption.time_of_use(db, you, customer, start, end, selection)
    months = breakdown.months
    series = {_(tou.BAND_LABELS[band]): months[band].tolist() for band in tou.BANDS}
    series[_(consumption.UNBANDED_LABEL)] = months[consumption.UNBANDED].tolist()
    totals = {name: sum(values) for name, values in series.items()}
    everything = sum(totals.values()) or 1
    table = dbc.Table(
        [
            html.Tbody(
                [
                    html.Tr(
                        [
                            html.Td(name),
                            html.Td(format_kwh(value), className="text-end"),
                            html.Td(f"{100 * value / everything:.1f}%", className="text-end"),
                        ]
                    )
                    for name, value in totals.items()
                ]
            )
        ],
        size="sm",
        id="consumption-tou-table",
    )
    parts = [
        *_coverage(db, you, customer, selection, start, end),
        _graph(
            charts.columns([format_month(m) for m in months["month"]], series, True),
            "consumption-tou",
        ),
        table,
    ]
    if breakdown.unbanded_sites:
        parts.append(
            html.P(
                _("Sites without interval data (billed by meter reads): {sites}").format(
                    sites=", ".join(breakdown.unbanded_sites)
                ),
                className="small text-body-secondary",
            )
        )
    return parts


def _yoy(
    db: Any, you: Any, customer: str, selection: Any, start: dt.date, end: dt.date, period: str
) -> Any:
    year = localtime.add_months(end, -1).year
    found = consumption.year_over_year(
        db, you, customer, dt.date(year, 1, 1), dt.date(year + 1, 1, 1), selection
    )
    frame = found.months
    labels = [format_month(m) for m in frame["month"]]
    series = {str(year - 1): frame["previous_wh"].tolist(), str(year): frame["wh"].tolist()}
    parts: list[Any] = [_graph(charts.columns(labels, series, False), "consumption-yoy")]
    if found.compared is None:
        parts.append(widgets.empty(_("No consumption in {year} yet.").format(year=year)))
        return parts
    first, last = found.compared
    change = format_change(found.change, 1) if found.change is not None else "–"
    parts.append(
        html.P(
            _(
                "{first} to {last}: {now}; the same months a year earlier: {before} ({change})."
            ).format(
                first=format_month(first),
                last=format_month(last),
                now=format_kwh(found.wh),
                before=format_kwh(found.previous_wh),
                change=change,
            ),
            className="fw-semibold",
            id="consumption-yoy-note",
        )
    )
    return parts


def _sites(
    db: Any, you: Any, customer: str, selection: Any, start: dt.date, end: dt.date, period: str
) -> Any:
    frame = consumption.site_shares(db, you, customer, start, end, selection)
    rows = [
        {
            "site": f"{r.site_id} · {r.name}",
            "region": label(REGIONS, r.region),
            "type": label(SITE_TYPES, r.site_type),
            "kwh": round(r.wh / 1000),
            "share": round(100 * r.share, 1),
        }
        for r in frame.itertuples()
    ]
    columns: list[grid.Column] = [
        {"field": "site", "headerName": _("Site"), "minWidth": 220},
        {"field": "region", "headerName": _("Region")},
        {"field": "type", "headerName": _("Site type")},
        grid.number_column("kwh", _("kWh")),
        grid.number_column("share", _("Share %"), decimals=1),
    ]
    by_region = frame.groupby("region")["wh"].sum().sort_values(ascending=False)
    figure = charts.columns(
        [label(REGIONS, r) for r in by_region.index], {_("kWh"): by_region.tolist()}, False
    )
    return [
        dbc.Row(
            [
                dbc.Col(
                    grid.data_grid(
                        "consumption-sites",
                        rows,
                        columns,
                        height="420px",
                    ),
                    lg=7,
                ),
                dbc.Col([html.H6(_("By region")), _graph(figure, "consumption-regions")], lg=5),
            ]
        ),
    ]


def _profile(
    db: Any, you: Any, customer: str, selection: Any, start: dt.date, end: dt.date, period: str
) -> Any:
    frame = consumption.typical_day(db, you, customer, start, end, selection)
    if not frame[["working_w", "weekend_w"]].to_numpy().any():
        return widgets.empty(_("No interval data for these sites and months."))
    series = {
        _("Working days"): frame["working_w"].tolist(),
        _("Fridays, Saturdays and holidays"): frame["weekend_w"].tolist(),
    }
    return [
        *_coverage(db, you, customer, selection, start, end),
        _graph(
            charts.lines([f"{h:02d}:00" for h in frame["hour"]], series, "kW"),
            "consumption-profile",
        ),
        html.P(_("Average demand in each hour of the day."), className="small text-body-secondary"),
    ]


def _peak(
    db: Any, you: Any, customer: str, selection: Any, start: dt.date, end: dt.date, period: str
) -> Any:
    frame = consumption.peak_demand(db, you, customer, start, end, selection)
    if frame.empty:
        return widgets.empty(_("No interval data for these sites and months."))
    monthly = frame.groupby("month")["peak_w"].max()
    per_site = frame.groupby("site_id").agg(
        peak_w=("peak_w", "max"), wh=("wh", "sum"), hours=("hours", "sum")
    )
    per_site["load_factor"] = (per_site["wh"] / per_site["hours"].clip(lower=1)) / per_site[
        "peak_w"
    ].clip(lower=1)
    rows = [
        {
            "site": site,
            "peak_kw": round(r.peak_w / 1000, 1),
            "average_kw": round(r.wh / max(r.hours, 1) / 1000, 1),
            "load_factor": round(100 * r.load_factor, 1),
        }
        for site, r in per_site.iterrows()
    ]
    columns = [
        {"field": "site", "headerName": _("Site")},
        grid.number_column("peak_kw", _("Peak, kW"), decimals=1),
        grid.number_column("average_kw", _("Average, kW"), decimals=1),
        grid.number_column("load_factor", _("Load factor %"), decimals=1),
    ]
    group = consumption.coincident_peak(db, you, customer, start, end, selection)
    coincident = group.set_index("month")["peak_w"].reindex(monthly.index, fill_value=0)
    figure = charts.columns(
        [format_month(m) for m in monthly.index],
        {
            _("Coincident peak of the sites together"): coincident.tolist(),
            _("Highest single-site peak"): monthly.tolist(),
        },
        False,
        unit="kW",
    )
    figure.update_layout(showlegend=True)
    return [
        *_coverage(db, you, customer, selection, start, end),
        html.H6(_("Peak demand per month, kW"), className="mt-2"),
        _graph(figure, "consumption-peak"),
        html.P(
            _(
                "The peak of a group is its coincident peak: the highest demand of all its "
                "sites' load added up quarter hour by quarter hour, not the sum of each site's "
                "own peak."
            ),
            className="small",
            id="consumption-peak-note",
        ),
        grid.data_grid("consumption-peaks", rows, columns, height="320px"),
    ]


def _zoom(
    db: Any, you: Any, customer: str, selection: Any, start: dt.date, end: dt.date, period: str
) -> Any:
    found = consumption.scope(db, you, customer)
    recent = localtime.add_months(localtime.first_of_month(localtime.today()), -24)
    with_data = set(
        consumption.peak_demand(
            db,
            you,
            customer,
            recent,
            localtime.add_months(localtime.first_of_month(localtime.today()), 1),
        )["site_id"]
    )
    metered = [s for s in found.sites if s.site_id in with_data]
    if not metered:
        return widgets.empty(_("None of these sites has interval data."))
    first = (
        selection.site_id
        if selection.site_id in {s.site_id for s in metered}
        else metered[0].site_id
    )
    return [
        dbc.Row(
            [
                dbc.Col(
                    dcc.Dropdown(
                        id="consumption-zoom-site",
                        clearable=False,
                        value=first,
                        options=[
                            {"label": f"{s.site_id} · {s.name}", "value": s.site_id}
                            for s in metered
                        ],
                    ),
                    md=5,
                ),
                dbc.Col(
                    html.Div(
                        _("Drag across the chart to zoom in; double-click to zoom out."),
                        className="small text-body-secondary",
                    ),
                    md=7,
                ),
            ],
            class_name="mb-2",
        ),
        dcc.Graph(id="consumption-zoom", config=charts.graph_config()),
        dcc.Store(id="consumption-zoom-range", data=[start.isoformat(), end.isoformat()]),
        dcc.Store(id="consumption-zoom-view"),
    ]


def _vip(
    db: Any, you: Any, customer: str, selection: Any, start: dt.date, end: dt.date, period: str
) -> Any:
    frame = consumption.vip_distance(db, you, customer, start, end)
    labels = [format_month(m) for m in frame["month"]]
    series = {
        _("Biggest site, last 12 months"): frame["max_site_wh"].tolist(),
        _("All sites, last 12 months"): frame["total_wh"].tolist(),
    }
    thresholds = {
        _("1,000,000 kWh (one site)"): SITE_THRESHOLD_WH,
        _("5,000,000 kWh (all sites)"): TOTAL_THRESHOLD_WH,
    }
    return [
        _graph(charts.lines(labels, series, "kWh", thresholds), "consumption-vip"),
        html.P(
            _(
                "Each month shows the 12 complete months before it, as the classification "
                "on its first day sees them."
            ),
            className="small text-body-secondary",
        ),
    ]


CUTS = {
    "series": _series,
    "tou": _tou,
    "yoy": _yoy,
    "sites": _sites,
    "profile": _profile,
    "peak": _peak,
    "zoom": _zoom,
    "vip": _vip,
}


@callback(
    Output("consumption-content", "children"),
    Input("consumption-tabs", "active_tab"),
    Input("consumption-scope", "value"),
    Input("consumption-from", "value"),
    Input("consumption-to", "value"),
    Input("consumption-period", "value"),
    State("consumption-customer", "data"),
)
def show(tab: Any, scope_value: Any, first: Any, last: Any, period: Any, customer: Any) -> Any:
    """Draw the chosen cut for the chosen sites and months (access checked by the domain)."""
    cut = CUTS.get(str(tab), _series)
    try:
        start, end = _months(first, last)
        selection = _selection(scope_value)
        with db_session() as db:
            consumption.scope(db, viewer(), customer, selection)  # a forged site: not found
            return cut(
                db,
                viewer(),
                customer,
                selection,
                start,
                end,
                period if period in ("day", "month", "year") else "month",
            )
    except access.AccessDenied:
        return widgets.not_found()
    except RangeError as error:
        return dbc.Alert(str(error), color="warning", id="consumption-error")


#: The x range the reader zoomed or panned to, or null after a double-click (the page's
#: months again). Plotly reports every relayout, most of them (its first autosize,
#: a resize) leaving the range alone: those stop here, in the browser. Were they
#: sent on, their answers would supersede the answer to a zoom still in flight,
#: and the chart would stay at the old range.
clientside_callback(
    """
    function (relayout) {
        const noUpdate = window.dash_clientside.no_update;
        if (!relayout) { return noUpdate; }
        if (relayout['xaxis.autorange']) { return null; }
        if ('xaxis.range[0]' in relayout) {
            return [relayout['xaxis.range[0]'], relayout['xaxis.range[1]']];
        }
        return Array.isArray(relayout['xaxis.range']) ? relayout['xaxis.range'] : noUpdate;
    }
    """,
    Output("consumption-zoom-view", "data"),
    Input("consumption-zoom", "relayoutData"),
    prevent_initial_call=True,
)


@callback(
    Output("consumption-zoom", "figure"),
    Input("consumption-zoom-site", "value"),
    Input("consumption-zoom-view", "data"),
    State("consumption-zoom-range", "data"),
    State("consumption-customer", "data"),
)
def zoom(site_id: Any, view: Any, default: Any, customer: Any) -> Any:
    """The visible range at the resolution that suits it: days for a year, quarter hours
    for a day. Only what is on screen is read."""
    start, end = _zoom_range(view, default)
    try:
        with db_session() as db:
            found = consumption.zoom(db, viewer(), customer, site_id, start, end)
    except access.AccessDenied:
        return charts.zoom_figure(pd.DataFrame(), _("Nothing to show."))
    except ValueError:
        return dash.no_update
    title = _("{site}: {count} points, one per {resolution}").format(
        site=site_id,
        count=format_number(len(found.points)),
        resolution=_(RESOLUTIONS[found.resolution]),
    )
    return charts.zoom_figure(found.points, title)


RESOLUTIONS = {
    consumption.Resolution.READING: N_("reading"),
    consumption.Resolution.HOUR: N_("hour"),
    consumption.Resolution.DAY: N_("day"),
    consumption.Resolution.MONTH: N_("month"),
}


def _zoom_range(view: Any, default: Any) -> tuple[dt.datetime | dt.date, dt.datetime | dt.date]:
    """The x range the reader zoomed to (naive: Israel time), else the page's months."""
    if isinstance(view, list) and len(view) == 2:
        try:
            return _moment(view[0]), _moment(view[1])
        except ValueError:
            pass
    if isinstance(default, list) and len(default) == 2:
        try:
            return dt.date.fromisoformat(str(default[0])), dt.date.fromisoformat(str(default[1]))
        except ValueError:
            pass
    today = localtime.today()
    return today - dt.timedelta(days=365), today


def _moment(value: object) -> dt.datetime:
    moment = dt.datetime.fromisoformat(str(value).replace(" ", "T")[:26])
    return moment.replace(tzinfo=None) if moment.tzinfo is None else moment
