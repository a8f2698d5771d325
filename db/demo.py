"""Deterministic demo data: a realistic book of key accounts, anchored to a date.

``python -m lounge demo`` fills an empty database with customers of five
segments, their sites, contracts and contacts, two years of readings with
their rollups, a year of classification history, and one login per role.
Everything comes from the seed and the ``today`` given, so the same call gives
the same data (only bookkeeping timestamps such as ``created_at`` differ), and
the data always looks current: readings run from the first of the month 24
months before today's month up to the start of today.

A few *special* customers exist whatever the count asked for, because the demo
and its tests are about them: a 40-store chain that is a member on the
multi-site rule only (the demo client's customer), customers just above and
just below each threshold, one that entered and one that left during the past
year. Every site's energy in today's window is set to the watt-hour, so the
special customers land exactly where intended.

Random draws come from separate streams of the seed (customers, sites,
weather, load, master data, portfolios), so that, for instance, adding a field
to contacts does not change a single reading.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, fields

import numpy as np
import pandas as pd
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from db import (
    demo_billing,
    demo_meetings,
    demo_notices,
    demo_openadr,
    demo_reduction,
    demo_requests,
    demo_surveys,
)
from db.models import (
    ClassificationRun,
    Contact,
    ContactChannel,
    Contract,
    Customer,
    CustomerNote,
    Delivery,
    Notification,
    Role,
    Site,
    Topic,
    VipEvent,
)
from db.session import Database, refresh_statistics
from lounge import calendar, classification, localtime, rollups, settings, users
from lounge.ingest import bulk
from lounge.ingest.summary import ImportSummary, record_batch
from lounge.notify import membership as membership_notices
from lounge.notify import outbox, phones
from lounge.settings import DEFAULT_REGIONS, TIMEZONE

#: The one password of every demo login (the CLI prints it).
PASSWORD = "lounge-demo-2026"
ACTOR = "demo"

CHAIN_ID = "C10001"
FACTORY_CLIENT_ID = "C10002"
ENTERING_ID = "C10008"
LEAVING_ID = "C10009"

#: The weights, warmth and cities below go with these, in this order.
REGIONS = DEFAULT_REGIONS
#: Where key accounts are, roughly: the centre and Tel Aviv carry most.
REGION_WEIGHTS = (0.13, 0.15, 0.25, 0.22, 0.10, 0.15)
#: Degrees warmer (+) or cooler (-) than the coastal plain, for the heat response.
REGION_WARMTH = (-1.0, -0.5, 0.0, 0.5, -3.0, 2.0)
CITIES = (
    ("Karmiel", "Nazareth", "Afula", "Tiberias", "Kiryat Shmona", "Safed"),
    ("Haifa", "Kiryat Ata", "Hadera", "Yokneam", "Nesher"),
    ("Petah Tikva", "Rishon LeZion", "Rehovot", "Netanya", "Kfar Saba", "Modi'in"),
    ("Tel Aviv", "Ramat Gan", "Holon", "Bnei Brak", "Herzliya", "Bat Yam"),
    ("Jerusalem", "Beit Shemesh", "Mevaseret Zion", "Ma'ale Adumim"),
    ("Be'er Sheva", "Ashdod", "Ashkelon", "Eilat", "Dimona", "Kiryat Gat"),
)
STREETS = (
    "Herzl", "HaAtzmaut", "Ben Gurion", "Jabotinsky", "Weizmann", "HaTa'asiya",
    "HaMelacha", "Rothschild", "HaNassi", "HaYotzrim", "HaCharash", "Derech Hevron",
)  # fmt: skip
SUPPLIERS = ("Israel Electric", "Dorad Energy", "OPC Energy", "Sunrise Power")
SUPPLIER_WEIGHTS = (0.55, 0.2, 0.15, 0.1)
NAME_WORDS = (
    "Ofek", "Carmel", "Galil", "Negev", "Sharon", "Arava", "Yarden", "Kinneret",
    "Tavor", "Hermon", "Gilboa", "Yarkon", "Ayalon", "Golan", "Ramon", "Zohar",
    "Shemesh", "Tamar", "Rimon", "Zayit", "Dekel", "Erez", "Oren", "Alon", "Brosh",
    "Hadas", "Gefen", "Shaked", "Savyon", "Rakefet", "Kalanit", "Nurit", "Lotem",
    "Marom", "Tzafon", "Sela", "Even", "Keshet", "Shefa", "Lavi",
)  # fmt: skip
FIRST_NAMES = (
    "Yossi", "Moshe", "Noa", "Tamar", "Avi", "Dana", "Eitan", "Michal", "Ronit",
    "Omer", "Yael", "David", "Sarah", "Amir", "Lior", "Shira", "Nadav", "Maya",
    "Ahmad", "Rana", "Samir", "Hila", "Gil", "Orly",
)  # fmt: skip
LAST_NAMES = (
    "Cohen", "Levi", "Mizrahi", "Peretz", "Biton", "Friedman", "Azoulay", "Katz",
    "Shapiro", "Ben-David", "Avraham", "Haddad", "Khoury", "Golan", "Segal", "Dahan",
)  # fmt: skip
#: Standard transformer sizes: a connection is the next one up from the peak.
KVA_SIZES = np.array(
    [25, 40, 63, 100, 160, 250, 400, 630, 800, 1000, 1250, 1600, 2000, 2500, 3150,
     4000, 5000, 6300, 8000, 10000, 12500, 16000, 20000, 25000]
)  # fmt: skip
TARIFFS = {"low": "Low-voltage flat", "medium": "General TOU", "high": "High-voltage TOU"}

INTERVAL_S = 15 * 60
#: Lounge members are on time-of-use tariffs and have interval meters at every site from
#: this size up (kWh a year); their smaller sites, and other customers, have billing reads.
INTERVAL_FROM_KWH = 100_000
#: An interval meter's data: 15-minute readings over the last complete months (and today's
#: month so far), hourly readings over the year before them, monthly billing reads before
#: that. Every screen's recent view gets full detail, a year of bands and typical days
#: stays interval data, and the rows (most of the time the demo takes) stay few.
QUARTER_HOUR_MONTHS = 3
HOURLY_MONTHS = 12
#: Billing sites below this (kWh a year) are read every two months.
BIMONTHLY_BELOW_KWH = 150_000
#: Retail chains among the generated customers: one per this many customers.
CUSTOMERS_PER_CHAIN = 80
HISTORY_MONTHS = 24

#: A row of master data, as handed to ``insert()``.
Row = dict[str, object]

# --- segments and their load shapes -----------------------------------------------

# A load profile stacks its day types in the order of lounge.calendar.DAY_TYPES.


def _open(hours: np.ndarray, start: float, end: float, ramp: float = 1.0) -> np.ndarray:
    """1 while open, 0 while closed, with linear ramps so that the load does not jump."""
    return np.clip(np.minimum(hours - start + ramp, end - hours + ramp) / ramp, 0.0, 1.0)


def _factory(h: np.ndarray) -> np.ndarray:
    """Two shifts (06-22) on working days, one on short days, base load at rest."""
    working = 0.35 + 0.65 * _open(h, 6, 22)
    return np.stack([working, 0.35 + 0.45 * _open(h, 6, 14), np.full_like(h, 0.3)])


def _retail(h: np.ndarray) -> np.ndarray:
    """Open 08-21, Friday morning only, closed on Saturday; fridges run at night."""
    working = 0.25 + 0.75 * _open(h, 8, 21)
    return np.stack([working, 0.25 + 0.75 * _open(h, 8, 15), np.full_like(h, 0.2)])


def _hospital(h: np.ndarray) -> np.ndarray:
    """Round the clock, a little more while clinics are open."""
    working = 0.8 + 0.2 * _open(h, 7, 19, 2)
    return np.stack([working, 0.8 + 0.12 * _open(h, 7, 14, 2), 0.8 + 0.08 * _open(h, 8, 18)])


def _office(h: np.ndarray) -> np.ndarray:
    """Sunday to Thursday office hours; servers and lights on standby otherwise."""
    working = 0.2 + 0.8 * _open(h, 8, 18, 1.5)
    return np.stack([working, 0.2 + 0.1 * _open(h, 9, 13), np.full_like(h, 0.18)])


def _cold_storage(h: np.ndarray) -> np.ndarray:
    """Compressors all day and night, harder in the afternoon heat; docks on working days."""
    compressors = 0.85 + 0.15 * _open(h, 10, 17, 3)
    docks = np.stack([0.05 * _open(h, 6, 16), 0.03 * _open(h, 6, 12), np.zeros_like(h)])
    return compressors + docks


@dataclass(frozen=True)
class Segment:
    """How a kind of business uses electricity, and how big its sites are."""

    code: str
    #: Share of the generated (not special) customers.
    share: float
    #: A site's yearly energy is log-normal around this median (kWh).
    site_kwh: float
    site_sigma: float
    #: Extra load per degree of daily mean above 23 °C and below 15 °C.
    cooling: float
    heating: float
    #: Average over peak demand; sizes the connection.
    load_factor: float
    #: What its sites are (``site.site_type``): the main kind first, then the kinds a
    #: customer's other sites may be (:data:`OTHER_SITE_TYPE_SHARE` of them).
    site_types: tuple[str, ...]
    name_kinds: tuple[str, ...]
    #: Demand by hour of day -> array (day type, hour) in relative units.
    profile: Callable[[np.ndarray], np.ndarray]


SEGMENTS = (
    Segment("factory", 0.27, 650_000, 0.9, 0.010, 0.005, 0.55, ("plant", "warehouse"),
            ("Plastics Ltd.", "Metal Works Ltd.", "Textiles Ltd.", "Food Industries Ltd.",
             "Packaging Ltd.", "Chemicals Ltd.", "Glass Works Ltd.", "Electronics Ltd.",
             "Pharmaceuticals Ltd.", "Paper Mills Ltd."), _factory),
    Segment("retail", 0.20, 180_000, 0.5, 0.030, 0.010, 0.40, ("store", "warehouse"),
            ("Supermarkets Ltd.", "Home Centers Ltd.", "Pharm Ltd.", "Fashion Ltd.",
             "Electric Stores Ltd.", "Markets Ltd.", "Bakeries Ltd.", "Furniture Ltd."), _retail),
    Segment("hospital", 0.08, 3_500_000, 0.7, 0.025, 0.020, 0.70, ("hospital", "clinic"),
            ("Medical Center", "Hospital", "Health Campus", "Rehabilitation Center"), _hospital),
    Segment("office", 0.28, 320_000, 0.8, 0.040, 0.030, 0.35, ("office",),
            ("Towers Ltd.", "Business Park Ltd.", "Software Ltd.", "Insurance Ltd.",
             "Tech Park Ltd.", "Capital Ltd.", "Offices Ltd."), _office),
    Segment("cold_storage", 0.17, 700_000, 0.6, 0.060, 0.0, 0.65, ("warehouse",),
            ("Cold Logistics Ltd.", "Cold Storage Ltd.", "Frozen Foods Ltd.",
             "Refrigerated Warehouses Ltd.", "Fresh Logistics Ltd."), _cold_storage),
)  # fmt: skip
SEGMENT_INDEX = {segment.code: i for i, segment in enumerate(SEGMENTS)}
#: Share of a customer's sites after its first that are of a secondary kind.
OTHER_SITE_TYPE_SHARE = 0.25
#: Site names say "Haifa campus", not "Haifa hospital"; other kinds name themselves.
SITE_NOUNS = {"hospital": "campus", "office": "building"}
#: Relative demand of each segment, day type and quarter hour: (segment, day type, slot).
PROFILES = np.stack([segment.profile((np.arange(96) + 0.5) / 4) for segment in SEGMENTS])


# --- the customers the demo is about ----------------------------------------------


@dataclass(frozen=True)
class CustomerSpec:
    """What a customer is before it gets addresses, contracts and readings."""

    id: str
    name: str
    segment: str
    #: Energy of each site in today's window (the 12 months before today's month), kWh.
    site_kwh: tuple[int, ...]
    #: Yearly change of consumption: the window a year ago was smaller by this share.
    growth: float

    @property
    def is_member(self) -> bool:
        """Whether today's window makes it a lounge member (``site_kwh`` is that window)."""
        return (
            max(self.site_kwh) * 1000 >= classification.SITE_THRESHOLD_WH
            or sum(self.site_kwh) * 1000 >= classification.TOTAL_THRESHOLD_WH
        )


