"""Plotly figures in the lounge's style, with labels in the reader's language.

Values come in as the domain keeps them (Wh, W) and are shown as kWh and kW.
Pages name a unit by its key (``"kWh"``, ``"kW"``); the axis and the hover text
show it in the reader's language (קוט"ש, קו"ט).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from functools import cache
from typing import Any, Literal

import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio
from babel.dates import get_day_names, get_month_names
from dash import dcc

from lounge import i18n
from lounge.i18n import N_, _, format_month, is_rtl

PALETTE = ["#1f5fa8", "#f29e4c", "#3aa17e", "#c44e52", "#8172b3", "#937860", "#64b5cd"]
Unit = Literal["kWh", "kW"]
#: Each unit's name (translated when a figure is drawn) and the decimals it is shown with.
UNITS: dict[str, tuple[str, int]] = {"kWh": (N_("kWh"), 0), "kW": (N_("kW"), 1)}


def unit_label(unit: Unit) -> str:
    """The unit as the reader writes it."""
    return _(UNITS[unit][0])


def hover(unit: Unit, series_name: bool = True) -> str:
    """A hover template: the category, the value in ``unit`` and the series' name."""
    decimals = UNITS[unit][1]
    extra = "%{fullData.name}" if series_name else ""
    return f"%{{x}}: %{{y:,.{decimals}f}} {unit_label(unit)}<extra>{extra}</extra>"


def graph_config() -> dcc.Graph.Config:
    """A ``dcc.Graph`` config in the reader's language: axis dates, months and the
    tool bar's titles ("Zoom", "Reset axes").

    Dash serves no Plotly locale scripts, so the locale is registered inline through
    Plotly's ``locales`` option, its month and day names taken from Babel.
    """
    language = i18n.current()
    locale = i18n._locale()

    def names(kind: Any, width: str, count: int, first: int) -> list[str]:
        found = kind(width, locale=locale)
        return [found[(first + n) % 7 if count == 7 else first + n] for n in range(count)]

    dictionary = {
        "Zoom": _("Zoom"),
        "Pan": _("Pan"),
        "Zoom in": _("Zoom in"),
        "Zoom out": _("Zoom out"),
        "Autoscale": _("Autoscale"),
        "Reset axes": _("Reset axes"),
        "Download plot as a png": _("Download plot as a PNG"),
        "Box Select": _("Box select"),
        "Lasso Select": _("Lasso select"),
        "Double-click to zoom back out": _("Double-click to zoom back out"),
    }
    return dcc.Graph.Config(
        displaylogo=False,
        locale=language,
        locales={
            language: {
                "dictionary": dictionary,
                "format": {
                    # Babel counts days from Monday (0), Plotly from Sunday
                    "days": names(get_day_names, "wide", 7, 6),
                    "shortDays": names(get_day_names, "abbreviated", 7, 6),
                    "months": names(get_month_names, "wide", 12, 1),
                    "shortMonths": names(get_month_names, "abbreviated", 12, 1),
                    "decimal": ".",
                    "thousands": ",",
                },
            }
        },
    )


#: The kinds of trace the lounge draws: a figure carries the template's styles for these only.
TRACE_TYPES = ("bar", "scatter")


@cache
def _template() -> dict[str, Any]:
    """Plotly's ``plotly_white`` look, as the plain data every figure carries: its layout and
    the styles of :data:`TRACE_TYPES` (the other two dozen kinds' styles were most of it)."""
    template = pio.templates["plotly_white"].to_plotly_json()
    return {"layout": template["layout"], "data": {t: template["data"][t] for t in TRACE_TYPES}}


