"""Demand management: sites' automated systems (OpenADR VENs) asking to receive events."""

from __future__ import annotations

from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import ALL, Input, Output, callback, ctx, html

from lounge import access
from lounge.components import openadr_view, widgets
from lounge.demand import openadr
from lounge.i18n import _
from lounge.web.context import db_session, viewer

dash.register_page(__name__, path="/vens", title="Business Lounge")


def layout(**_query: Any) -> Any:
    with db_session() as db:
        try:
            rows = openadr.registrations(db, viewer())
        except access.AccessDenied:  # the domain decides who sees the VENs
            return widgets.not_allowed()
    return html.Div(
        [
            html.H2(_("Automated sites"), className="mb-0"),
            html.P(
                _(
                    "A site's energy management system receives the notices over OpenADR 2.0b "
                    "once you approve its registration. Compare the certificate fingerprint "
                    "with the one the customer gave you before approving."
                ),
                className="text-body-secondary mb-3",
            ),
            html.Div(id="vens-feedback"),
            dbc.Card(
                dbc.CardBody(openadr_view.registrations_table(rows), id="vens-box"),
                class_name="shadow-sm",
            ),
        ]
    )


@callback(
    Output("vens-box", "children"),
    Output("vens-feedback", "children"),
    Input({"type": "vens-approve", "registration": ALL}, "n_clicks"),
    Input({"type": "vens-reject", "registration": ALL}, "n_clicks"),
    prevent_initial_call=True,
)
def decide(_approve: Any, _reject: Any) -> Any:
    """Approve or reject the registration whose button was pressed; the domain checks the role."""
    trigger = ctx.triggered_id
    if not isinstance(trigger, dict) or not ctx.triggered or not ctx.triggered[0]["value"]:
        return dash.no_update, dash.no_update
    you = viewer()
    decision = openadr.approve if trigger.get("type") == "vens-approve" else openadr.reject
    feedback = None
    try:
        with db_session() as db:
            ven = decision(db, you, trigger.get("registration"))
            done = _("Approved: {site}") if ven.state == "approved" else _("Rejected: {site}")
            feedback = dbc.Alert(done.format(site=ven.site_id), color="success", id="vens-done")
    except access.NotFound:
        return dash.no_update, dbc.Alert(
            _("This registration does not exist."), color="warning", id="vens-done"
        )
    except access.AccessDenied:
        return dash.no_update, widgets.not_allowed()
    except openadr.AlreadyDecided:
        feedback = dbc.Alert(
            _("Someone decided this registration already."), color="warning", id="vens-done"
        )
    with db_session() as db:
        rows = openadr.registrations(db, you)
    return openadr_view.registrations_table(rows), feedback
