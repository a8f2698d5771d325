"""Tabs between the pages about one customer, keeping the customer in the address.

A client's pages need no ``?customer=``; an account manager or admin moves
between a customer's pages with it. The pages check access themselves.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import dash_bootstrap_components as dbc

from lounge.access import AccessDenied, Viewer, home_customer
from lounge.components import widgets
from lounge.i18n import N_, _
from lounge.web.context import viewer

PAGES = (
    ("/overview", N_("Overview")),
    ("/contracts", N_("Contracts")),
    ("/consumption", N_("Consumption")),
    ("/billing", N_("Billing")),
    ("/reports", N_("Reports")),
    ("/contacts", N_("Contacts")),
    ("/requests", N_("Requests")),
)


def href(path: str, viewer: Viewer, customer_id: str) -> str:
    return path if viewer.is_client else f"{path}?customer={customer_id}"


def tabs(active: str, viewer: Viewer, customer_id: str) -> dbc.Nav:
    """Links to the customer's pages; clients have them in the top bar instead."""
    if viewer.is_client:
        return dbc.Nav()
    return dbc.Nav(
        [
            dbc.NavItem(
                dbc.NavLink(_(label), href=href(path, viewer, customer_id), active=path == active)
            )
            for path, label in PAGES
        ],
        pills=True,
        class_name="mb-3",
        id="customer-tabs",
    )


PageBody = Callable[[Viewer, str], Any]


def customer_page(prefix: str) -> Callable[[PageBody], Callable[..., Any]]:
    """Make a Dash page layout about one customer out of ``body(viewer, customer_id)``.

    The customer is the one in ``?customer=``, else a client's own. Every
    such page answers the same way when there is none (a prompt to choose
    one) and when the viewer may not see it (``not found``, raised by the
    domain as :class:`AccessDenied` anywhere in ``body``).
    """

    def decorate(body: PageBody) -> Callable[..., Any]:
        @functools.wraps(body)
        def layout(customer: str | None = None, **_query: Any) -> Any:
            you = viewer()
            customer_id = customer or home_customer(you)
            if customer_id is None:
                return widgets.empty(_("Choose a customer in the portfolio."), f"{prefix}-choose")
            try:
                return body(you, customer_id)
            except AccessDenied:
                return widgets.not_found()

        return layout

    return decorate