def _figure(
    traces: list[dict[str, Any]],
    layout: dict[str, Any] | None = None,
    height: int = 320,
    unit: Unit | None = None,
) -> go.Figure:
    """A figure in the lounge's style from plain traces and layout.

    Built without Plotly's checks of every property (``_validate=False``): they cost
    20 to 70 ms a figure, most of a page's time; ``tests/test_charts.py`` builds every
    figure of this module with the checks on instead.
    """
    layout = dict(layout or {})
    axis_x, axis_y = layout.pop("xaxis", {}), layout.pop("yaxis", {})
    base = {
        "height": height,
        # room for the value axis on its side (right in Hebrew), which automargin alone
        # left clipped (a Hebrew unit, 1,200 קו"ט, lost its last letter at 60)
        "margin": {
            "l": 10 if is_rtl() else 72,
            "r": 72 if is_rtl() else 10,
            "t": 30,
            "b": 10,
            "autoexpand": True,
        },
        "template": _template(),
        "legend": {
            "orientation": "h",
            "y": -0.2,
            "x": 1 if is_rtl() else 0,
            "xanchor": "right" if is_rtl() else "left",
        },
        "font": {"family": "system-ui, -apple-system, 'Segoe UI', Arial, sans-serif"},
        "hoverlabel": {"align": "right" if is_rtl() else "left"},
        "xaxis": {**axis_x, "automargin": True, "nticks": 14},
        "yaxis": {
            **axis_y,
            "separatethousands": True,
            "automargin": True,
            "side": "right" if is_rtl() else "left",
            **({"ticksuffix": f" {unit_label(unit)}"} if unit else {}),
        },
    }
    return go.Figure({"data": traces, "layout": base | layout}, _validate=False)


def _numbers(values: Any, divide: float = 1) -> list[float]:
    """Plain floats in the shown unit (a list is what a figure's JSON holds)."""
    return [float(value) / divide for value in values]


def energy_bars(labels: Sequence[str], wh: Sequence[int], estimated_wh: Sequence[int]) -> go.Figure:
    """Energy per period: measured and estimated parts stacked (estimated hatched), kWh."""
    x = list(labels)
    return _figure(
        [
            {
                "type": "bar",
                "x": x,
                "y": [(w - e) / 1000 for w, e in zip(wh, estimated_wh, strict=True)],
                "name": _("Measured"),
                "marker": {"color": PALETTE[0]},
                "hovertemplate": hover("kWh"),
            },
            {
                "type": "bar",
                "x": x,
                "y": _numbers(estimated_wh, 1000),
                "name": _("Estimated"),
                "marker": {"color": "#9fbfe3", "pattern": {"shape": "/"}},
                "hovertemplate": hover("kWh"),
            },
        ],
        {"barmode": "stack"},
    )


def monthly_bars(frame: pd.DataFrame) -> go.Figure:
    """Energy per month (columns month, wh, estimated_wh)."""
    labels = [format_month(m) for m in frame["month"]]
    return energy_bars(labels, frame["wh"].tolist(), frame["estimated_wh"].tolist())


def columns(
    labels: Sequence[str],
    series: dict[str, Sequence[float]],
    stacked: bool,
    unit: Unit = "kWh",
    divide: float = 1000,
) -> go.Figure:
    """One bar per label and series (stacked or side by side), in kWh by default."""
    x = list(labels)
    return _figure(
        [
            {
                "type": "bar",
                "x": x,
                "y": _numbers(values, divide),
                "name": name,
                "marker": {"color": PALETTE[i % len(PALETTE)]},
                "hovertemplate": hover(unit),
            }
            for i, (name, values) in enumerate(series.items())
        ],
        {"barmode": "stack" if stacked else "group"},
        unit=None if unit == "kWh" else unit,
    )


def stacked_by(
    frame: pd.DataFrame, group: str, label_of: dict[str, str] | None = None
) -> go.Figure:
    """Energy per month stacked by ``group`` (columns group, month, wh)."""
    order = [format_month(m) for m in sorted(frame["month"].unique())]
    traces = [
        {
            "type": "bar",
            "x": [format_month(m) for m in part["month"]],
            "y": _numbers(part["wh"], 1000),
            "name": (label_of or {}).get(str(name), str(name)),
            "marker": {"color": PALETTE[i % len(PALETTE)]},
            "hovertemplate": hover("kWh"),
        }
        for i, (name, part) in enumerate(frame.groupby(group, sort=True))
    ]
    axis = {"categoryorder": "array", "categoryarray": order}
    return _figure(traces, {"barmode": "stack", "xaxis": axis}, height=360)


def _threshold_lines(figure: go.Figure, thresholds: Mapping[str, float], divide: float) -> None:
    """Dashed horizontal lines, each named at its end."""
    for i, (name, value) in enumerate(thresholds.items()):
        figure.add_hline(
            y=value / divide,
            line_dash="dash",
            line_color=PALETTE[(i + 3) % len(PALETTE)],
            annotation_text=name,
            annotation_position="top left" if is_rtl() else "top right",
        )


