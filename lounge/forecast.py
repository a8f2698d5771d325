"""Forecast of entry and exit: each customer's rolling 12-month figures, six months ahead.

The method (said on screen too, :func:`method_text`), per site, from its own
monthly rollup up to the last complete month before the *origin* (the first
of the current month):

- a site with at least 15 months of data: each coming month is the same month
  a year earlier, scaled by the site's trend, the ratio of its last 3 complete
  months to the same 3 months a year earlier;
- a newer site (or one with nothing a year earlier to scale): its average
  month since it started, over at most the last 3 complete months;
- a site with no consumption in the last 3 complete months has stopped: zero.

The projected months then roll through the classification's window exactly as
real ones would (:class:`lounge.classification.Window`: the 12 complete months
before the classification month), giving for each of the next 6
classification months the biggest site and the total, measured against the
same inclusive thresholds (:class:`lounge.classification.Figures`). A customer
with less than 15 months of data has no forecast ("not enough history").

A portfolio is read in two statements: its sites, and every site's monthly
rollup of the 24 months before the origin (one grouped read, no query per site
or customer); the arithmetic is numpy over a (sites x months) matrix.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

import numpy as np
import pandas as pd
from sqlalchemy import Integer, cast, extract, select
from sqlalchemy.orm import Session

from db.models import ClassificationRun, ConsumptionMonthly, Customer, Site, VipEvent
from lounge import access, localtime, rollups
from lounge.access import Viewer
from lounge.classification import Figures
from lounge.i18n import _, format_kwh, format_month

#: Classification months projected after the origin's.
HORIZON = 6
#: "Soon": a change expected within this many classification months.
SOON = 3
#: Trend months (the last complete ones, against the same months a year earlier).
TREND_MONTHS = 3
#: Months of data a site (and a customer) needs for the seasonal method.
NEEDED_MONTHS = 12 + TREND_MONTHS
#: Months of rollup read before the origin: enough for 12 rolling figures of history.
READ_MONTHS = 24
#: Classification months of history shown before the origin's (on the chart).
HISTORY = READ_MONTHS - 12


class Method(StrEnum):
    """How a site's coming months were projected."""

    SEASONAL = "seasonal"
    RECENT_AVERAGE = "recent_average"
    STOPPED = "stopped"


def method_text() -> str:
    """The method in a sentence, for the screens and documents."""
    return _(
        "How this is projected: each coming month is the same month last year, scaled by "
        "the trend (the last 3 complete months against the same months a year earlier), "
        "site by site. A site with less than 15 months of data continues at its recent "
        "monthly average; a site without consumption in the last 3 months counts as "
        "stopped. The projected months then roll through the 12-month window as real "
        "ones would. An estimate at this pace, not a decision."
    )


# --- the arithmetic (pure) ------------------------------------------------------------


@dataclass(frozen=True)
class Projection:
    """Per site: the next ``HORIZON`` months (Wh), how they were made, and the trend."""

    wh: np.ndarray
    methods: np.ndarray
    #: The seasonal method's ratio (NaN where it did not apply).
    trends: np.ndarray


def project(history: np.ndarray, months_of_data: np.ndarray) -> Projection:
    """Project each site's next ``HORIZON`` months from its last ``NEEDED_MONTHS`` months.

    ``history`` is (sites, NEEDED_MONTHS) Wh, oldest first, the last column
    the last complete month; ``months_of_data[i]`` counts site ``i``'s months
    from its first month with data to that last month (its age). Month ``j``
    ahead (0 = the origin's month) is column ``12 - TREND_MONTHS + j`` (a
    year earlier) times the trend, rounded to the Wh.
    """
    history = np.asarray(history, dtype=np.int64).reshape(-1, NEEDED_MONTHS)
    age = np.asarray(months_of_data, dtype=np.int64)
    recent = history[:, -TREND_MONTHS:].sum(axis=1)
    base = history[:, :TREND_MONTHS].sum(axis=1)
    seasonal = (age >= NEEDED_MONTHS) & (base > 0) & (recent > 0)
    trends = np.full(len(history), np.nan)
    trends[seasonal] = recent[seasonal] / base[seasonal]
    same_month = history[:, TREND_MONTHS : TREND_MONTHS + HORIZON].astype(np.float64)
    wh = np.zeros((len(history), HORIZON), dtype=np.int64)
    wh[seasonal] = np.rint(same_month[seasonal] * trends[seasonal, None]).astype(np.int64)
    averaged = ~seasonal & (recent > 0)
    counted = np.clip(age, 1, TREND_MONTHS)
    wh[averaged] = np.rint(recent[averaged] / counted[averaged]).astype(np.int64)[:, None]
    methods = np.where(
        seasonal, Method.SEASONAL, np.where(averaged, Method.RECENT_AVERAGE, Method.STOPPED)
    )
    return Projection(wh, methods, trends)


