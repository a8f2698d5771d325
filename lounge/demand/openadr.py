"""OpenADR 2.0b in the domain: sites' VENs, notices as events, deliveries and opt answers.

Plain Python over the database; :mod:`lounge.demand.vtn` speaks the protocol (openleadr)
and calls these functions, one session per message. Everything the VTN knows lives in the
database, so a restart of the VTN loses nothing:

- a VEN asks to register naming its site (``venName`` is the site's id) over TLS with its
  client certificate; the certificate's fingerprint identifies it from then on. The request
  makes a *pending* registration; demand staff approve it (:func:`approve`), which gives the
  VEN a unique ``ven_id``; only then does it get events. The VEN may cancel its registration
  (:func:`cancel_registration`): it gets no more events, and staff see it cancelled.
- issuing a notice makes it an OpenADR event (:func:`publish`, called by the notices' own
  issue, update, cancel and complete in the same transaction): an update bumps the event's
  modification number, a cancellation marks it cancelled and bumps it again. Completing a
  notice before its window ends is a change too: before the event began it cancels the event;
  during it, the event's window is cut at the completion (:func:`event_window`), so that the
  VENs stop shedding load now rather than at the planned end.
- a VEN is given the events of notices that reached its site (:class:`NoticeTarget`), and
  only those; what was delivered, and the VEN's opt-in or opt-out, is kept per VEN and event.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from db.models import (
    Customer,
    Notice,
    NoticeState,
    NoticeTarget,
    OpenADRDelivery,
    OpenADREvent,
    Site,
    VenRegistration,
    VenState,
    utcnow,
)
from lounge import access, audit

#: What a VEN may answer to an event.
OPT_TYPES = ("optIn", "optOut")
#: Roles that approve VENs and read their answers (as they issue the notices).
VEN_STAFF_ROLES = access.REGION_ROLES
#: The OpenADR SIMPLE signal level of a notice that has no level of its own (outages).
OUTAGE_LEVELS = {"possible_outage": 2, "planned_outage": 3, "emergency_outage": 3}


@dataclass(frozen=True)
class EventView:
    """An event as one VEN is to be told it (the protocol layer makes the XML)."""

    event_id: str
    modification_number: int
    status: str  # far, active, completed or cancelled
    starts_at: dt.datetime
    ends_at: dt.datetime
    level: int
    ven_id: str
    site_id: str
    created_at: dt.datetime
    modified_at: dt.datetime
    comment: str


@dataclass(frozen=True)
class VenIdentity:
    """What the VTN needs to authenticate an approved VEN's messages."""

    ven_id: str
    ven_name: str
    fingerprint: str
    registration_id: str


# --- registration (the VTN, for a VEN identified by its certificate) ----------------------


def request_registration(
    session: Session, ven_name: str, fingerprint: str | None
) -> VenRegistration | None:
    """A VEN's registration request: its approved registration, or None (refused or pending).

    A request without a client certificate, or naming no known site, is refused and leaves
    nothing behind. A first request from a certificate makes a pending registration for the
    site; asking again changes nothing until staff decide. A certificate already registered for
    another site is refused: one certificate, one VEN, one site. A VEN that cancelled its
    registration and asks again is pending again, for staff to approve anew.
    """
    if not fingerprint or not ven_name:
        return None
    site = session.get(Site, ven_name)
    if site is None:
        return None
    known = session.scalars(
        select(VenRegistration).where(VenRegistration.fingerprint == fingerprint)
    ).one_or_none()
    if known is None:
        session.add(
            VenRegistration(
                site_id=site.id,
                customer_id=site.customer_id,
                ven_name=ven_name,
                fingerprint=fingerprint,
                state=VenState.PENDING,
            )
        )
        return None
    if known.site_id == site.id and known.state == VenState.CANCELLED:
        known.state = VenState.PENDING
        known.requested_at = utcnow()
        known.ven_id = known.registration_id = known.decided_at = known.decided_by = None
        return None
    if known.site_id != site.id or known.state != VenState.APPROVED:
        return None
    return known


