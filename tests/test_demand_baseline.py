"""The measured load reduction of a peak-load event against a hand-checked example.

The event is on Saturday 11 April 2026, 17:00-18:00 Israel time; its day-of adjustment reads
13:00-16:00. Saturday is not a working day, so its similar days are the Fridays, Saturdays and
public holidays before it, newest first:

    10 Apr (Fri), 8 Apr (Wed, 7th day of Pesach), [4 Apr (Sat): an earlier event, left out],
    3 Apr (Fri), 2 Apr (Thu, 1st day of Pesach), 28 Mar (Sat: a cancelled notice, kept),
    27 Mar (Fri, the spring DST day: 23 hours), 21 Mar, 20 Mar, 14 Mar, 13 Mar

Readings are hourly. On each of those days a site uses its day's value ``v`` in every hour
13, 14, 15 and 17, and 7 kWh in every other hour; on every other day 400 kWh in every hour.
So a wrong choice of days (a working day, the event day of 4 April, the 11th similar day)
would show in the figures, and so would the 23-hour day of 27 March read as if it lasted 24:
its quarter hour 68 is 18:00, which holds 7 kWh.
"""

from __future__ import annotations

import datetime as dt
import io
import re

import numpy as np
import pdfplumber
import pytest
from openpyxl import load_workbook

from db.models import Notice, NoticeKind, NoticeState, NoticeTarget, Site
from db.session import Database
from lounge import access, exports, i18n, localtime
from lounge.access import Role, Viewer
from lounge.demand import baseline, report
from lounge.settings import TIMEZONE
from reports.report import build_report
from tests.factories import add_customer, import_readings

D = dt.date
EVENT = D(2026, 4, 11)
SIMILAR = [
    D(2026, 4, 10),
    D(2026, 4, 8),
    D(2026, 4, 3),
    D(2026, 4, 2),
    D(2026, 3, 28),
    D(2026, 3, 27),
    D(2026, 3, 21),
    D(2026, 3, 20),
    D(2026, 3, 14),
    D(2026, 3, 13),
]
#: Site A's value on its similar days: they add up to 1,000, a mean of 100 kWh per hour.
A_DAYS = [110, 90, 100, 100, 120, 80, 105, 95, 100, 100]
#: The hours whose energy is the day's value (the adjustment's three, the event's one).
VALUE_HOURS = {13, 14, 15, 17}
OTHER_KWH, DEFAULT_KWH = 7, 400
FIRST_DAY, LAST_DAY = D(2026, 3, 1), EVENT

STAFF = Viewer(1, "demand@example.com", Role.DEMAND_STAFF)
CLIENT_1 = Viewer(2, "client@example.com", Role.CLIENT, "C1")
FAULT_DESK = Viewer(3, "desk@example.com", Role.FAULT_DESK)


def hourly_rows(site_id: str, values: dict[D, object]) -> list[str]:
    """Hourly readings of every local hour from FIRST_DAY to LAST_DAY.

    ``values[day]`` is a number (the similar-day rule above), a dict hour -> kWh, or absent
    (400 kWh every hour); a day mapped to None has no readings.
    """
    rows = []
    day = FIRST_DAY
    while day <= LAST_DAY:
        value = values.get(day, DEFAULT_KWH)
        start, end = (
            localtime.local_midnight_s(day),
            localtime.local_midnight_s(day + dt.timedelta(1)),
        )
        for instant in range(start, end, 3600) if value is not None else ():
            hour = localtime.to_local(instant).hour
            if isinstance(value, dict):
                kwh = value.get(hour, OTHER_KWH)
            elif day in SIMILAR or day == D(2026, 4, 4):
                kwh = value if hour in VALUE_HOURS else OTHER_KWH
            else:
                kwh = value
            rows.append(f"{site_id},{instant_iso(instant)},{instant_iso(instant + 3600)},{kwh}")
        day += dt.timedelta(days=1)
    return rows


def instant_iso(seconds: int) -> str:
    return dt.datetime.fromtimestamp(seconds, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def at(day: D, hour: int) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), TIMEZONE).astimezone(dt.UTC)


