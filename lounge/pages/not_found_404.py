"""The page for unknown addresses."""

from __future__ import annotations

from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import html

from lounge.i18n import _

dash.register_page(__name__, path="/404", title="Business Lounge")


def layout(**_query: Any) -> Any:
    return dbc.Alert(
        [html.H4(_("Page not found")), html.A(_("Back to the start page"), href="/")],
        color="light",
        class_name="border",
        id="page-not-found",
    )