def cancel_registration(session: Session, ven_id: object, registration_id: object) -> bool:
    """An approved VEN cancels its own registration (``oadrCancelPartyRegistration``).

    The VTN has already checked that the message comes with the certificate of ``ven_id``; the
    registration id must be that VEN's too. The registration is marked cancelled (kept, with
    its answers, for the notices it took part in) and the VEN gets no more events. False, and
    nothing changes, for a VEN that is not approved or a registration id that is not its own.
    """
    ven = _approved(session, ven_id)
    if ven is None or registration_id != ven.registration_id:
        return False
    ven.state = VenState.CANCELLED
    ven.decided_at = utcnow()
    ven.decided_by = None
    session.flush()
    audit.record(
        session,
        f"ven:{ven.ven_id}",
        "ven.cancel",
        f"site:{ven.site_id}",
        ven_name=ven.ven_name,
        fingerprint=ven.fingerprint,
        registration_id=ven.registration_id,
    )
    return True


def identity(session: Session, ven_id: object) -> VenIdentity | None:
    """The approved VEN with this ``ven_id`` (None for an unknown, pending or rejected one)."""
    ven = _approved(session, ven_id)
    if ven is None or ven.ven_id is None or ven.registration_id is None:
        return None
    return VenIdentity(ven.ven_id, ven.ven_name, ven.fingerprint, ven.registration_id)


def _approved(session: Session, ven_id: object) -> VenRegistration | None:
    if not isinstance(ven_id, str) or not ven_id:
        return None
    return session.scalars(
        select(VenRegistration).where(
            VenRegistration.ven_id == ven_id, VenRegistration.state == VenState.APPROVED
        )
    ).one_or_none()


# --- staff: the registrations and their decisions ---------------------------------------


@dataclass(frozen=True)
class RegistrationRow:
    id: int
    ven_name: str
    site_id: str
    site_name: str
    region: str
    customer_id: str
    customer_name: str
    fingerprint: str
    state: str
    ven_id: str | None
    requested_at: dt.datetime
    decided_at: dt.datetime | None
    decided_by: str | None


def registrations(session: Session, viewer: access.Viewer) -> list[RegistrationRow]:
    """Every VEN registration, pending ones first, newest first."""
    access.require(viewer, *VEN_STAFF_ROLES)
    statement = access.restrict(
        select(VenRegistration, Site, Customer)
        .join(Site, Site.id == VenRegistration.site_id)
        .join(Customer, Customer.id == VenRegistration.customer_id),
        viewer,
    ).order_by(
        (VenRegistration.state != VenState.PENDING),
        VenRegistration.requested_at.desc(),
        VenRegistration.id.desc(),
    )
    return [
        RegistrationRow(
            ven.id,
            ven.ven_name,
            site.id,
            site.name,
            site.region,
            customer.id,
            customer.name,
            ven.fingerprint,
            ven.state,
            ven.ven_id,
            ven.requested_at,
            ven.decided_at,
            ven.decided_by,
        )
        for ven, site, customer in session.execute(statement)
    ]


class AlreadyDecided(ValueError):
    """The registration was approved or rejected already."""


def _pending(session: Session, viewer: access.Viewer, registration: object) -> VenRegistration:
    access.require(viewer, *VEN_STAFF_ROLES)
    if not isinstance(registration, int) or isinstance(registration, bool):
        raise access.NotFound(registration)
    ven = session.scalars(
        access.restrict(select(VenRegistration), viewer)
        .where(VenRegistration.id == registration)
        .with_for_update()
    ).one_or_none()
    if ven is None:
        raise access.NotFound(registration)
    if ven.state != VenState.PENDING:
        raise AlreadyDecided(ven.state)
    return ven


def approve(session: Session, viewer: access.Viewer, registration: object) -> VenRegistration:
    """Approve a pending registration: the VEN gets its unique ``ven_id`` and events."""
    ven = _pending(session, viewer, registration)
    ven.state = VenState.APPROVED
    ven.ven_id = f"ven-{secrets.token_hex(10)}"
    ven.registration_id = f"reg-{secrets.token_hex(10)}"
    _decided(session, viewer, ven, "ven.approve")
    return ven


def reject(session: Session, viewer: access.Viewer, registration: object) -> VenRegistration:
    """Reject a pending registration: that certificate gets nothing, now or later."""
    ven = _pending(session, viewer, registration)
    ven.state = VenState.REJECTED
    _decided(session, viewer, ven, "ven.reject")
    return ven


def _decided(session: Session, viewer: access.Viewer, ven: VenRegistration, action: str) -> None:
    ven.decided_at = utcnow()
    ven.decided_by = viewer.email
    session.flush()
    audit.record(
        session,
        viewer.email,
        action,
        f"site:{ven.site_id}",
        ven_name=ven.ven_name,
        fingerprint=ven.fingerprint,
        ven_id=ven.ven_id,
    )


