"""Demo automated sites: a few of the chain's sites run OpenADR VENs, approved by demand staff,
that were told tomorrow's warning and answered it (two take part, one opted out); one of the
factory's sites has asked to register and waits for approval.

Written through :mod:`lounge.demand.openadr` itself, as the VTN would have.
"""

from __future__ import annotations

import hashlib

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import Notice, NoticeState, NoticeTarget, Role, User, VenRegistration
from lounge.access import Viewer
from lounge.demand import openadr


def _fingerprint(site_id: str) -> str:
    """A stable stand-in for the site's certificate fingerprint (10 bytes, as OpenADR's)."""
    digest = hashlib.sha256(f"demo-ven:{site_id}".encode()).hexdigest().upper()[:20]
    return ":".join(digest[i : i + 2] for i in range(0, 20, 2))


def write(session: Session, chain: str, factory: str) -> int:
    """The demo's VEN registrations; returns how many."""
    staff = Viewer.of(
        session.scalars(
            select(User).where(User.role == Role.DEMAND_STAFF).order_by(User.id).limit(1)
        ).one()
    )
    warning = session.scalars(
        select(Notice).where(Notice.state == NoticeState.UPDATED).order_by(Notice.id).limit(1)
    ).one_or_none()
    if warning is None:
        return 0
    targets = session.scalars(
        select(NoticeTarget)
        .where(NoticeTarget.notice_id == warning.id)
        .order_by(NoticeTarget.site_id)
    ).all()
    chain_sites = [t.site_id for t in targets if t.customer_id == chain][:3]
    factory_sites = [t.site_id for t in targets if t.customer_id == factory][:1]
    for site_id in chain_sites + factory_sites:
        openadr.request_registration(session, site_id, _fingerprint(site_id))
    session.flush()
    for site_id, answer in zip(chain_sites, ("optIn", "optIn", "optOut"), strict=False):
        registration = session.scalars(
            select(VenRegistration).where(VenRegistration.fingerprint == _fingerprint(site_id))
        ).one()
        ven = openadr.approve(session, staff, registration.id)
        # told when the update went out (the demo's clock, not the machine's)
        told = warning.updated_at or warning.issued_at
        openadr.events_for(session, ven.ven_id, only_if_changed=False, now=told)
        openadr.record_opt(session, ven.ven_id, openadr.event_id_of(warning.id), answer)
    return len(chain_sites) + len(factory_sites)
