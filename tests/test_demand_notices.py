"""Notices: the five-day rule at its edge, one issue only, follow-ups to exactly the original
recipients, the preview and its load at stake, the schedule, and who sees what."""

from __future__ import annotations

import datetime as dt
import threading
from dataclasses import replace

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from db.models import (
    AuditLog,
    Channel,
    Contact,
    ContactChannel,
    Notice,
    NoticeKind,
    NoticeState,
    NoticeTarget,
    Notification,
    Role,
    Topic,
)
from db.session import Database
from lounge import i18n, users, week
from lounge.access import AccessDenied, NotFound, Viewer
from lounge.demand import acknowledgements, notices, rules, similar, targeting
from lounge.demand.links import Links
from lounge.demand.notices import AlreadyIssued, Change, Draft
from lounge.demand.rules import NoticeRefused
from lounge.demand.targeting import Targeting
from lounge.notify import sms
from lounge.settings import TIMEZONE
from tests.factories import add_customer, import_readings

LINKS = Links("https://lounge.example", "test-secret")
STAFF = Viewer(1, "demand@power.example", Role.DEMAND_STAFF)


def local(*parts: int) -> dt.datetime:
    return dt.datetime(*parts, tzinfo=TIMEZONE)  # type: ignore[misc]


def _contact(customer: str, name: str, email: str | None, phone: str | None, *channels: str):
    contact = Contact(customer_id=customer, name=name, email=email, phone=phone, language="he")
    contact.channels = [
        ContactChannel(topic=topic, channel=channel)
        for topic in (Topic.WARNINGS, Topic.OUTAGES)
        for channel in channels
    ]
    return contact


def _world(db: Database) -> None:
    """C1 (North, two sites, two contacts) and C2 (South, one site, one contact, one user)."""
    with db.session() as session:
        add_customer(session, "C1", "S1", "S2", region="North")
        add_customer(session, "C2", "S3", region="South")
        session.add_all(
            [
                _contact("C1", "Dana", "dana@c1.example", "+972501234567", "email", "sms"),
                _contact("C1", "Omer", "omer@c1.example", None, "email"),
                _contact("C2", "Rana", "rana@c2.example", None, "email"),
            ]
        )
        users.create_user(
            session,
            email="client@c2.example",
            role="client",
            customer_id="C2",
            password="a long enough password",
            actor="test",
        )


def _draft(kind: str = NoticeKind.PEAK_WARNING, regions=("North",), start=None, hours=4, **kw):
    starts_at = start or local(2026, 7, 14, 14)
    return Draft(
        kind=kind,
        starts_at=starts_at,
        ends_at=starts_at + dt.timedelta(hours=hours),
        targeting=Targeting(regions=tuple(regions)),
        level=2 if kind == NoticeKind.PEAK_WARNING else None,
        reason="heat" if kind == NoticeKind.PEAK_WARNING else None,
        **kw,
    )


def _new(db: Database, draft: Draft) -> int:
    with db.session() as session:
        return notices.create(session, STAFF, draft).id


def _messages(db: Database, kind: str | None = None) -> list[Notification]:
    with db.session() as session:
        query = select(Notification).order_by(Notification.id)
        if kind:
            query = query.where(Notification.kind == kind)
        return list(session.scalars(query))


# --- the five-day rule -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("issued", "earliest"),
    [
        # the spring change (Friday 27 March 2026): five calendar days are 119 hours
        (local(2026, 3, 24, 10), local(2026, 3, 29, 0)),
        # the autumn change (Sunday 25 October 2026): 121 hours
        (local(2026, 10, 22, 23, 30), local(2026, 10, 27, 0)),
        # half past midnight in Israel is still the day before in UTC: Israel's date counts
        (local(2026, 6, 10, 0, 30), local(2026, 6, 15, 0)),
    ],
)
def test_a_planned_outage_may_start_five_israeli_calendar_days_after_its_issue(issued, earliest):
    assert rules.earliest_planned_start(issued) == earliest
    rules.check_notice_period(NoticeKind.PLANNED_OUTAGE, earliest, issued)
    with pytest.raises(NoticeRefused) as refused:
        rules.check_notice_period(
            NoticeKind.PLANNED_OUTAGE, earliest - dt.timedelta(minutes=1), issued
        )
    with i18n.use("en"):
        named = f"{i18n.format_time(earliest)} on {i18n.format_date(earliest.date())}"
    assert named in str(refused.value)
    # other kinds need no notice period
    rules.check_notice_period(NoticeKind.EMERGENCY_OUTAGE, issued, issued)