# --- events: publishing notices, delivering them, the VENs' answers ---------------------


def event_id_of(notice_id: int) -> str:
    return f"lounge-notice-{notice_id}"


def publish(
    session: Session, notice: Notice, now: dt.datetime | None = None
) -> OpenADREvent | None:
    """Make the notice's current state the OpenADR event's: call after issue, update, cancel
    and complete.

    Safe to call again: the modification number moves only when the notice changed (a new
    revision, its cancellation, or its completion before the window's end) since it was last
    published. A completion is published once: the event's ``modified_at`` is then no earlier
    than the notice's ``completed_at`` (both in the database, so a restarted VTN still knows).
    """
    if notice.state in (NoticeState.DRAFT, NoticeState.SCHEDULED):
        return None
    event = session.get(OpenADREvent, notice.id)
    now = now or utcnow()
    if event is None:
        if notice.state == NoticeState.CANCELLED and notice.issued_at is None:
            return None
        event = OpenADREvent(
            notice_id=notice.id,
            event_id=event_id_of(notice.id),
            modification_number=0,
            notice_revision=notice.revision,
            created_at=now,
            modified_at=now,
            cancelled_at=now if _calls_off(notice) else None,
        )
        session.add(event)
        session.flush()
        return event
    changed = False
    if notice.revision != event.notice_revision:
        event.notice_revision = notice.revision
        changed = True
    if _calls_off(notice):
        if event.cancelled_at is None:
            event.cancelled_at = now
            changed = True
    elif _cut_short(notice) and notice.completed_at and event.modified_at < notice.completed_at:
        changed = True
    if changed:
        event.modification_number += 1
        event.modified_at = now
        session.flush()
    return event


def _calls_off(notice: Notice) -> bool:
    """Cancelled, or completed before its window began: the event is not to happen."""
    if notice.state == NoticeState.CANCELLED:
        return True
    return (
        notice.state == NoticeState.COMPLETED
        and notice.completed_at is not None
        and notice.completed_at <= notice.starts_at
    )


def _cut_short(notice: Notice) -> bool:
    """Completed while its window was running: the event ends at the completion."""
    return (
        notice.state == NoticeState.COMPLETED
        and notice.completed_at is not None
        and notice.starts_at < notice.completed_at < notice.ends_at
    )


def event_window(notice: Notice) -> tuple[dt.datetime, dt.datetime]:
    """The event's window: the notice's, ended at its completion if that came first."""
    if _cut_short(notice) and notice.completed_at is not None:
        return notice.starts_at, notice.completed_at
    return notice.starts_at, notice.ends_at


def events_for(
    session: Session, ven_id: object, *, only_if_changed: bool, now: dt.datetime | None = None
) -> list[EventView] | None:
    """The events an approved VEN is to be told, recorded as delivered.

    The events of notices that reached the VEN's site and have not ended, and the last change
    of those it was told that it has not been told yet (a cancellation, or an end brought
    forward, even once the window is over). An event that is over (cancelled or ended) goes
    only to VENs that were told it before, and once. With ``only_if_changed`` (a poll) None
    unless one of them is new to the VEN or changed since it was told; otherwise (the VEN asks
    for its events) the list. None as well for a VEN that is not approved.
    """
    ven = _approved(session, ven_id)
    if ven is None or ven.ven_id is None:
        return None
    now = now or utcnow()
    rows = session.execute(
        select(OpenADREvent, Notice, OpenADRDelivery)
        .join(Notice, Notice.id == OpenADREvent.notice_id)
        .join(
            NoticeTarget,
            (NoticeTarget.notice_id == Notice.id) & (NoticeTarget.site_id == ven.site_id),
        )
        .outerjoin(
            OpenADRDelivery,
            (OpenADRDelivery.notice_id == OpenADREvent.notice_id)
            & (OpenADRDelivery.ven_registration_id == ven.id),
        )
        .where(
            or_(
                Notice.ends_at > now,
                OpenADRDelivery.delivered_modification != OpenADREvent.modification_number,
            )
        )
        .order_by(Notice.starts_at, Notice.id)
    ).all()

    def told(event: OpenADREvent, delivery: OpenADRDelivery | None) -> bool:
        return delivery is not None and delivery.delivered_modification == event.modification_number

    def over(event: OpenADREvent, notice: Notice) -> bool:
        return event.cancelled_at is not None or event_window(notice)[1] <= now

    current = [
        (event, notice, delivery)
        for event, notice, delivery in rows
        if not (over(event, notice) and (delivery is None or told(event, delivery)))
    ]
    if only_if_changed and all(told(event, delivery) for event, _, delivery in current):
        return None
    views = []
    for event, notice, delivery in current:
        if delivery is None:
            delivery = OpenADRDelivery(
                notice_id=event.notice_id,
                ven_registration_id=ven.id,
                site_id=ven.site_id,
                customer_id=ven.customer_id,
            )
            session.add(delivery)
        delivery.delivered_modification = event.modification_number
        delivery.delivered_at = now
        views.append(_view(event, notice, ven, now))
    session.flush()
    return views


