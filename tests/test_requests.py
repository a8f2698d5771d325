"""Requests and faults: SLA in Israeli working days, the life of a request, who sees what, the
fault desk's queue, attachments, and the messages every change of state writes."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import select

from db.models import (
    Channel,
    Contact,
    ContactChannel,
    Contract,
    Invoice,
    Notification,
    RequestKind,
    RequestState,
    Role,
    ServiceRequest,
    Topic,
)
from db.session import Database
from lounge import admin, users
from lounge.access import SYSTEM, AccessDenied, NotFound, Viewer
from lounge.requests import attachments, desk, sla, workflow
from lounge.requests.workflow import RequestError, RequestForm
from tests.factories import add_customer, import_readings, month_reads, signed_up, utc

BASE = "https://lounge.test"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


# --- SLA: working days of the Israeli calendar ---------------------------------------------


@pytest.mark.parametrize(
    ("kind", "opened", "due"),
    [
        # Wednesday 1 April 2026, eve of Pesach: Thursday is the holiday, then the weekend
        (RequestKind.FAULT, dt.date(2026, 4, 1), dt.date(2026, 4, 5)),
        # Thursday: Friday and Saturday are not working days
        (RequestKind.FAULT, dt.date(2026, 3, 26), dt.date(2026, 3, 29)),
        # opened on a Saturday: the count starts on Sunday
        (RequestKind.FAULT, dt.date(2026, 3, 28), dt.date(2026, 3, 30)),
        # five working days over the weekend and the holiday: Wed 1 Apr -> Thu 9 Apr
        # (2 Apr holiday, 3-4 weekend, 5, 6, 7 working, 8 Apr the seventh day of Pesach, 9)
        (RequestKind.METER_INSPECTION, dt.date(2026, 4, 1), dt.date(2026, 4, 12)),
    ],
)
def test_due_dates_count_working_days_only(kind, opened, due):
    assert sla.due_date(kind, opened) == due


def test_sla_status_breached_due_today_this_week_and_met():
    request = ServiceRequest(state=RequestState.IN_PROGRESS, due_date=dt.date(2026, 3, 31))
    assert sla.status(request, dt.date(2026, 4, 1)) is sla.Sla.BREACHED
    assert sla.status(request, dt.date(2026, 3, 31)) is sla.Sla.DUE_TODAY
    assert sla.status(request, dt.date(2026, 3, 29)) is sla.Sla.THIS_WEEK  # Sunday of that week
    assert sla.status(request, dt.date(2026, 3, 26)) is sla.Sla.ON_TRACK  # the week before
    request.state, request.resolved_at = RequestState.RESOLVED, utc(2026, 3, 31, 12)
    assert sla.status(request, dt.date(2026, 5, 1)) is sla.Sla.MET
    request.resolved_at = utc(2026, 3, 31, 22)  # 1 April in Israel: a day late
    assert sla.status(request, dt.date(2026, 5, 1)) is sla.Sla.BREACHED


@pytest.mark.parametrize(
    ("since", "resumed_on", "due"),
    [
        # asked on Sunday 22 March, answered on Tuesday: two working days more
        (dt.date(2026, 3, 22), dt.date(2026, 3, 24), dt.date(2026, 3, 30)),
        # answered the same day: no change
        (dt.date(2026, 3, 22), dt.date(2026, 3, 22), dt.date(2026, 3, 26)),
        # waiting over the weekend only (Thursday to Saturday): the Friday and Saturday count not
        (dt.date(2026, 3, 26), dt.date(2026, 3, 28), dt.date(2026, 3, 26)),
        # Wednesday 1 April to Monday 6 April: the holiday and the weekend do not count (5, 6)
        (dt.date(2026, 4, 1), dt.date(2026, 4, 6), dt.date(2026, 3, 30)),
    ],
)
def test_waiting_for_the_customer_stops_the_clock(since, resumed_on, due):
    assert sla.resumed(dt.date(2026, 3, 26), since, resumed_on) == due


# --- a small world ---------------------------------------------------------------------------


@pytest.fixture
def people(db: Database) -> dict[str, Viewer]:
    """C1 is a member (site S1), C2 is not; one manager serves C1 only."""
    with db.session() as session:
        add_customer(session, "C1", "S1", "S1B")
        add_customer(session, "C2", "S2")
        for number, site, tariff, kva in (
            ("K-1", "S1", "TAOZ high", 2000),
            ("K-2", "S2", "Flat", 100),
        ):
            session.add(
                Contract(
                    number=number,
                    site_id=site,
                    tariff=tariff,
                    voltage_level="high" if kva > 1000 else "low",
                    capacity_kva=kva,
                    supplier="Israel Electric",
                    start_date=dt.date(2020, 1, 1),
                )
            )
        contact = Contact(
            customer_id="C1",
            name="Ruth Ops",
            role="operations",
            email="ruth@c1.example",
            phone="+972501234567",
            language="he",
        )
        contact.channels = [
            ContactChannel(topic=Topic.SERVICE, channel=Channel.EMAIL),
            ContactChannel(topic=Topic.SERVICE, channel=Channel.SMS),
            ContactChannel(topic=Topic.MEMBERSHIP, channel=Channel.EMAIL),
        ]
        session.add(contact)
        found = {
            "client": signed_up(session, "dana@c1.example", Role.CLIENT, "C1", "he"),
            "other": signed_up(session, "omer@c2.example", Role.CLIENT, "C2", "en"),
            "manager": signed_up(session, "avi@power.example", Role.ACCOUNT_MANAGER),
            "stranger": signed_up(session, "rina@power.example", Role.ACCOUNT_MANAGER),
            "desk": signed_up(session, "desk@power.example", Role.FAULT_DESK),
            "demand": signed_up(session, "eitan@power.example", Role.DEMAND_STAFF),
        }
        users.assign_manager(session, "avi@power.example", ["C1"], "test")
        users.assign_manager(session, "rina@power.example", ["C2"], "test")
    import_readings(db, *month_reads("S1", 2025, {m: "100000" for m in range(1, 13)}))
    with db.session() as session:
        admin.run_classification(session, SYSTEM, dt.date(2026, 1, 15))
    return found


def _fault(site: str = "S1", subject: str = "No power in the plant") -> RequestForm:
    return RequestForm(kind="fault", subtype="no_supply", subject=subject, site_id=site)


def _open(db: Database, viewer: Viewer, customer: str, form: RequestForm) -> int:
    with db.session() as session:
        return workflow.open_request(session, viewer, customer, form, BASE).id


def _messages(db: Database, request_id: int) -> list[Notification]:
    with db.session() as session:
        return list(
            session.scalars(
                select(Notification).where(Notification.link.contains(f"/requests/{request_id}"))
            )
        )


def test_a_fault_lives_from_received_to_closed_with_its_timeline_and_messages(db, people):
    request_id = _open(db, people["client"], "C1", _fault())
    opened = _messages(db, request_id)
    by_channel = sorted((m.channel, m.kind, m.recipient) for m in opened)
    assert by_channel == [
        ("email", "request_update", "ruth@c1.example"),
        ("in_app", "manager_member_fault", "Avi"),
        ("in_app", "manager_member_fault", "Desk"),
        ("in_app", "request_update", "Dana"),
        ("sms", "request_update", "+972501234567"),
    ]
    email = next(m for m in opened if m.channel == "email")
    assert email.language == "he" and "R-" in email.subject and "התקבלה" in email.subject
    sms = next(m for m in opened if m.channel == "sms")
    assert sms.body.endswith(f"{BASE}/requests/{request_id}") and sms.sms_parts == 1

    steps = [
        (people["manager"], "assigned", ""),
        (people["desk"], "in_progress", "A crew is on its way"),
        (people["desk"], "waiting_for_customer", "Please open the gate"),
    ]
    for viewer, state, note in steps:
        with db.session() as session:
            workflow.change_state(session, viewer, request_id, state, note, BASE)
    with db.session() as session:  # the customer answers: back in progress by itself
        workflow.comment(session, people["client"], request_id, "The gate is open", BASE)
    with db.session() as session:
        workflow.change_state(session, people["desk"], request_id, "resolved", "Fixed", BASE)
    with db.session() as session:
        workflow.change_state(session, people["client"], request_id, "closed", "", BASE)
    with db.session() as session:
        request = workflow.get_request(session, people["client"], request_id)
        shown = [
            (e.state, e.text, e.actor_name) for e in workflow.timeline(people["client"], request)
        ]
        assert request.state == "closed" and request.closed_at and request.resolved_at
        assert request.assignee_id == people["manager"].user_id
    assert shown == [
        ("received", "", "Dana"),
        ("assigned", "", "Avi"),
        ("in_progress", "A crew is on its way", "Desk"),
        ("waiting_for_customer", "Please open the gate", "Desk"),
        (None, "The gate is open", "Dana"),
        ("in_progress", "", "Dana"),
        ("resolved", "Fixed", "Desk"),
        ("closed", "", "Dana"),
    ]
    # every change of state: one e-mail, one text and one in-app message to the customer
    updates = [m for m in _messages(db, request_id) if m.kind == "request_update"]
    assert len(updates) == 3 * 8 - 3 * 1  # 8 events, one of them a comment
    assert len({m.source for m in updates}) == 7
    crew = [m for m in updates if m.channel == "email" and "crew" in m.body]
    assert len(crew) == 1


def test_the_due_date_moves_by_the_working_days_the_request_waited_for_the_customer(db, people):
    sunday = utc(2026, 3, 22, 7)  # a fault is due the next working day: Monday 23 March
    with db.session() as session:
        request_id = workflow.open_request(
            session, people["client"], "C1", _fault(), BASE, now=sunday
        ).id
    with db.session() as session:
        workflow.change_state(
            session, people["desk"], request_id, "in_progress", "", BASE, now=sunday
        )
        workflow.change_state(
            session, people["desk"], request_id, "waiting_for_customer", "Gate?", BASE, now=sunday
        )
    with db.session() as session:  # the customer answers on Wednesday: three days waited
        workflow.comment(
            session, people["client"], request_id, "Open", BASE, now=utc(2026, 3, 25, 9)
        )
    with db.session() as session:
        request = workflow.get_request(session, people["client"], request_id)
        assert (request.state, request.due_date) == ("in_progress", dt.date(2026, 3, 26))


def test_a_client_sees_and_changes_only_its_own_requests(db, people):
    own = _open(db, people["client"], "C1", _fault())
    theirs = _open(db, people["other"], "C2", _fault("S2"))
    with db.session() as session:
        for forged in (theirs, str(theirs), "1 or 1=1", None, [own]):
            with pytest.raises(NotFound):
                workflow.get_request(session, people["client"], forged)
        with pytest.raises(NotFound):
            workflow.change_state(session, people["client"], theirs, "closed", "", BASE)
        with pytest.raises(NotFound):
            workflow.comment(session, people["client"], theirs, "hello", BASE)
        with pytest.raises(AccessDenied):  # not on behalf of another customer
            workflow.open_request(session, people["client"], "C2", _fault("S2"), BASE)
        # a client cannot move its own request but to close a resolved one
        with pytest.raises(RequestError):
            workflow.change_state(session, people["client"], own, "resolved", "", BASE)
        listed = workflow.requests(session, people["client"], dt.date.today())
        assert [item.request.id for item in listed] == [own]
    with db.session() as session:  # another customer's site in its own request: refused
        with pytest.raises(RequestError, match="not one of the customer's"):
            workflow.open_request(session, people["client"], "C1", _fault("S2"), BASE)


def test_a_manager_handles_the_portfolio_only(db, people):
    own = _open(db, people["manager"], "C1", RequestForm(kind="general", subject="Visit"))
    theirs = _open(db, people["other"], "C2", RequestForm(kind="general", subject="Hi"))
    with db.session() as session:
        with pytest.raises(NotFound):
            workflow.get_request(session, people["manager"], theirs)
        with pytest.raises(AccessDenied):
            workflow.open_request(
                session, people["manager"], "C2", RequestForm(kind="general", subject="x"), BASE
            )
        listed = workflow.requests(session, people["manager"], dt.date.today())
        assert [item.request.id for item in listed] == [own]
        with pytest.raises(AccessDenied):
            workflow.open_request(
                session, people["demand"], "C1", RequestForm(kind="general", subject="x"), BASE
            )
    # the manager opened it: nobody else on staff needs telling, the customer does
    kinds = sorted(m.kind for m in _messages(db, own) if m.channel == "in_app")
    assert kinds == ["request_update"]


def test_the_fault_desk_sees_faults_only_members_first_and_no_money(db, people):
    other_fault = _open(db, people["other"], "C2", _fault("S2", "Flicker"))
    member_fault = _open(db, people["client"], "C1", _fault())
    with db.session() as session:
        invoice = Invoice(
            number="INV-1",
            customer_id="C1",
            contract_id=session.scalar(select(Contract.id).where(Contract.number == "K-1")),
            site_id="S1",
            period_start=dt.date(2025, 12, 1),
            period_end=dt.date(2026, 1, 1),
            issue_date=dt.date(2026, 1, 2),
            due_date=dt.date(2026, 2, 2),
            wh=1,
            subtotal=1,
            vat_rate=0,
            vat=0,
            total=1,
        )
        session.add(invoice)
        session.flush()
        invoice_id = invoice.id
    billing = _open(
        db,
        people["client"],
        "C1",
        RequestForm(
            kind="billing", subtype="dispute", subject="Too high", invoice_id=str(invoice_id)
        ),
    )
    with db.session() as session:
        queue = desk.queue(session, people["desk"], dt.date.today())
        assert [item.request.id for item in queue] == [member_fault, other_fault]
        assert [item.request.priority for item in queue] == [True, False]
        with pytest.raises(NotFound):
            workflow.get_request(session, people["desk"], billing)
        with pytest.raises(NotFound):
            workflow.change_state(session, people["desk"], billing, "assigned", "", BASE)
        assert workflow.requests(session, people["desk"], dt.date.today(), kind="billing") == []
        with pytest.raises(AccessDenied):  # the desk does not open requests for customers
            workflow.open_request(session, people["desk"], "C1", _fault(), BASE)
        card = desk.card(session, people["desk"], member_fault, dt.date(2026, 1, 15))
        assert card.contract is not None and card.contract.number == "K-1"
        assert card.manager is not None and card.manager.email == "avi@power.example"
        assert [c.name for c in card.contacts] == ["Ruth Ops"]
        assert [load.wh for load in card.load] == [100_000_000] * 3  # last three months
        assert not hasattr(card, "invoices")
        with pytest.raises(AccessDenied):
            desk.queue(session, people["manager"], dt.date.today())
        with pytest.raises(AccessDenied):
            desk.queue(session, people["client"], dt.date.today())


def test_internal_notes_stay_with_staff(db, people):
    request_id = _open(db, people["client"], "C1", _fault())
    with db.session() as session:
        workflow.comment(session, people["manager"], request_id, "VIP: call the CEO", BASE, True)
        workflow.comment(session, people["client"], request_id, "Any news?", BASE, True)
        workflow.change_state(
            session, people["desk"], request_id, "in_progress", "Cable cut", BASE, internal=True
        )
    with db.session() as session:
        request = workflow.get_request(session, people["client"], request_id)
        client_sees = [e.text for e in workflow.timeline(people["client"], request)]
        staff_sees = [e.text for e in workflow.timeline(people["manager"], request)]
    assert client_sees == ["", "Any news?", ""]  # the change of state, not its note
    assert staff_sees == ["", "VIP: call the CEO", "Any news?", "Cable cut"]
    assert not any("Cable cut" in m.body for m in _messages(db, request_id))


def test_forms_are_checked_by_kind(db, people):
    with db.session() as session:
        for form, expected in [
            (RequestForm(kind="nonsense", subject="x"), "Choose the kind"),
            (RequestForm(kind="fault", subject="x", site_id="S1"), "Choose what"),
            (RequestForm(kind="fault", subtype="no_supply", subject="x"), "Choose the site"),
            (RequestForm(kind="contract_change", subtype="tariff", subject="x"), "contract"),
            (RequestForm(kind="billing", subtype="question", subject="x"), "invoice"),
            (RequestForm(kind="new_connection", subject="x", capacity_kva="12kVA"), "address"),
            (RequestForm(kind="general", subject=""), "subject"),
        ]:
            with pytest.raises(RequestError, match=expected):
                workflow.open_request(session, people["client"], "C1", form, BASE)
        contract = session.scalar(select(Contract.id).where(Contract.number == "K-2"))
        with pytest.raises(RequestError, match="not one of the customer's"):
            workflow.open_request(
                session,
                people["client"],
                "C1",
                RequestForm(
                    kind="contract_change", subtype="tariff", subject="x", contract_id=str(contract)
                ),
                BASE,
            )
        made = workflow.open_request(
            session,
            people["client"],
            "C1",
            RequestForm(
                kind="new_connection",
                subject="Warehouse",
                address="1 Port St, Ashdod",
                capacity_kva="630",
            ),
            BASE,
        )
        assert made.details == {"address": "1 Port St, Ashdod", "capacity_kva": 630}
        assert not made.priority  # only faults jump the queue


def test_attachments_are_checked_by_content_and_served_to_those_who_see_the_request(
    db, people, tmp_path: Path
):
    request_id = _open(db, people["client"], "C1", _fault())
    with db.session() as session:
        pdf = attachments.add(
            session, people["client"], request_id, "../../etc/report.pdf", PDF, tmp_path, 1000
        )
        png = attachments.add(session, people["manager"], request_id, "photo", PNG, tmp_path, 1000)
        for name, data, expected in [
            ("script.pdf", b"#!/bin/sh\nrm -rf /\n", "Only PDF, PNG and JPEG"),
            ("big.pdf", PDF + b"x" * 1000, "larger than"),
            ("empty.png", b"", "empty"),
        ]:
            with pytest.raises(RequestError, match=expected):
                attachments.add(session, people["client"], request_id, name, data, tmp_path, 1000)
        ids = (pdf.id, png.id)
        assert (pdf.filename, pdf.content_type) == ("report.pdf", "application/pdf")
        assert (png.filename, png.content_type) == ("photo.png", "image/png")
    assert sorted(p.stat().st_mode & 0o777 for p in tmp_path.iterdir()) == [0o600, 0o600]
    with db.session() as session:
        assert attachments.read(session, people["desk"], request_id, ids[0], tmp_path) == (
            PDF,
            "report.pdf",
            "application/pdf",
        )
        for viewer in (people["other"], people["stranger"], people["demand"]):
            with pytest.raises(NotFound):
                attachments.read(session, viewer, request_id, ids[0], tmp_path)
        with pytest.raises(NotFound):  # an attachment of another request, through this one
            other = _open(db, people["other"], "C2", _fault("S2"))
            attachments.read(session, people["other"], other, ids[0], tmp_path)


def test_the_users_command_adds_a_fault_desk_user_who_lands_on_the_desk(db: Database):
    from lounge.web.auth import HOME
    from tests.factories import cli

    added = cli("users", "add", "--email", "desk@x.example", "--role", "fault_desk",
                stdin="long enough secret\n")  # fmt: skip
    assert (added.exit_code, added.stdout) == (0, "added fault_desk desk@x.example\n")
    refused = cli("users", "add", "--email", "d2@x.example", "--role", "fault_desk",
                  "--customer", "C1", stdin="long enough secret\n")  # fmt: skip
    assert refused.exit_code == 1  # the desk belongs to no customer
    assert HOME[Role.FAULT_DESK] == "/fault-desk"


def test_staff_preview_the_request_messages_in_both_languages():
    from lounge.notify import status

    staff = Viewer(1, "a@x", Role.ADMIN)
    hebrew = status.preview(staff, "request_update", "he")
    assert hebrew.language == "he" and hebrew.subject == "הבקשה שלך R-00042: בטיפול"
    english = status.preview(staff, "manager_member_fault", "en")
    assert english.subject == "Member fault: Ofek Industries Ltd., Store 12"
    with pytest.raises(AccessDenied):
        status.preview(Viewer(2, "c@x", Role.FAULT_DESK), "request_update", "en")


def test_a_rolled_back_upload_leaves_no_file_behind(db, people, tmp_path: Path):
    request_id = _open(db, people["client"], "C1", _fault())
    with pytest.raises(RequestError), db.session() as session:
        attachments.add(session, people["client"], request_id, "a.pdf", PDF, tmp_path, 1000)
        assert len(list(tmp_path.iterdir())) == 1
        raise RequestError(["the unit of work fails after the file was stored"])
    assert list(tmp_path.iterdir()) == []

    with db.session() as session:  # a committed file stays
        attachments.add(session, people["client"], request_id, "b.pdf", PDF, tmp_path, 1000)
    with pytest.raises(RequestError), db.session() as session:
        raise RequestError(["a later unit of work fails"])
    assert len(list(tmp_path.iterdir())) == 1