def add_notice(session, day: D, state: str, *site_ids: str, kind: str = NoticeKind.PEAK_WARNING):
    notice = Notice(
        kind=kind,
        state=state,
        level=2,
        reason="heat",
        starts_at=at(day, 17),
        ends_at=at(day, 18),
        created_by="demand@example.com",
    )
    session.add(notice)
    session.flush()
    for site_id in site_ids:
        site = session.get(Site, site_id)
        session.add(
            NoticeTarget(
                notice_id=notice.id,
                site_id=site_id,
                customer_id=site.customer_id,
                region=site.region,
            )
        )
    session.flush()
    return notice.id


@pytest.fixture
def event(db: Database) -> dict[str, int]:
    """Sites A and B of customer C1 (North), C and D of C2 (South), and the notices."""
    with db.session() as session:
        add_customer(session, "C1", "A", "B", region="North")
        add_customer(session, "C2", "C", "D", region="South")
    a_days: dict[D, object] = dict(zip(SIMILAR, A_DAYS, strict=True))
    # the earlier event's day, the 11th similar day: either would move the mean if counted
    a_days[D(2026, 4, 4)] = 1000
    a_days[D(2026, 3, 7)] = 1000
    # the event day: 105 in each adjustment hour, 1000 in the hour before the event
    # (left out of the adjustment), 60 in the event hour
    a_days[EVENT] = {13: 105, 14: 105, 15: 105, 16: 1000, 17: 60}
    b_days: dict[D, object] = dict.fromkeys(SIMILAR, 50)
    b_days[EVENT] = {13: 100, 14: 100, 15: 100, 17: 55}
    c_days: dict[D, object] = dict.fromkeys(SIMILAR, 200)
    c_days[EVENT] = {13: 100, 14: 100, 15: 100, 17: 170}
    d_days: dict[D, object] = {EVENT: None}
    import_readings(
        db,
        *hourly_rows("A", a_days),
        *hourly_rows("B", b_days),
        *hourly_rows("C", c_days),
        *hourly_rows("D", d_days),
    )
    with db.session() as session:
        ids = {
            "earlier": add_notice(session, D(2026, 4, 4), NoticeState.COMPLETED, "A", "B", "C"),
            "cancelled": add_notice(session, D(2026, 3, 28), NoticeState.CANCELLED, "A", "B", "C"),
            "thursday": add_notice(session, D(2026, 4, 9), NoticeState.COMPLETED, "A"),
            "event": add_notice(session, EVENT, NoticeState.COMPLETED, "A", "B", "C", "D"),
            "outage": add_notice(
                session, EVENT, NoticeState.COMPLETED, "A", kind=NoticeKind.PLANNED_OUTAGE
            ),
        }
    return ids


NOW = at(D(2026, 4, 12), 0)


def figures(line: baseline.SiteReduction) -> tuple[int, int, int, int]:
    """Baseline, actual and reduction in Wh, and the reduction in W."""
    return (line.baseline_wh, line.actual_wh, line.reduction_wh, line.reduction_w)