def test_the_spring_edge_is_119_hours_not_120():
    issued = local(2026, 3, 24, 0)
    assert rules.earliest_planned_start(issued) - issued == dt.timedelta(hours=119)


@pytest.mark.parametrize("minutes_early", [1, 0])
def test_issuing_a_planned_outage_at_the_edge_across_the_clock_change(
    db: Database, minutes_early: int
):
    _world(db)
    issued_at = local(2026, 3, 24, 10)
    start = local(2026, 3, 29, 0) - dt.timedelta(minutes=minutes_early)
    notice_id = _new(db, _draft(NoticeKind.PLANNED_OUTAGE, start=start, hours=6))
    if minutes_early:
        with pytest.raises(NoticeRefused, match="0:00 on 29 Mar 2026"), db.session() as session:
            notices.issue(session, STAFF, notice_id, LINKS, issued_at)
        with db.session() as session:
            assert session.get(Notice, notice_id).state == NoticeState.DRAFT
        assert _messages(db) == []
    else:
        with db.session() as session:
            notices.issue(session, STAFF, notice_id, LINKS, issued_at)
        assert _messages(db)


# --- issue once, and the follow-ups ----------------------------------------------------------


def test_a_notice_goes_to_the_chosen_channels_of_the_targeted_customers_only(db: Database):
    _world(db)
    notice_id = _new(db, _draft(reduction_kw=150))
    with db.session() as session:
        issued = notices.issue(session, STAFF, notice_id, LINKS, local(2026, 7, 13, 9))
    assert issued.sites == 2
    sent = _messages(db)
    assert sorted((m.channel, m.recipient) for m in sent) == [
        ("email", "dana@c1.example"),
        ("email", "omer@c1.example"),
        ("sms", "+972501234567"),
    ]
    assert {m.customer_id for m in sent} == {"C1"}
    assert all(m.topic == Topic.WARNINGS and m.language == "he" for m in sent)
    email = next(m for m in sent if m.recipient == "dana@c1.example")
    assert "150" in email.body and "https://lounge.example/a/" in email.body
    text = next(m for m in sent if m.channel == Channel.SMS)
    assert text.link and "https://lounge.example/a/" in text.link and text.body.endswith(text.link)
    assert sms.segment(text.body).count == 1
    with db.session() as session:
        actions = session.scalars(select(AuditLog.action).order_by(AuditLog.id)).all()
    assert [a for a in actions if a.startswith("notice.")] == ["notice.draft", "notice.issue"]


def test_a_notice_is_issued_once(db: Database):
    _world(db)
    notice_id = _new(db, _draft())
    with db.session() as session:
        notices.issue(session, STAFF, notice_id, LINKS, local(2026, 7, 13, 9))
    with pytest.raises(AlreadyIssued), db.session() as session:
        notices.issue(session, STAFF, notice_id, LINKS, local(2026, 7, 13, 9, 1))
    assert len(_messages(db)) == 3


