"""The OpenADR 2.0b VTN against real openleadr VEN clients, over TLS with client certificates.

Certificates are made here with ``cryptography``: a CA, the VTN's (for 127.0.0.1) and one per
VEN. The VTN and the VENs run in one event loop on a free port; each waits for what it expects
with a generous bound (an upper limit, not a timing assertion).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from dataclasses import dataclass, field
from ipaddress import IPv4Address
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from openleadr import OpenADRClient
from openleadr.utils import certificate_fingerprint
from sqlalchemy import func, select

from db.models import (
    AuditLog,
    NoticeKind,
    OpenADRDelivery,
    OpenADREvent,
    Role,
    VenRegistration,
    VenState,
    utcnow,
)
from db.session import Database
from lounge import access, settings
from lounge.demand import notices, openadr
from lounge.demand.links import Links
from lounge.demand.notices import Change, Draft
from lounge.demand.targeting import Targeting
from lounge.demand.vtn import VTN, NotConfigured
from tests.factories import add_customer, cli, free_port

STAFF = access.Viewer(7, "demand@test", Role.DEMAND_STAFF)
#: The longest any step may take before the test gives up (the VENs poll every second).
PATIENCE = 30
LINKS = Links("https://lounge.example", "test-secret")


# --- certificates ---------------------------------------------------------------------


@dataclass
class Pki:
    folder: Path
    ca_key: ec.EllipticCurvePrivateKey = field(
        default_factory=lambda: ec.generate_private_key(ec.SECP256R1())
    )

    def __post_init__(self) -> None:
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Lounge test CA")])
        self.ca_cert = (
            self._builder(name, name, self.ca_key.public_key())
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(self.ca_key, hashes.SHA256())
        )
        self.ca_file = self.folder / "ca.pem"
        self.ca_file.write_bytes(self.ca_cert.public_bytes(serialization.Encoding.PEM))

    @staticmethod
    def _builder(subject: x509.Name, issuer: x509.Name, public_key: Any) -> x509.CertificateBuilder:
        now = dt.datetime.now(dt.UTC)
        return (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(issuer)
            .public_key(public_key)
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=1))
        )

    def issue(self, name: str, server: bool = False) -> tuple[Path, Path, str]:
        """A certificate signed by the CA: its file, its key file and its OpenADR fingerprint.

        The same name gets the same certificate again (a VEN restarting keeps its own)."""
        cert_file, key_file = self.folder / f"{name}.pem", self.folder / f"{name}.key"
        if cert_file.exists():
            return cert_file, key_file, certificate_fingerprint(cert_file.read_text())
        key = ec.generate_private_key(ec.SECP256R1())
        builder = self._builder(
            x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]),
            self.ca_cert.subject,
            key.public_key(),
        )
        if server:
            builder = builder.add_extension(
                x509.SubjectAlternativeName([x509.IPAddress(IPv4Address("127.0.0.1"))]),
                critical=False,
            )
        cert = builder.sign(self.ca_key, hashes.SHA256())
        pem = cert.public_bytes(serialization.Encoding.PEM)
        cert_file.write_bytes(pem)
        key_file.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        return cert_file, key_file, certificate_fingerprint(pem.decode())


@pytest.fixture
def pki(tmp_path: Path) -> Pki:
    return Pki(tmp_path)


@pytest.fixture
def vtn_settings(pki: Pki) -> settings.Settings:
    cert, key, _ = pki.issue("vtn", server=True)
    return settings.load().with_(
        vtn_cert=cert,
        vtn_key=key,
        vtn_ca_file=pki.ca_file,
        vtn_port=free_port(),
        vtn_poll_seconds=1,
    )


# --- VENs -----------------------------------------------------------------------------


class Ven:
    """A real openleadr client for a site; what it is told lands in ``received``."""

    def __init__(self, pki: Pki, vtn: VTN, site_id: str, opt: str = "optIn") -> None:
        cert, key, self.fingerprint = pki.issue(f"ven-{site_id}")
        vtn_cert = Path(vtn.settings.vtn_cert or "").read_text()
        self.client = OpenADRClient(
            ven_name=site_id,
            vtn_url=vtn.url,
            cert=str(cert),
            key=str(key),
            ca_file=str(pki.ca_file),
            vtn_fingerprint=certificate_fingerprint(vtn_cert),
            show_fingerprint=False,
        )
        self.opt = opt
        self.received: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.client.add_handler("on_event", self._on_event)
        self.client.add_handler("on_update_event", self._on_event)

    async def _on_event(self, event: dict[str, Any]) -> str:
        await self.received.put(event)
        return self.opt

    async def run(self) -> None:
        await self.client.run()

    async def stop(self) -> None:
        if self.client.client_session is not None:
            await self.client.stop()

    async def next_event(self) -> dict[str, Any]:
        return await asyncio.wait_for(self.received.get(), PATIENCE)


async def until(check: Any, *args: Any) -> Any:
    """Wait (within :data:`PATIENCE`) until ``check(*args)`` returns something true."""
    async with asyncio.timeout(PATIENCE):
        while not (found := check(*args)):
            await asyncio.sleep(0.1)
    return found


# --- the world ------------------------------------------------------------------------


def seed(db: Database) -> None:
    with db.session() as session:
        add_customer(session, "A", "A1", "A2")
        add_customer(session, "B", "B1")


def issue_notice(db: Database, *site_ids: str, start: dt.datetime | None = None) -> int:
    """A peak warning (level 2) of 3 hours reaching ``site_ids``, issued by staff: from
    ``start``, by default tomorrow afternoon."""
    if start is None:
        start = (utcnow() + dt.timedelta(days=1)).replace(hour=12, minute=0, second=0)
    start = start.replace(microsecond=0)
    draft = Draft(
        kind=NoticeKind.PEAK_WARNING,
        starts_at=start,
        ends_at=start + dt.timedelta(hours=3),
        targeting=Targeting(site_ids=site_ids),
        level=2,
        reason="heat",
        reduction_kw=100,
    )
    with db.session() as session:
        notice_id = notices.create(session, STAFF, draft).id
        notices.issue(session, STAFF, notice_id, LINKS, utcnow())
        return notice_id


def update_notice(db: Database, notice_id: int) -> None:
    """Staff raise the warning to level 3."""
    with db.session() as session:
        notice = notices.get(session, STAFF, notice_id)
        new = Change(notice.starts_at, notice.ends_at, level=3, reduction_kw=150)
        notices.change(session, STAFF, notice_id, notice.revision, new, LINKS, utcnow())


def cancel_notice(db: Database, notice_id: int) -> None:
    with db.session() as session:
        notice = notices.get(session, STAFF, notice_id)
        notices.cancel(session, STAFF, notice_id, notice.revision, LINKS, utcnow())


def complete_notice(db: Database, notice_id: int) -> dt.datetime:
    """Staff complete the notice now; returns when (whole seconds, as OpenADR carries it)."""
    now = utcnow().replace(microsecond=0)
    with db.session() as session:
        notice = notices.get(session, STAFF, notice_id)
        notices.complete(session, STAFF, notice_id, notice.revision, LINKS, now)
    return now


def approve_pending(db: Database, site_id: str) -> str:
    with db.session() as session:
        pending = session.scalars(
            select(VenRegistration).where(
                VenRegistration.site_id == site_id, VenRegistration.state == VenState.PENDING
            )
        ).one()
        ven = openadr.approve(session, STAFF, pending.id)
        assert ven.ven_id is not None
        return ven.ven_id


def deliveries(db: Database) -> list[tuple[str, str, int | None, str | None, int | None]]:
    with db.session() as session:
        rows = session.execute(
            select(OpenADRDelivery, VenRegistration)
            .join(VenRegistration)
            .order_by(OpenADRDelivery.notice_id, VenRegistration.site_id)
        ).all()
        return [
            (
                ven.site_id,
                str(d.notice_id),
                d.delivered_modification,
                d.opt_type,
                d.opt_modification,
            )
            for d, ven in rows
        ]


def opt_of(db: Database, notice_id: int, site_id: str, modification: int) -> str | None:
    for site, notice, _, opt_type, opt_modification in deliveries(db):
        if site == site_id and notice == str(notice_id) and opt_modification == modification:
            return opt_type
    return None


# --- the tests ------------------------------------------------------------------------


def test_a_ven_registers_is_approved_and_follows_an_event_through_a_restart(
    db: Database, pki: Pki, vtn_settings: settings.Settings, caplog: pytest.LogCaptureFixture
):
    caplog.set_level(logging.WARNING, "openleadr")
    seed(db)

    async def scenario() -> None:
        vtn = VTN(db, vtn_settings)
        await vtn.start()
        ven_a, ven_b = Ven(pki, vtn, "A1"), Ven(pki, vtn, "B1", opt="optOut")
        try:
            # a first request is pending: no ven id, no events, the client gives up
            await ven_a.run()
            assert ven_a.client.registration_id is None
            with db.session() as session:
                (pending,) = session.scalars(select(VenRegistration)).all()
                assert (pending.site_id, pending.customer_id, pending.state) == (
                    "A1",
                    "A",
                    "pending",
                )
                assert pending.fingerprint == ven_a.fingerprint and pending.ven_id is None
            await ven_a.stop()

            # approved by staff, it registers with its unique ven id and is told the event
            ven_a_id = approve_pending(db, "A1")
            ven_a = Ven(pki, vtn, "A1")
            await ven_a.run()
            assert ven_a.client.ven_id == ven_a_id and ven_a.client.registration_id

            # VEN B, another customer's, registered and approved for its own site
            await ven_b.run()
            await ven_b.stop()
            ven_b_id = approve_pending(db, "B1")
            ven_b = Ven(pki, vtn, "B1", opt="optOut")
            await ven_b.run()
            assert ven_b.client.ven_id == ven_b_id != ven_a_id

            notice_id = issue_notice(db, "A1")
            issued = await ven_a.next_event()
            descriptor = issued["event_descriptor"]
            assert descriptor["event_id"] == openadr.event_id_of(notice_id)
            assert (descriptor["modification_number"], descriptor["event_status"]) == (0, "far")
            assert issued["event_signals"][0]["intervals"][0]["signal_payload"] == 2
            assert await until(opt_of, db, notice_id, "A1", 0) == "optIn"

            update_notice(db, notice_id)
            updated = await ven_a.next_event()
            assert updated["event_descriptor"]["modification_number"] == 1
            assert updated["event_signals"][0]["intervals"][0]["signal_payload"] == 3
            assert await until(opt_of, db, notice_id, "A1", 1) == "optIn"

            # the VTN restarts: the event, its modification number and the VEN are kept
            await vtn.stop()
            vtn = VTN(db, vtn_settings)
            await vtn.start()
            cancel_notice(db, notice_id)
            cancelled = await ven_a.next_event()
            assert cancelled["event_descriptor"]["modification_number"] == 2
            assert cancelled["event_descriptor"]["event_status"] == "cancelled"
            assert (await ven_a.client.request_event())[0] == "oadrResponse"  # nothing left to tell

            # completing a running event early ends it now: the VEN is told the cut window
            running = issue_notice(db, "A1", start=utcnow() - dt.timedelta(minutes=30))
            began = await ven_a.next_event()
            assert began["event_descriptor"]["event_status"] == "active"
            assert await until(opt_of, db, running, "A1", 0) == "optIn"
            ended_at = complete_notice(db, running)
            ended = await ven_a.next_event()
            period = ended["active_period"]
            assert ended["event_descriptor"]["modification_number"] == 1
            assert ended["event_descriptor"]["event_status"] == "completed"
            assert period["dtstart"] + period["duration"] == ended_at
            # and completing one that has not begun calls it off
            upcoming = issue_notice(db, "A1")
            assert (await ven_a.next_event())["event_descriptor"]["event_status"] == "far"
            assert await until(opt_of, db, upcoming, "A1", 0) == "optIn"
            complete_notice(db, upcoming)
            called_off = await ven_a.next_event()
            assert called_off["event_descriptor"]["modification_number"] == 1
            assert called_off["event_descriptor"]["event_status"] == "cancelled"
            assert (await ven_a.client.request_event())[0] == "oadrResponse"

            # VEN B was told nothing of A's site and cannot answer for it
            assert ven_b.received.empty()
            await ven_b.client.created_event("r1", openadr.event_id_of(notice_id), "optOut", 2)
            assert ("B1", str(notice_id)) not in {(site, n) for site, n, *_ in deliveries(db)}
            # nor pass itself off as A's VEN: its certificate is not the one of that ven id
            ven_b.client.ven_id = ven_a_id
            assert await ven_b.client.request_event() == (None, {})
            await ven_b.client.created_event("r2", openadr.event_id_of(notice_id), "optOut", 1)
            with db.session() as session:
                event = session.get_one(OpenADREvent, notice_id)
                assert (event.modification_number, event.cancelled_at is not None) == (2, True)
        finally:
            await ven_a.stop()
            await ven_b.stop()
            await vtn.stop()

    asyncio.run(scenario())
    first = int(deliveries(db)[0][1])
    assert deliveries(db) == [
        ("A1", str(first), 2, "optIn", 1),
        ("A1", str(first + 1), 1, "optIn", 0),
        ("A1", str(first + 2), 1, "optIn", 0),
    ]


def test_a_ven_cancels_its_registration_and_gets_no_more_events(
    db: Database, pki: Pki, vtn_settings: settings.Settings, caplog: pytest.LogCaptureFixture
):
    caplog.set_level(logging.WARNING, "openleadr")
    seed(db)

    async def scenario() -> tuple[str, str]:
        vtn = VTN(db, vtn_settings)
        await vtn.start()
        ven = Ven(pki, vtn, "A1")
        try:
            await ven.run()
            await ven.stop()
            ven_id = approve_pending(db, "A1")
            ven = Ven(pki, vtn, "A1")
            await ven.run()
            registration_id = ven.client.registration_id
            assert ven.client.ven_id == ven_id and registration_id
            await ven.client.cancel_party_registration()
            assert ven.client.registration_id is None  # the VTN answered 200
            # from now on the VTN does not know it: no events, a request to register again
            issue_notice(db, "A1")
            assert (await ven.client.request_event())[0] == "oadrRequestReregistration"
            return ven_id, registration_id
        finally:
            await ven.stop()
            await vtn.stop()

    ven_id, registration_id = asyncio.run(scenario())
    with db.session() as session:
        registration = session.scalars(select(VenRegistration)).one()
        assert (registration.state, registration.ven_id) == (VenState.CANCELLED, ven_id)
        assert openadr.identity(session, ven_id) is None
        assert openadr.events_for(session, ven_id, only_if_changed=False) is None
        assert session.scalar(select(func.count()).select_from(OpenADRDelivery)) == 0
        (row,) = openadr.registrations(session, STAFF)
        assert (row.state, row.decided_at is not None) == ("cancelled", True)
        cancelled = session.scalars(select(AuditLog).where(AuditLog.action == "ven.cancel")).one()
        assert cancelled.actor == f"ven:{ven_id}"
        assert cancelled.details and cancelled.details["registration_id"] == registration_id


def test_only_the_ven_itself_cancels_its_registration_and_may_ask_again(db: Database):
    seed(db)
    with db.session() as session:
        for site, fingerprint in (("A1", "AA:01"), ("B1", "BB:02")):
            openadr.request_registration(session, site, fingerprint)
    ven_a, ven_b = approve_pending(db, "A1"), approve_pending(db, "B1")
    with db.session() as session:
        identity_a = openadr.identity(session, ven_a)
        assert identity_a is not None
        # another VEN, a wrong registration id, an unknown VEN: refused, nothing changes
        assert not openadr.cancel_registration(session, ven_b, identity_a.registration_id)
        assert not openadr.cancel_registration(session, ven_a, "reg-forged")
        assert not openadr.cancel_registration(session, "ven-nobody", identity_a.registration_id)
        assert openadr.identity(session, ven_a) is not None
        assert openadr.cancel_registration(session, ven_a, identity_a.registration_id)
        assert not openadr.cancel_registration(session, ven_a, identity_a.registration_id)
        assert openadr.identity(session, ven_b) is not None
        # asking to register again with its certificate: pending, for staff to approve anew
        assert openadr.request_registration(session, "A1", "AA:01") is None
        again = session.scalars(
            select(VenRegistration).where(VenRegistration.site_id == "A1")
        ).one()
        assert (again.state, again.ven_id, again.registration_id) == ("pending", None, None)
        assert openadr.approve(session, STAFF, again.id).ven_id not in (None, ven_a)


def test_the_vtn_does_not_start_without_its_certificates(db: Database, pki: Pki, monkeypatch):
    with pytest.raises(NotConfigured, match="LOUNGE_VTN_CERT"):
        VTN(db, settings.load())
    monkeypatch.setenv("LOUNGE_VTN_CERT", str(pki.ca_file))
    monkeypatch.setenv("LOUNGE_VTN_KEY", str(pki.ca_file.with_name("missing.key")))
    result = cli("vtn")
    assert result.exit_code == 1
    assert "LOUNGE_VTN_KEY, LOUNGE_VTN_CA_FILE" in result.stderr


def test_a_client_cannot_approve_and_staff_cannot_approve_twice(db: Database):
    seed(db)
    with db.session() as session:
        assert openadr.request_registration(session, "A1", "AA:BB") is None
        assert openadr.request_registration(session, "nope", "CC:DD") is None  # no such site
        assert openadr.request_registration(session, "A1", None) is None  # no certificate
        (pending,) = session.scalars(select(VenRegistration)).all()
        client = access.Viewer(9, "client@a", Role.CLIENT, "A")
        with pytest.raises(access.AccessDenied):
            openadr.approve(session, client, pending.id)
        with pytest.raises(access.NotFound):
            openadr.approve(session, STAFF, "1")
        openadr.approve(session, STAFF, pending.id)
        with pytest.raises(openadr.AlreadyDecided):
            openadr.reject(session, STAFF, pending.id)
        # the same certificate for another site is refused, and so is a second request
        assert openadr.request_registration(session, "A2", "AA:BB") is None
        assert openadr.request_registration(session, "A1", "AA:BB") is pending
        # a rejected certificate stays rejected: asking again changes nothing
        assert openadr.request_registration(session, "B1", "EE:FF") is None
        other = session.scalars(
            select(VenRegistration).where(VenRegistration.site_id == "B1")
        ).one()
        openadr.reject(session, STAFF, other.id)
        assert openadr.request_registration(session, "B1", "EE:FF") is None
        assert other.ven_id is None and openadr.identity(session, other.ven_id) is None
        assert session.scalar(select(func.count()).select_from(VenRegistration)) == 2
        assert sorted(session.scalars(select(AuditLog.action))) == ["ven.approve", "ven.reject"]


def test_the_vens_answers_show_beside_the_acknowledgements_to_whom_may_see_them(client, db, world):
    from tests.test_web_access import DEMAND_SHOW
    from tests.web_fixtures import call, sign_in

    notice_id = issue_notice(db, "SA1", "SB1")
    with db.session() as session:
        for site, fingerprint in (("SA1", "AA:01"), ("SB1", "BB:02")):
            openadr.request_registration(session, site, fingerprint)
    ven_a, ven_b = approve_pending(db, "SA1"), approve_pending(db, "SB1")
    with db.session() as session:
        for ven in (ven_a, ven_b):
            assert openadr.events_for(session, ven, only_if_changed=True)
        openadr.record_opt(session, ven_a, openadr.event_id_of(notice_id), "optIn")
        with pytest.raises(access.NotFound):  # B's VEN answering for an event id it never got
            openadr.record_opt(session, ven_b, "lounge-notice-0", "optOut")
        own = access.Viewer(3, "client@a.test", Role.CLIENT, "CA")
        assert [(a.site_id, a.opt_type) for a in openadr.answers(session, own, notice_id)] == [
            ("SA1", "optIn")
        ]
    sign_in(client, "demand@a.test")
    shown = call(
        client,
        DEMAND_SHOW,
        {"demand-pick.value": notice_id, "demand-acted.data": 1, "demand-refresh.n_intervals": 1},
    ).get_data(as_text=True)
    assert "openadr-opt-optIn" in shown and "openadr-opt-none" in shown
    assert world.other_name in shown
