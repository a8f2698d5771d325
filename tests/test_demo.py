"""The demo data: repeatable, realistic where it shows, and telling the stories it should.

Generating takes tens of seconds, so each backend generates once per test
session (the ``demo_data`` fixture, shared with the billing checks of
test_demo_billing.py) and everything is checked on that data as subtests.
The determinism check compares the two backends' data: two generations with
the same seed and date.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from db import demo, migrate
from db.models import (
    ClassificationRun,
    ConsumptionDaily,
    Contact,
    ContactChannel,
    Contract,
    Customer,
    ManagerAssignment,
    Notification,
    Reading,
    Site,
    Topic,
    VipEvent,
    VipStatus,
)
from db.session import Database
from lounge import classification, localtime, users
from lounge.classification import SITE_THRESHOLD_WH, Window
from tests.conftest import DEMO_CUSTOMERS, DEMO_SEED, DEMO_TODAY, Demo

CUSTOMERS, SEED, TODAY = DEMO_CUSTOMERS, DEMO_SEED, DEMO_TODAY
SEGMENT_CODES = {"factory", "retail", "hospital", "office", "cold_storage"}
#: The membership rule each special customer must meet today (None: not a member).
EXPECTED_RULE = {
    demo.CHAIN_ID: "multi-site",
    "C10002": "site",
    "C10003": None,
    "C10004": "site",
    "C10005": None,
    "C10006": "multi-site",
    "C10007": None,
    demo.ENTERING_ID: "site",
    demo.LEAVING_ID: None,
}
#: What must come out the same for the same seed and date (no ids, no timestamps).
COMPARED = tuple(
    select(*columns)
    for columns in (
        (Reading.site_id, Reading.start_s, Reading.end_s, Reading.wh, Reading.estimated),
        (Customer.id, Customer.name, Customer.tax_id, Customer.segment, Customer.language),
        (Site.id, Site.customer_id, Site.name, Site.region, Site.address, Site.meter_number),
        (Contract.number, Contract.site_id, Contract.tariff, Contract.capacity_kva,
         Contract.supplier, Contract.start_date, Contract.end_date),
        (Contact.customer_id, Contact.name, Contact.phone, Contact.email, Contact.role,
         Contact.postal_address),
        (VipEvent.customer_id, VipEvent.event, VipEvent.effective_date, VipEvent.window_wh),
    )
)  # fmt: skip


@contextmanager
def _generated_sqlite(path: Path, today: dt.date, customers: int = CUSTOMERS) -> Iterator[Database]:
    """A new SQLite database with the test's demo data, as of ``today``."""
    database = Database(f"sqlite:///{path}")
    try:
        migrate.upgrade(database.engine)
        demo.generate(database, customers=customers, seed=SEED, today=today)
        yield database
    finally:
        database.dispose()


def digest(database: Database, queries: Iterable[Select[Any]]) -> str:
    """A hash of every row of ``queries``, each sorted by all its columns."""
    found = hashlib.sha256()
    with database.session() as session:
        for query in queries:
            for row in session.execute(query.order_by(*query.selected_columns)):
                found.update(repr(tuple(row)).encode())
    return found.hexdigest()


