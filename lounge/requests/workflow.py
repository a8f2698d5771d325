"""Requests and faults: opening one, moving it through its states, comments, and the lists.

Who may do what, checked here whatever a page shows:
- clients open requests for their own customer, see only its requests, comment, attach files,
  and close a resolved request (or say it is not solved);
- account managers (and admins) do the same on behalf of the customers they serve, and move
  requests through every state, with internal notes the customer does not see;
- the fault desk sees every customer's faults and nothing else (no other kind, no money), and
  moves faults through their states.
A request the viewer may not see is not found, the same as one that does not exist.

Every change of state is one timeline row (who, when, note) and the customer's messages, written
in the same transaction (:mod:`lounge.notify.service`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from db.models import (
    Contract,
    Customer,
    Invoice,
    InvoiceStatus,
    RequestEvent,
    RequestKind,
    RequestState,
    Role,
    ServiceRequest,
    Site,
    User,
    VipStatus,
    utcnow,
)
from lounge import access, i18n, localtime
from lounge.access import NotFound, Viewer
from lounge.i18n import _
from lounge.notify import service
from lounge.requests import sla
from lounge.requests.kinds import (
    CLIENT_TRANSITIONS,
    KINDS,
    OPEN_STATES,
    TRANSITIONS,
    Field,
)
from lounge.surveys import invitations

#: Who opens requests: the customer, and the staff who serve it commercially.
OPENERS = (Role.CLIENT, Role.ACCOUNT_MANAGER, Role.ADMIN)
SUBJECT_MAX = 200
TEXT_MAX = 5000
#: The largest connection one may ask for, in kVA (a typo guard, not a tariff rule).
CAPACITY_MAX_KVA = 100_000


class RequestError(ValueError):
    """The form or the change cannot be accepted; the messages say why (nothing was changed)."""

    def __init__(self, messages: list[str]) -> None:
        super().__init__("; ".join(messages))
        self.messages = messages


@dataclass(frozen=True)
class RequestForm:
    """What the new-request form sends: plain values, checked here before anything is stored."""

    kind: str
    subtype: str = ""
    subject: str = ""
    description: str = ""
    site_id: str = ""
    contract_id: str = ""
    invoice_id: str = ""
    address: str = ""
    capacity_kva: str = ""


@dataclass(frozen=True)
class Listed:
    """A request as a list shows it."""

    request: ServiceRequest
    customer: str
    site: str
    sla: sla.Sla


def _actor(session: Session, viewer: Viewer) -> tuple[str, str]:
    user = session.get(User, viewer.user_id)
    name = (user.full_name or user.email) if user else viewer.email
    return name, str(viewer.role)


def _event(
    session: Session,
    viewer: Viewer,
    request: ServiceRequest,
    state: str | None,
    text: str,
    internal: bool = False,
    at: dt.datetime | None = None,
) -> RequestEvent:
    name, role = _actor(session, viewer)
    event = RequestEvent(
        request_id=request.id,
        at=at or utcnow(),
        actor_id=viewer.user_id or None,
        actor_name=name,
        actor_role=role,
        state=state,
        text=text,
        internal=internal,
    )
    session.add(event)
    session.flush()
    return event


def _own_row(
    session: Session, model: type[Contract] | type[Invoice], raw: str, customer_id: str
) -> int:
    """The id of the customer's contract or invoice ``raw``; another's is refused alike."""
    try:
        wanted = int(raw)
    except ValueError:
        raise NotFound(raw) from None
    if model is Contract:
        query = (
            select(Contract.id)
            .join(Site, Site.id == Contract.site_id)
            .where(Contract.id == wanted, Site.customer_id == customer_id)
        )
    else:
        query = select(Invoice.id).where(
            Invoice.id == wanted,
            Invoice.customer_id == customer_id,
            Invoice.status == InvoiceStatus.ISSUED,
        )
    found = session.scalar(query)
    if found is None:
        raise NotFound(raw)
    return found


def _checked(session: Session, viewer: Viewer, customer: Customer, form: RequestForm) -> dict:
    """The form as the request's columns, or :class:`RequestError` naming every problem."""
    if form.kind not in KINDS:
        raise RequestError([_("Choose the kind of request.")])
    kind = KINDS[form.kind]
    problems: list[str] = []
    values: dict[str, object] = {"kind": form.kind, "details": {}}
    subject, description = form.subject.strip(), form.description.strip()
    if not subject:
        problems.append(_("Write a short subject."))
    elif len(subject) > SUBJECT_MAX:
        problems.append(_("The subject is longer than {limit} characters.").format(limit=200))
    if len(description) > TEXT_MAX:
        problems.append(_("The description is longer than {limit} characters.").format(limit=5000))
    values |= {"subject": subject, "description": description}
    if kind.subtypes:
        if form.subtype not in kind.subtypes:
            problems.append(_("Choose what the request is about."))
        values["subtype"] = form.subtype
    try:
        if Field.SITE in kind.fields:
            if not form.site_id:
                problems.append(_("Choose the site."))
            else:
                site = access.get_site(session, viewer, form.site_id)
                if site.customer_id != customer.id:
                    raise NotFound(form.site_id)
                values["site_id"] = site.id
        if Field.CONTRACT in kind.fields:
            if not form.contract_id:
                problems.append(_("Choose the contract."))
            else:
                values["contract_id"] = _own_row(session, Contract, form.contract_id, customer.id)
        if Field.INVOICE in kind.fields:
            if not form.invoice_id:
                problems.append(_("Choose the invoice."))
            else:
                values["invoice_id"] = _own_row(session, Invoice, form.invoice_id, customer.id)
    except NotFound:
        problems.append(_("That site, contract or invoice is not one of the customer's."))
    if Field.ADDRESS in kind.fields:
        address = form.address.strip()
        if not address:
            problems.append(_("Write the address to connect."))
        elif len(address) > 300:
            problems.append(_("The address is longer than {limit} characters.").format(limit=300))
        values["details"] = {"address": address}
    if Field.CAPACITY in kind.fields:
        raw = form.capacity_kva.strip()
        if not raw.isdigit() or not 0 < int(raw) <= CAPACITY_MAX_KVA:
            problems.append(
                _("The requested capacity is a whole number of kVA from 1 to {limit}.").format(
                    limit=f"{CAPACITY_MAX_KVA:,}"
                )
            )
        else:
            values["details"] = {**values["details"], "capacity_kva": int(raw)}  # type: ignore[dict-item]
    if problems:
        raise RequestError(problems)
    return values


