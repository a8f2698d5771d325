"""The kinds of request a customer can open: each one's subtypes, form fields and SLA.

One table, read by the domain (what a form must hold, when it is due), the pages (which fields
to show for a kind) and the messages (what a request is called).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from db.models import RequestKind, RequestState
from lounge.i18n import N_


class Field(StrEnum):
    """A form field some kinds need besides subject and description."""

    SITE = "site"
    CONTRACT = "contract"
    INVOICE = "invoice"
    ADDRESS = "address"
    CAPACITY = "capacity"


@dataclass(frozen=True)
class Kind:
    label: str
    #: subtype code -> label; a kind with subtypes needs one of them.
    subtypes: dict[str, str]
    #: Fields the form must fill for this kind.
    fields: tuple[Field, ...]
    #: Working days (Sunday to Thursday, not a holiday) from the day it is opened.
    sla_days: int


KINDS: dict[str, Kind] = {
    RequestKind.FAULT: Kind(
        N_("Fault"),
        {
            "no_supply": N_("No supply"),
            "partial_supply": N_("Partial supply"),
            "voltage_quality": N_("Voltage quality"),
        },
        (Field.SITE,),
        1,
    ),
    RequestKind.METER_INSPECTION: Kind(N_("Meter inspection"), {}, (Field.SITE,), 5),
    RequestKind.CONTRACT_CHANGE: Kind(
        N_("Contract change"),
        {
            "capacity": N_("Connection capacity"),
            "tariff": N_("Tariff"),
            "owner_transfer": N_("Transfer of ownership"),
            "termination": N_("Termination"),
        },
        (Field.CONTRACT,),
        10,
    ),
    RequestKind.NEW_CONNECTION: Kind(N_("New connection"), {}, (Field.ADDRESS, Field.CAPACITY), 20),
    RequestKind.BILLING: Kind(
        N_("Billing question or dispute"),
        {"question": N_("Question"), "dispute": N_("Dispute")},
        (Field.INVOICE,),
        7,
    ),
    RequestKind.GENERAL: Kind(N_("General request"), {}, (), 5),
}

STATES: dict[str, str] = {
    RequestState.RECEIVED: N_("Received"),
    RequestState.ASSIGNED: N_("Assigned"),
    RequestState.IN_PROGRESS: N_("In progress"),
    RequestState.WAITING: N_("Waiting for the customer"),
    RequestState.RESOLVED: N_("Resolved"),
    RequestState.CLOSED: N_("Closed"),
}
#: States in which the request still needs work (the SLA clock runs).
OPEN_STATES = (
    RequestState.RECEIVED,
    RequestState.ASSIGNED,
    RequestState.IN_PROGRESS,
    RequestState.WAITING,
)
#: Where each state may go next. Resolved may reopen (in progress) or be closed; closed is final.
TRANSITIONS: dict[str, tuple[RequestState, ...]] = {
    RequestState.RECEIVED: (
        RequestState.ASSIGNED,
        RequestState.IN_PROGRESS,
        RequestState.WAITING,
        RequestState.RESOLVED,
        RequestState.CLOSED,
    ),
    RequestState.ASSIGNED: (RequestState.IN_PROGRESS, RequestState.WAITING, RequestState.RESOLVED),
    RequestState.IN_PROGRESS: (RequestState.WAITING, RequestState.RESOLVED),
    RequestState.WAITING: (RequestState.IN_PROGRESS, RequestState.RESOLVED),
    RequestState.RESOLVED: (RequestState.CLOSED, RequestState.IN_PROGRESS),
    RequestState.CLOSED: (),
}
#: What a client may do itself: confirm a resolution (close it) or say it is not solved.
CLIENT_TRANSITIONS: dict[str, tuple[RequestState, ...]] = {
    RequestState.RESOLVED: (RequestState.CLOSED, RequestState.IN_PROGRESS),
}
