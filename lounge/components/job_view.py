"""A background job on a page: its progress bar with a Cancel button, the controls it disables
while it runs, and what a broken job says (see :mod:`lounge.web.jobs` for where jobs run)."""

from __future__ import annotations

import logging
from typing import Any

import dash_bootstrap_components as dbc
from dash import Output, html

from lounge.i18n import _

LOG = logging.getLogger(__name__)


def progress(id_: str) -> Any:
    """A job's progress bar with its cancel button, shown only while the job runs."""
    return html.Div(
        [
            dbc.Progress(
                id=f"{id_}-progress", value=0, striped=True, animated=True, class_name="flex-grow-1"
            ),
            dbc.Button(_("Cancel"), id=f"{id_}-cancel", color="secondary", size="sm"),
        ],
        id=f"{id_}-running",
        className="d-flex gap-2 align-items-center mt-3",
        style={"display": "none"},
    )


def running(id_: str, button: str, prop: str) -> list[tuple[Output, Any, Any]]:
    """While a job runs: its progress bar shows and its start control is disabled."""
    return [
        (Output(button, prop), True, False),
        (Output(f"{id_}-running", "style"), {}, {"display": "none"}),
    ]


def failed(error: Exception) -> Any:
    """A job that broke: say so plainly (its work rolled back); the details go to the log."""
    LOG.error("background job failed: %s", error)
    return dbc.Alert(
        _("The job failed and nothing was changed. Please try again; if it fails again, tell us."),
        color="danger",
    )
