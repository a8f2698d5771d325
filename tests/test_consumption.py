"""Consumption cuts on a crafted book with known answers, on both backends.

Customer C1 (the client's own):

- S1, North, factory: quarter hours at 1 kW from 1 to 7 July 2025 (a Tuesday
  to a Monday), but 5 kW from 12:00 to 12:15 on Wednesday 2 July: 169 kWh.
- S2, South, retail: billing reads only: July 2024 20,000 kWh (estimated),
  July 2025 31,000 kWh.
- S3, North, retail: quarter hours at 500 W on 1 and 2 July 2025, the first
  day estimated: 24 kWh, 12 of them estimated.
- S4, Center, office: quarter hours at 1 kW from 25 to 27 October 2025, over
  the autumn clock change (a 25-hour day): 73 kWh.

Customer C2: T1 and T2 with monthly billing reads over 2024 and 2025, T1
crossing the 1,000,000 kWh site threshold exactly in February 2025.

Bands are those of the bundled (illustrative) table: summer working days
peak 17-23 and shoulder 7-17, Fridays shoulder 17-23, Saturdays off-peak.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pandas as pd
import pytest
from sqlalchemy.orm import Session

from db.models import Customer, Role, Site
from db.session import Database
from lounge import access, classification, consumption, localtime, tou
from lounge.access import Viewer
from lounge.consumption import Resolution, Selection
from lounge.settings import TIMEZONE
from tests.factories import csv_bytes, import_bytes, month_reads
from tests.test_rollups_hourly import quarter_hour_rows

D = dt.date
JULY, AUGUST = D(2025, 7, 1), D(2025, 8, 1)
C1_CLIENT = Viewer(1, "c1@example.com", Role.CLIENT, "C1")
C2_CLIENT = Viewer(2, "c2@example.com", Role.CLIENT, "C2")
STRANGER = Viewer(3, "am@example.com", Role.ACCOUNT_MANAGER)  # manages nobody
NORTH = Selection(region="North")


def quarter_hours(site: str, first: dt.date, days: int, kwh: str, quality: str = "") -> list[str]:
    return [f"{row},{quality}" for row in quarter_hour_rows(site, first, days, kwh)]


def add_sites(session: Session, customer_id: str, *sites: tuple[str, str, str]) -> None:
    session.add(Customer(id=customer_id, name=f"Customer {customer_id}", tax_id=customer_id))
    session.add_all(
        Site(id=site, customer_id=customer_id, name=site, region=region, site_type=kind)
        for site, region, kind in sites
    )
    session.flush()


@pytest.fixture
def book(db: Database) -> Database:
    with db.session() as session:
        add_sites(
            session,
            "C1",
            ("S1", "North", "factory"),
            ("S2", "South", "retail"),
            ("S3", "North", "retail"),
            ("S4", "Center", "office"),
        )
        add_sites(session, "C2", ("T1", "North", "factory"), ("T2", "North", "factory"))
    s1 = quarter_hours("S1", JULY, 7, "0.25")
    spike = 96 + 48  # 2 July, 12:00
    s1[spike] = s1[spike].replace(",0.25,", ",1.25,")
    rows = [
        *s1,
        "S2,2024-07-01,2024-08-01,20000,estimated",
        "S2,2025-07-01,2025-08-01,31000,",
        *quarter_hours("S3", JULY, 1, "0.125", "estimated"),
        *quarter_hours("S3", D(2025, 7, 2), 1, "0.125"),
        *quarter_hours("S4", D(2025, 10, 25), 3, "0.25"),
    ]
    for year, t1_kwh in ((2024, "80000"), (2025, "120000")):
        for site, kwh in (("T1", t1_kwh), ("T2", "50000")):
            rows += [f"{row}," for row in month_reads(site, year, dict.fromkeys(range(1, 13), kwh))]
    import_bytes(db, "readings", csv_bytes("site_id,start,end,kwh,quality", *rows))
    return db


@pytest.fixture
def session(book: Database):
    with book.session() as session:
        yield session


def records(frame: pd.DataFrame, columns: list[str]) -> list[list[object]]:
    """Rows of some columns, missing values as None (pandas keeps them as NaN)."""
    return frame[columns].astype(object).where(frame[columns].notna(), None).values.tolist()


def by_period(frame: pd.DataFrame) -> dict[dt.date, tuple[int, int]]:
    return {row.period: (row.wh, row.estimated_wh) for row in frame.itertuples()}


# --- series, year over year, shares --------------------------------------------------------


def test_monthly_series_of_the_whole_customer_with_its_estimated_part(session: Session):
    frame = consumption.series(session, C1_CLIENT, "C1", D(2024, 1, 1), D(2026, 1, 1))
    assert len(frame) == 24  # every month, zero or not
    found = {row.period: (row.wh, row.estimated_wh) for row in frame.itertuples() if row.wh}
    assert found == {
        D(2024, 7, 1): (20_000_000, 20_000_000),
        JULY: (31_000_000 + 169_000 + 24_000, 12_000),
        D(2025, 10, 1): (73_000, 0),
    }


def test_yearly_series_sums_the_months_of_each_year(session: Session):
    frame = consumption.series(session, C1_CLIENT, "C1", D(2024, 1, 1), D(2026, 1, 1), "year")
    assert by_period(frame) == {
        D(2024, 1, 1): (20_000_000, 20_000_000),
        D(2025, 1, 1): (31_266_000, 12_000),
    }


def test_daily_series_of_a_region_from_interval_data(session: Session):
    frame = consumption.series(session, C1_CLIENT, "C1", JULY, D(2025, 7, 9), "day", NORTH)
    assert by_period(frame) == {
        D(2025, 7, 1): (24_000 + 12_000, 12_000),
        D(2025, 7, 2): (25_000 + 12_000, 0),
        **{D(2025, 7, day): (24_000, 0) for day in range(3, 8)},
        D(2025, 7, 8): (0, 0),
    }


def test_months_must_be_whole(session: Session):
    with pytest.raises(ValueError, match="first of month"):
        consumption.series(session, C1_CLIENT, "C1", D(2025, 7, 2), AUGUST)


def test_year_over_year_sets_each_month_beside_the_year_before(session: Session):
    found = consumption.year_over_year(session, C1_CLIENT, "C1", D(2025, 1, 1), D(2026, 1, 1))
    frame = found.months
    assert frame["month"].tolist() == localtime.month_starts(D(2025, 1, 1), D(2025, 12, 1))
    july = frame.set_index("month").loc[JULY]
    assert july.to_dict() == {
        "wh": 31_193_000,
        "estimated_wh": 12_000,
        "previous_wh": 20_000_000,
        "previous_estimated_wh": 20_000_000,
        "compared": True,
    }
    assert int(frame["previous_wh"].sum()) == 20_000_000
    # data up to October 2025 (S4): the comparison runs January to October
    assert found.compared == (D(2025, 1, 1), D(2025, 10, 1))


def test_year_over_year_compares_eleven_months_with_the_same_eleven(db: Database):
    with db.session() as session:
        add_sites(session, "C3", ("U1", "North", "office"))
    rows = month_reads("U1", 2024, dict.fromkeys(range(1, 13), "1000"))
    rows += month_reads("U1", 2025, dict.fromkeys(range(1, 12), "1100"))  # no December yet
    import_bytes(db, "readings", csv_bytes("site_id,start,end,kwh", *rows))
    with db.session() as session:
        found = consumption.year_over_year(
            session, access.SYSTEM, "C3", D(2025, 1, 1), D(2026, 1, 1)
        )
    assert found.compared == (D(2025, 1, 1), D(2025, 11, 1))
    assert (found.wh, found.previous_wh) == (11 * 1_100_000, 11 * 1_000_000)
    assert found.change == pytest.approx(0.10)  # not 12,100 against 12,000 kWh (+0.8%)
    assert found.months["compared"].tolist() == [True] * 11 + [False]


def test_share_of_each_site_biggest_first(session: Session):
    frame = consumption.site_shares(session, C1_CLIENT, "C1", JULY, AUGUST)
    assert frame[["site_id", "wh", "estimated_wh"]].values.tolist() == [
        ["S2", 31_000_000, 0],
        ["S1", 169_000, 0],
        ["S3", 24_000, 12_000],
        ["S4", 0, 0],
    ]
    assert frame["share"].tolist() == pytest.approx(
        [31_000 / 31_193, 169 / 31_193, 24 / 31_193, 0.0]
    )
    assert frame.loc[0, "region"] == "South"


def test_site_shares_give_each_sites_months(session: Session):
    frame = consumption.site_shares(session, C2_CLIENT, "C2", D(2025, 1, 1), D(2025, 4, 1))
    months = [D(2025, 1, 1), D(2025, 2, 1), D(2025, 3, 1)]
    assert frame[["site_id", *months, "wh"]].values.tolist() == [
        ["T1", 120_000_000, 120_000_000, 120_000_000, 360_000_000],
        ["T2", 50_000_000, 50_000_000, 50_000_000, 150_000_000],
    ]


# --- time-of-use bands -------------------------------------------------------------------


def test_time_of_use_per_month_with_billing_reads_not_metered_by_band(session: Session):
    breakdown = consumption.time_of_use(session, C1_CLIENT, "C1", JULY, AUGUST)
    july = breakdown.months.iloc[0].to_dict()
    # S1: 5 working days, a Friday and a Saturday at 1 kW, 1 kWh more in a shoulder hour;
    # S3: two working days at 500 W
    assert july == {
        "month": JULY,
        tou.PEAK: 30_000 + 6000,
        tou.SHOULDER: 57_000 + 10_000,
        tou.OFFPEAK: 82_000 + 8000,
        consumption.UNBANDED: 31_000_000,
    }
    assert breakdown.unbanded_sites == ("S2",)


def test_time_of_use_per_site_adds_up_to_the_months(session: Session):
    """The same July, site by site: S1 and S3 by band, S2 (billing reads) not metered by band."""
    breakdown = consumption.time_of_use(session, C1_CLIENT, "C1", JULY, AUGUST)
    keys = ["site_id", *tou.BANDS, consumption.UNBANDED, "metered"]
    sites = {row["site_id"]: row for row in breakdown.sites[keys].to_dict("records")}
    assert sites["S1"] == {
        "site_id": "S1",
        tou.PEAK: 30_000,
        tou.SHOULDER: 57_000,
        tou.OFFPEAK: 82_000,
        consumption.UNBANDED: 0,
        "metered": True,
    }
    assert (sites["S3"][tou.PEAK], sites["S3"][tou.SHOULDER], sites["S3"][tou.OFFPEAK]) == (
        6000,
        10_000,
        8000,
    )
    assert sites["S2"][consumption.UNBANDED] == 31_000_000 and not sites["S2"]["metered"]
    assert sum(sites["S2"][band] for band in tou.BANDS) == 0
    columns = [*tou.BANDS, consumption.UNBANDED]
    assert (breakdown.sites[columns].sum() == breakdown.months[columns].sum()).all()
    assert breakdown.coverage == consumption.coverage(session, C1_CLIENT, "C1", JULY, AUGUST)
    assert breakdown.coverage.metered_sites == 2 and not breakdown.coverage.complete


def test_every_cut_of_an_interval_only_group_adds_up_to_the_same_total(session: Session):
    series = consumption.series(session, C1_CLIENT, "C1", JULY, AUGUST, "month", NORTH)
    shares = consumption.site_shares(session, C1_CLIENT, "C1", JULY, AUGUST, NORTH)
    bands = consumption.time_of_use(session, C1_CLIENT, "C1", JULY, AUGUST, NORTH)
    days = consumption.series(session, C1_CLIENT, "C1", JULY, AUGUST, "day", NORTH)
    peaks = consumption.peak_demand(session, C1_CLIENT, "C1", JULY, AUGUST, NORTH)
    total = 169_000 + 24_000
    assert int(series["wh"].sum()) == total
    assert int(shares["wh"].sum()) == total
    assert int(bands.months[list(tou.BANDS)].to_numpy().sum()) == total
    assert int(bands.months[consumption.UNBANDED].sum()) == 0
    assert bands.unbanded_sites == ()
    assert int(days["wh"].sum()) == total
    assert int(peaks["wh"].sum()) == total


def test_a_site_type_groups_sites_across_regions(session: Session):
    retail = Selection(site_type="retail")
    frame = consumption.series(session, C1_CLIENT, "C1", JULY, AUGUST, "month", retail)
    assert frame["wh"].tolist() == [31_000_000 + 24_000]
    found = consumption.scope(session, C1_CLIENT, "C1", retail)
    assert found.site_ids == ["S2", "S3"]
    nowhere = Selection(region="Eilat")
    empty = consumption.series(session, C1_CLIENT, "C1", JULY, AUGUST, "month", nowhere)
    assert empty["wh"].tolist() == [0]


# --- load profile, peaks ---------------------------------------------------------------


def test_typical_day_of_working_days_and_weekends(session: Session):
    s1 = Selection(site_id="S1")
    frame = consumption.typical_day(session, C1_CLIENT, "C1", JULY, D(2025, 7, 8), s1)
    # five working days at 1 kW; on one of them 2 kWh in the hour from 12:00
    assert frame["working_w"].tolist() == [1000] * 12 + [1200] + [1000] * 11
    assert frame["weekend_w"].tolist() == [1000] * 24  # Friday and Saturday


def test_typical_day_divides_by_the_hours_lived_on_the_autumn_day(session: Session):
    s4 = Selection(site_id="S4")
    frame = consumption.typical_day(session, C1_CLIENT, "C1", D(2025, 10, 1), D(2025, 11, 1), s4)
    # Saturday 25, Sunday 26 (two 01:00 hours), Monday 27 October: 1 kW throughout
    assert frame["working_w"].tolist() == [1000] * 24
    assert frame["weekend_w"].tolist() == [1000] * 24


def test_peak_demand_and_load_factor_per_site_and_month(session: Session):
    frame = consumption.peak_demand(session, C1_CLIENT, "C1", D(2025, 1, 1), D(2026, 1, 1))
    rows = {
        (row.site_id, row.month): (row.peak_w, row.wh, row.hours, row.average_w)
        for row in frame.itertuples()
    }
    assert rows == {
        ("S1", JULY): (5000, 169_000, 7 * 24, 1005),
        ("S3", JULY): (500, 24_000, 48, 500),
        ("S4", D(2025, 10, 1)): (1000, 73_000, 73, 1000),  # the 25-hour day counts 25
    }
    assert frame["load_factor"].tolist() == pytest.approx([1005 / 5000, 1.0, 1.0])
    billing_only = Selection(site_id="S2")
    assert consumption.peak_demand(session, C1_CLIENT, "C1", JULY, AUGUST, billing_only).empty


# --- interval zoom ------------------------------------------------------------------------


def zoom(session: Session, site: str, start: dt.date | dt.datetime, end: dt.date | dt.datetime):
    return consumption.zoom(session, C1_CLIENT, "C1", site, start, end)


def test_a_day_is_shown_reading_by_reading(session: Session):
    found = zoom(session, "S1", D(2025, 7, 2), D(2025, 7, 3))
    assert found.resolution is Resolution.READING
    assert len(found.points) == 96
    assert int(found.points["wh"].sum()) == 25_000
    assert int(found.points["peak_w"].max()) == 5000
    assert set(found.points["seconds"]) == {900}
    estimated = zoom(session, "S3", JULY, D(2025, 7, 3)).points["estimated"]
    assert estimated.tolist() == [True] * 96 + [False] * 96


def test_naive_times_are_israel_wall_times(session: Session):
    found = zoom(session, "S1", dt.datetime(2025, 7, 2, 12), dt.datetime(2025, 7, 2, 13))
    assert found.points["wh"].tolist() == [1250, 250, 250, 250]
    assert found.points["start"].iloc[0] == pd.Timestamp("2025-07-02 12:00", tz=TIMEZONE)
    assert found.points["average_w"].tolist() == [5000, 1000, 1000, 1000]


def test_a_week_is_shown_hour_by_hour(session: Session):
    found = zoom(session, "S1", JULY, D(2025, 7, 8))
    assert found.resolution is Resolution.HOUR
    assert len(found.points) == 168
    assert int(found.points["wh"].sum()) == 169_000
    noon = found.points.set_index("start").loc[pd.Timestamp("2025-07-02 12:00", tz=TIMEZONE)]
    assert (noon["wh"], noon["average_w"]) == (2000, 2000)
    assert found.points["peak_w"].isna().all()  # hours keep no peak


def test_the_autumn_hour_twice_is_one_point_of_two_hours(session: Session):
    found = zoom(session, "S4", D(2025, 10, 25), D(2025, 10, 29))
    assert found.resolution is Resolution.HOUR
    assert len(found.points) == 72
    twice = found.points[found.points["seconds"] == 7200]
    assert len(twice) == 1
    # the first 01:00 of the night, still summer time (UTC+3)
    first_one_oclock = pd.Timestamp("2025-10-25 22:00", tz="UTC").tz_convert(TIMEZONE)
    assert twice.iloc[0]["start"] == first_one_oclock
    assert (twice.iloc[0]["wh"], twice.iloc[0]["average_w"]) == (2000, 1000)


def test_a_year_is_shown_day_by_day_and_years_month_by_month(session: Session):
    year = zoom(session, "S1", D(2025, 1, 1), D(2026, 1, 1))
    assert year.resolution is Resolution.DAY
    assert len(year.points) == 7
    july_2 = year.points.set_index("start").loc[pd.Timestamp("2025-07-02", tz=TIMEZONE)]
    assert (july_2["wh"], july_2["peak_w"], july_2["average_w"]) == (25_000, 5000, 1041)
    years = zoom(session, "S1", D(2020, 1, 1), D(2026, 1, 1))
    assert years.resolution is Resolution.MONTH
    assert years.points[["wh", "average_w", "peak_w"]].values.tolist() == [[169_000, 1005, 5000]]
    assert zoom(session, "S2", D(2025, 1, 1), D(2026, 1, 1)).points.empty  # billing reads only


@pytest.mark.parametrize(
    ("days", "resolution"),
    [(1, "reading"), (3, "reading"), (4, "hour"), (60, "hour"), (61, "day"), (2000, "day")]
    + [(2001, "month")],
)
def test_the_span_sets_the_resolution_and_bounds_the_points(days: int, resolution: str):
    found = consumption.resolution_for(dt.timedelta(days=days))
    assert found == resolution
    seconds = {"reading": 900, "hour": 3600, "day": 86400, "month": 28 * 86400}[found]
    assert days * 86400 / seconds <= consumption.MAX_POINTS


def test_an_empty_zoom_range_is_refused(session: Session):
    with pytest.raises(ValueError, match="empty"):
        zoom(session, "S1", D(2025, 7, 2), D(2025, 7, 2))


# --- distance to the VIP thresholds ----------------------------------------------------------


def test_vip_distance_over_time(session: Session):
    frame = consumption.vip_distance(session, C2_CLIENT, "C2", D(2025, 1, 1), D(2025, 4, 1))
    kwh = 1000
    columns = ["month", "max_site_id", "max_site_wh", "total_wh", "is_vip", "rule"]
    assert records(frame, columns) == [
        [D(2025, 1, 1), "T1", 960_000 * kwh, 1_560_000 * kwh, False, None],
        [D(2025, 2, 1), "T1", 1_000_000 * kwh, 1_600_000 * kwh, True, "site"],  # inclusive
        [D(2025, 3, 1), "T1", 1_040_000 * kwh, 1_640_000 * kwh, True, "site"],
    ]
    assert frame["site_gap_wh"].tolist() == [40_000 * kwh, 0, -40_000 * kwh]
    assert frame["total_gap_wh"].tolist() == [3_440_000 * kwh, 3_400_000 * kwh, 3_360_000 * kwh]
    assert frame.loc[1, "window_start"] == D(2024, 2, 1)
    assert frame.loc[1, "window_end"] == D(2025, 2, 1)
    # the same figures as the classification of each month
    for row in frame.itertuples():
        window = classification.Window.for_date(row.month)
        figures = classification.figures(session.connection(), window, ["C2"])["C2"]
        assert (figures.max_site_wh, figures.total_wh) == (row.max_site_wh, row.total_wh)


def test_vip_distance_without_consumption(session: Session):
    frame = consumption.vip_distance(session, C1_CLIENT, "C1", D(2023, 1, 1), D(2023, 3, 1))
    assert records(frame, ["max_site_id", "total_wh", "site_gap_wh"]) == [
        [None, 0, 1_000_000_000],
        [None, 0, 1_000_000_000],
    ]


# --- access ------------------------------------------------------------------------------

CUTS: dict[str, Callable[[Session, Viewer, object, Selection], object]] = {
    "scope": lambda s, v, c, sel: consumption.scope(s, v, c, sel),
    "series": lambda s, v, c, sel: consumption.series(s, v, c, JULY, AUGUST, "month", sel),
    "year_over_year": lambda s, v, c, sel: consumption.year_over_year(s, v, c, JULY, AUGUST, sel),
    "site_shares": lambda s, v, c, sel: consumption.site_shares(s, v, c, JULY, AUGUST, sel),
    "time_of_use": lambda s, v, c, sel: consumption.time_of_use(s, v, c, JULY, AUGUST, sel),
    "typical_day": lambda s, v, c, sel: consumption.typical_day(s, v, c, JULY, AUGUST, sel),
    "peak_demand": lambda s, v, c, sel: consumption.peak_demand(s, v, c, JULY, AUGUST, sel),
    "zoom": lambda s, v, c, sel: consumption.zoom(s, v, c, sel.site_id, JULY, AUGUST),
}


@pytest.mark.parametrize("cut", CUTS)
@pytest.mark.parametrize(
    ("viewer", "customer_id", "selection"),
    [
        (C2_CLIENT, "C1", Selection(site_id="S1")),  # another customer
        (STRANGER, "C1", Selection(site_id="S1")),  # a manager of other customers
        (C1_CLIENT, "C1", Selection(site_id="T1")),  # another customer's site
        (C1_CLIENT, "C2", Selection(site_id="T1")),
        (C1_CLIENT, "C9", Selection(site_id="S1")),  # no such customer
        (C1_CLIENT, ["C1"], Selection(site_id="S1")),  # not even a string
        (C1_CLIENT, "C1", Selection(site_id=["S1"])),  # type: ignore[arg-type]
    ],
)
def test_forged_ids_are_not_found(
    session: Session, cut: str, viewer: Viewer, customer_id: object, selection: Selection
):
    with pytest.raises(access.NotFound):
        CUTS[cut](session, viewer, customer_id, selection)


def test_vip_distance_of_another_customer_is_not_found(session: Session):
    with pytest.raises(access.NotFound):
        consumption.vip_distance(session, C1_CLIENT, "C2", D(2025, 1, 1), D(2025, 2, 1))
    admin = consumption.vip_distance(session, access.SYSTEM, "C2", D(2025, 1, 1), D(2025, 2, 1))
    assert admin["max_site_id"].tolist() == ["T1"]


REGION_VIEWS: dict[str, Callable[[Session, Viewer], object]] = {
    "regions": lambda s, v: consumption.regions(s, v, classification.Window.for_date(AUGUST)),
    "region_monthly": lambda s, v: consumption.region_monthly(s, v, AUGUST),
    "sites_by_region": lambda s, v: consumption.sites_by_region(
        s, v, classification.Window.for_date(AUGUST)
    ),
}


@pytest.mark.parametrize("view", REGION_VIEWS)
@pytest.mark.parametrize("viewer", [C1_CLIENT, STRANGER])
def test_region_views_are_denied_to_clients_and_managers(
    session: Session, view: str, viewer: Viewer
):
    with pytest.raises(access.AccessDenied):
        REGION_VIEWS[view](session, viewer)


def test_region_views_show_demand_staff_every_site(session: Session):
    staff = Viewer(4, "demand@example.com", Role.DEMAND_STAFF)
    window = classification.Window.for_date(AUGUST)
    summary = {
        row.region: (row.sites, row.customers)
        for row in consumption.regions(session, staff, window)
    }
    assert summary == {"Center": (1, 1), "North": (4, 2), "South": (1, 1)}
    sites = consumption.sites_by_region(session, staff, window, "North")
    assert [row.site_id for row in sites] == ["S1", "S3", "T1", "T2"]


# --- coverage and coincident peak of a group ---------------------------------------------


def test_coverage_says_how_many_sites_and_how_much_energy_interval_cuts_show(session: Session):
    found = consumption.coverage(session, C1_CLIENT, "C1", JULY, AUGUST)
    # S1 and S3 have interval data; S2 (billing reads) and S4 (nothing in July) do not
    assert (found.sites, found.metered_sites) == (4, 2)
    assert (found.wh, found.metered_wh) == (31_193_000, 193_000)
    assert found.share == pytest.approx(193 / 31_193)
    assert not found.complete
    assert consumption.coverage(session, C1_CLIENT, "C1", JULY, AUGUST, NORTH).complete


def test_coincident_peak_is_the_highest_demand_of_the_summed_load(session: Session):
    frame = consumption.coincident_peak(session, C1_CLIENT, "C1", JULY, AUGUST, NORTH)
    # S1 at 5 kW from 12:00 on 2 July while S3 draws 500 W: 5.5 kW together
    assert frame["month"].tolist() == [JULY]
    assert frame["peak_w"].tolist() == [5_500]
    assert frame["at"].iloc[0] == pd.Timestamp("2025-07-02 12:00", tz=TIMEZONE)
    # in October S4 alone, at 1 kW all along
    october = consumption.coincident_peak(session, C1_CLIENT, "C1", D(2025, 10, 1), D(2025, 11, 1))
    assert october["peak_w"].tolist() == [1_000]
