"""Small reusable pieces: figure cards, threshold bars, empty and refused states."""

from __future__ import annotations

from typing import Any

import dash_bootstrap_components as dbc
from dash import html

from lounge.i18n import _, format_kwh, format_percent


def kpi(title: str, value: str, detail: str | None = None, id_: str | None = None) -> dbc.Card:
    body = [
        html.Div(title, className="text-body-secondary small"),
        html.Div(value, className="lounge-kpi-value fw-semibold"),
    ]
    if detail:
        body.append(html.Div(detail, className="small text-body-secondary"))
    return dbc.Card(dbc.CardBody(body), class_name="h-100 shadow-sm", id=id_ or "")


def threshold_bar(label: str, wh: int, threshold_wh: int, id_: str) -> html.Div:
    """Progress of ``wh`` towards ``threshold_wh`` (full and green once reached)."""
    ratio = wh / threshold_wh if threshold_wh else 0
    reached = wh >= threshold_wh
    return html.Div(
        [
            html.Div(
                [
                    html.Span(label),
                    html.Span(
                        _("{value} of {threshold} ({percent})").format(
                            value=format_kwh(wh),
                            threshold=format_kwh(threshold_wh),
                            percent=format_percent(ratio),
                        ),
                        className="text-body-secondary",
                    ),
                ],
                className="d-flex justify-content-between small mb-1 gap-2",
            ),
            dbc.Progress(
                value=min(100, ratio * 100),
                color="success" if reached else "info",
                style={"height": "0.8rem"},
            ),
        ],
        className="mb-3",
        id=id_,
    )


def download_buttons(prefix: str, hrefs: dict[str, str]) -> list[dbc.Button]:
    """Small outlined buttons linking the files of a view: format -> address.

    Plain links (not callbacks): the download route checks access and builds
    the file, so the browser saves it as any other download.
    """
    return [
        dbc.Button(
            fmt.upper(),
            href=href,
            external_link=True,
            color="secondary",
            outline=True,
            size="sm",
            id=f"{prefix}-download-{fmt}",
        )
        for fmt, href in hrefs.items()
    ]


def labelled_downloads(prefix: str, hrefs: dict[str, str]) -> list[html.Span | dbc.Button]:
    """:func:`download_buttons` after a "Download:" label, for a bar of their own."""
    label = html.Span(_("Download:"), className="small text-body-secondary")
    return [label, *download_buttons(prefix, hrefs)]


def empty(message: str, id_: str | None = None) -> dbc.Alert:
    return dbc.Alert(message, color="light", class_name="border", id=id_ or "")


def not_found() -> dbc.Alert:
    """What a viewer sees for a customer or site that is not theirs (or does not exist)."""
    return dbc.Alert(
        _("Nothing to show: this customer or site does not exist, or is not yours to see."),
        color="warning",
        id="not-found",
    )


def not_allowed() -> dbc.Alert:
    return dbc.Alert(_("This page is not part of your role."), color="warning", id="not-allowed")


def table(headers: list[str], rows: list[list[Any]], id_: str, **options: Any) -> dbc.Table:
    """A small plain table (a header row, then a row per item), compact and scrolling sideways
    on a phone; ``options`` are dbc.Table's (``hover=True``, ...)."""
    return dbc.Table(
        [
            html.Thead(html.Tr([html.Th(header) for header in headers])),
            html.Tbody([html.Tr([html.Td(cell) for cell in row]) for row in rows]),
        ],
        size="sm",
        responsive=True,
        id=id_,
        **options,
    )