def open_request(
    session: Session,
    viewer: Viewer,
    customer_id: object,
    form: RequestForm,
    base_url: str,
    now: dt.datetime | None = None,
) -> ServiceRequest:
    """A new request of ``customer_id``, received now, with its due date and messages."""
    access.require(viewer, *OPENERS)
    customer = access.get_customer(session, viewer, customer_id)
    values = _checked(session, viewer, customer, form)
    now = now or utcnow()
    member = session.scalar(select(VipStatus.is_vip).where(VipStatus.customer_id == customer.id))
    request = ServiceRequest(
        customer_id=customer.id,
        state=RequestState.RECEIVED,
        priority=bool(member) and form.kind == RequestKind.FAULT,
        opened_at=now,
        opened_by_id=viewer.user_id or None,
        due_date=sla.due_date(form.kind, localtime.local_day(now)),
        **values,
    )
    session.add(request)
    session.flush()
    event = _event(session, viewer, request, RequestState.RECEIVED, "", at=now)
    service.opened(session, request, event.id, viewer.user_id, base_url)
    return request


def get_request(session: Session, viewer: Viewer, request_id: object) -> ServiceRequest:
    """One request the viewer may see (any other: :class:`NotFound`)."""
    try:
        wanted = int(str(request_id))
    except ValueError:
        raise NotFound(request_id) from None
    request = session.scalar(
        access.visible_requests(viewer)
        .where(ServiceRequest.id == wanted)
        .options(selectinload(ServiceRequest.events), selectinload(ServiceRequest.attachments))
    )
    if request is None:
        raise NotFound(request_id)
    return request