def test_baseline_adjustment_cap_and_reduction_match_the_hand_checked_example(db, event):
    with db.session() as session:
        found = baseline.measure(session, STAFF, event["event"], now=NOW)
    sites = {line.site_id: line for line in found.sites}
    assert sorted(sites) == ["A", "B", "C"]
    assert found.unmeasured == ("D",)  # no data on the event day

    # A: baseline hour = (110+90+100+100+120+80+105+95+100+100) / 10 = 100 kWh;
    # adjustment = actual 13-16 (3 x 105 = 315) / baseline 13-16 (3 x 100 = 300) = 1.05;
    # baseline 1.05 x 100 = 105 kWh, actual 60 kWh: reduction 45 kWh over 1 hour = 45 kW.
    a = sites["A"]
    assert (a.days, a.adjustment) == (10, pytest.approx(1.05))
    assert figures(a) == (105_000, 60_000, 45_000, 45_000)
    # B: baseline 50; adjustment 300 / 150 = 2.0, capped at 1.2: 60 kWh; actual 55: 5 kWh less.
    b = sites["B"]
    assert b.adjustment == pytest.approx(1.2)
    assert figures(b) == (60_000, 55_000, 5_000, 5_000)
    # C: baseline 200; adjustment 300 / 600 = 0.5, capped at 0.8: 160 kWh; actual 170: the
    # site did not respond, its load rose by 10 kWh.
    c = sites["C"]
    assert c.adjustment == pytest.approx(0.8)
    assert figures(c) == (160_000, 170_000, -10_000, -10_000)
    # totals: C1 = A + B, C2 = C; North = C1's sites, South = C2's; the event = all three
    assert [(t.key, t.baseline_wh, t.actual_wh, t.reduction_wh) for t in found.customers] == [
        ("C1", 165_000, 115_000, 50_000),
        ("C2", 160_000, 170_000, -10_000),
    ]
    assert [(t.key, t.sites, t.reduction_w) for t in found.regions] == [
        ("North", 2, 50_000),
        ("South", 1, -10_000),
    ]
    total = found.total
    assert (total.sites, total.baseline_wh, total.actual_wh, total.reduction_wh) == (
        3,
        325_000,
        285_000,
        40_000,
    )
    # the chart: four quarter hours from 17:00, each at the hour's demand (kW = kWh per hour)
    assert [t.strftime("%H:%M") for t in found.series["at"]] == ["17:00", "17:15", "17:30", "17:45"]
    assert found.series["baseline_w"].tolist() == [325_000] * 4
    assert found.series["actual_w"].tolist() == [285_000] * 4


def test_a_working_day_event_leaves_out_holidays_and_weekends(db, event):
    """Thursday 9 April: its similar days are the working days 7, 6, 5, 1 April and 31 to 22
    March (400 kWh every hour), not the holidays of 8 and 2 April nor any Friday or Saturday."""
    with db.session() as session:
        found = baseline.measure(session, STAFF, event["thursday"], now=NOW)
    (a,) = found.sites
    assert (a.days, a.adjustment, a.baseline_wh, a.actual_wh, a.reduction_wh) == (
        10,
        1.0,
        400_000,
        400_000,
        0,
    )


def test_a_client_sees_only_its_own_sites_and_nobody_sees_an_event_not_over(db, event):
    with db.session() as session:
        found = baseline.measure(session, CLIENT_1, event["event"], now=NOW)
        assert [line.site_id for line in found.sites] == ["A", "B"]
        assert found.total.reduction_wh == 50_000
        assert found.series["actual_w"].tolist() == [115_000] * 4
        with pytest.raises(baseline.NotMeasured):
            baseline.measure(session, STAFF, event["event"], now=at(EVENT, 17))
        for viewer, notice_id in [
            (FAULT_DESK, event["event"]),
            (Viewer(4, "c2@example.com", Role.CLIENT, "C2"), event["thursday"]),
            (STAFF, event["outage"]),  # not a peak-load warning
            (STAFF, "1 OR 1=1"),
            (STAFF, 999_999),
        ]:
            with pytest.raises(access.NotFound):
                baseline.measure(session, viewer, notice_id, now=NOW)


def test_several_events_measured_in_one_read_match_each_measured_alone(db, event):
    """One read for the thursday event, the event whose similar days leave the earlier one out,
    and the earlier one itself: each as :func:`baseline.measure` gives it, for staff and for
    one customer (the meeting pack's call)."""
    names = ["event", "thursday", "earlier"]
    with db.session() as session:
        for customer_id in (None, "C1", "C2"):
            together = baseline.measure_many(
                session, STAFF, [event[n] for n in names], now=NOW, customer_id=customer_id
            )
            alone = [
                baseline.measure(session, STAFF, event[n], now=NOW, customer_id=customer_id)
                for n in names
            ]
            for many, one in zip(together, alone, strict=True):
                assert many.sites == one.sites and many.total == one.total
                assert many.unmeasured == one.unmeasured
                assert many.series.equals(one.series)
        assert baseline.measure_many(session, STAFF, [], now=NOW) == []
        with pytest.raises(access.NotFound):
            baseline.measure_many(session, CLIENT_1, [event["event"], event["outage"]], now=NOW)


