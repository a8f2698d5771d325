"""Notices through the web: demand staff draft, issue and follow up from /demand; a client sees
and acknowledges only notices touching its own sites; a message's signed link acknowledges
without signing in; forged ids and roles change nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from db.models import Contact, Notice, NoticeAcknowledgement, NoticeKind, NoticeState, Notification
from lounge.access import Viewer
from lounge.demand import notices
from lounge.demand.links import Links
from lounge.demand.notices import Draft
from lounge.demand.targeting import Targeting
from lounge.settings import TIMEZONE
from lounge.users import find_by_email
from tests.test_web_access import (
    DEMAND_ACT,
    DEMAND_FORM,
    DEMAND_SAVE,
    DEMAND_SHOW,
    NOTICE_ACK,
    ROUTER,
)
from tests.web_fixtures import call, sign_in

SOON = dt.datetime.now(dt.UTC) + dt.timedelta(days=1)


def _routed(client, path: str) -> str:
    """What the pages' router renders at ``path`` for the signed-in user."""
    return call(
        client,
        ROUTER,
        {"_pages_location.pathname": path, "_pages_location.search": ""},
        triggered="_pages_location.pathname",
    ).get_data(as_text=True)


def _issued(db, site_ids: tuple[str, ...], secret: str = "") -> int:
    """A warning for ``site_ids``, issued by demand staff; returns its id."""
    with db.session() as session:
        staff = Viewer.of(find_by_email(session, "demand@a.test"))
        notice = notices.create(
            session,
            staff,
            Draft(
                NoticeKind.PEAK_WARNING,
                SOON,
                SOON + dt.timedelta(hours=4),
                Targeting(site_ids=site_ids),
                level=1,
                reason="heat",
            ),
        )
        notices.issue(session, staff, notice.id, Links("http://lounge.test", secret), SOON)
        return notice.id


def _ack(client, notice_id: int, kw: object = 50):
    ids = {
        "status": {"index": notice_id, "type": "notices-ack-status"},
        "button": {"index": notice_id, "type": "notices-ack"},
        "kw": {"index": notice_id, "type": "notices-kw"},
    }
    return client.post(
        "/_dash-update-component",
        json={
            "output": NOTICE_ACK,
            "outputs": {"id": ids["status"], "property": "children"},
            "inputs": [{"id": ids["button"], "property": "n_clicks", "value": 1}],
            "state": [{"id": ids["kw"], "property": "value", "value": kw}],
            "changedPropIds": [f'{{"index":{notice_id},"type":"notices-ack"}}.n_clicks'],
        },
    )


def _acks(db) -> list[tuple[int, str, int | None]]:
    with db.session() as session:
        return [
            (a.notice_id, a.customer_id, a.planned_kw)
            for a in session.scalars(select(NoticeAcknowledgement))
        ]


def test_a_client_sees_and_acknowledges_only_its_own_notices(client, db, world):
    theirs = _issued(db, (world.other_site,))
    ours = _issued(db, (world.own_site,))
    sign_in(client, "client@a.test")
    page = client.get("/notices")
    assert page.status_code == 200
    panel = _routed(client, "/notices")
    assert "Acme Ashdod Plant" in panel and world.other_site_name not in panel
    forged = _ack(client, theirs)
    assert forged.status_code == 200 and world.other_site_name not in forged.get_data(True)
    assert _acks(db) == []
    own = _ack(client, ours, 80)
    assert own.status_code == 200 and "80" in own.get_data(as_text=True)
    assert _acks(db) == [(ours, world.own, 80)]


def test_a_manager_sees_the_portfolios_events_and_who_has_acknowledged_only(client, db, world):
    both = _issued(db, (world.own_site, world.other_site))
    theirs = _issued(db, (world.other_site,))
    sign_in(client, "manager@a.test")
    panel = _routed(client, "/notices")
    assert f"notices-notice-{both}" in panel and f"notices-notice-{theirs}" not in panel
    assert "Acme" in panel and world.other_name not in panel
    assert "Not acknowledged yet" in panel and "Acknowledged by 0 of 1 customers." in panel


def test_the_time_fields_suggest_tomorrow_in_israel(client, db, world):
    sign_in(client, "demand@a.test")
    page = _routed(client, "/demand")
    tomorrow = dt.datetime.now(TIMEZONE).date() + dt.timedelta(days=1)
    assert f'"placeholder": "e.g. {tomorrow.isoformat()} 08:00"' in page.replace('":"', '": "')
    assert f"e.g. {tomorrow.isoformat()} 14:00" in page and "2026-07-14" not in page