def _split_exact(total: int, weights: np.ndarray) -> tuple[int, ...]:
    """``total`` shared by ``weights`` in whole units that add up exactly."""
    shares = np.floor(total * weights / weights.sum()).astype(np.int64)
    shares[: total - int(shares.sum())] += 1
    return tuple(int(share) for share in shares)


def _spread(total_kwh: int, sites: int, spread: float) -> tuple[int, ...]:
    """``total_kwh`` over ``sites``, biggest first, sizes within +-spread/2 of the mean."""
    return _split_exact(total_kwh, np.linspace(1 + spread / 2, 1 - spread / 2, sites))


SPECIALS = (
    # the demo client: a member on the multi-site rule only, each store far below 1 GWh
    CustomerSpec(CHAIN_ID, "Shefa Supermarkets Ltd.", "retail", _spread(6_400_000, 40, 0.9),
                 growth=0.02),
    # just above / below the site threshold: the ones above shrink, the ones below grow,
    # so each has been on its side all year and is now at the edge (a yearly trend of
    # 15 % outweighs the shifting Hebrew calendar: a month with three holidays uses ~5 % less)
    CustomerSpec(FACTORY_CLIENT_ID, "Ofek Metal Works Ltd.", "factory", (1_000_400,), -0.15),
    CustomerSpec("C10003", "Tavor Food Industries Ltd.", "factory", (999_200,), 0.15),
    CustomerSpec("C10004", "Carmel Health Campus", "hospital", (1_001_900, 346_000), -0.15),
    CustomerSpec("C10005", "Dekel Packaging Ltd.", "factory", (998_700, 212_000), 0.15),
    # just above / below the multi-site threshold, every site below the site threshold
    CustomerSpec("C10006", "Yarkon Business Park Ltd.", "office", _spread(5_000_600, 8, 0.3),
                 -0.15),
    CustomerSpec("C10007", "Rimon Markets Ltd.", "retail", _spread(4_998_900, 12, 0.5), 0.15),
    # growing through 1 GWh at its one site about half a year ago
    CustomerSpec(ENTERING_ID, "Negev Polymers Ltd.", "factory", (1_096_000,), 0.25),
    # seven warehouses shrinking through 5 GWh together about half a year ago
    CustomerSpec(LEAVING_ID, "Galil Cold Logistics Ltd.", "cold_storage",
                 _spread(4_420_000, 7, 0.3), -0.22),
)  # fmt: skip