def test_two_concurrent_issues_send_once(db: Database):
    _world(db)
    notice_id = _new(db, _draft())
    start = threading.Barrier(2)
    outcomes: list[str] = []

    def issue() -> None:
        start.wait()
        try:
            with db.session() as session:
                notices.issue(session, STAFF, notice_id, LINKS, local(2026, 7, 13, 9))
            outcomes.append("issued")
        except AlreadyIssued:
            outcomes.append("refused")

    threads = [threading.Thread(target=issue) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["issued", "refused"]
    assert len(_messages(db)) == 3
    with db.session() as session:
        assert len(session.scalars(select(NoticeTarget)).all()) == 2


def test_an_update_and_a_cancellation_reach_exactly_the_original_recipients(db: Database):
    _world(db)
    notice_id = _new(db, _draft())
    with db.session() as session:
        notices.issue(session, STAFF, notice_id, LINKS, local(2026, 7, 13, 9))
    with db.session() as session:
        # after the issue: a new contact at C1, Dana's e-mail changes, Omer stops warnings
        session.add(_contact("C1", "New", "new@c1.example", None, "email"))
        dana = session.scalars(select(Contact).where(Contact.name == "Dana")).one()
        dana.email = "dana.new@c1.example"
        # and a customer in the region that was not there at issue
        add_customer(session, "C3", "S9", region="North")
        session.add(_contact("C3", "Late", "late@c3.example", None, "email"))
    original = sorted((m.channel, m.recipient) for m in _messages(db, "notice_issued"))
    with db.session() as session:
        notices.change(
            session,
            STAFF,
            notice_id,
            0,
            Change(local(2026, 7, 14, 15), local(2026, 7, 14, 19), level=3),
            LINKS,
            local(2026, 7, 13, 12),
        )
    with db.session() as session:
        notices.cancel(session, STAFF, notice_id, 1, LINKS, local(2026, 7, 13, 13))
    for kind in ("notice_updated", "notice_cancelled"):
        assert sorted((m.channel, m.recipient) for m in _messages(db, kind)) == original
    with db.session() as session:
        notice = session.get(Notice, notice_id)
        assert (notice.state, notice.revision) == (NoticeState.CANCELLED, 1)
        actions = session.scalars(select(AuditLog.action).order_by(AuditLog.id)).all()
    assert actions[-3:] == ["notice.issue", "notice.update", "notice.cancel"]


def test_a_stale_or_repeated_update_is_refused(db: Database):
    _world(db)
    notice_id = _new(db, _draft())
    with db.session() as session:
        notices.issue(session, STAFF, notice_id, LINKS, local(2026, 7, 13, 9))
    with db.session() as session:
        notices.complete(session, STAFF, notice_id, 0, LINKS, local(2026, 7, 14, 19))
    with pytest.raises(NoticeRefused), db.session() as session:
        notices.complete(session, STAFF, notice_id, 0, LINKS, local(2026, 7, 14, 19))
    assert len(_messages(db, "notice_completed")) == 3


def test_a_scheduled_notice_is_issued_by_the_periodic_job_when_due(db: Database):
    _world(db)
    notice_id = _new(db, _draft())
    with db.session() as session:
        notices.schedule(session, STAFF, notice_id, local(2026, 7, 13, 8), local(2026, 7, 12, 9))
    with db.session() as session:
        assert notices.issue_due(session, LINKS, local(2026, 7, 13, 7, 59)) == []
    assert _messages(db) == []
    with db.session() as session:
        assert notices.issue_due(session, LINKS, local(2026, 7, 13, 8)) == [notice_id]
    with db.session() as session:
        assert notices.issue_due(session, LINKS, local(2026, 7, 13, 8, 5)) == []
        notice = session.get(Notice, notice_id)
        assert notice.state == NoticeState.ISSUED and notice.issued_by == "system"
    assert len(_messages(db)) == 3


def test_scheduling_a_planned_outage_counts_the_notice_period_from_the_scheduled_time(
    db: Database,
):
    _world(db)
    notice_id = _new(db, _draft(NoticeKind.PLANNED_OUTAGE, start=local(2026, 7, 20, 8)))
    with pytest.raises(NoticeRefused, match="0:00 on 21 Jul 2026"), db.session() as session:
        notices.schedule(session, STAFF, notice_id, local(2026, 7, 16, 8), local(2026, 7, 10, 9))
    with db.session() as session:
        notices.schedule(session, STAFF, notice_id, local(2026, 7, 15, 8), local(2026, 7, 10, 9))


# --- the preview and its load at stake ----------------------------------------------------


def _quarter_rows(site: str, first: dt.date, days: int, busy: float, quiet: float) -> list[str]:
    """15-minute readings: ``busy`` kWh per quarter from 14:00 to 18:00 Israel time, else
    ``quiet``."""
    rows = []
    for n in range(days):
        day = first + dt.timedelta(days=n)
        moment = dt.datetime.combine(day, dt.time(), TIMEZONE)
        end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), TIMEZONE)
        while moment < end:
            following = moment + dt.timedelta(minutes=15)
            hour = moment.astimezone(TIMEZONE).hour
            kwh = busy if 14 <= hour < 18 else quiet
            rows.append(
                f"{site},{moment.astimezone(dt.UTC).isoformat()},"
                f"{following.astimezone(dt.UTC).isoformat()},{kwh}"
            )
            moment = following
    return rows