@pytest.mark.parametrize("email", ["client@a.test", "manager@a.test"])
def test_only_demand_staff_move_notices(client, db, world, email):
    notice_id = _issued(db, (world.own_site,))
    sign_in(client, email)
    response = call(
        client,
        DEMAND_ACT,
        {"demand-cancel.n_clicks": 1},
        {"demand-pick.value": notice_id},
        triggered="demand-cancel.n_clicks",
    )
    assert response.status_code in (200, 204)
    saved = call(client, DEMAND_SAVE, {"demand-save.n_clicks": 1}, DEMAND_FORM)
    assert saved.status_code in (200, 204)
    with db.session() as session:
        assert session.get(Notice, notice_id).state == NoticeState.ISSUED
        assert session.scalar(select(func.count()).select_from(Notice)) == 1


def test_demand_staff_draft_issue_and_see_acknowledgements_without_money(client, db, world):
    sign_in(client, "demand@a.test")
    page = _routed(client, "/demand")
    assert "demand-save" in page and "₪" not in page
    saved = call(client, DEMAND_SAVE, {"demand-save.n_clicks": 1}, DEMAND_FORM)
    with db.session() as session:
        notice_id = session.scalar(select(Notice.id))
    assert str(notice_id) in saved.get_data(as_text=True)
    issued = call(
        client,
        DEMAND_ACT,
        {"demand-issue.n_clicks": 1},
        {"demand-pick.value": notice_id},
        triggered="demand-issue.n_clicks",
    )
    assert "demand-done" in issued.get_data(as_text=True)
    again = call(
        client,
        DEMAND_ACT,
        {"demand-issue.n_clicks": 2},
        {"demand-pick.value": notice_id},
        triggered="demand-issue.n_clicks",
    )
    assert "already been issued" in again.get_data(as_text=True)
    with db.session() as session:
        assert session.get(Notice, notice_id).state == NoticeState.ISSUED
        sent = session.scalar(
            select(func.count()).where(Notification.source.like(f"notice:{notice_id}:%"))
        )
    assert sent == 2  # the in-app message to each client of CA and CB (no contacts here)
    shown = call(
        client,
        DEMAND_SHOW,
        {"demand-pick.value": notice_id, "demand-acted.data": 1, "demand-refresh.n_intervals": 1},
    ).get_data(as_text=True)
    assert "demand-ack-regions" in shown and world.other_name in shown and "₪" not in shown


def test_the_signed_link_acknowledges_without_signing_in_and_a_forged_one_is_refused(
    client, db, world, app
):
    secret = app.server.config["SECRET_KEY"]
    notice_id = _issued(db, (world.other_site,), secret)
    link = Links("http://lounge.test", secret).ack(notice_id, world.other, None)
    path = link.removeprefix("http://lounge.test")
    page = client.get(path)
    assert page.status_code == 200 and world.other_site_name in page.get_data(as_text=True)
    assert _acks(db) == []  # opening the link acknowledges nothing
    done = client.post(path, data={"planned_kw": "30"}, headers={"Origin": "http://localhost"})
    assert done.status_code == 200 and "ack-done" in done.get_data(as_text=True)
    assert _acks(db) == [(notice_id, world.other, 30)]
    forged = Links("http://lounge.test", "guessed").ack(notice_id, world.other, None)
    assert client.get(forged.removeprefix("http://lounge.test")).status_code == 404
    other_notice = Links("http://lounge.test", secret).ack(notice_id, world.own, None)
    assert client.get(other_notice.removeprefix("http://lounge.test")).status_code == 404


def test_the_short_link_of_a_text_message_names_the_contacts_customer(client, db, world, app):
    secret = app.server.config["SECRET_KEY"]
    notice_id = _issued(db, (world.other_site,), secret)
    with db.session() as session:
        theirs = Contact(customer_id=world.other, name="Noa", language="en")
        ours = Contact(customer_id=world.own, name="Ido", language="en")
        session.add_all([theirs, ours])
        session.flush()
        theirs_id, ours_id = theirs.id, ours.id
    links = Links("http://lounge.test", secret)
    path = links.ack(notice_id, world.other, theirs_id).removeprefix("http://lounge.test")
    assert path.startswith("/a/") and len(path) < 20
    assert client.get(path).status_code == 200
    done = client.post(path, data={"planned_kw": ""}, headers={"Origin": "http://localhost"})
    assert done.status_code == 200 and _acks(db) == [(notice_id, world.other, None)]
    # the contact names the customer: a contact of a customer the notice does not touch finds
    # nothing, and a signature moved onto another contact's ids is refused
    mine = links.ack(notice_id, world.own, ours_id).removeprefix("http://lounge.test")
    assert client.get(mine).status_code == 404
    assert client.get(mine[:-8] + path[-8:]).status_code == 404
    guessed = Links("http://lounge.test", "guessed").ack(notice_id, world.other, theirs_id)
    assert client.get(guessed.removeprefix("http://lounge.test")).status_code == 404