def _regular_specs(rng: np.random.Generator, count: int) -> list[CustomerSpec]:
    """``count`` ordinary customers: mostly 1-3 sites, a few retail chains of 10-30 stores."""
    shares = np.array([segment.share for segment in SEGMENTS])
    codes = rng.choice(len(SEGMENTS), size=count, p=shares / shares.sum())
    site_counts = rng.choice([1, 2, 3], size=count, p=[0.55, 0.3, 0.15])
    chains = rng.choice(count, size=count // CUSTOMERS_PER_CHAIN, replace=False)
    codes[chains] = SEGMENT_INDEX["retail"]
    site_counts[chains] = rng.integers(10, 31, size=len(chains))
    is_chain = np.isin(np.arange(count), chains)
    names = _names(rng, codes)
    specs = []
    for i in range(count):
        segment = SEGMENTS[codes[i]]
        main = segment.site_kwh * rng.lognormal(0, segment.site_sigma)
        if is_chain[i]:
            kwh = main * rng.lognormal(0, 0.35, site_counts[i])
        else:
            kwh = main * np.r_[1.0, rng.uniform(0.2, 0.8, site_counts[i] - 1)]
        specs.append(
            CustomerSpec(
                f"C{10001 + len(SPECIALS) + i}",
                names[i],
                segment.code,
                tuple(int(v) for v in np.clip(np.rint(kwh), 40_000, 40_000_000)),
                float(rng.normal(0.01, 0.04)),
            )
        )
    return specs


def _names(rng: np.random.Generator, codes: np.ndarray) -> list[str]:
    """A distinct business name for each customer, fitting its segment."""
    taken = {special.name for special in SPECIALS}
    names: list[str] = [""] * len(codes)
    for index, segment in enumerate(SEGMENTS):
        pool = [f"{word} {kind}" for word in NAME_WORDS for kind in segment.name_kinds]
        pool = [name for name in pool if name not in taken]
        order = rng.permutation(len(pool))
        for k, i in enumerate(np.flatnonzero(codes == index)):
            rounds, pick = divmod(k, len(pool))
            names[i] = pool[order[pick]] + (f" {rounds + 1}" if rounds else "")
    return names


# --- the plan: every site with its size, place and meter ---------------------------


@dataclass
class SitePlan:
    """A site as the readings need it: whose, what kind, where, how big, how metered."""

    id: str
    customer: CustomerSpec
    segment: int
    region: int
    window_kwh: int
    #: Whether it is the customer's first (biggest) site.
    main: bool
    site_type: str = ""
    interval: bool = False
    bimonthly: bool = False


def _plan_sites(rng: np.random.Generator, specs: list[CustomerSpec]) -> list[SitePlan]:
    """Sites of every customer, numbered in order, with their kind and meter.

    Members' sites from :data:`INTERVAL_FROM_KWH` up have interval meters, the
    others billing reads (every two months when small).
    """
    sites: list[SitePlan] = []
    for spec in specs:
        for k, kwh in enumerate(spec.site_kwh):
            sites.append(
                SitePlan(
                    f"S{200001 + len(sites)}",
                    spec,
                    SEGMENT_INDEX[spec.segment],
                    int(rng.choice(len(REGIONS), p=REGION_WEIGHTS)),
                    kwh,
                    main=k == 0,
                )
            )
    other_kind = rng.random(len(sites)) < OTHER_SITE_TYPE_SHARE
    for site, other in zip(sites, other_kind, strict=True):
        kinds = SEGMENTS[site.segment].site_types
        site.site_type = kinds[-1] if other and not site.main else kinds[0]
        site.interval = site.customer.is_member and site.window_kwh >= INTERVAL_FROM_KWH
        site.bimonthly = not site.interval and site.window_kwh < BIMONTHLY_BELOW_KWH
    return sites


# --- the calendar and the weather ----------------------------------------------


@dataclass(frozen=True)
class Calendar:
    """The local days the demo covers, what kind of day each is, and how warm."""

    days: np.ndarray
    #: Local midnights in Unix seconds: day k is [edges[k], edges[k + 1]).
    edges: np.ndarray
    day_type: np.ndarray
    #: Daily mean temperature on the coastal plain, °C.
    temperature: np.ndarray
    #: Index into ``days`` of the first of each month, the last one being today's month.
    month_days: np.ndarray

    @property
    def window(self) -> tuple[int, int]:
        """Unix seconds of today's classification window (the last 12 complete months)."""
        return int(self.edges[self.month_days[-13]]), int(self.edges[self.month_days[-1]])


def _calendar(rng: np.random.Generator, today: dt.date) -> Calendar:
    month = localtime.first_of_month(today)
    first = localtime.add_months(month, -HISTORY_MONTHS)
    dates = localtime.day_starts(first, today)
    days = np.array(dates[:-1], dtype="datetime64[D]")
    months = np.array(localtime.month_starts(first, month), dtype="datetime64[D]")
    return Calendar(
        days=days,
        edges=localtime.boundaries_s(dates),
        day_type=calendar.day_type_codes(dates[:-1]),
        temperature=_temperature(rng, days),
        month_days=np.searchsorted(days, months),
    )


def _temperature(rng: np.random.Generator, days: np.ndarray) -> np.ndarray:
    """Daily means: ~14 °C in January, ~29 °C in late July, weather that lingers for days,
    a few heat waves (sharav) in spring and summer and cold spells in winter."""
    day_of_year = (days - days.astype("datetime64[Y]")).astype(np.int64) + 1
    month = days.astype("datetime64[M]").astype(np.int64) % 12 + 1
    seasonal = 21.5 - 7.5 * np.cos(2 * np.pi * (day_of_year - 20) / 365.25)
    kernel = 0.7 ** np.arange(12)
    weather = np.convolve(rng.normal(0, 1.3, len(days) + len(kernel) - 1), kernel, "valid")
    years = len(days) / 365.25
    heat = _spells(rng, (month >= 4) & (month <= 9), round(3 * years), 6.0, 10.0)
    cold = _spells(rng, (month == 12) | (month <= 2), round(2 * years), -6.0, -3.0)
    return seasonal + weather + heat + cold


def _spells(
    rng: np.random.Generator, candidates: np.ndarray, count: int, low: float, high: float
) -> np.ndarray:
    """Degrees added by ``count`` spells of 3-5 days starting on candidate days."""
    extra = np.zeros(len(candidates))
    starts = rng.choice(np.flatnonzero(candidates), size=count, replace=False)
    lengths = rng.integers(3, 6, size=count)
    amplitude = rng.uniform(low, high, size=count)
    offsets = np.arange(5)
    index = starts[:, None] + offsets
    keep = (offsets < lengths[:, None]) & (index < len(extra))
    np.add.at(extra, index[keep], np.broadcast_to(amplitude[:, None], index.shape)[keep])
    return extra


# --- readings ------------------------------------------------------------------


@dataclass
class RawReadings:
    """Readings before scaling: which site (index into the plan), when, relative energy."""

    site: np.ndarray
    start: np.ndarray
    end: np.ndarray
    energy: np.ndarray
    estimated: np.ndarray

    @classmethod
    def concat(cls, parts: list[RawReadings]) -> RawReadings:
        return cls(
            *(np.concatenate([getattr(p, f.name) for p in parts]) for f in fields(RawReadings))
        )


def _daily_factors(rng: np.random.Generator, cal: Calendar, sites: list[SitePlan]) -> np.ndarray:
    """Relative demand of each site and day (sites x days): heat, trend and daily noise."""
    segment = np.array([site.segment for site in sites], dtype=np.int64)
    sensitivity = rng.uniform(0.7, 1.3, len(sites))
    cooling = np.array([SEGMENTS[s].cooling for s in segment]) * sensitivity
    heating = np.array([SEGMENTS[s].heating for s in segment]) * sensitivity
    warmth = np.array([REGION_WARMTH[site.region] for site in sites])
    temperature = cal.temperature[None, :] + warmth[:, None]
    weather = (
        1
        + cooling[:, None] * np.maximum(temperature - 23, 0)
        + heating[:, None] * np.maximum(15 - temperature, 0)
    )
    growth = np.array([site.customer.growth for site in sites])
    years = (np.arange(len(cal.days)) - cal.month_days[-1]) / 365.25
    trend = (1 + growth[:, None]) ** years[None, :]
    return weather * trend * rng.lognormal(0, 0.04, weather.shape)


def _interval_readings(
    rng: np.random.Generator,
    cal: Calendar,
    rows: np.ndarray,
    segment: np.ndarray,
    factors: np.ndarray,
    days: tuple[int, int],
    step_s: int,
) -> RawReadings:
    """Readings every ``step_s`` (15 minutes or an hour) of UTC time over local ``days``
    [first, end) (so a DST day has 92 or 100 quarter hours, 23 or 25 hours).

    A third of the meters drop out for 2-4 days; those readings are estimates
    from the profile, without the noise of real measurements.
    """
    starts = np.arange(cal.edges[days[0]], cal.edges[days[1]], step_s, dtype=np.int64)
    clock = pd.to_datetime(starts, unit="s", utc=True).tz_convert(TIMEZONE)
    slot = ((clock.hour * 60 + clock.minute) // (step_s // 60)).to_numpy()
    profiles = PROFILES.reshape(*PROFILES.shape[:2], -1, step_s // INTERVAL_S).sum(axis=3)
    day = np.searchsorted(cal.edges, starts, side="right") - 1
    shape = profiles[segment[:, None], cal.day_type[day][None, :], slot[None, :]]
    noise = rng.lognormal(0, 0.06, shape.shape)
    gap_start = rng.integers(days[0], days[1] - 4, size=len(rows))
    gap_days = np.where(rng.random(len(rows)) < 1 / 3, rng.integers(2, 5, size=len(rows)), 0)
    gap = (day[None, :] >= gap_start[:, None]) & (day[None, :] < (gap_start + gap_days)[:, None])
    noise[gap] = 1.0
    return RawReadings(
        np.repeat(rows, len(starts)),
        np.tile(starts, len(rows)),
        np.tile(starts + step_s, len(rows)),
        (shape * factors[:, day] * noise).ravel(),
        gap.ravel(),
    )


def _billing_readings(
    rng: np.random.Generator,
    cal: Calendar,
    rows: np.ndarray,
    segment: np.ndarray,
    factors: np.ndarray,
    months: int,
    until: int,
) -> RawReadings:
    """Reads over every ``months`` local months, the last ending where month ``until``
    (an index into ``cal.month_days``) starts.

    Counting back from today's month keeps the reads aligned with today's window;
    earlier windows cut two-month reads, pro rata, as real ones do. About one
    read in thirty is an estimate.
    """
    bounds = cal.month_days[: until + 1][::-months][::-1]
    daily = PROFILES.sum(axis=2)[segment[:, None], cal.day_type[None, :]] * factors
    energy = np.add.reduceat(daily[:, : bounds[-1]], bounds[:-1], axis=1)
    periods = len(bounds) - 1
    return RawReadings(
        np.repeat(rows, periods),
        np.tile(cal.edges[bounds[:-1]], len(rows)),
        np.tile(cal.edges[bounds[1:]], len(rows)),
        energy.ravel(),
        rng.random(energy.size) < 1 / 30,
    )


def _readings(rng: np.random.Generator, cal: Calendar, sites: list[SitePlan]) -> pd.DataFrame:
    """Every reading of every site, in integer Wh, each site exact on its window target."""
    factors = _daily_factors(rng, cal, sites)
    segment = np.array([site.segment for site in sites], dtype=np.int64)
    interval = np.array([site.interval for site in sites], dtype=bool)
    bimonthly = np.array([site.bimonthly for site in sites], dtype=bool)
    this_month = len(cal.month_days) - 1
    hourly_from = max(this_month - QUARTER_HOUR_MONTHS - HOURLY_MONTHS, 0)
    quarter_hour_from = this_month - QUARTER_HOUR_MONTHS
    meters = np.flatnonzero(interval)
    parts = [
        _interval_readings(rng, cal, meters, segment[meters], factors[meters], (first, end), step_s)
        for first, end, step_s in (
            (cal.month_days[hourly_from], cal.month_days[quarter_hour_from], 3600),
            (cal.month_days[quarter_hour_from], len(cal.days), INTERVAL_S),
        )
    ]
    for rows, months, until in (
        (meters, 1, hourly_from),
        (np.flatnonzero(~interval & ~bimonthly), 1, this_month),
        (np.flatnonzero(bimonthly), 2, this_month),
    ):
        parts.append(_billing_readings(rng, cal, rows, segment[rows], factors[rows], months, until))
    raw = RawReadings.concat(parts)
    targets = np.array([site.window_kwh * 1000 for site in sites], dtype=np.int64)
    return pd.DataFrame(
        {
            "site_id": np.array([site.id for site in sites], dtype=object)[raw.site],
            "start_s": raw.start,
            "end_s": raw.end,
            "wh": _watt_hours(raw, targets, cal.window),
            "estimated": raw.estimated,
        }
    )


def _watt_hours(raw: RawReadings, targets: np.ndarray, window: tuple[int, int]) -> np.ndarray:
    """Scale each site's readings so that its window sums to ``targets`` Wh exactly.

    The VIP rule compares integer Wh, so a site meant to sit 400 kWh above the
    threshold must not lose it to rounding: the remainder goes to the site's
    biggest reading inside the window. No reading straddles today's window.
    """
    inside = (raw.start >= window[0]) & (raw.end <= window[1])
    shape = np.bincount(raw.site, np.where(inside, raw.energy, 0), minlength=len(targets))
    wh = np.rint(raw.energy * (targets / shape)[raw.site]).astype(np.int64)
    counted = np.zeros(len(targets), dtype=np.int64)
    np.add.at(counted, raw.site[inside], wh[inside])
    order = np.lexsort((np.where(inside, wh, -1), raw.site))
    biggest = order[np.searchsorted(raw.site[order], np.arange(len(targets)), side="right") - 1]
    wh[biggest] += targets - counted
    return wh


# --- master data: customers, sites, contracts, contacts ---------------------------


def _tax_id(body: int) -> str:
    """A company number: 51 + six digits + the check digit of Israeli identity numbers."""
    digits = f"51{body:06d}"
    total = sum(sum(divmod(int(d) * (1 + i % 2), 10)) for i, d in enumerate(digits))
    return f"{digits}{(10 - total % 10) % 10}"


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower().removesuffix(" ltd.")).strip("-")


def _customer_rows(rng: np.random.Generator, specs: list[CustomerSpec]) -> list[Row]:
    bodies = rng.choice(1_000_000, size=len(specs), replace=False)
    languages = rng.choice(["he", "en"], size=len(specs), p=[0.8, 0.2])
    return [
        {
            "id": spec.id,
            "name": spec.name,
            "tax_id": _tax_id(int(body)),
            "segment": spec.segment,
            "language": str(language),
        }
        for spec, body, language in zip(specs, bodies, languages, strict=True)
    ]


def _site_rows(
    rng: np.random.Generator, sites: list[SitePlan], suppliers: dict[str, str]
) -> list[Row]:
    """Site names like "Haifa store 2": the city, the segment's noun, a number if repeated."""
    meters = rng.choice(90_000_000, size=len(sites), replace=False) + 10_000_000
    seen: Counter[tuple[str, str]] = Counter()
    rows: list[Row] = []
    for site, meter in zip(sites, meters, strict=True):
        cities = CITIES[site.region]
        city = cities[rng.integers(len(cities))]
        seen[site.customer.id, city] += 1
        number = seen[site.customer.id, city]
        noun = SITE_NOUNS.get(site.site_type, site.site_type)
        rows.append(
            {
                "id": site.id,
                "customer_id": site.customer.id,
                "name": f"{city} {noun}" + (f" {number}" if number > 1 else ""),
                "region": REGIONS[site.region],
                "address": f"{STREETS[rng.integers(len(STREETS))]} {rng.integers(1, 120)}, {city}",
                "supplier": suppliers[site.customer.id],
                "meter_number": str(meter),
                "site_type": site.site_type,
            }
        )
    return rows


def _connection(site: SitePlan) -> tuple[int, str]:
    """Connection size (kVA, next standard size above the peak plus 30 %) and voltage."""
    peak_kw = site.window_kwh / 8760 / SEGMENTS[site.segment].load_factor
    needed = peak_kw / 0.9 * 1.3
    kva = int(KVA_SIZES[min(int(np.searchsorted(KVA_SIZES, needed)), len(KVA_SIZES) - 1)])
    voltage = "high" if kva >= 4000 else "medium" if kva >= 630 else "low"
    return kva, voltage


def _contract_rows(
    rng: np.random.Generator, sites: list[SitePlan], suppliers: dict[str, str], today: dt.date
) -> list[Row]:
    """The active contract of every site (one in eight up for renewal within 90 days)
    and, for most, the one it replaced, sometimes with another supplier."""
    rows: list[Row] = []
    for site in sites:
        years = int(rng.choice([3, 5]))
        days_left = (
            rng.integers(7, 91) if rng.random() < 1 / 8 else rng.integers(91, years * 365 - 30)
        )
        end = today + dt.timedelta(days=int(days_left))
        start = end - dt.timedelta(days=years * 365)
        if rng.random() < 0.6:
            previous = str(rng.choice(SUPPLIERS, p=SUPPLIER_WEIGHTS))
            ended = (start - dt.timedelta(days=3 * 365), start - dt.timedelta(days=1))
            rows.append(_contract(site, len(rows) + 1, *ended, previous))
        rows.append(_contract(site, len(rows) + 1, start, end, suppliers[site.customer.id]))
    return rows


def _contract(site: SitePlan, number: int, start: dt.date, end: dt.date, supplier: str) -> Row:
    kva, voltage = _connection(site)
    return {
        "number": f"CN-{start.year}-{number:06d}",
        "site_id": site.id,
        "tariff": TARIFFS[voltage],
        "voltage_level": voltage,
        "capacity_kva": kva,
        "supplier": supplier,
        "start_date": start,
        "end_date": end,
    }


#: How demo contacts want to be reached: e-mail only, text only, letters only, or several.
CHANNEL_PROFILES = (
    (("email",), 0.40),
    (("sms",), 0.15),
    (("post",), 0.10),
    (("email", "sms"), 0.30),
    (("email", "sms", "post"), 0.05),
)
CONTACT_ROLES = ("owner", "finance", "operations", "energy_manager")


def _demo_phone(rng: np.random.Generator) -> str:
    """A mobile number the numbering plan accepts (the import refuses invalid ones)."""
    while True:
        local = f"05{rng.choice([0, 2, 3, 4, 8])}{rng.integers(2, 10)}{rng.integers(10**6):06d}"
        try:
            return phones.normalize(local)
        except phones.InvalidPhone:
            continue


def _contacts(rng: np.random.Generator, customers: list[Row]) -> list[tuple[Row, tuple[str, ...]]]:
    """1-3 people per customer, each with a role, a language and the channels they chose."""
    profiles = [channels for channels, _ in CHANNEL_PROFILES]
    weights = [weight for _, weight in CHANNEL_PROFILES]
    cities = [city for region in CITIES for city in region]
    contacts: list[tuple[Row, tuple[str, ...]]] = []
    for customer in customers:
        for _ in range(rng.integers(1, 4)):
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            channels = profiles[rng.choice(len(profiles), p=weights)]
            street = f"{STREETS[rng.integers(len(STREETS))]} {rng.integers(1, 120)}"
            row = {
                "customer_id": customer["id"],
                "name": f"{first} {last}",
                "role": str(rng.choice(CONTACT_ROLES)),
                "phone": _demo_phone(rng) if "sms" in channels or rng.random() < 0.5 else None,
                "email": f"{first}.{last}@{_slug(str(customer['name']))}.co.il".lower()
                if "email" in channels or rng.random() < 0.5
                else None,
                "postal_address": f"{street}\n{rng.choice(cities)} {rng.integers(10**6, 10**7)}",
                "language": customer["language"] if rng.random() < 0.85 else "en",
            }
            contacts.append((row, channels))
    return contacts


def _write_contacts(session: Session, rng: np.random.Generator, customers: list[Row]) -> None:
    contacts = _contacts(rng, customers)
    ids = session.scalars(
        insert(Contact).returning(Contact.id, sort_by_parameter_order=True),
        [row for row, _ in contacts],
    ).all()
    choices = [
        {"contact_id": contact_id, "topic": topic, "channel": channel}
        for contact_id, (_, channels) in zip(ids, contacts, strict=True)
        for topic in Topic
        for channel in channels
    ]
    session.execute(insert(ContactChannel), choices)


def _write_master_data(
    session: Session,
    rng: np.random.Generator,
    specs: list[CustomerSpec],
    sites: list[SitePlan],
    today: dt.date,
) -> None:
    customers = _customer_rows(rng, specs)
    picks = rng.choice(len(SUPPLIERS), size=len(specs), p=SUPPLIER_WEIGHTS)
    suppliers = {spec.id: SUPPLIERS[pick] for spec, pick in zip(specs, picks, strict=True)}
    session.execute(insert(Customer), customers)
    session.execute(insert(Site), _site_rows(rng, sites, suppliers))
    session.execute(insert(Contract), _contract_rows(rng, sites, suppliers, today))
    _write_contacts(session, rng, customers)


# --- readings, rollups and history in the database ----------------------------


def _write_readings(session: Session, frame: pd.DataFrame, cal: Calendar, seed: int) -> None:
    """One import batch for all readings, then the rollups of every site at once."""
    rows = len(frame)
    summary = ImportSummary("demo", f"demo-seed-{seed}", rows, rows, 0, 0)
    batch = record_batch(session, summary, ACTOR)
    connection = session.connection()
    bulk.insert_readings(connection, frame, batch.id)
    site_ids = sorted(frame["site_id"].unique().tolist())
    rollups.rebuild(connection, site_ids, int(cal.edges[0]), int(cal.edges[-1]))


def _classify_history(session: Session, today: dt.date) -> None:
    """Classify on the first of each month for a year, then today, as the admin would have."""
    month = localtime.first_of_month(today)
    dates = [localtime.add_months(month, k) for k in range(-12, 1)]
    for as_of in dates + ([today] if today != month else []):
        classification.classify(session, as_of, ACTOR)


def _announce_history(session: Session) -> None:
    """The messages the history's runs wrote; those of past runs went out back then (sent,
    posted, read), today's wait in the outbox for the sender that ``make run`` starts."""
    runs = session.scalars(select(ClassificationRun).order_by(ClassificationRun.as_of)).all()
    membership_notices.announce(session, runs[0].id, settings.load().public_url)
    dated = dict(
        session.execute(
            select(VipEvent.id, ClassificationRun.as_of)
            .join(ClassificationRun, ClassificationRun.id == VipEvent.run_id)
            .where(ClassificationRun.id != runs[-1].id)
        ).all()
    )
    steps = []
    for message in session.scalars(select(Notification)):
        as_of = dated.get(int(message.source.removeprefix("vip_event:")))
        if as_of is None:
            continue
        at = dt.datetime.combine(as_of, dt.time(9), TIMEZONE)
        in_app = message.channel == "in_app"
        message.status = (
            Delivery.DELIVERED if message.channel in ("sms", "in_app") else Delivery.SENT
        )
        message.attempts = 0 if in_app else 1
        message.created_at = message.sent_at = message.read_at = at
        if message.status == Delivery.DELIVERED:
            message.delivered_at = at
        # the history staff read on the message's page, as the sender and gateway wrote it
        if message.channel in ("email", "sms"):
            steps.append(outbox.step(message.id, Delivery.SENT, attempt=1, actor="sender", at=at))
        if message.channel == "sms":
            steps.append(outbox.step(message.id, Delivery.DELIVERED, actor="gateway", at=at))
        if message.channel == "post":
            steps.append(
                outbox.step(message.id, Delivery.SENT, actor=ACTOR, detail="posted", at=at)
            )
        if in_app:
            steps.append(outbox.step(message.id, Delivery.DELIVERED, detail="read", at=at))
    outbox.add_steps(session, steps)


# --- people who sign in ------------------------------------------------------------


@dataclass(frozen=True)
class DemoUser:
    email: str
    role: Role
    full_name: str
    language: str = "en"
    customer_id: str | None = None


#: One login per role first (what the CLI lists on top), then the rest.
DEMO_USERS = (
    DemoUser("client@demo.lounge", Role.CLIENT, "Tamar Cohen", "he", CHAIN_ID),
    DemoUser("manager@demo.lounge", Role.ACCOUNT_MANAGER, "Dana Levi"),
    DemoUser("demand@demo.lounge", Role.DEMAND_STAFF, "Eitan Barak"),
    DemoUser("admin@demo.lounge", Role.ADMIN, "Noa Shalev"),
    DemoUser("desk@demo.lounge", Role.FAULT_DESK, "Yael Azulay", "he"),
    DemoUser("client2@demo.lounge", Role.CLIENT, "Amir Peretz", "en", FACTORY_CLIENT_ID),
    DemoUser("manager2@demo.lounge", Role.ACCOUNT_MANAGER, "Yossi Mizrahi", "he"),
    DemoUser("manager3@demo.lounge", Role.ACCOUNT_MANAGER, "Rina Katz"),
    DemoUser("manager4@demo.lounge", Role.ACCOUNT_MANAGER, "Omer Haddad", "he"),
    DemoUser("manager5@demo.lounge", Role.ACCOUNT_MANAGER, "Maya Golan"),
)
#: The demo manager's share of all customers (the special ones always among them).
DEMO_PORTFOLIO_SHARE = 0.2


def _portfolios(rng: np.random.Generator, specs: list[CustomerSpec]) -> dict[str, list[str]]:
    """Every customer gets a manager; the demo manager has the special customers."""
    managers = [user.email for user in DEMO_USERS if user.role is Role.ACCOUNT_MANAGER]
    regular = [spec.id for spec in specs[len(SPECIALS) :]]
    order = [regular[i] for i in rng.permutation(len(regular))]
    extra = max(0, round(len(specs) * DEMO_PORTFOLIO_SHARE) - len(SPECIALS))
    portfolios = {managers[0]: [special.id for special in SPECIALS] + sorted(order[:extra])}
    for email, part in zip(managers[1:], np.array_split(np.array(order[extra:]), 4), strict=True):
        portfolios[email] = sorted(part.tolist())
    return portfolios


def _create_users(session: Session, portfolios: dict[str, list[str]]) -> list[tuple[str, str]]:
    for user in DEMO_USERS:
        users.create_user(
            session,
            email=user.email,
            role=user.role,
            password=PASSWORD,
            customer_id=user.customer_id,
            full_name=user.full_name,
            language=user.language,
            actor=ACTOR,
        )
    for email, customer_ids in portfolios.items():
        if customer_ids:
            users.assign_manager(session, email, customer_ids, ACTOR)
    return [(user.role.value, user.email) for user in DEMO_USERS]


#: The demo manager's notes on the special customers: (customer, days ago, text).
DEMO_NOTES = (
    (CHAIN_ID, 40, "Procurement changes in January: meet the new head of purchasing."),
    (CHAIN_ID, 6, "Asked about solar on the roofs of the three biggest branches."),
    (
        FACTORY_CLIENT_ID,
        20,
        "Payment plan discussed with finance; they promise the old debt by March.",
    ),
)


def _notes(session: Session, today: dt.date) -> None:
    manager = users.find_by_email(session, DEMO_USERS[1].email)
    assert manager is not None
    for customer_id, days_ago, text in DEMO_NOTES:
        at = dt.datetime.combine(today - dt.timedelta(days=days_ago), dt.time(16), TIMEZONE)
        session.add(
            CustomerNote(
                customer_id=customer_id,
                author_id=manager.id,
                author_name=manager.full_name,
                text=text,
                at=at,
            )
        )


# --- entry points ----------------------------------------------------------------

_PLAN, _SITES, _WEATHER, _LOAD, _MASTER, _PORTFOLIO, _BILLING, _MEETINGS, _EVENTS, _SURVEYS = range(
    10
)


def _rng(seed: int, stream: int) -> np.random.Generator:
    return np.random.default_rng([seed, stream])


def _past_events(
    rng: np.random.Generator, cal: Calendar, sites: list[SitePlan], today: dt.date
) -> list[demo_reduction.PastEvent]:
    """Past peak-load warnings over the interval-metered sites (see :mod:`db.demo_reduction`),
    on full working days no more than a degree from the mean of the two weeks before."""
    metered = [
        demo_reduction.MeteredSite(site.id, site.customer.id, REGIONS[site.region])
        for site in sites
        if site.interval
    ]
    recent = pd.Series(cal.temperature).rolling(14).mean().shift(1).to_numpy()
    working = cal.day_type == calendar.DAY_TYPES.index(calendar.WORKING)
    usual = working & (np.abs(cal.temperature - recent) < 1.0)
    days = [day.item() for day in cal.days[usual]]
    return demo_reduction.plan(rng, metered, days, today, CHAIN_ID)


def has_customers(session: Session) -> bool:
    return session.scalar(select(Customer.id).limit(1)) is not None


def existing_logins(session: Session) -> list[tuple[str, str]]:
    """The demo logins that exist in this database (none in a database of real data)."""
    return [
        (user.role.value, user.email)
        for user in DEMO_USERS
        if users.find_by_email(session, user.email) is not None
    ]


def plan(customers: int, seed: int) -> list[CustomerSpec]:
    """The special customers, then ``customers - len(SPECIALS)`` generated ones."""
    if customers < len(SPECIALS):
        raise ValueError(f"the demo needs at least {len(SPECIALS)} customers")
    if seed < 0:
        raise ValueError("the seed must not be negative")
    return [*SPECIALS, *_regular_specs(_rng(seed, _PLAN), customers - len(SPECIALS))]


def generate(
    database: Database, *, customers: int = 300, seed: int = 7, today: dt.date
) -> list[tuple[str, str]]:
    """Fill an empty database; return the demo logins as (role, e-mail).

    One transaction: if anything fails, nothing is left behind, and the command
    can simply be run again.
    """
    specs = plan(customers, seed)
    sites = _plan_sites(_rng(seed, _SITES), specs)
    cal = _calendar(_rng(seed, _WEATHER), today)
    frame = _readings(_rng(seed, _LOAD), cal, sites)
    events = _past_events(_rng(seed, _EVENTS), cal, sites, today)
    frame = demo_reduction.respond(frame, events)
    with database.session() as session:
        _write_master_data(session, _rng(seed, _MASTER), specs, sites, today)
        _write_readings(session, frame, cal, seed)
        _classify_history(session, today)
        demo_billing.write(
            session,
            _rng(seed, _BILLING),
            today,
            [demo_billing.BillingSite(s.id, s.bimonthly, s.interval) for s in sites],
            prompt_payer=CHAIN_ID,
            debtor=FACTORY_CLIENT_ID,
        )
        portfolios = _portfolios(_rng(seed, _PORTFOLIO), specs)
        logins = _create_users(session, portfolios)
        _announce_history(session)
        demo_meetings.write(session, _rng(seed, _MEETINGS), today, CHAIN_ID)
        demo_reduction.write(session, events)
        # a customer of another manager (none when only the special customers are generated)
        elsewhere = next(iter(portfolios["manager2@demo.lounge"]), None)
        demo_requests.write(session, today, CHAIN_ID, FACTORY_CLIENT_ID, "C10003", elsewhere)
        demo_surveys.write(session, _rng(seed, _SURVEYS), today, CHAIN_ID)
        _notes(session, today)
        demo_notices.write(session, today, CHAIN_ID, FACTORY_CLIENT_ID)
        demo_openadr.write(session, CHAIN_ID, FACTORY_CLIENT_ID)
        refresh_statistics(session)
        return logins