def rolling(series: np.ndarray) -> np.ndarray:
    """Sums of every 12 consecutive months: column ``c`` is the window before month ``c + 12``."""
    running = np.concatenate(
        [np.zeros((len(series), 1), np.int64), np.cumsum(series, axis=1, dtype=np.int64)], axis=1
    )
    return running[:, 12:] - running[:, :-12]


# --- forecasts ------------------------------------------------------------------------


@dataclass(frozen=True)
class SiteForecast:
    site_id: str
    method: str
    #: The seasonal method's ratio (None for the other methods).
    trend: float | None
    #: The site's 12-month energy in the origin's window, then in each projected one.
    now_wh: int
    projected_wh: tuple[int, ...]


@dataclass(frozen=True)
class Crossing:
    """The first classification month whose projected status differs from today's."""

    month: dt.date
    entering: bool
    figures: Figures


@dataclass(frozen=True)
class Forecast:
    customer_id: str
    name: str
    #: The first of the month the projection starts in; its window is all real data.
    origin: dt.date
    enough_history: bool
    #: Classification months from ``HISTORY`` months before the origin to the origin,
    #: with their (real) figures; the last one is the origin's.
    history_months: tuple[dt.date, ...]
    history: tuple[Figures, ...]
    #: The next ``HORIZON`` classification months and their projected figures
    #: (empty without enough history).
    months: tuple[dt.date, ...]
    projected: tuple[Figures, ...]
    #: All sites' last 3 complete months against the same months a year earlier.
    trend: float | None
    sites: tuple[SiteForecast, ...]

    @property
    def now(self) -> Figures:
        return self.history[-1]

    @property
    def crossing(self) -> Crossing | None:
        member = self.now.is_vip
        for month, figures in zip(self.months, self.projected, strict=True):
            if figures.is_vip != member:
                return Crossing(month, not member, figures)
        return None

    @property
    def margin_wh(self) -> int | None:
        """At the crossing, how far past the threshold; else the closest approach to it."""
        if not self.projected:
            return None
        crossing = self.crossing
        if crossing is not None:
            return crossing.figures.margin_wh
        return min(figures.margin_wh for figures in self.projected)

    def changes_within(self, months: int = SOON) -> bool:
        crossing = self.crossing
        return crossing is not None and crossing.month <= localtime.add_months(self.origin, months)


def outlook_text(forecast: Forecast) -> str:
    """What the forecast says, in one sentence for the reader."""
    if not forecast.enough_history:
        return _("Not enough history for a forecast yet (it needs 15 months of data).")
    crossing = forecast.crossing
    margin = format_kwh(abs(forecast.margin_wh or 0))
    if crossing is None and forecast.now.is_vip:
        return _(
            "At this pace you stay a member through {month} (closest margin {margin})."
        ).format(month=format_month(forecast.months[-1]), margin=margin)
    if crossing is None:
        return _(
            "At this pace you would not enter by {month} (still {margin} short at the closest)."
        ).format(month=format_month(forecast.months[-1]), margin=margin)
    if crossing.entering:
        return _("At this pace you would enter in {month}, {margin} above the threshold.").format(
            month=format_month(crossing.month), margin=margin
        )
    return _("At this pace you would leave in {month}, {margin} below the thresholds.").format(
        month=format_month(crossing.month), margin=margin
    )


def default_origin() -> dt.date:
    return localtime.first_of_month(localtime.today())


@dataclass(frozen=True)
class _Sites:
    ids: list[str]
    customers: list[str]
    first_months: list[dt.date]
    names: dict[str, str]


def _sites(session: Session, viewer: Viewer, customer_ids: list[str] | None) -> _Sites:
    query = (
        select(Site.customer_id, Site.id, Site.first_data_month, Customer.name)
        .join(Customer, Customer.id == Site.customer_id)
        .where(Site.first_data_month.is_not(None))
        .order_by(Site.customer_id, Site.id)
    )
    if customer_ids is not None:
        query = query.where(Site.customer_id.in_(customer_ids))
    found = _Sites([], [], [], {})
    for customer, site, first, name in session.execute(access.restrict(query, viewer)):
        if first is None:
            continue
        found.ids.append(site)
        found.customers.append(customer)
        found.first_months.append(first)
        found.names[customer] = name
    return found


