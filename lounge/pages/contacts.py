"""Contacts: the people at a customer who receive the lounge's messages, and on which channels.

A client keeps its own; an account manager those of the portfolio (``?customer=``). Every
callback names the customer and contact it acts on, and the domain checks both.
"""

from __future__ import annotations

from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, ctx, dcc, html

from db.models import CONTACT_CHANNELS, Contact, ContactRole
from lounge import access
from lounge.access import AccessDenied, Viewer
from lounge.components import customer_nav, grid
from lounge.i18n import N_, _
from lounge.labels import CHANNELS, TOPICS, label
from lounge.notify import contacts
from lounge.notify.contacts import ContactError, ContactForm
from lounge.settings import KNOWN_LANGUAGES
from lounge.web.context import db_session, viewer

dash.register_page(__name__, path="/contacts", title="Business Lounge")

ROLES: dict[str, str] = {
    ContactRole.OWNER: N_("Owner"),
    ContactRole.FINANCE: N_("Finance"),
    ContactRole.OPERATIONS: N_("Operations"),
    ContactRole.ENERGY_MANAGER: N_("Energy manager"),
    ContactRole.OTHER: N_("Other"),
}
LANGUAGES = {"he": "עברית", "en": "English", "ar": "العربية"}


def _rows(items: list[Contact]) -> list[dict[str, Any]]:
    return [
        {
            "id": c.id,
            "name": c.name,
            "role": label(ROLES, c.role),
            "email": c.email or "",
            "phone": c.phone or "",
            "address": (c.postal_address or "").replace("\n", ", "),
            "language": LANGUAGES.get(c.language, c.language),
            "channels": ", ".join(
                sorted({_(CHANNELS[ch.channel]) for ch in c.channels if ch.channel in CHANNELS})
            ),
        }
        for c in items
    ]


def _columns() -> list[grid.Column]:
    return [
        {"field": "name", "headerName": _("Name"), "minWidth": 160},
        {"field": "role", "headerName": _("Role")},
        {"field": "email", "headerName": _("E-mail"), "minWidth": 190},
        {"field": "phone", "headerName": _("Phone"), "cellStyle": {"direction": "ltr"}},
        {"field": "address", "headerName": _("Postal address"), "minWidth": 200},
        {"field": "language", "headerName": _("Language")},
        {"field": "channels", "headerName": _("Channels"), "minWidth": 160},
    ]


#: The form of a new contact: no fields filled but the role and the language, no channel.
_EMPTY: tuple[list[str], list[list[str]]] = (["", "other", "", "", "", "he"], [[] for _t in TOPICS])


def _form(opened: tuple[list[str], list[list[str]]] | None = None) -> dbc.Modal:
    """The contact form, closed, or open on the fields and channels of ``opened``."""
    values, channels = opened or _EMPTY
    name, role, email, phone, address, language = values

    def field(label: str, control: Any) -> dbc.Row:
        return dbc.Row([dbc.Label(label, width=4), dbc.Col(control, width=8)], class_name="mb-2")

    topics = [
        dbc.Row(
            [
                dbc.Col(_(text), width=4, class_name="small"),
                dbc.Col(
                    dbc.Checklist(
                        id=f"contact-channels-{topic}",
                        options=[{"label": _(CHANNELS[c]), "value": c} for c in CONTACT_CHANNELS],
                        value=chosen,
                        inline=True,
                    ),
                    width=8,
                ),
            ],
            class_name="mb-1",
        )
        for (topic, text), chosen in zip(TOPICS.items(), channels, strict=True)
    ]
    return dbc.Modal(
        [
            dbc.ModalHeader(dbc.ModalTitle(_("Contact"))),
            dbc.ModalBody(
                [
                    field(_("Name"), dbc.Input(id="contact-name", value=name)),
                    field(
                        _("Role"),
                        dbc.Select(
                            id="contact-role",
                            value=role,
                            options=[{"label": _(t), "value": str(r)} for r, t in ROLES.items()],
                        ),
                    ),
                    field(_("E-mail"), dbc.Input(id="contact-email", type="email", value=email)),
                    field(
                        _("Phone"),
                        dbc.Input(
                            id="contact-phone", type="tel", value=phone, style={"direction": "ltr"}
                        ),
                    ),
                    field(
                        _("Postal address"),
                        dbc.Textarea(id="contact-address", rows=3, value=address),
                    ),
                    field(
                        _("Language"),
                        dbc.Select(
                            id="contact-language",
                            value=language,
                            options=[
                                {"label": LANGUAGES[code], "value": code}
                                for code in KNOWN_LANGUAGES
                            ],
                        ),
                    ),
                    html.H6(_("Messages reach this person by"), className="mt-3"),
                    *topics,
                    html.Div(id="contact-problems", className="mt-2"),
                ]
            ),
            dbc.ModalFooter(
                [
                    dbc.Button(
                        _("Delete"),
                        id="contact-delete",
                        color="danger",
                        outline=True,
                        disabled=opened is None,
                    ),
                    dbc.Button(_("Save"), id="contact-save", color="primary"),
                ]
            ),
        ],
        id="contact-modal",
        is_open=opened is not None,
    )