def test_an_event_on_the_autumn_dst_day_compares_wall_clock_hours():
    """Sunday 25 October 2026 lasts 25 hours: 17:00 is its quarter hour 72 (not 68).
    Its similar days are working days of 24 hours; each day's 17:00 quarter hour holds 17, and
    every other quarter hour 1; the event day's holds 9: the baseline of 17 must be found."""
    event_day = D(2026, 10, 25)
    start = int(at(event_day, 17).timestamp())
    read = baseline.days_to_read(start, start + 900)
    assert D(2026, 10, 22) in read and D(2026, 10, 24) not in read  # a Thursday; a Saturday
    first, last = read[0], read[-1]
    days = (last - first).days + 1
    values = []
    for n in range(days):
        day = first + dt.timedelta(days=n)
        midnight = localtime.local_midnight_s(day)
        slot = (int(at(day, 17).timestamp()) - midnight) // 900
        profile = [1] * 100
        profile[slot] = 9 if day == event_day else 17
        values.append(profile)
    profiles = baseline.Profiles(
        first, np.arange(days, dtype=np.int64)[None, :], np.array(values, dtype=np.int64)
    )
    assert (int(at(event_day, 17).timestamp()) - localtime.local_midnight_s(event_day)) // 900 == 72
    figures = baseline.compute(profiles, np.zeros((1, days), dtype=bool), start, start + 900)
    assert figures.measured.tolist() == [True]
    assert figures.adjustment.tolist() == [1.0]  # 1 in every adjustment quarter, both sides
    assert (figures.baseline_wh.tolist(), figures.actual_wh.tolist()) == ([17], [9])
    assert figures.reduction_w.tolist() == [(17 - 9) * 4]


@pytest.mark.parametrize("language", ["en", "he"])
def test_the_report_holds_the_same_figures_in_csv_xlsx_and_pdf(db, event, language):
    with db.session() as session:
        found = baseline.measure(session, STAFF, event["event"], now=NOW)
    with i18n.use(language):
        document = report.build(found)
    sections = {section.title: section for section in document.sections}
    assert len(sections) == 4
    series, sites, customers, regions = document.sections
    assert [row["site"].split(" · ")[0] for row in sites.rows] == ["A", "B", "C"]
    assert sites.rows[0]["adjustment"] == pytest.approx(0.05)
    assert sites.totals is not None and sites.totals["reduction_wh"] == 40_000
    assert sites.warning is not None and "D" in sites.warning
    assert [row["reduction_wh"] for row in customers.rows] == [50_000, -10_000]
    assert [row["baseline_w"] for row in series.rows] == [325_000] * 4
    csv_text = exports.to_csv(document).decode("utf-8-sig")
    # A's row: 10 days, +5%, 105 kWh baseline, 60 actual, 45 less, 45 kW, 45/105 of the baseline
    assert re.search(r"A · Site A,Customer C1,[^,]+,10,0\.05\d*,105,60,45,45,0\.4285", csv_text)
    assert "325" in csv_text and "285" in csv_text
    workbook = load_workbook(io.BytesIO(exports.to_xlsx(document)))
    assert len(workbook.sheetnames) == 4
    pdf = build_report(document)
    with pdfplumber.open(io.BytesIO(pdf)) as opened:
        text = "".join(page.extract_text() or "" for page in opened.pages)
    assert "325" in text and "285" in text


def test_past_events_are_the_viewers_warnings_that_are_over(db, event):
    client_2 = Viewer(4, "c2@example.com", Role.CLIENT, "C2")
    with db.session() as session:
        mine = baseline.past_events(session, CLIENT_1, now=NOW)
        theirs = baseline.past_events(session, client_2, now=NOW)
        staff = baseline.past_events(session, STAFF, now=at(EVENT, 17))  # before the event ends
        nobody = baseline.past_events(session, FAULT_DESK, now=NOW)
    # newest first; the cancelled warning and the outage notice are no events
    assert [(e.notice_id, e.sites) for e in mine] == [
        (event["event"], 2),
        (event["thursday"], 1),
        (event["earlier"], 2),
    ]
    assert [(e.notice_id, e.sites) for e in theirs] == [(event["event"], 2), (event["earlier"], 1)]
    assert [e.notice_id for e in staff] == [event["thursday"], event["earlier"]]
    assert nobody == []