def test_the_preview_names_whom_the_notice_reaches_and_the_load_at_stake(db: Database):
    _world(db)
    # S1: 2 kWh per quarter hour (8 kW) in the window on working days, 0.5 outside;
    # the weekend days are quiet all day, so an average over all days would be lower.
    import_readings(db, *_quarter_rows("S1", dt.date(2026, 6, 1), 44, 2.0, 0.5))
    event = local(2026, 7, 14, 14)  # a Tuesday
    assert similar.similar_days(event.date())[:3] == [
        dt.date(2026, 7, 13),
        dt.date(2026, 7, 12),
        dt.date(2026, 7, 9),
    ]
    with db.session() as session:
        shown = targeting.preview(
            session,
            STAFF,
            Targeting(regions=("North",)),
            NoticeKind.PEAK_WARNING,
            event,
            event + dt.timedelta(hours=4),
        )
        wider = targeting.preview(
            session,
            STAFF,
            Targeting(regions=("North",)),
            NoticeKind.PEAK_WARNING,
            event - dt.timedelta(hours=2),
            event + dt.timedelta(hours=4),
        )
    assert (shown.sites, shown.contacts, shown.unreachable) == (2, 2, 0)
    assert shown.messages == {"email": 2, "sms": 1}
    assert [line.customer_id for line in shown.customers] == ["C1"]
    assert shown.load_w == 8000 and shown.measured_sites == 1
    # two quiet hours (2 kW) and four busy ones (8 kW): 6 kW on average
    assert wider.load_w == 6000
    assert [(r.region, r.customers, r.sites, r.load_w) for r in shown.regions] == [
        ("North", 1, 2, 8000)
    ]


def test_the_issue_stores_each_sites_load_at_stake(db: Database):
    _world(db)
    import_readings(db, *_quarter_rows("S1", dt.date(2026, 6, 20), 24, 1.0, 0.25))
    notice_id = _new(db, _draft())
    with db.session() as session:
        notices.issue(session, STAFF, notice_id, LINKS, local(2026, 7, 13, 9))
        loads = dict(session.execute(select(NoticeTarget.site_id, NoticeTarget.load_w)).all())
    assert loads == {"S1": 4000, "S2": None}


def test_targeting_by_site_segment_type_and_membership(db: Database):
    _world(db)
    with db.session() as session:
        pick = targeting.sites_query(Targeting(site_ids=("S3",), regions=("North",)))
        assert sorted(r[0] for r in session.execute(pick)) == ["S1", "S2", "S3"]
        members = targeting.sites_query(Targeting(regions=("North", "South"), members_only=True))
        assert session.execute(members).all() == []
        assert session.execute(targeting.sites_query(Targeting())).all() == []


# --- clients, links and access -----------------------------------------------------------