def layout(customer: str | None = None, contact: str | None = None, **_query: Any) -> Any:
    """The customer's contacts; ``?contact=`` opens that one's form (staff come from a message
    on Notifications); another customer's contact id opens nothing."""

    @customer_nav.customer_page("contacts")
    def page(you: Viewer, customer_id: str) -> Any:
        return _page(you, customer_id, contact)

    return page(customer=customer)


def _values(contact: Contact) -> tuple[list[str], list[list[str]]]:
    """The form's fields and the channels chosen per topic, as the form holds them."""
    values = [
        contact.name,
        contact.role,
        contact.email or "",
        contact.phone or "",
        contact.postal_address or "",
        contact.language,
    ]
    return values, [[ch.channel for ch in contact.channels if ch.topic == t] for t in TOPICS]


def _page(you: Viewer, customer_id: str, opened: str | None) -> Any:
    with db_session() as db:
        items = contacts.contacts(db, you, customer_id)
        name = access.get_customer(db, you, customer_id).name
        chosen = next((c for c in items if str(c.id) == opened), None)
        form = _form(_values(chosen) if chosen else None)
    return html.Div(
        [
            dcc.Store(id="contact-customer", data=customer_id),
            dcc.Store(id="contact-editing", data=chosen.id if chosen else None),
            html.Div(
                [
                    html.H2(name, className="mb-1", id="contacts-customer"),
                    dbc.Button(_("Add contact"), id="contact-add", color="primary"),
                ],
                className="d-flex justify-content-between align-items-center flex-wrap gap-2",
            ),
            customer_nav.tabs("/contacts", you, customer_id),
            html.P(
                _(
                    "Click a row to change it. Every person gets the lounge's messages in their "
                    "language, on the channels chosen for each kind of message."
                ),
                className="text-body-secondary small",
            ),
            dbc.Card(
                dbc.CardBody(
                    grid.data_grid(
                        "contacts-grid", _rows(items), _columns(), height=None, row_id="id"
                    )
                ),
                class_name="shadow-sm",
            ),
            form,
        ]
    )


FORM_FIELDS = ("name", "role", "email", "phone", "address", "language")


@callback(
    Output("contact-modal", "is_open"),
    Output("contact-editing", "data"),
    *(Output(f"contact-{name}", "value") for name in FORM_FIELDS),
    *(Output(f"contact-channels-{topic}", "value") for topic in TOPICS),
    Output("contact-delete", "disabled"),
    Output("contact-problems", "children"),
    Input("contact-add", "n_clicks"),
    Input("contacts-grid", "cellClicked"),
    State("contact-customer", "data"),
    prevent_initial_call=True,
)
def open_form(_add: Any, clicked: Any, customer_id: Any) -> Any:
    """An empty form to add, or the chosen contact's (read again through the domain)."""
    empty, no_channels = _EMPTY
    unchanged = (dash.no_update,) * (len(FORM_FIELDS) + len(TOPICS) + 4)
    if ctx.triggered_id == "contact-add":
        return True, None, *empty, *no_channels, True, None
    if not isinstance(clicked, dict):
        return unchanged
    with db_session() as db:
        try:
            found = {c.id: c for c in contacts.contacts(db, viewer(), customer_id)}
        except AccessDenied:
            return unchanged
        contact = found.get(
            int(str(clicked.get("rowId"))) if str(clicked.get("rowId")).isdigit() else -1
        )
        if contact is None:
            return unchanged
        values, chosen = _values(contact)
        return True, contact.id, *values, *chosen, False, None


@callback(
    Output("contacts-grid", "rowData"),
    Output("contact-modal", "is_open", allow_duplicate=True),
    Output("contact-problems", "children", allow_duplicate=True),
    Input("contact-save", "n_clicks"),
    Input("contact-delete", "n_clicks"),
    State("contact-customer", "data"),
    State("contact-editing", "data"),
    *(State(f"contact-{name}", "value") for name in FORM_FIELDS),
    *(State(f"contact-channels-{topic}", "value") for topic in TOPICS),
    prevent_initial_call=True,
)
def save(_save: Any, _delete: Any, customer_id: Any, contact_id: Any, *values: Any) -> Any:
    """Save or delete; the domain checks the customer, the contact and every value."""
    fields, channels = values[: len(FORM_FIELDS)], values[len(FORM_FIELDS) :]
    text = [value if isinstance(value, str) else "" for value in fields]
    chosen = frozenset(
        (str(topic), str(channel))
        for topic, picked in zip(TOPICS, channels, strict=True)
        if isinstance(picked, list)
        for channel in picked
    )
    you = viewer()
    try:
        with db_session() as db:
            if ctx.triggered_id == "contact-delete":
                contacts.delete(db, you, customer_id, contact_id)
            else:
                name, role, email, phone, address, language = text
                form = ContactForm(name, role, email, phone, address, language, chosen)
                contacts.save(db, you, customer_id, contact_id, form)
            rows = _rows(contacts.contacts(db, you, customer_id))
    except ContactError as error:
        problems = dbc.Alert(
            html.Ul([html.Li(message) for message in error.messages], className="mb-0"),
            color="danger",
            id="contact-refused",
        )
        return dash.no_update, True, problems
    except AccessDenied:
        return dash.no_update, False, None
    return rows, False, None
