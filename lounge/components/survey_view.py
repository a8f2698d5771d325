"""Pieces of the survey screens: the follow-up button of a low score (on the manager's week and
on the surveys page; its callback is in :mod:`lounge.pages.surveys`), and the client's card of
surveys waiting for an answer (on the overview)."""

from __future__ import annotations

from typing import Any

import dash_bootstrap_components as dbc
from dash import dcc, html

from lounge.i18n import _, ngettext

FOLLOW_UP = "survey-follow-up"
FOLLOW_UP_STATUS = "survey-follow-up-status"


def follow_up_button(survey_id: int) -> html.Span:
    """ "Followed up": records the follow-up of a low score, then says so in its place."""
    return html.Span(
        dbc.Button(
            _("Mark followed up"),
            id={"type": FOLLOW_UP, "index": survey_id},
            size="sm",
            color="outline-danger",
        ),
        id={"type": FOLLOW_UP_STATUS, "index": survey_id},
        className="ms-2 d-inline-block",
    )


def waiting_card(count: int) -> Any:
    """The overview's reminder that surveys wait for the client's answer (nothing when none)."""
    if not count:
        return html.Div()
    return dbc.Alert(
        [
            html.Strong(_("Your opinion counts. ")),
            ngettext(
                "A survey waits for your answer (a score from 1 to 5).",
                "{count} surveys wait for your answer (a score from 1 to 5).",
                count,
            ).format(count=count),
            " ",
            dcc.Link(_("Answer now"), href="/surveys", className="alert-link"),
        ],
        color="info",
        class_name="mb-3",
        id="overview-surveys",
    )
