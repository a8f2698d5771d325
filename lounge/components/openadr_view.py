"""OpenADR pieces of the demand staff's screens: VEN registrations and the VENs' answers."""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import html

from lounge.demand import openadr
from lounge.i18n import _, format_datetime
from lounge.labels import OPT_TYPES, REGIONS, VEN_STATES, label

#: Columns a phone leaves out (their content moves under the site's name there).
WIDE = "d-none d-md-table-cell"


def _table(head: list[tuple[str, str]], rows: list[html.Tr], id_: str) -> dbc.Table:
    return dbc.Table(
        [
            html.Thead(html.Tr([html.Th(cell, className=css) for cell, css in head])),
            html.Tbody(rows),
        ],
        size="sm",
        hover=True,
        responsive=True,
        class_name="mb-0 align-middle",
        id=id_,
    )


def _certificate(row: openadr.RegistrationRow) -> html.Div:
    """The certificate's fingerprint (what staff compare) and, once approved, the VEN's id."""
    return html.Div(
        [
            html.Code(row.fingerprint, className="small text-break", dir="ltr"),
            html.Div(html.Small(row.ven_id or "", className="text-break", dir="ltr")),
        ],
        style={"maxWidth": "12rem"},
    )


def _decision(row: openadr.RegistrationRow) -> html.Small | html.Div:
    if row.state != "pending":
        who = row.decided_by or ""
        when = format_datetime(row.decided_at, "short") if row.decided_at else ""
        return html.Small(f"{who} {when}".strip(), className="text-body-secondary text-break")
    return html.Div(
        [
            dbc.Button(
                _("Approve"),
                id={"type": "vens-approve", "registration": row.id},
                color="success",
                size="sm",
            ),
            dbc.Button(
                _("Reject"),
                id={"type": "vens-reject", "registration": row.id},
                color="outline-danger",
                size="sm",
            ),
        ],
        className="d-flex gap-1 flex-wrap mt-1",
    )


def registrations_table(rows: list[openadr.RegistrationRow]) -> dbc.Table | dbc.Alert:
    """Each VEN registration with its site, certificate and state; pending ones can be decided."""
    if not rows:
        return dbc.Alert(
            _("No site's system has asked to register yet."), color="light", id="vens-none"
        )
    return _table(
        [
            (_("Site"), ""),
            (_("Customer"), WIDE),
            (_("Certificate"), WIDE),
            (_("Asked"), WIDE),
            (_("State"), ""),
        ],
        [
            html.Tr(
                [
                    html.Td(
                        [
                            html.Div(row.site_name),
                            html.Small(f"{row.site_id} · {label(REGIONS, row.region)}"),
                            html.Div(
                                [html.Small(row.customer_name), _certificate(row)],
                                className="d-md-none",
                            ),
                        ]
                    ),
                    html.Td(f"{row.customer_name} ({row.customer_id})", className=WIDE),
                    html.Td(_certificate(row), className=WIDE),
                    html.Td(format_datetime(row.requested_at, "short"), className=WIDE),
                    html.Td(
                        [
                            html.Div(
                                label(VEN_STATES, row.state), className=f"vens-state-{row.state}"
                            ),
                            _decision(row),
                        ]
                    ),
                ],
                id=f"vens-row-{row.id}",
            )
            for row in rows
        ],
        "vens-table",
    )


def answers_table(rows: list[openadr.Answer]) -> dbc.Table | dbc.Alert:
    """The automated sites' answers to a notice, to show beside the acknowledgements."""
    if not rows:
        return dbc.Alert(
            _("No automated site has been sent this notice."), color="light", id="openadr-none"
        )
    return _table(
        [(_("Customer"), ""), (_("Site"), ""), (_("Automated answer"), ""), (_("When"), WIDE)],
        [
            html.Tr(
                [
                    html.Td(row.customer_name),
                    html.Td(f"{row.site_name} ({row.site_id})"),
                    html.Td(
                        label(OPT_TYPES, row.opt_type) or _("No answer yet"),
                        className=f"openadr-opt-{row.opt_type or 'none'}",
                    ),
                    html.Td(
                        format_datetime(row.opt_at, "short") if row.opt_at else "", className=WIDE
                    ),
                ]
            )
            for row in rows
        ],
        "openadr-answers",
    )