def test_a_client_sees_and_acknowledges_only_notices_touching_its_own_sites(db: Database):
    _world(db)
    north = _new(db, _draft())
    south = _new(db, _draft(regions=("South",)))
    for notice_id in (north, south):
        with db.session() as session:
            notices.issue(session, STAFF, notice_id, LINKS, local(2026, 7, 13, 9))
    with db.session() as session:
        client = Viewer.of(users.find_by_email(session, "client@c2.example"))
    now = local(2026, 7, 13, 10)
    with db.session() as session:
        shown = acknowledgements.for_customer(session, client, "C2", now)
        assert [(n.notice_id, n.sites) for n in shown] == [(south, ("Site S3",))]
        with pytest.raises(NotFound):
            acknowledgements.for_customer(session, client, "C1", now)
        with pytest.raises(NotFound):
            acknowledgements.acknowledge(session, client, north, 10, now)
        done = acknowledgements.acknowledge(session, client, south, 120, now)
        assert done.planned_kw == 120 and done.acknowledged_at is not None
        with pytest.raises(AccessDenied):
            acknowledgements.by_customer(session, client, south)
        with pytest.raises(AccessDenied):
            notices.listing(session, client)
        with pytest.raises(AccessDenied):
            targeting.preview(
                session, client, Targeting(regions=("South",)), "peak_warning", now, now
            )
    with db.session() as session:
        rows = acknowledgements.by_customer(session, STAFF, south)
        assert [(r.customer_id, r.planned_kw, r.via) for r in rows] == [("C2", 120, "lounge")]
        regions = acknowledgements.by_region(session, STAFF, north)
        assert [(r.region, r.customers, r.acknowledged) for r in regions] == [("North", 1, 0)]


def test_an_acknowledgement_the_database_refuses_is_an_error_not_a_silent_success(db: Database):
    _world(db)
    south = _new(db, _draft(regions=("South",)))
    with db.session() as session:
        notices.issue(session, STAFF, south, LINKS, local(2026, 7, 13, 9))
        client = Viewer.of(users.find_by_email(session, "client@c2.example"))
    gone = replace(client, user_id=10**9)  # a user deleted since the viewer was read
    with pytest.raises(IntegrityError), db.session() as session:
        acknowledgements.acknowledge(session, gone, south, 10, local(2026, 7, 13, 10))


def test_acknowledging_by_the_signed_link_and_a_forged_one(db: Database):
    _world(db)
    notice_id = _new(db, _draft())
    with db.session() as session:
        notices.issue(session, STAFF, notice_id, LINKS, local(2026, 7, 13, 9))
    link = next(m.link for m in _messages(db) if m.recipient == "omer@c1.example")
    token = link.rsplit("/", 1)[1]
    now = local(2026, 7, 13, 10)
    forged = Links("https://lounge.example", "not-our-secret").ack(notice_id, "C1", 1)
    with db.session() as session:
        with pytest.raises(NotFound):
            acknowledgements.acknowledge_by_link(
                session, LINKS.secret, forged.rsplit("/", 1)[1], None, now
            )
        assert acknowledgements.by_link(session, LINKS.secret, token + "x", now) is None
        done = acknowledgements.acknowledge_by_link(session, LINKS.secret, token, "", now)
        assert done.customer_id == "C1" and done.planned_kw is None
    with db.session() as session:
        rows = acknowledgements.by_customer(session, STAFF, notice_id)
        assert [(r.customer_id, r.via) for r in rows] == [("C1", "link")]


def test_a_manager_sees_who_in_the_portfolio_has_not_acknowledged(db: Database):
    _world(db)
    with db.session() as session:
        manager = users.create_user(
            session,
            email="am@power.example",
            role="account_manager",
            password="a long enough password",
            actor="test",
        )
        users.assign_manager(session, "am@power.example", ["C1"], "test")
        viewer = Viewer.of(manager)
    both = _new(db, _draft(regions=("North", "South")))
    with db.session() as session:
        notices.issue(session, STAFF, both, LINKS, local(2026, 7, 13, 9))
    now = local(2026, 7, 13, 10)
    with db.session() as session:
        waiting = acknowledgements.unacknowledged(session, viewer, now)
        assert [(w.notice_id, w.customer_id) for w in waiting] == [(both, "C1")]
        [line] = week.unacknowledged_notices(session, viewer, now.date(), now)
        assert line.day == dt.date(2026, 7, 14) and line.href == f"/notices#notices-notice-{both}"
        assert line.text.startswith("1 customer has not acknowledged")
        assert [r.customer_id for r in acknowledgements.by_customer(session, viewer, both)] == [
            "C1"
        ]
        everyone = acknowledgements.unacknowledged(session, STAFF, now)
        assert sorted(w.customer_id for w in everyone) == ["C1", "C2"]
        admin = Viewer(1, "admin@power.example", Role.ADMIN)
        [grouped] = week.unacknowledged_notices(session, admin, now.date(), now)
        assert grouped.text.startswith("2 customers have not acknowledged")
        with pytest.raises(AccessDenied):
            notices.issue(session, viewer, both, LINKS, now)
    with db.session() as session:
        assert acknowledgements.unacknowledged(session, viewer, local(2026, 7, 14, 19)) == []