def is_staff(viewer: Viewer) -> bool:
    return viewer.role in access.REQUEST_STAFF_ROLES


def next_states(viewer: Viewer, request: ServiceRequest) -> tuple[RequestState, ...]:
    """The states the viewer may move ``request`` to now."""
    if is_staff(viewer):
        return TRANSITIONS.get(request.state, ())
    return CLIENT_TRANSITIONS.get(request.state, ())


def _leave_state(
    session: Session, request: ServiceRequest, new: RequestState, now: dt.datetime
) -> None:
    """Move ``request`` to ``new``; leaving "waiting for the customer" restarts the SLA's clock
    (:func:`lounge.requests.sla.resumed`) from the day it began waiting."""
    if request.state == RequestState.WAITING and new != RequestState.WAITING:
        since = session.scalar(
            select(func.max(RequestEvent.at)).where(
                RequestEvent.request_id == request.id, RequestEvent.state == RequestState.WAITING
            )
        )
        if since is not None:
            request.due_date = sla.resumed(
                request.due_date, localtime.local_day(since), localtime.local_day(now)
            )
    request.state = new


def change_state(
    session: Session,
    viewer: Viewer,
    request_id: object,
    state: object,
    note: str,
    base_url: str,
    internal: bool = False,
    now: dt.datetime | None = None,
) -> ServiceRequest:
    """Move a request to ``state`` with a note; the customer is told (unless the note is internal
    only: the change itself is always told, the note only when it is meant for the customer)."""
    request = get_request(session, viewer, request_id)
    allowed = next_states(viewer, request)
    if state not in allowed:
        raise RequestError([_("The request cannot move to that state now.")])
    new = RequestState(str(state))
    note = note.strip()
    if len(note) > TEXT_MAX:
        raise RequestError([_("The note is longer than {limit} characters.").format(limit=5000)])
    internal = internal and is_staff(viewer)
    now = now or utcnow()
    _leave_state(session, request, new, now)
    if new is RequestState.ASSIGNED and is_staff(viewer):
        request.assignee_id = viewer.user_id or None
    if new is RequestState.RESOLVED:
        request.resolved_at = now
    elif new is RequestState.CLOSED:
        request.closed_at = now
        request.resolved_at = request.resolved_at or now
    elif new in OPEN_STATES:
        request.resolved_at = None
    event = _event(session, viewer, request, new, note, internal, now)
    service.state_changed(session, request, event.id, "" if internal else note, base_url)
    if new is RequestState.CLOSED:
        invitations.after_request(session, request, base_url, now)
    return request


def comment(
    session: Session,
    viewer: Viewer,
    request_id: object,
    text: str,
    base_url: str,
    internal: bool = False,
    now: dt.datetime | None = None,
) -> RequestEvent:
    """A comment on the timeline. The customer's reply to a request waiting for it puts the
    request back in progress (and that change is told as any other)."""
    request = get_request(session, viewer, request_id)
    text = text.strip()
    if not text:
        raise RequestError([_("Write a comment first.")])
    if len(text) > TEXT_MAX:
        raise RequestError([_("The comment is longer than {limit} characters.").format(limit=5000)])
    if request.state == RequestState.CLOSED:
        raise RequestError([_("The request is closed.")])
    event = _event(session, viewer, request, None, text, internal and is_staff(viewer), now)
    if not is_staff(viewer) and request.state == RequestState.WAITING:
        _leave_state(session, request, RequestState.IN_PROGRESS, event.at)
        moved = _event(session, viewer, request, RequestState.IN_PROGRESS, "", at=now)
        service.state_changed(session, request, moved.id, "", base_url)
    return event


@dataclass(frozen=True)
class Entry:
    """A line of the timeline as one viewer may read it."""

    at: dt.datetime
    actor_name: str
    actor_role: str
    state: str | None
    text: str
    internal: bool