def _months_between(first: dt.date, later: dt.date) -> int:
    return (later.year - first.year) * 12 + later.month - first.month


#: A rollup row as :func:`_matrix` reads it: the month as a count of months (year * 12 + month).
_ROLLUP_ROW = np.dtype(
    [("customer", object), ("site", object), ("month", np.int64), ("wh", np.int64)]
)


def _month_number(month: dt.date) -> int:
    return month.year * 12 + month.month


def _matrix(
    session: Session,
    viewer: Viewer,
    sites: _Sites,
    customer_ids: list[str] | None,
    origin: dt.date,
) -> np.ndarray:
    """(sites, READ_MONTHS) Wh from the monthly rollup, in one statement.

    The month comes as a number from the database and the rows straight off
    the driver into arrays (:func:`rollups.fetch_records`): turning every
    row's date into a ``date`` cost more than the query.
    """
    first = localtime.add_months(origin, -READ_MONTHS)
    month = ConsumptionMonthly.month
    query = (
        select(
            Site.customer_id,
            ConsumptionMonthly.site_id,
            cast(extract("year", month) * 12 + extract("month", month), Integer),
            ConsumptionMonthly.wh,
        )
        .join(Site, Site.id == ConsumptionMonthly.site_id)
        .where(month >= first, month < origin)
    )
    if customer_ids is not None:
        query = query.where(Site.customer_id.in_(customer_ids))
    found = rollups.fetch_records(session.connection(), access.restrict(query, viewer), _ROLLUP_ROW)
    rows = pd.Index(sites.ids).get_indexer(found["site"])
    known = rows >= 0
    matrix = np.zeros((len(sites.ids), READ_MONTHS), dtype=np.int64)
    np.add.at(
        matrix,
        (rows[known], found["month"][known] - _month_number(first)),
        found["wh"][known],
    )
    return matrix


def _figures(customer: str, site_ids: Sequence[str], windows: np.ndarray) -> list[Figures]:
    """Figures per column of ``windows`` (sites, months); on a tie the smallest site id."""
    best = windows.argmax(axis=0)
    biggest = windows[best, np.arange(windows.shape[1])]
    return [
        Figures(customer, total, top, site_ids[row] if top > 0 else None)
        for total, top, row in zip(
            windows.sum(axis=0).tolist(), biggest.tolist(), best.tolist(), strict=True
        )
    ]


def forecasts(
    session: Session,
    viewer: Viewer,
    customer_ids: Iterable[str] | None = None,
    origin: dt.date | None = None,
) -> list[Forecast]:
    """Forecasts of every customer the viewer may see (or of ``customer_ids``), by customer id.

    Only data of months before ``origin`` (default: the current month) is used,
    so a past origin forecasts as one would have then (the back-test).
    Customers without any data are left out.
    """
    origin = localtime.first_of_month(origin or default_origin())
    wanted = None if customer_ids is None else sorted(set(customer_ids))
    sites = _sites(session, viewer, wanted)
    matrix = _matrix(session, viewer, sites, wanted, origin)
    ages = np.array(
        [_months_between(first, origin) for first in sites.first_months], dtype=np.int64
    )
    projection = project(matrix[:, -NEEDED_MONTHS:], ages)
    windows = rolling(np.concatenate([matrix, projection.wh], axis=1))
    history_months = tuple(localtime.add_months(origin, k) for k in range(-HISTORY, 1))
    months = tuple(localtime.add_months(origin, k) for k in range(1, HORIZON + 1))
    # the sites come ordered by customer: each customer's rows are one slice
    starts = [i for i, c in enumerate(sites.customers) if i == 0 or c != sites.customers[i - 1]]
    result = []
    for start, stop in zip(starts, [*starts[1:], len(sites.customers)], strict=True):
        customer, rows = sites.customers[start], np.arange(start, stop)
        if not (ages[rows] > 0).any():
            continue  # no data before the origin
        site_ids = [sites.ids[row] for row in rows]
        enough = bool(ages[rows].max() >= NEEDED_MONTHS)
        figures = _figures(customer, site_ids, windows[rows])
        recent = int(matrix[rows, -TREND_MONTHS:].sum())
        base = int(matrix[rows, -NEEDED_MONTHS : -NEEDED_MONTHS + TREND_MONTHS].sum())
        result.append(
            Forecast(
                customer_id=customer,
                name=sites.names[customer],
                origin=origin,
                enough_history=enough,
                history_months=history_months,
                history=tuple(figures[: HISTORY + 1]),
                months=months if enough else (),
                projected=tuple(figures[HISTORY + 1 :]) if enough else (),
                trend=recent / base if enough and base else None,
                sites=tuple(
                    SiteForecast(
                        site_id=site_ids[i],
                        method=str(projection.methods[row]),
                        trend=None
                        if np.isnan(projection.trends[row])
                        else float(projection.trends[row]),
                        now_wh=int(windows[row, HISTORY]),
                        projected_wh=tuple(int(wh) for wh in windows[row, HISTORY + 1 :]),
                    )
                    for i, row in enumerate(rows.tolist())
                ),
            )
        )
    return result