def _dst_days(first: dt.date, end: dt.date) -> dict[int, list[dt.date]]:
    """Days in [first, end) by their length in hours (23 and 25 are the DST switches)."""
    found: dict[int, list[dt.date]] = {}
    for day in localtime.day_starts(first, end - dt.timedelta(days=1)):
        seconds = localtime.local_midnight_s(day + dt.timedelta(days=1))
        found.setdefault((seconds - localtime.local_midnight_s(day)) // 3600, []).append(day)
    return found


def test_plan_needs_room_for_the_special_customers():
    with pytest.raises(ValueError, match="at least"):
        demo.plan(len(demo.SPECIALS) - 1, SEED)
    assert [spec.id for spec in demo.plan(len(demo.SPECIALS), SEED)] == list(EXPECTED_RULE)


def test_an_empty_database_has_no_demo_customers(db: Database):
    with db.session() as session:
        assert not demo.has_customers(session)


def test_the_same_seed_and_date_give_the_same_data(demo_databases, tmp_path: Path):
    """Both backends' demo data, generated apart (a second SQLite file without PostgreSQL)."""
    from tests.test_demo_billing import COMPARED as BILLS

    first = demo_databases.get("sqlite").database
    try:
        second = demo_databases.get("postgresql").database
    except pytest.skip.Exception:
        with _generated_sqlite(tmp_path / "again.db", TODAY) as again:
            assert digest(first, COMPARED + BILLS) == digest(again, COMPARED + BILLS)
        return
    assert digest(first, COMPARED + BILLS) == digest(second, COMPARED + BILLS)


def test_demo_data(demo_data: Demo, subtests: pytest.Subtests):
    with demo_data.read() as session:
        assert demo.has_customers(session)
        with subtests.test("special customers land exactly where intended"):
            _check_special_customers(session)
        with subtests.test("one customer entered and one left during the past year"):
            _check_history(session)
        with subtests.test("every demo login signs in, one per role first"):
            _check_logins(session, demo_data.logins)
        with subtests.test("master data looks like a book of key accounts"):
            _check_master_data(session)
        with subtests.test("15-minute data follows DST, the working week and the seasons"):
            _check_interval_data(session)
        with subtests.test("most sites of members have interval data; every site a type"):
            _check_meters_and_site_types(session)
        with subtests.test("meetings: minutes, actions done and overdue, some still to plan"):
            _check_meetings(session)
        with subtests.test("requests in every state, some breached, faults of members first"):
            _check_requests(session)
        with subtests.test("past warnings: sites that cut their load and sites that did not"):
            _check_load_reduction(session)
        with subtests.test("notices past and upcoming, in every state, some acknowledged"):
            _check_notices(session)


def _check_load_reduction(session: Session) -> None:
    from db.models import Notice, User
    from lounge.access import Viewer
    from lounge.demand import baseline

    staff = Viewer.of(session.scalars(select(User).where(User.role == "demand_staff")).one())
    client = Viewer.of(
        session.scalars(select(User).where(User.email == "client@demo.lounge")).one()
    )
    notices = session.scalars(
        select(Notice).where(Notice.state == "completed", Notice.kind == "peak_warning")
    ).all()
    responded = []
    for notice in notices:
        found = baseline.measure(session, staff, notice.id)
        shares = [line.reduction_wh / line.baseline_wh for line in found.sites]
        # some sites cut their load, others went on as usual
        if any(share > 0.15 for share in shares) and any(abs(share) < 0.1 for share in shares):
            responded.append(notice.id)
            assert found.total.reduction_wh > 0
    assert len(responded) >= 2
    mine = baseline.measure(session, client, responded[0])
    assert mine.sites and {line.customer_id for line in mine.sites} == {demo.CHAIN_ID}


def _check_notices(session: Session) -> None:
    from db.models import Notice, NoticeAcknowledgement, NoticeState, NoticeTarget
    from lounge.access import Viewer
    from lounge.demand import acknowledgements
    from lounge.users import find_by_email

    found = session.scalars(select(Notice)).all()
    assert {n.state for n in found} == set(NoticeState)
    noon = dt.datetime.combine(TODAY, dt.time(12), dt.UTC)
    assert any(n.ends_at < noon for n in found) and any(n.starts_at > noon for n in found)
    assert session.scalar(select(func.count()).select_from(NoticeAcknowledgement)) >= 5
    loads = session.scalars(select(NoticeTarget.load_w).where(NoticeTarget.load_w > 0)).all()
    assert loads, "the load at stake comes from the sites' interval data"
    client = Viewer.of(find_by_email(session, "client@demo.lounge"))
    shown = acknowledgements.for_customer(session, client, client.customer_id, noon)
    assert any(n.acknowledged_at for n in shown)
    manager = Viewer.of(find_by_email(session, "manager@demo.lounge"))
    assert acknowledgements.unacknowledged(session, manager, noon)


def _check_meetings(session: Session) -> None:
    from db.models import ActionItem, Meeting, MeetingState
    from lounge import meetings
    from lounge.access import SYSTEM

    found = session.scalars(select(Meeting)).all()
    assert all(meetings.is_meeting_day(meetings.local(m.starts_at).date()) for m in found)
    by_manager_day = {(m.organiser_id, meetings.local(m.starts_at).date()) for m in found}
    assert len(by_manager_day) == len(found)  # no manager has two meetings on a day
    held = [m for m in found if m.state == MeetingState.HELD]
    assert held and all(m.minutes and m.actions for m in held)
    assert all(m.starts_at.date() < TODAY for m in held)
    items = session.scalars(select(ActionItem)).all()
    assert any(item.done_at for item in items)
    assert any(meetings.is_overdue(item, TODAY) for item in items)
    statuses = {row.status for row in meetings.planner(session, SYSTEM, TODAY)}
    assert {meetings.HELD, meetings.SCHEDULED, meetings.OVERDUE} <= statuses
    chain = meetings.upcoming(session, SYSTEM, demo.CHAIN_ID, TODAY)  # the demo client's next one
    assert chain is not None and chain.contacts


def _check_requests(session: Session) -> None:
    from db.models import RequestState, ServiceRequest, User
    from lounge.access import Viewer
    from lounge.requests import desk, sla

    requests = session.scalars(select(ServiceRequest)).all()
    assert {r.state for r in requests} == set(RequestState)
    assert any(sla.status(r, TODAY) is sla.Sla.BREACHED for r in requests)
    assert any(sla.status(r, TODAY) is sla.Sla.MET for r in requests)
    assert any(e.internal for r in requests for e in r.events)
    assert any(e.state is None and e.actor_role == "client" for r in requests for e in r.events)
    assert any(r.attachments for r in requests)
    desk_user = session.scalars(select(User).where(User.role == "fault_desk")).one()
    queue = desk.queue(session, Viewer.of(desk_user), TODAY)
    flags = [item.request.priority for item in queue]
    assert True in flags and False in flags and flags == sorted(flags, reverse=True)


def _check_special_customers(session: Session) -> None:
    window = Window.for_date(TODAY)
    found = classification.figures(session.connection(), window, list(EXPECTED_RULE))
    for spec in demo.SPECIALS:
        figures = found[spec.id]
        assert figures.rule == EXPECTED_RULE[spec.id], spec.id
        assert figures.total_wh == sum(spec.site_kwh) * 1000, spec.id
        assert figures.max_site_wh == max(spec.site_kwh) * 1000, spec.id
        status = session.get(VipStatus, spec.id)
        assert bool(status and status.is_vip) == (EXPECTED_RULE[spec.id] is not None), spec.id
    chain = found[demo.CHAIN_ID]
    chain_sites = session.scalar(
        select(func.count()).select_from(Site).where(Site.customer_id == demo.CHAIN_ID)
    )
    assert chain_sites == 40
    assert chain.max_site_wh < SITE_THRESHOLD_WH // 4


def _check_history(session: Session) -> None:
    runs = session.scalars(select(ClassificationRun.as_of).order_by(ClassificationRun.id)).all()
    first_run = localtime.add_months(TODAY.replace(day=1), -12)
    assert runs[0] == first_run and runs[-1] == TODAY and len(runs) == 14
    events = {
        (event.customer_id, event.event): event.effective_date
        for event in session.scalars(select(VipEvent).where(VipEvent.effective_date > first_run))
    }
    year_ago = TODAY - dt.timedelta(days=365)
    assert year_ago < events[demo.ENTERING_ID, "enter"] <= TODAY
    assert year_ago < events[demo.LEAVING_ID, "exit"] <= TODAY
    # the threshold customers have been on their side all year: no later events
    edge = set(EXPECTED_RULE) - {demo.ENTERING_ID, demo.LEAVING_ID}
    assert not {customer for customer, _ in events} & edge


def _check_logins(session: Session, logins: list[tuple[str, str]]) -> None:
    first_roles = [role for role, _ in logins[:4]]
    assert first_roles == ["client", "account_manager", "demand_staff", "admin"]
    for role, email in logins:
        user = users.authenticate(session, email, demo.PASSWORD)
        assert user is not None and user.role == role, email
    client = users.find_by_email(session, logins[0][1])
    assert client is not None and client.customer_id == demo.CHAIN_ID
    manager = users.find_by_email(session, logins[1][1])
    assert manager is not None
    portfolio = set(
        session.scalars(
            select(ManagerAssignment.customer_id).where(ManagerAssignment.manager_id == manager.id)
        )
    )
    assert set(EXPECTED_RULE) <= portfolio
    unmanaged = select(Customer.id).where(~Customer.id.in_(select(ManagerAssignment.customer_id)))
    assert session.scalars(unmanaged).all() == []
    assert users.count(session) < 12


def _check_master_data(session: Session) -> None:
    customers = session.scalars(select(Customer)).all()
    assert len(customers) == CUSTOMERS
    assert {c.segment for c in customers} == SEGMENT_CODES
    assert all(len(c.tax_id) == 9 and c.tax_id.isdigit() for c in customers)
    assert {c.language for c in customers} == {"he", "en"}
    assert set(session.scalars(select(Site.region))) <= set(demo.REGIONS)
    contracts = pd.DataFrame(
        session.execute(select(Contract.site_id, Contract.start_date, Contract.end_date)).all(),
        columns=["site_id", "start", "end"],
    )
    per_site = contracts.groupby("site_id").size()
    sites = session.scalar(select(func.count()).select_from(Site))
    assert len(per_site) == sites and per_site.between(1, 2).all()
    active = contracts[(contracts["start"] <= TODAY) & (contracts["end"] >= TODAY)]
    assert active["site_id"].is_unique and len(active) == sites
    assert (active["end"] <= TODAY + dt.timedelta(days=90)).any()
    contacts = session.execute(
        select(Contact.customer_id, func.count()).group_by(Contact.customer_id)
    ).all()
    assert len(contacts) == CUSTOMERS and all(1 <= count <= 3 for _, count in contacts)
    _check_contact_channels(session)
    _check_notifications(session)
    estimated, rows = session.execute(
        select(func.count().filter(Reading.estimated), func.count())
    ).one()
    assert 0 < estimated < rows * 0.02


def _check_contact_channels(session: Session) -> None:
    """Some contacts want e-mail only, some texts only, some letters only, some several;
    every one can be reached on what it chose."""
    chosen = session.execute(
        select(ContactChannel.contact_id, ContactChannel.channel).where(
            ContactChannel.topic == Topic.MEMBERSHIP
        )
    ).all()
    by_contact: dict[int, set[str]] = {}
    for contact_id, channel in chosen:
        by_contact.setdefault(contact_id, set()).add(channel)
    assert len(by_contact) == session.scalar(select(func.count()).select_from(Contact))
    profiles = {frozenset(channels) for channels in by_contact.values()}
    assert {frozenset({"email"}), frozenset({"sms"}), frozenset({"post"})} <= profiles
    assert any(len(profile) > 1 for profile in profiles)
    for contact in session.scalars(select(Contact)):
        wants = by_contact[contact.id]
        assert ("email" not in wants or contact.email) and ("sms" not in wants or contact.phone)
        assert contact.postal_address and (contact.phone is None or contact.phone.startswith("+"))


def _check_notifications(session: Session) -> None:
    """Every entry and exit of the history was announced; past ones went out back then, and
    messages of the latest run (if it recorded any) wait for the sender."""
    statuses = dict(
        session.execute(
            select(Notification.status, func.count()).group_by(Notification.status)
        ).all()
    )
    assert statuses.get("sent", 0) > 0 and statuses.get("delivered", 0) > 0
    kinds = set(session.scalars(select(Notification.kind).distinct()))
    assert {"welcome", "farewell", "manager_entered", "manager_exited"} <= kinds
    channels = set(session.scalars(select(Notification.channel).distinct()))
    assert channels == {"email", "sms", "post", "in_app"}


def _check_interval_data(session: Session) -> None:
    flagship = session.scalars(
        select(Site.id).where(Site.customer_id == demo.CHAIN_ID).order_by(Site.id)
    ).first()
    this_month = TODAY.replace(day=1)
    quarter_hours_from = localtime.add_months(this_month, -demo.QUARTER_HOUR_MONTHS)
    hourly_from = localtime.add_months(quarter_hours_from, -demo.HOURLY_MONTHS)
    by_length = _dst_days(hourly_from, TODAY)
    assert by_length[23] and by_length[25]
    for hours, days in (
        (23, by_length[23]),
        (25, by_length[25]),
        (24, by_length[24][:3] + by_length[24][-3:]),
    ):
        for day in days:
            start = localtime.local_midnight_s(day)
            count = session.scalar(
                select(func.count())
                .select_from(Reading)
                .where(Reading.site_id == flagship)
                .where(Reading.start_s >= start, Reading.start_s < start + hours * 3600)
            )
            assert count == hours * (4 if day >= quarter_hours_from else 1), day
    # before the hourly year: one billing read a month
    reads = session.execute(
        select(Reading.start_s, Reading.end_s)
        .where(Reading.site_id == flagship)
        .where(Reading.start_s < localtime.local_midnight_s(hourly_from))
    ).all()
    assert len(reads) == demo.HISTORY_MONTHS - demo.QUARTER_HOUR_MONTHS - demo.HOURLY_MONTHS
    daily = pd.DataFrame(
        session.execute(
            select(ConsumptionDaily.day, ConsumptionDaily.wh).where(
                ConsumptionDaily.site_id == flagship
            )
        ).all(),
        columns=["day", "wh"],
    ).set_index("day")["wh"]
    weekday = pd.Series([day.weekday() for day in daily.index], index=daily.index)
    month = pd.Series([day.month for day in daily.index], index=daily.index)
    working = daily[weekday.isin([6, 0, 1, 2, 3])]
    assert working.mean() > 1.5 * daily[weekday == 5].mean()  # a store closed on Saturday
    assert daily[dt.date(2025, 10, 2)] < 0.7 * working.median()  # Yom Kippur, a Thursday
    assert daily[month.isin([7, 8])].mean() > 1.05 * daily[month.isin([3, 4])].mean()


def test_generation_on_the_first_of_a_month(tmp_path: Path):
    first = dt.date(2026, 3, 1)
    path = tmp_path / "first.db"
    # the special customers alone: what this test checks
    with (
        _generated_sqlite(path, first, len(demo.SPECIALS)) as database,
        database.session() as session,
    ):
        assert session.scalar(select(func.max(Reading.end_s))) == localtime.local_midnight_s(first)
        runs = session.scalars(select(ClassificationRun.as_of)).all()
        assert len(runs) == 13 and runs[-1] == first
        found = classification.figures(session.connection(), Window.for_date(first))
        assert {spec.id: found[spec.id].rule for spec in demo.SPECIALS} == EXPECTED_RULE


def _check_meters_and_site_types(session: Session) -> None:
    members = select(VipStatus.customer_id).where(VipStatus.is_vip)
    with_interval = select(ConsumptionDaily.site_id).distinct()
    member_sites, metered = session.execute(
        select(func.count(), func.count().filter(Site.id.in_(with_interval))).where(
            Site.customer_id.in_(members)
        )
    ).one()
    assert metered > 0.8 * member_sites
    chain_metered = session.scalar(
        select(func.count()).where(Site.customer_id == demo.CHAIN_ID, Site.id.in_(with_interval))
    )
    assert chain_metered >= 30  # of the demo client's 40 stores
    kinds = dict(
        session.execute(select(Site.site_type, func.count()).group_by(Site.site_type)).all()
    )
    assert None not in kinds and "" not in kinds
    assert {"plant", "store", "warehouse", "office", "hospital"} <= set(kinds)