def timeline(viewer: Viewer, request: ServiceRequest) -> list[Entry]:
    """The request's events as the viewer may read them: internal notes are for staff only (a
    change of state with an internal note shows the customer the change, not the note)."""
    staff = is_staff(viewer)
    return [
        Entry(
            e.at,
            e.actor_name,
            e.actor_role,
            e.state,
            e.text if staff or not e.internal else "",
            e.internal and staff,
        )
        for e in request.events
        if staff or not e.internal or e.state
    ]


def requests(
    session: Session,
    viewer: Viewer,
    today: dt.date,
    *,
    customer_id: str | None = None,
    state: str | None = None,
    sla_filter: str | None = None,
    kind: str | None = None,
) -> list[Listed]:
    """The requests the viewer may see, newest first; each filter narrows when given.

    ``state`` is a state code or ``open``; ``sla_filter`` one of :data:`sla.FILTERS`
    (breached, due today, due this week: open requests only, as on a manager's week)."""
    query = (
        access.visible_requests(viewer)
        .add_columns(Customer.name, Site.name)
        .join(Customer, Customer.id == ServiceRequest.customer_id)
        .outerjoin(Site, Site.id == ServiceRequest.site_id)
        .order_by(ServiceRequest.opened_at.desc(), ServiceRequest.id.desc())
    )
    if customer_id:
        query = query.where(ServiceRequest.customer_id == customer_id)
    if state == "open":
        query = query.where(ServiceRequest.state.in_(OPEN_STATES))
    elif state:
        query = query.where(ServiceRequest.state == state)
    if kind:
        query = query.where(ServiceRequest.kind == kind)
    listed = [
        Listed(request, customer, site or "", sla.status(request, today))
        for request, customer, site in session.execute(query).all()
    ]
    if sla_filter in sla.FILTERS:
        wanted = {
            sla.Sla.BREACHED: {sla.Sla.BREACHED},
            sla.Sla.DUE_TODAY: {sla.Sla.DUE_TODAY},
            sla.Sla.THIS_WEEK: {sla.Sla.DUE_TODAY, sla.Sla.THIS_WEEK},
        }[sla.Sla(sla_filter)]
        listed = [
            item for item in listed if item.sla in wanted and item.request.state in OPEN_STATES
        ]
    return listed


@dataclass(frozen=True)
class Choices:
    """What the new-request form offers for one customer: (value, label) pairs."""

    sites: list[tuple[str, str]]
    contracts: list[tuple[str, str]]
    invoices: list[tuple[str, str]]


def customers(session: Session, viewer: Viewer) -> list[tuple[str, str]]:
    """The customers the viewer may open requests for: (id, name), by name."""
    access.require(viewer, *OPENERS)
    query = access.visible_customers(viewer).order_by(Customer.name)
    return [(c.id, c.name) for c in session.scalars(query)]


def choices(session: Session, viewer: Viewer, customer_id: object) -> Choices:
    """The sites, contracts and invoices of a customer the viewer may open requests for."""
    access.require(viewer, *OPENERS)
    customer = access.get_customer(session, viewer, customer_id)
    sites = session.scalars(
        select(Site).where(Site.customer_id == customer.id).order_by(Site.name)
    ).all()
    contracts = session.execute(
        select(Contract.id, Contract.number, Site.name)
        .join(Site, Site.id == Contract.site_id)
        .where(Site.customer_id == customer.id)
        .order_by(Contract.number)
    ).all()
    invoices = session.execute(
        select(Invoice.id, Invoice.number, Invoice.period_start, Invoice.total)
        .where(Invoice.customer_id == customer.id, Invoice.status == InvoiceStatus.ISSUED)
        .order_by(Invoice.issue_date.desc(), Invoice.id.desc())
        .limit(36)
    ).all()
    return Choices(
        [(site.id, site.name) for site in sites],
        [(str(i), f"{number} · {site}") for i, number, site in contracts],
        [
            (str(i), f"{number} · {i18n.format_month(start)} · {i18n.format_money(total)}")
            for i, number, start, total in invoices
        ],
    )
