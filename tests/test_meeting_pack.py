"""The meeting pack: read back from the PDF with the figures of a small seeded customer, in
English and Hebrew; who may have it (the download and the portfolio's ZIP job)."""

from __future__ import annotations

import base64
import datetime as dt
import io
import zipfile

import pdfplumber
import pytest
from sqlalchemy import select

from db.models import ActionItem, Meeting, MeetingState, Site, User
from lounge import calendar, i18n, ingest, localtime, meeting_pack
from lounge.access import AccessDenied, Viewer
from lounge.requests.workflow import RequestForm, open_request
from lounge.settings import TIMEZONE
from reports import rtl
from reports.report import build_report
from tests.web_fixtures import call, sign_in

PACKS = "..meetings-packs-zip.data...meetings-packs-result.children.."


def _viewer(db, email: str) -> Viewer:
    with db.session() as session:
        return Viewer.of(session.scalars(select(User).where(User.email == email)).one())


def _text(data: bytes) -> str:
    with pdfplumber.open(io.BytesIO(data)) as document:
        return "\n".join(page.extract_text() or "" for page in document.pages)


@pytest.fixture
def year(db, world):
    """CA's year with a fault opened by its manager and a meeting held with two actions."""
    manager = _viewer(db, "manager@a.test")
    today = world.as_of
    with db.session() as session:
        open_request(
            session,
            manager,
            "CA",
            RequestForm(
                kind="fault", subtype="no_supply", subject="No power at Ashdod", site_id="SA1"
            ),
            "http://lounge.test",
        )
        held = dt.datetime.combine(today - dt.timedelta(days=40), dt.time(10), TIMEZONE)
        meeting = Meeting(
            customer_id="CA",
            organiser_id=manager.user_id,
            uid="meeting-pack-test@lounge",
            starts_at=held,
            place="Ashdod",
            state=MeetingState.HELD,
        )
        session.add(meeting)
        session.flush()
        session.add_all(
            [
                ActionItem(
                    meeting_id=meeting.id,
                    customer_id="CA",
                    text="Send the capacity study",
                    owner="us",
                    due_date=today - dt.timedelta(days=5),
                ),
                ActionItem(
                    meeting_id=meeting.id,
                    customer_id="CA",
                    text="Share the night shift plan",
                    owner="customer",
                    due_date=today - dt.timedelta(days=20),
                    done_at=held + dt.timedelta(days=3),
                ),
            ]
        )
    return today


def _pack(db, today: dt.date, language: str | None) -> tuple[bytes, str]:
    with db.session() as session:
        document = meeting_pack.build(session, _viewer(db, "manager@a.test"), "CA", today, language)
    data = build_report(document)
    return data, _text(data)


def test_the_english_pack_holds_the_customers_year_with_its_figures(db, year):
    _data, text = _pack(db, year, "en")
    assert "Meeting pack" in text and "Acme Steel Works · CA" in text
    # membership and why: SA1 used 100,000 kWh a month for the 12 months of the window
    assert "Why Acme Steel Works is a member" in text
    assert "The largest site 1,200,000 kWh" in text
    assert "All sites together 1,260,000 kWh" in text
    # consumption by site: this year against the one month of data a year earlier
    assert "SA1 · Acme Ashdod Plant South 1,200,000 100,000" in text
    assert "SA2 · Acme Haifa Depot Haifa 60,000 5,000" in text
    assert "Total 1,260,000 105,000" in text
    # invoices and debts: the one invoice, unpaid, over 90 days late
    assert "INV-A-1" in text and "₪1,180.00" in text
    assert "Total 1 1,000 ₪1,180.00 ₪0.00 ₪1,180.00" in text
    # requests with their SLA: one fault, still open
    assert "Fault 1 1 0" in text and "No power at Ashdod" in text
    assert "No notice reached the customer's sites this year." in text
    # the previous meeting's actions and their state
    held = i18n.format_date(year - dt.timedelta(days=40))
    assert f"Action items of the meeting of {held}" in text
    assert "Send the capacity study Us" in text and "Overdue" in text
    done = i18n.format_date(year - dt.timedelta(days=37))
    assert "Share the night shift plan Customer" in text and f"Done on {done}" in text


def test_the_pack_is_in_the_customers_language_hebrew_right_to_left(db, year):
    data, text = _pack(db, year, None)  # CA reads Hebrew
    with i18n.use("he"):
        title = rtl.visual(i18n._("Meeting pack"), True)
        by_site = rtl.visual(i18n._("Consumption by site"), True)
        overdue = rtl.visual(i18n._("Overdue"), True)
    assert title in text and by_site in text and overdue in text
    # figures keep their order inside the mirrored lines
    for figure in ("1,260,000", "1,200,000", "105,000", "₪ 1,180.00", "INV-A-1"):
        assert figure in text
    with pdfplumber.open(io.BytesIO(data)) as document:
        assert document.metadata.get("Title") == i18n.translations("he").gettext("Meeting pack")


