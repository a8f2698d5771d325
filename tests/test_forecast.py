"""The forecast of entry and exit: a hand-checked example, edge cases, access and a back-test."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from db import demo
from db.models import Role
from db.session import Database
from lounge import access, classification, forecast, i18n, localtime, users
from lounge.access import Viewer
from lounge.classification import Window
from lounge.forecast import Method
from tests.factories import add_customer, import_readings

ORIGIN = dt.date(2026, 1, 1)
K = 1000  # Wh in a kWh


def _months(first: dt.date, count: int) -> list[dt.date]:
    return [localtime.add_months(first, n) for n in range(count)]


def _reads(site: str, kwh: dict[dt.date, int]) -> list[str]:
    return [
        f"{site},{month.isoformat()},{localtime.add_months(month, 1).isoformat()},{value}"
        for month, value in sorted(kwh.items())
    ]


def test_projection_by_hand():
    # one site with 15 months: O-15..O-1
    history = np.array([[100, 100, 100, 50, 60, 70, 80, 90, 100, 110, 110, 110, 120, 120, 120]]) * K
    projection = forecast.project(history, np.array([15]))
    # trend: last 3 months 120+120+120 = 360 against 100+100+100 = 300 a year earlier: 1.2
    assert projection.trends[0] == pytest.approx(1.2)
    # the coming months O..O+5 are O-12..O-7 (50, 60, 70, 80, 90, 100) times 1.2
    assert projection.wh[0].tolist() == [60 * K, 72 * K, 84 * K, 96 * K, 108 * K, 120 * K]
    assert projection.methods[0] == Method.SEASONAL


def test_projection_of_a_new_site_and_a_stopped_one():
    history = np.zeros((3, 15), dtype=np.int64)
    history[0, -2:] = [30 * K, 40 * K]  # started two months ago: (30 + 40) / 2 = 35
    history[1, :11] = 50 * K  # stopped four months ago
    history[2, -1] = 7 * K  # a full-history site with nothing a year earlier: 7 / 1 month
    projection = forecast.project(history, np.array([2, 15, 15]))
    assert projection.wh[0].tolist() == [35 * K] * 6
    assert projection.methods[0] == Method.RECENT_AVERAGE
    assert projection.wh[1].tolist() == [0] * 6
    assert projection.methods[1] == Method.STOPPED
    # its age counts 15 months, but only the last 3 are averaged: 7 / 3, rounded
    assert projection.wh[2].tolist() == [2333] * 6
    assert np.isnan(projection.trends[1:]).all()


def _edge_customer(db: Database) -> None:
    """C1: a big site 40,000 kWh short today that enters in two months, exactly at the
    threshold; a new site; a site that stopped. C2: only 14 months of data."""
    with db.session() as session:
        add_customer(session, "C1", "BIG", "NEW", "OLD")
        add_customer(session, "C2", "YOUNG")
    first = localtime.add_months(ORIGIN, -15)
    big = {month: 80_000 for month in _months(first, 15)}
    for month in _months(first, 3):
        big[month] = 64_000  # a year before the last 3 months: trend 240,000 / 192,000 = 1.25
    new = {localtime.add_months(ORIGIN, -2): 10_000, localtime.add_months(ORIGIN, -1): 20_000}
    old = {month: 5_000 for month in _months(first, 12)}  # O-15 .. O-4, then nothing
    young = {month: 1_000 for month in _months(localtime.add_months(ORIGIN, -14), 14)}
    import_readings(
        db,
        *_reads("BIG", big),
        *_reads("NEW", new),
        *_reads("OLD", old),
        *_reads("YOUNG", young),
    )


def test_forecast_by_hand_enters_at_the_threshold_inclusive(db):
    _edge_customer(db)
    with db.session() as session:
        found = {f.customer_id: f for f in forecast.forecasts(session, access.SYSTEM, None, ORIGIN)}
        # the origin's window is real data, the classification's own figures
        real = classification.figures(session.connection(), Window.for_date(ORIGIN), ["C1"])
    c1 = found["C1"]
    assert c1.now == real["C1"]
    # BIG today: 12 months of 80,000 = 960,000 kWh: 40,000 short
    assert c1.now.max_site_wh == 960_000 * K and not c1.now.is_vip
    sites = {site.site_id: site for site in c1.sites}
    assert sites["BIG"].method == Method.SEASONAL and sites["BIG"].trend == pytest.approx(1.25)
    # each coming month of BIG: 80,000 x 1.25 = 100,000 kWh; the window rolls one month a time
    assert sites["BIG"].projected_wh[:3] == (
        (11 * 80_000 + 100_000) * K,  # Feb: 980,000
        (10 * 80_000 + 2 * 100_000) * K,  # Mar: 1,000,000 exactly: a member (inclusive)
        (9 * 80_000 + 3 * 100_000) * K,
    )
    # NEW continues at (10,000 + 20,000) / 2 = 15,000 a month
    assert sites["NEW"].method == Method.RECENT_AVERAGE
    assert sites["NEW"].projected_wh[0] == (10_000 + 20_000 + 15_000) * K
    # OLD has had nothing for 3 months: it adds nothing more, and drops out of the window
    assert sites["OLD"].method == Method.STOPPED
    assert sites["OLD"].now_wh == 9 * 5_000 * K  # O-12 .. O-4
    assert sites["OLD"].projected_wh[0] == 8 * 5_000 * K
    crossing = c1.crossing
    assert crossing is not None and crossing.entering
    assert crossing.month == dt.date(2026, 3, 1) and crossing.figures.max_site_id == "BIG"
    assert c1.margin_wh == 0 and c1.changes_within(3) and not c1.changes_within(1)
    assert [f.customer_id for f in forecast.expected_changes(found.values())] == ["C1"]
    with i18n.use("en"):
        assert forecast.outlook_text(c1) == (
            "At this pace you would enter in Mar 2026, 0 kWh above the threshold."
        )
    with i18n.use("he"):
        assert forecast.outlook_text(c1).startswith("בקצב הזה תיכנסו לטרקלין")
    c2 = found["C2"]
    assert not c2.enough_history and c2.projected == () and c2.crossing is None
    with i18n.use("en"):
        assert forecast.outlook_text(c2).startswith("Not enough history")


def test_forecast_reads_only_what_the_viewer_may_see(db):
    _edge_customer(db)
    with db.session() as session:
        client = users.create_user(
            session, email="c@x.test", role="client", password="a-long-password-1",
            customer_id="C2", actor="test",
        )  # fmt: skip
        manager = users.create_user(
            session, email="m@x.test", role="account_manager", password="a-long-password-1",
            actor="test",
        )  # fmt: skip
        users.assign_manager(session, "m@x.test", ["C1"], "test")
        you, them = Viewer.of(client), Viewer.of(manager)
        with pytest.raises(access.NotFound):
            forecast.forecast(session, you, "C1", ORIGIN)
        own = forecast.forecast(session, you, "C2", ORIGIN)
        assert own is not None and own.customer_id == "C2"
        assert [f.customer_id for f in forecast.forecasts(session, you, ["C1", "C2"], ORIGIN)] == [
            "C2"
        ]
        with pytest.raises(access.AccessDenied):
            forecast.portfolio(session, you, ORIGIN)
        assert [f.customer_id for f in forecast.portfolio(session, them, ORIGIN)] == ["C1"]
        demand = Viewer(99, "d@x.test", Role.DEMAND_STAFF)
        with pytest.raises(access.AccessDenied):
            forecast.backtest(session, demand)


def test_backtest_against_the_demo_history(db, capsys):
    today = dt.date(2026, 5, 14)
    demo.generate(db, customers=12, seed=3, today=today)
    with db.session() as session:
        result = forecast.backtest(session, access.SYSTEM)
        # the origin's figures are the classification's own, for every customer
        origin = localtime.first_of_month(today)
        found = forecast.forecasts(session, access.SYSTEM, None, origin)
        real = classification.figures(session.connection(), Window.for_date(origin))
    print(f"back-test: {result.hits}/{result.checked} = {result.rate:.3f}")
    assert result.checked > 0
    assert 0.0 <= result.rate <= 1.0 and 0.0 <= result.change_rate <= 1.0
    assert result.changes > 0  # the demo has an entry and an exit in its history
    assert {f.customer_id: f.now for f in found} == real


def test_forecast_chart_shows_history_projection_and_thresholds(db):
    from lounge.components import forecast_view

    _edge_customer(db)
    with db.session() as session:
        (c1,) = forecast.forecasts(session, access.SYSTEM, ["C1"], ORIGIN)
    with i18n.use("en"):
        figure = forecast_view.figure(c1)
        assert forecast_view.short_text(c1) == "Enters Mar 2026"
        body = forecast_view.sites_table(c1).children[1].children
    # the biggest sites first, each with how it was projected and its 12 months in July
    # (window Jul 2025 - Jun 2026): BIG 6 x 80,000 + 6 x 100,000; OLD its last 3 months
    # of 5,000; NEW 10,000 + 20,000 + 6 x 15,000
    assert [[cell.children for cell in row.children] for row in body] == [
        ["BIG", "Last year × trend", "960,000", "1,080,000"],
        ["OLD", "Stopped", "45,000", "15,000"],
        ["NEW", "Recent average", "30,000", "120,000"],
    ]
    assert [trace.name for trace in figure.data] == [
        "All sites, 12 months",
        "All sites, 12 months (projected)",
        "Biggest site, 12 months",
        "Biggest site, 12 months (projected)",
    ]
    real, projected = figure.data[2], figure.data[3]
    assert len(real.x) == forecast.HISTORY + 1 and real.x[-1] == "Jan 2026"
    # the projection starts at the last real point and reaches the threshold in March
    assert list(projected.x[:3]) == ["Jan 2026", "Feb 2026", "Mar 2026"]
    assert list(projected.y[:3]) == [960_000, 980_000, 1_000_000]
    assert sorted(shape.y0 for shape in figure.layout.shapes) == [1_000_000, 5_000_000]