def portfolio(session: Session, viewer: Viewer, origin: dt.date | None = None) -> list[Forecast]:
    """The forecasts of the viewer's portfolio: account managers and administrators."""
    access.require(viewer, *access.PORTFOLIO_ROLES)
    return forecasts(session, viewer, None, origin)


def forecast(
    session: Session, viewer: Viewer, customer_id: object, origin: dt.date | None = None
) -> Forecast | None:
    """One customer's forecast (NotFound if not visible); None without any data."""
    customer = access.get_customer(session, viewer, customer_id)
    found = forecasts(session, viewer, [customer.id], origin)
    return found[0] if found else None


def expected_changes(found: Iterable[Forecast], months: int = SOON) -> list[Forecast]:
    """Forecasts with an entry or exit expected within ``months``, soonest first."""
    changing = [f for f in found if f.changes_within(months)]
    return sorted(changing, key=lambda f: (f.crossing.month if f.crossing else f.origin, f.name))


# --- back-test ------------------------------------------------------------------------


@dataclass(frozen=True)
class BacktestResult:
    #: (customer, origin, classification month) checked, and how many the forecast got right.
    checked: int
    hits: int
    #: Of those, the ones whose real status changed between the origin and the month.
    changes: int
    changes_hit: int

    @property
    def rate(self) -> float:
        return self.hits / self.checked if self.checked else 0.0

    @property
    def change_rate(self) -> float:
        return self.changes_hit / self.changes if self.changes else 0.0


def _member_on(events: list[tuple[dt.date, str]], day: dt.date) -> bool:
    """Membership on ``day`` by the recorded events (oldest first)."""
    member = False
    for effective, event in events:
        if effective > day:
            break
        member = event == "enter"
    return member


def backtest(session: Session, viewer: Viewer, horizon: int = SOON) -> BacktestResult:
    """Forecast from the data before past months; compare with what classification said.

    Every classification run dated on the first of a month M is a verdict; for
    each origin 1 to ``horizon`` months before M, the customers the viewer may
    see are forecast from the data before that origin, and the projected status
    for M is compared with the status the events record on M (and on the
    origin, to count real changes). Customers without enough history then are
    skipped.
    """
    access.require(viewer, *access.PORTFOLIO_ROLES)
    runs = {
        as_of
        for as_of in session.scalars(select(ClassificationRun.as_of).distinct())
        if as_of.day == 1
    }
    events: dict[str, list[tuple[dt.date, str]]] = {}
    for customer, effective, event in session.execute(
        access.restrict(
            select(VipEvent.customer_id, VipEvent.effective_date, VipEvent.event).order_by(
                VipEvent.effective_date, VipEvent.id
            ),
            viewer,
        )
    ):
        events.setdefault(customer, []).append((effective, event))
    origins = sorted(
        {localtime.add_months(month, -ahead) for month in runs for ahead in range(1, horizon + 1)}
    )
    checked = hits = changes = changes_hit = 0
    for origin in origins:
        if origin not in runs:
            continue  # the status at the origin is what the forecast starts from
        for found in forecasts(session, viewer, None, origin):
            history = events.get(found.customer_id, [])
            for month, figures in zip(found.months[:horizon], found.projected, strict=False):
                if month not in runs:
                    continue
                actual = _member_on(history, month)
                hit = figures.is_vip == actual
                checked += 1
                hits += hit
                if actual != _member_on(history, origin):
                    changes += 1
                    changes_hit += hit
    return BacktestResult(checked, hits, changes, changes_hit)