def lines(
    x: Sequence[object],
    series: Mapping[str, Sequence[float]],
    unit: Unit,
    thresholds: Mapping[str, float] | None = None,
    divide: float = 1000,
) -> go.Figure:
    """Lines over ``x`` (values divided into the shown unit), with dashed threshold lines."""
    figure = _figure(
        [
            {
                "type": "scatter",
                "x": list(x),
                "y": _numbers(values, divide),
                "name": name,
                "mode": "lines+markers",
                "line": {"color": PALETTE[i % len(PALETTE)], "width": 2},
                "hovertemplate": hover(unit),
            }
            for i, (name, values) in enumerate(series.items())
        ],
        unit=unit,
    )
    _threshold_lines(figure, thresholds or {}, divide)
    return figure


def zoom_figure(points: pd.DataFrame, title: str) -> go.Figure:
    """Average demand (kW) of each point; estimated points in a lighter colour."""
    # wall-clock Israel time: Plotly's date axes know no time zones
    x = [ts.strftime("%Y-%m-%d %H:%M") for ts in points["start"]] if len(points) else []
    colours = ["#9fbfe3" if est else PALETTE[0] for est in points.get("estimated", [])]
    trace = {
        "type": "bar",
        "x": x,
        "y": _numbers(points["average_w"], 1000) if len(points) else [],
        "marker": {"color": colours},
        "name": _("Average demand"),
        "hovertemplate": hover("kW", series_name=False),
    }
    layout = {
        "title": {"text": title, "font": {"size": 14}},
        "bargap": 0.05,
        "uirevision": "zoom",
        "xaxis": {"type": "date"},
    }
    return _figure([trace], layout, height=360, unit="kW")


def projection(
    x: Sequence[str],
    series: Mapping[str, tuple[Sequence[float], Sequence[float]]],
    thresholds: Mapping[str, float],
    divide: float = 1000,
) -> go.Figure:
    """Lines of real values, then their projection dotted, with dashed threshold lines, kWh.

    ``series`` maps a name to (real values, projected values): the projection
    starts at the last real point, so the two read as one line.
    """
    traces: list[dict[str, Any]] = []
    for i, (name, (real, projected)) in enumerate(series.items()):
        colour = PALETTE[i % len(PALETTE)]
        start = len(real) - 1
        line = {"type": "scatter", "mode": "lines+markers", "hovertemplate": hover("kWh")}
        traces.append(
            line
            | {
                "x": list(x[: len(real)]),
                "y": _numbers(real, divide),
                "name": name,
                "line": {"color": colour, "width": 2},
            }
        )
        traces.append(
            line
            | {
                "x": list(x[start : start + len(projected) + 1]),
                "y": _numbers([real[-1], *projected], divide) if real else [],
                "name": _("{name} (projected)").format(name=name),
                "line": {"color": colour, "width": 2, "dash": "dot"},
                "marker": {"symbol": "circle-open"},
            }
        )
    axis = {"categoryorder": "array", "categoryarray": list(x)}
    figure = _figure(traces, {"xaxis": axis}, height=340, unit="kWh")
    _threshold_lines(figure, thresholds, divide)
    return figure


def score_lines(
    months: Sequence[dt.date], series: Mapping[str, Sequence[float | None]]
) -> go.Figure:
    """Average survey scores (1 to 5) by month, a line per manager; a month without answers is
    a gap, not a zero."""
    labels = [format_month(month) for month in months]
    return _figure(
        [
            {
                "type": "scatter",
                "x": labels,
                "y": list(values),
                "name": name,
                "mode": "lines+markers",
                "connectgaps": False,
                "line": {"color": PALETTE[i % len(PALETTE)], "width": 2},
                "hovertemplate": "%{x}: %{y:.2f}<extra>%{fullData.name}</extra>",
            }
            for i, (name, values) in enumerate(series.items())
        ],
        {"yaxis": {"range": [0.8, 5.2], "dtick": 1}, "xaxis": {"type": "category"}},
        height=280,
    )
