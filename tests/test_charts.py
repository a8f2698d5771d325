"""Figures are built without Plotly's property checks (for speed): here every builder's
figures go through those checks, in both languages, so a misspelt property still fails."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio
import pytest

from lounge import i18n
from lounge.components import charts

MONTHS = [dt.date(2025, month, 1) for month in range(1, 13)]
FIGURES = {
    "monthly_bars": lambda: charts.monthly_bars(
        pd.DataFrame({"month": MONTHS, "wh": [2_000_000] * 12, "estimated_wh": [500_000] * 12})
    ),
    "columns": lambda: charts.columns(["a", "b"], {"One": [1000, 2000], "Two": [0, 5]}, True),
    "columns in kW": lambda: charts.columns(["a"], {"Peak": [1500]}, False, "kW"),
    "stacked_by": lambda: charts.stacked_by(
        pd.DataFrame({"region": ["North", "South"] * 12, "month": MONTHS * 2, "wh": [10] * 24}),
        "region",
        {"North": "N"},
    ),
    "lines": lambda: charts.lines(["00:00", "01:00"], {"A": [1000, 3000]}, "kW", {"Limit": 2000}),
    "zoom_figure": lambda: charts.zoom_figure(
        pd.DataFrame(
            {
                "start": pd.date_range("2026-01-01", periods=4, freq="15min"),
                "average_w": [1000.0, 2000.0, 1500.0, 0.0],
                "estimated": [False, True, False, False],
            }
        ),
        "A day",
    ),
    "empty zoom_figure": lambda: charts.zoom_figure(pd.DataFrame(), "Nothing"),
    "projection": lambda: charts.projection(
        ["Jan", "Feb", "Mar"], {"All sites": ([4e9, 5e9], [5.2e9])}, {"Threshold": 5e9}
    ),
}


@pytest.mark.parametrize("language", ["en", "he"])
@pytest.mark.parametrize("name", sorted(FIGURES))
def test_every_figure_passes_plotlys_checks(name, language):
    with i18n.use(language):
        figure = FIGURES[name]()
    checked = go.Figure(figure.to_plotly_json())  # raises ValueError on any invalid property
    # plotly_white's layout, and its style for every kind of trace the figure has
    white = pio.templates["plotly_white"]
    assert checked.layout.template.layout == white.layout
    for trace in checked.data:
        assert trace.type in charts.TRACE_TYPES
        assert checked.layout.template.data[trace.type] == white.data[trace.type]
    assert checked.layout.yaxis.side == ("right" if language == "he" else "left")
    if name != "empty zoom_figure":
        assert checked.data and all(len(trace.y) for trace in checked.data)


def test_a_misspelt_property_would_fail_the_check():
    built = charts.columns(["a"], {"One": [1]}, True).to_plotly_json()
    built["layout"]["barmod"] = "stack"  # what a typo in a builder's layout would give
    with pytest.raises(ValueError, match="barmod"):
        go.Figure(built)