def test_a_manager_follows_the_portfolios_notices_and_who_has_acknowledged(db: Database):
    _world(db)
    with db.session() as session:
        for email, customers in (("am@power.example", ["C1", "C2"]), ("am2@power.example", [])):
            users.create_user(
                session,
                email=email,
                role="account_manager",
                password="a long enough password",
                actor="test",
            )
            users.assign_manager(session, email, customers, "test")
        manager = Viewer.of(users.find_by_email(session, "am@power.example"))  # type: ignore[arg-type]
        other = Viewer.of(users.find_by_email(session, "am2@power.example"))  # type: ignore[arg-type]
    both = _new(db, _draft(regions=("North", "South")))
    north = _new(db, _draft(start=local(2026, 7, 15, 14)))
    cancelled = _new(db, _draft(regions=("South",), start=local(2026, 7, 13, 12)))
    old = _new(db, _draft(start=local(2026, 7, 1, 14)))
    with db.session() as session:
        for notice_id in (both, north, cancelled):
            notices.issue(session, STAFF, notice_id, LINKS, local(2026, 7, 10, 9))
        notices.issue(session, STAFF, old, LINKS, local(2026, 6, 30, 9))
        notices.cancel(session, STAFF, cancelled, 0, LINKS, local(2026, 7, 12, 9))
    now = local(2026, 7, 13, 10)
    with db.session() as session:
        client = Viewer.of(users.find_by_email(session, "client@c2.example"))  # type: ignore[arg-type]
        acknowledgements.acknowledge(session, client, both, 40, now)
    with db.session() as session:
        shown = acknowledgements.followed(session, manager, now)
        # open ones first by start, then the recent others; the one over for 12 days is gone
        assert [(n.notice_id, n.state) for n in shown] == [
            (both, "issued"),
            (north, "issued"),
            (cancelled, "cancelled"),
        ]
        answers = {(a.customer_id, a.planned_kw) for a in shown[0].customers}
        assert answers == {("C1", None), ("C2", 40)}
        assert [a.customer_id for a in shown[0].waiting] == ["C1"]
        assert acknowledgements.followed(session, other, now) == []
        with pytest.raises(AccessDenied):
            acknowledgements.followed(session, client, now)


@pytest.mark.parametrize("kind", ["notice_issued", "notice_updated", "notice_cancelled"])
def test_staff_preview_the_notice_messages_in_both_languages(kind: str):
    from lounge.notify import status

    hebrew = status.preview(STAFF, kind, "he")
    assert hebrew.language == "he" and "התרעת עומס שיא, רמה 2 (חום)" in hebrew.text
    english = status.preview(STAFF, kind, "en")
    assert "Peak-load warning, level 2 (heat)" in english.subject
    assert "Store 12" in english.text and "{" not in english.text + english.sms


def test_the_notify_worker_issues_what_is_scheduled(db: Database, monkeypatch):
    from lounge import settings
    from lounge.notify import worker

    _world(db)
    notice_id = _new(db, _draft(start=dt.datetime.now(dt.UTC) + dt.timedelta(hours=3)))
    with db.session() as session:
        soon = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=1)
        notices.schedule(session, STAFF, notice_id, soon, soon - dt.timedelta(minutes=1))
        notice = session.get(Notice, notice_id)
        notice.scheduled_at = soon - dt.timedelta(minutes=1)  # its time has come
    config = settings.load()
    assert worker.issue_scheduled(db, config) == 1
    assert worker.issue_scheduled(db, config) == 0
    sent = _messages(db, "notice_issued")
    assert len(sent) == 3 and all(config.public_url in m.body for m in sent if m.channel != "sms")