def _view(event: OpenADREvent, notice: Notice, ven: VenRegistration, now: dt.datetime) -> EventView:
    starts_at, ends_at = event_window(notice)
    if event.cancelled_at is not None:
        status = "cancelled"
    elif now >= ends_at:
        status = "completed"
    elif now >= starts_at:
        status = "active"
    else:
        status = "far"
    return EventView(
        event_id=event.event_id,
        modification_number=event.modification_number,
        status=status,
        starts_at=starts_at,
        ends_at=ends_at,
        level=notice.level or OUTAGE_LEVELS.get(notice.kind, 1),
        ven_id=ven.ven_id or "",
        site_id=ven.site_id,
        created_at=event.created_at,
        modified_at=event.modified_at,
        comment=notice.kind,
    )


def record_opt(session: Session, ven_id: object, event_id: object, opt_type: object) -> None:
    """A VEN's opt-in or opt-out of an event it was given.

    Raises :class:`access.NotFound` for an event the VEN was never given (another site's, or
    another customer's) and ValueError for an answer that is neither ``optIn`` nor ``optOut``:
    nothing is recorded. An answer to a cancellation is not one (there is nothing to take part
    in): the VEN's last answer before it stays.
    """
    if opt_type not in OPT_TYPES:
        raise ValueError(f"not an opt type: {opt_type!r}")
    ven = _approved(session, ven_id)
    if ven is None or not isinstance(event_id, str):
        raise access.NotFound(event_id)
    found = session.execute(
        select(OpenADRDelivery, OpenADREvent)
        .join(OpenADREvent, OpenADREvent.notice_id == OpenADRDelivery.notice_id)
        .where(
            OpenADREvent.event_id == event_id,
            OpenADRDelivery.ven_registration_id == ven.id,
            OpenADRDelivery.delivered_modification.is_not(None),
        )
    ).one_or_none()
    if found is None:
        raise access.NotFound(event_id)
    delivery, event = found
    if event.cancelled_at is not None:
        return
    delivery.opt_type = str(opt_type)
    delivery.opt_modification = delivery.delivered_modification
    delivery.opt_at = utcnow()


@dataclass(frozen=True)
class Answer:
    """One VEN's answer to a notice, shown beside the customers' acknowledgements."""

    customer_id: str
    customer_name: str
    site_id: str
    site_name: str
    ven_name: str
    opt_type: str | None
    opt_modification: int | None
    opt_at: dt.datetime | None
    delivered_modification: int | None
    modification_number: int


def answers(session: Session, viewer: access.Viewer, notice_id: object) -> list[Answer]:
    """The VENs' answers to a notice that the viewer may see, by customer and site."""
    if not isinstance(notice_id, int) or isinstance(notice_id, bool):
        raise access.NotFound(notice_id)
    statement = access.restrict(
        select(OpenADRDelivery, OpenADREvent, VenRegistration, Site, Customer)
        .join(OpenADREvent, OpenADREvent.notice_id == OpenADRDelivery.notice_id)
        .join(VenRegistration, VenRegistration.id == OpenADRDelivery.ven_registration_id)
        .join(Site, Site.id == OpenADRDelivery.site_id)
        .join(Customer, Customer.id == OpenADRDelivery.customer_id)
        .where(OpenADRDelivery.notice_id == notice_id),
        viewer,
    ).order_by(Customer.name, Site.id, VenRegistration.id)
    return [
        Answer(
            customer.id,
            customer.name,
            site.id,
            site.name,
            ven.ven_name,
            delivery.opt_type,
            delivery.opt_modification,
            delivery.opt_at,
            delivery.delivered_modification,
            event.modification_number,
        )
        for delivery, event, ven, site, customer in session.execute(statement)
    ]
