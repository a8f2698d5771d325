"""The frame around every page: brand, navigation by role, language, sign-out."""

from __future__ import annotations

from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import ALL, Input, Output, State, ctx, dcc, html
from flask_login import current_user

from db.models import Role, User
from lounge import users
from lounge.i18n import N_, _
from lounge.labels import ROLES
from lounge.notify import inbox
from lounge.web.context import csrf_token, db_session, viewer

#: Navigation entries: (path, label, roles that see it).
NAV = (
    ("/overview", N_("Overview"), {Role.CLIENT}),
    ("/contracts", N_("Contracts"), {Role.CLIENT}),
    ("/consumption", N_("Consumption"), {Role.CLIENT}),
    ("/billing", N_("Billing"), {Role.CLIENT}),
    ("/reports", N_("Reports"), {Role.CLIENT}),
    ("/contacts", N_("Contacts"), {Role.CLIENT}),
    ("/week", N_("My week"), {Role.ACCOUNT_MANAGER, Role.ADMIN}),
    ("/portfolio", N_("Portfolio"), {Role.ACCOUNT_MANAGER, Role.ADMIN}),
    ("/meetings", N_("Meetings"), {Role.CLIENT, Role.ACCOUNT_MANAGER, Role.ADMIN}),
    ("/requests", N_("Requests"), {Role.CLIENT, Role.ACCOUNT_MANAGER, Role.ADMIN}),
    ("/fault-desk", N_("Fault desk"), {Role.FAULT_DESK, Role.ADMIN}),
    ("/notices", N_("Warnings"), {Role.CLIENT, Role.ACCOUNT_MANAGER}),
    ("/surveys", N_("Surveys"), {Role.CLIENT, Role.ACCOUNT_MANAGER, Role.ADMIN}),
    ("/demand", N_("Demand"), {Role.DEMAND_STAFF, Role.ADMIN}),
    ("/regions", N_("Regions"), {Role.DEMAND_STAFF, Role.ADMIN}),
    ("/vens", N_("Automated sites"), {Role.DEMAND_STAFF, Role.ADMIN}),
    ("/notifications", N_("Notifications"), {Role.ACCOUNT_MANAGER, Role.DEMAND_STAFF, Role.ADMIN}),
    ("/admin", N_("Administration"), {Role.ADMIN}),
)
LANGUAGE_NAMES = {"en": "English", "he": "עברית"}


def _language_switch(current: str) -> html.Div:
    return html.Div(
        [
            dbc.Button(
                html.Span(name, lang=code),
                id={"type": "shell-language", "language": code},
                color="link",
                size="sm",
                class_name="text-light px-1" + (" fw-bold" if code == current else ""),
                disabled=code == current,
            )
            for code, name in LANGUAGE_NAMES.items()
        ],
        className="d-flex align-items-center",
    )


def _sign_out() -> html.Form:
    return html.Form(
        [
            dcc.Input(type="hidden", name="csrf_token", value=csrf_token()),
            html.Button(
                _("Sign out"), type="submit", className="btn btn-outline-light btn-sm text-nowrap"
            ),
        ],
        action="/logout",
        method="POST",
        id="shell-sign-out",
    )


def bell_text(unread: int) -> str:
    """The badge on the bell: nothing when all is read, at most "99+"."""
    return "" if unread == 0 else ("99+" if unread > 99 else str(unread))


def _bell() -> html.A:
    """The inbox, with the count of unread messages, on every page."""
    with db_session() as db:
        unread = inbox.unread_count(db, viewer())
    return html.A(
        [
            html.Img(src="/assets/bell.svg", alt=_("Inbox"), width=20, height=20),
            dbc.Badge(
                bell_text(unread),
                id="shell-bell-count",
                color="danger",
                pill=True,
                class_name="lounge-bell-count",
            ),
        ],
        href="/inbox",
        id="shell-bell",
        title=_("Inbox"),
        className="lounge-bell position-relative ms-auto me-2 order-lg-last ms-lg-2 me-lg-0",
    )


def layout() -> html.Div:
    """The app layout, built for the signed-in user on every page load."""
    if not current_user.is_authenticated:
        return html.Div(dash.page_container)
    links = [
        dbc.NavItem(dbc.NavLink(_(label), href=path, active="exact", id=f"shell-nav-{path[1:]}"))
        for path, label, roles in NAV
        if current_user.role in roles
    ]
    who = current_user.full_name or current_user.email
    navbar = dbc.Navbar(
        dbc.Container(
            [
                dbc.NavbarBrand(_("Business Lounge"), href="/", class_name="lounge-brand"),
                _bell(),
                dbc.NavbarToggler(id="shell-toggler", n_clicks=0),
                # Below the lg breakpoint everything but the brand and the bell folds into one
                # menu, so a phone shows the pages, who is signed in, the languages and sign-out
                # in a column.
                dbc.Collapse(
                    [
                        dbc.Nav(links, navbar=True, class_name="me-auto"),
                        html.Div(
                            [
                                html.Span(
                                    [
                                        who,
                                        html.Small(
                                            f" · {_(ROLES[current_user.role])}",
                                            className="d-lg-none d-xl-inline",
                                        ),
                                    ],
                                    className="text-light small me-3 lounge-user",
                                    id="shell-user",
                                ),
                                _language_switch(current_user.language),
                                _sign_out(),
                            ],
                            className="d-flex flex-wrap align-items-center gap-2 py-2 py-lg-0",
                        ),
                    ],
                    id="shell-menu",
                    is_open=False,
                    navbar=True,
                ),
            ],
            fluid=True,
        ),
        color="dark",
        dark=True,
        expand="lg",
        class_name="mb-3",
    )
    return html.Div(
        [
            navbar,
            dcc.Location(id="shell-reload", refresh=True),
            dbc.Container(dash.page_container, fluid=True, class_name="pb-5"),
        ]
    )


def register_callbacks(app: dash.Dash) -> None:
    # In the browser, without a round trip: the toggler opens and closes the folded menu,
    # and moving to another page closes it, so the page shows rather than the menu.
    app.clientside_callback(
        """(clicks, pathname, open) => {
            const toggled = dash_clientside.callback_context.triggered_id === "shell-toggler";
            return toggled ? !open : false;
        }""",
        Output("shell-menu", "is_open"),
        Input("shell-toggler", "n_clicks"),
        Input("_pages_location", "pathname"),
        State("shell-menu", "is_open"),
        prevent_initial_call=True,
    )

    @app.callback(
        Output("shell-reload", "href"),
        Input({"type": "shell-language", "language": ALL}, "n_clicks"),
        State("_pages_location", "pathname"),
        State("_pages_location", "search"),
        prevent_initial_call=True,
    )
    def switch_language(clicks: list[int | None], pathname: str | None, search: str | None) -> Any:
        """Remember the chosen language for the user, then reload the page in it."""
        if not any(clicks) or not isinstance(ctx.triggered_id, dict):
            return dash.no_update
        chosen = ctx.triggered_id.get("language")
        with db_session() as db:
            user = db.get(User, viewer().user_id)
            if user is None:
                return dash.no_update
            try:
                users.set_language(user, str(chosen))
            except users.UserError:
                return dash.no_update
        path = pathname if isinstance(pathname, str) and pathname.startswith("/") else "/"
        return path + (search if isinstance(search, str) else "")