@pytest.fixture
def banded(db, year):
    """A third site of CA, SA3, metered by the hour on one working day of the year: 10 kWh
    from 17:00 (peak in every season), 7 from 12:00 (shoulder), 2 from 03:00 (off-peak)."""
    day = localtime.add_months(localtime.first_of_month(year), -6) + dt.timedelta(days=9)
    while calendar.day_type(day) != calendar.WORKING:
        day += dt.timedelta(days=1)
    rows = [
        f"SA3,{day}T{hour:02}:00,{day}T{hour + 1:02}:00,{kwh}"
        for hour, kwh in ((3, 2), (12, 7), (17, 10))
    ]
    with db.session() as session:
        session.add(Site(id="SA3", customer_id="CA", name="Acme Eilat Lab", region="South"))
        session.flush()
        data = ("site_id,start,end,kwh\n" + "\n".join(rows) + "\n").encode()
        ingest.import_file(session, "readings", data, "sa3.csv", "test")
    return year


def test_the_pack_shows_each_sites_year_by_time_of_use_band(db, banded):
    """SA3 by band; SA1 and SA2 (billing reads) have no band figures, only their energy not
    metered by band; the totals add both."""
    _data, text = _pack(db, banded, "en")
    assert "Energy by site and time-of-use band" in text
    assert "SA1 · Acme Ashdod Plant 1,200,000 1,200,000" in text
    assert "SA2 · Acme Haifa Depot 60,000 60,000" in text
    assert "SA3 · Acme Eilat Lab 10 7 2 0 19" in text
    assert "Total 10 7 2 1,260,000 1,260,019" in text
    assert "Sites without interval data (billed by meter reads): SA1, SA2" in text


def test_the_hebrew_pack_shows_each_sites_bands_right_to_left(db, banded):
    _data, text = _pack(db, banded, "he")
    with i18n.use("he"):
        title = rtl.visual(i18n._("Energy by site and time-of-use band"), True)
        total = rtl.visual(i18n._("Total"), True)
    assert title in text
    # the columns run from the right: the total on the left, the site's name on the right
    assert "19 0 2 7 10 SA3 · Acme Eilat Lab" in text
    assert "1,200,000 1,200,000 SA1 · Acme Ashdod Plant" in text
    assert f"1,260,019 1,260,000 2 7 10 {total}" in text


@pytest.mark.parametrize(
    ("email", "customer", "status"),
    [
        ("manager@a.test", "CA", 200),
        ("manager@a.test", "CB", 404),  # not the manager's portfolio
        ("admin@a.test", "CB", 200),
        ("client@a.test", "CA", 404),  # the pack is the manager's, not the client's
        ("client@b.test", "CA", 404),
        ("demand@a.test", "CA", 404),
        ("manager@a.test", "NO-SUCH", 404),
    ],
)
def test_the_pack_download_checks_access(client, world, email, customer, status):
    sign_in(client, email)
    response = client.get(f"/download/meeting-pack/{customer}.pdf")
    assert response.status_code == status
    if status == 200:
        assert response.data.startswith(b"%PDF")
        assert "attachment;" in response.headers["Content-Disposition"]


def test_the_domain_refuses_every_other_role(db, world):
    for email in ("client@a.test", "demand@a.test"):
        with db.session() as session, pytest.raises(AccessDenied):
            meeting_pack.build(session, _viewer(db, email), "CA", world.as_of)


def test_the_portfolio_zip_has_one_pack_per_customer_in_its_language(db, world):
    seen: list[tuple[int, int]] = []
    with db.session() as session:
        admin = _viewer(db, "admin@a.test")
        data = meeting_pack.portfolio_zip(
            session, admin, world.as_of, lambda done, total: seen.append((done, total))
        )
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = archive.namelist()
        assert names == ["CA Acme Steel Works.pdf", f"CB {world.other_name}.pdf"]
        english = _text(archive.read(names[1]))
        hebrew = _text(archive.read(names[0]))
    assert "Meeting pack" in english and world.other_name in english
    assert "Meeting pack" not in hebrew
    assert seen == [(1, 2), (2, 2)]


def test_the_zip_job_builds_the_managers_portfolio_only(client, world):
    sign_in(client, "manager@a.test")
    response = call(client, PACKS, {"meetings-packs.n_clicks": 1})
    download = response.get_json()["response"]["meetings-packs-zip"]["data"]
    assert download["filename"] == f"meeting-packs-{localtime.today():%Y%m%d}.zip"
    with zipfile.ZipFile(io.BytesIO(base64.b64decode(download["content"]))) as archive:
        assert archive.namelist() == ["CA Acme Steel Works.pdf"]
    assert {"meetings-packs-progress.value": 100, "meetings-packs-progress.label": "1 / 1"} in (
        response.progress
    )


@pytest.mark.parametrize("email", ["client@a.test", "demand@a.test"])
def test_a_forged_zip_job_by_another_role_builds_nothing(client, world, email):
    sign_in(client, email)
    response = call(client, PACKS, {"meetings-packs.n_clicks": 1})
    answer = response.get_json()["response"]
    assert answer["meetings-packs-zip"]["data"] is None
    assert "not-allowed" in str(answer["meetings-packs-result"])
