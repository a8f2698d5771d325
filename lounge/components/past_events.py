"""Links to the measured load reduction of past peak-load warnings (the notice pages show it)."""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import html
from sqlalchemy.orm import Session

from lounge import labels
from lounge.access import Viewer
from lounge.demand import baseline
from lounge.i18n import _, ngettext
from lounge.notify import demand as messages


def card(session: Session, viewer: Viewer) -> dbc.Card | None:
    """The viewer's past warnings, each a link to its reduction page (None when there is none)."""
    events = baseline.past_events(session, viewer)
    if not events:
        return None
    items = [
        html.Li(
            [
                html.A(
                    labels.notice_title("peak_warning", event.level, event.reason),
                    href=f"/load-reduction/{event.notice_id}",
                    id=f"past-event-{event.notice_id}",
                ),
                html.Span(
                    " · "
                    + messages.window(event.starts_at, event.ends_at)
                    + " · "
                    + ngettext("{count} site", "{count} sites", event.sites).format(
                        count=event.sites
                    ),
                    className="small text-body-secondary",
                ),
            ],
            className="mb-1",
        )
        for event in events
    ]
    return dbc.Card(
        dbc.CardBody([html.H5(_("Measured load reduction")), html.Ul(items, className="mb-0")]),
        class_name="shadow-sm mt-3",
        id="past-events",
    )
