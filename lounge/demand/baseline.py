"""Measured load reduction of a peak-load event: the CAISO 10-in-10 baseline.

For every site a peak-load warning reached (:class:`db.models.NoticeTarget`) that has interval
data, once the event is over:

* **Similar days**: the 10 most recent days before the event of the same kind, within
  :data:`~lounge.demand.similar.LOOKBACK_DAYS`: working days (Sunday to Thursday and not a
  public holiday) for an event on a working day, else Fridays, Saturdays and public holidays
  (:mod:`lounge.demand.similar`, the rule of the preview's load at stake too). A day counts
  for a site when the site has data for it and was in no
  event that day (another notice that reached it, issued and not cancelled). Fewer days are
  used when fewer exist.
* **Baseline** of each quarter hour of the event: the mean of the site's energy in the same
  wall-clock quarter hour on those days, times the day-of adjustment.
* **Day-of adjustment**: the site's actual energy in the three hours from four hours to one
  hour before the event (the last hour is left out, so that pre-cooling does not count),
  divided by the unadjusted baseline of those hours, held within 0.8 to 1.2 (plus or minus
  20%); 1 when that baseline is zero.
* **Reduction**: baseline minus actual energy in the window (Wh), and that divided by the
  window's length (mean W). Totals per customer, region and event are sums over the sites.

Quarter hours are matched by wall-clock time, so DST days line up: the 17:00 quarter hour of the
event day is compared with the 17:00 quarter hours of the similar days whatever their length (a
time the spring day skips takes the quarter hour an hour later; the doubled autumn hour, its
first pass unless the event is in the second).

Everything is read in one query of the daily rollup's quarter-hour profiles (``quarter_wh``) of
all the sites, and computed as arrays with the sites along the first axis (:func:`compute`).
Energies are summed as integers; the adjusted figures are rounded to whole Wh and W once.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.orm import Session

from db.models import (
    ConsumptionDaily,
    Customer,
    Notice,
    NoticeKind,
    NoticeState,
    NoticeTarget,
    Site,
    utcnow,
)
from lounge import access, localtime, rollups
from lounge.access import Viewer
from lounge.consumption.periods import driver_days
from lounge.demand import similar
from lounge.i18n import N_, _
from lounge.settings import TIMEZONE

#: The day-of adjustment's hours: from this long before the event ...
ADJUSTMENT_FROM_S = 4 * 3600
#: ... to this long before it.
ADJUSTMENT_TO_S = 3600
#: The adjustment is held within 1 - CAP and 1 + CAP.
CAP = 0.2
#: Notices whose days are event days of the sites they reached (a cancelled one never happened).
EVENT_STATES = (NoticeState.ISSUED, NoticeState.UPDATED, NoticeState.COMPLETED)

NOT_OVER = N_("The event is not over yet: its reduction is measured once it has ended.")


class NotMeasured(ValueError):
    """The notice's reduction cannot be measured (yet); the message says why."""


# --- the computation ----------------------------------------------------------------------


@dataclass(frozen=True)
class Profiles:
    """Quarter-hour profiles of sites over consecutive local days from ``first``.

    ``values`` holds one day's profile per row (Wh per quarter hour in time order, zero past
    the day's end); ``row[site, day]`` is the row of that site and day, -1 where it has none.
    """

    first: dt.date
    row: np.ndarray
    values: np.ndarray

    @property
    def days(self) -> int:
        return int(self.row.shape[1])


def quarter_instants(start_s: int, end_s: int) -> np.ndarray:
    """Unix seconds of every quarter hour that [start_s, end_s) touches."""
    first = start_s - start_s % rollups.QUARTER_S
    return np.arange(first, end_s, rollups.QUARTER_S, dtype=np.int64)


def _positions(
    instants: np.ndarray, event_day: dt.date, days: Sequence[dt.date], first: dt.date
) -> tuple[np.ndarray, np.ndarray]:
    """Where the wall-clock quarter hours of ``instants`` (around ``event_day``) fall when the
    event day is each of ``days``: (day index from ``first``, quarter hour of that day), both
    shaped (days, instants).

    On a day of 24 hours a wall-clock time is its quarter hour from midnight; only on the
    days the clocks change is the time placed in the day (a moment the spring skips is the
    one an hour later, the autumn's doubled hour its first pass unless the event is in the
    second)."""
    clock = [localtime.to_local(int(instant)) for instant in instants.tolist()]
    offset = np.array([(moment.date() - event_day).days for moment in clock], dtype=np.int64)
    wall = np.array([moment.hour * 3600 + moment.minute * 60 for moment in clock], np.int64)
    shifts = np.array([(day - first).days for day in days], dtype=np.int64)
    day_index = shifts[:, None] + offset[None, :]
    slot = np.broadcast_to(wall // rollups.QUARTER_S, day_index.shape).copy()
    for k, day in enumerate(days):
        for moved in set(offset.tolist()):
            date = day + dt.timedelta(days=moved)
            if _day_seconds(date) == 24 * 3600:
                continue
            midnight = localtime.local_midnight_s(date)
            for j in np.flatnonzero(offset == moved).tolist():
                at = dt.datetime.combine(date, clock[j].time(), clock[j].tzinfo)
                slot[k, j] = (int(at.timestamp()) - midnight) // rollups.QUARTER_S
    return day_index, slot


@functools.lru_cache(maxsize=4096)
def _day_seconds(day: dt.date) -> int:
    """How long a local day lasts (23 or 25 hours on the days the clocks change)."""
    return localtime.local_midnight_s(day + dt.timedelta(days=1)) - localtime.local_midnight_s(day)


def _instants(start_s: int, end_s: int) -> tuple[np.ndarray, int]:
    """The quarter hours of the day-of adjustment and then of the event window, and how many
    of them are the adjustment's."""
    window = quarter_instants(start_s, end_s)
    adjust = np.arange(
        window[0] - ADJUSTMENT_FROM_S, window[0] - ADJUSTMENT_TO_S, rollups.QUARTER_S
    )
    return np.concatenate([adjust, window]), len(adjust)


def days_to_read(start_s: int, end_s: int) -> list[dt.date]:
    """The local days the baseline of an event over [start_s, end_s) reads, in order: the
    event's day and its similar candidates, with the day before or after each when the
    adjustment hours or the window reach into it."""
    event_day = localtime.local_date(start_s)
    instants, _before = _instants(start_s, end_s)
    lowest = (localtime.local_date(int(instants[0])) - event_day).days
    highest = (localtime.local_date(int(instants[-1])) - event_day).days
    return sorted(
        {
            day + dt.timedelta(days=offset)
            for day in [event_day, *similar.similar_days(event_day)]
            for offset in range(lowest, highest + 1)
        }
    )


@dataclass(frozen=True)
class Figures:
    """The figures of each site (arrays along the sites; only ``measured`` ones mean anything).

    ``baseline_q`` (float Wh) and ``actual_q`` (Wh) are per quarter hour of the window, at
    ``instants``; ``days`` is the number of similar days behind each baseline.
    """

    instants: np.ndarray
    measured: np.ndarray
    days: np.ndarray
    adjustment: np.ndarray
    baseline_wh: np.ndarray
    actual_wh: np.ndarray
    reduction_wh: np.ndarray
    reduction_w: np.ndarray
    baseline_q: np.ndarray
    actual_q: np.ndarray


def compute(profiles: Profiles, excluded: np.ndarray, start_s: int, end_s: int) -> Figures:
    """Baseline, actual load and reduction of every site of ``profiles`` for the event
    [start_s, end_s); ``excluded[site, day]`` marks the sites' other event days."""
    event_day = localtime.local_date(start_s)
    instants, before = _instants(start_s, end_s)
    window = instants[before:]
    candidates = similar.similar_days(event_day)
    day_index, slot = _positions(instants, event_day, [event_day, *candidates], profiles.first)
    # rows of every (site, candidate day, quarter hour), and the energy there
    rows = profiles.row[:, day_index]
    # a row of zeros to index when no site has any data (every row is -1 then)
    values = profiles.values if len(profiles.values) else np.zeros((1, rollups.MAX_QUARTERS))
    energy = values.astype(np.int64, copy=False)[np.maximum(rows, 0), slot[None]]
    complete: np.ndarray = np.all(rows >= 0, axis=2)
    actual, has_actual = energy[:, 0], complete[:, 0]
    usable = complete[:, 1:] & ~excluded[:, day_index[1:, before]]
    chosen = usable & (np.cumsum(usable, axis=1) <= similar.SIMILAR_DAYS)
    count = chosen.sum(axis=1)
    sums = np.einsum("skj,sk->sj", energy[:, 1:], chosen.astype(np.int64))
    base_adjust = sums[:, :before].sum(axis=1)
    ratio = np.where(
        base_adjust > 0,
        actual[:, :before].sum(axis=1) * count / np.maximum(base_adjust, 1),
        1.0,
    )
    ratio = np.clip(ratio, 1 - CAP, 1 + CAP)
    divisor = np.maximum(count, 1)
    baseline_q = ratio[:, None] * sums[:, before:] / divisor[:, None]
    baseline_wh = np.rint(ratio * sums[:, before:].sum(axis=1) / divisor).astype(np.int64)
    actual_q = actual[:, before:]
    actual_wh = actual_q.sum(axis=1)
    reduction_wh = baseline_wh - actual_wh
    seconds = len(window) * rollups.QUARTER_S
    return Figures(
        instants=window,
        measured=has_actual & (count > 0),
        days=count,
        adjustment=ratio,
        baseline_wh=baseline_wh,
        actual_wh=actual_wh,
        reduction_wh=reduction_wh,
        reduction_w=np.rint(reduction_wh * 3600 / seconds).astype(np.int64),
        baseline_q=baseline_q,
        actual_q=actual_q,
    )


# --- reading ------------------------------------------------------------------------------

_PROFILE_ROW = np.dtype([("site", object), ("day", object), ("profile", object)])


def read_profiles(
    session: Session, site_ids: Sequence[str], sites: Select[str], days: Sequence[dt.date]
) -> Profiles:
    """The quarter-hour profiles of ``sites`` (a query of site ids, listed in ``site_ids``
    order) on ``days`` (in order), in one query."""
    first, last = days[0], days[-1]
    query = select(
        ConsumptionDaily.site_id, ConsumptionDaily.day, ConsumptionDaily.quarter_wh
    ).where(
        ConsumptionDaily.site_id.in_(sites.scalar_subquery()),
        ConsumptionDaily.day.in_(days),
        ConsumptionDaily.quarter_wh.is_not(None),
    )
    table = rollups.fetch_records(session.connection(), query, _PROFILE_ROW)
    values, _lengths = rollups.decode_quarters(table["profile"].tolist())
    position = pd.Index(site_ids).get_indexer(table["site"])
    day = (driver_days(table["day"].tolist()) - np.datetime64(first, "D")).astype(np.int64)
    row = np.full((len(site_ids), (last - first).days + 1), -1, dtype=np.int64)
    known = position >= 0
    row[position[known], day[known]] = np.flatnonzero(known)
    return Profiles(first, row, values)


def _event_days(
    session: Session, notices: Sequence[Notice], sites: Select[str], first: dt.date
) -> list[tuple[str, int, dt.datetime, dt.datetime]]:
    """The events (site, notice, start, end) that reached ``sites`` and end after ``first``
    began, in one query: the days each of ``notices`` leaves out (:func:`_excluded`)."""
    since = dt.datetime.combine(first, dt.time(), TIMEZONE)
    query = select(NoticeTarget.site_id, Notice.id, Notice.starts_at, Notice.ends_at).join(
        Notice, Notice.id == NoticeTarget.notice_id
    )
    return [
        (site_id, notice_id, starts_at, ends_at)
        for site_id, notice_id, starts_at, ends_at in session.execute(
            query.where(
                NoticeTarget.site_id.in_(sites.scalar_subquery()),
                Notice.state.in_(EVENT_STATES),
                Notice.starts_at < max(notice.starts_at for notice in notices),
                Notice.ends_at > since,
            )
        )
    ]


def _excluded(
    notice: Notice,
    site_ids: Sequence[str],
    profiles: Profiles,
    events: Sequence[tuple[str, int, dt.datetime, dt.datetime]],
) -> np.ndarray:
    """(sites, days of ``profiles``) true on the local days of earlier events that reached
    each site."""
    first, days = profiles.first, profiles.days
    excluded = np.zeros((len(site_ids), days), dtype=bool)
    index = {site_id: n for n, site_id in enumerate(site_ids)}
    for site_id, other, starts_at, ends_at in events:
        if site_id not in index or other == notice.id or starts_at >= notice.starts_at:
            continue
        start = max((localtime.local_day(starts_at) - first).days, 0)
        end = (localtime.local_day(ends_at - dt.timedelta(seconds=1)) - first).days + 1
        excluded[index[site_id], start : min(end, days)] = True
    return excluded


# --- what the screens and reports read ----------------------------------------------------


@dataclass(frozen=True)
class SiteReduction:
    site_id: str
    site_name: str
    customer_id: str
    customer_name: str
    region: str
    #: Similar days behind the baseline (up to 10) and the day-of adjustment applied.
    days: int
    adjustment: float
    baseline_wh: int
    actual_wh: int
    reduction_wh: int
    reduction_w: int


@dataclass(frozen=True)
class Total:
    """Sums over a group of sites (a customer, a region, the event)."""

    key: str
    name: str
    sites: int
    baseline_wh: int
    actual_wh: int
    reduction_wh: int
    reduction_w: int

    @property
    def share(self) -> float:
        """The reduction as a share of the baseline (0 without a baseline)."""
        return self.reduction_wh / self.baseline_wh if self.baseline_wh > 0 else 0.0


@dataclass(frozen=True)
class Reduction:
    """The measured load reduction of one event, as far as the viewer may see it.

    ``series`` has columns at (the quarter hour's start, Israel time), baseline_w and actual_w:
    the visible measured sites' summed demand. ``unmeasured`` are visible targeted sites without
    enough interval data (none on the event day, or no similar day).
    """

    notice_id: int
    starts_at: dt.datetime
    ends_at: dt.datetime
    sites: tuple[SiteReduction, ...]
    customers: tuple[Total, ...]
    regions: tuple[Total, ...]
    total: Total
    series: pd.DataFrame
    unmeasured: tuple[str, ...]


@dataclass(frozen=True)
class PastEvent:
    """A peak-load warning that is over, and how many of its sites the viewer may see."""

    notice_id: int
    level: int | None
    reason: str | None
    starts_at: dt.datetime
    ends_at: dt.datetime
    sites: int


def past_events(
    session: Session, viewer: Viewer, now: dt.datetime | None = None, limit: int = 20
) -> list[PastEvent]:
    """The latest peak-load warnings that are over and reached sites the viewer may see,
    newest first: the events whose reduction :func:`measure` shows."""
    query = access.restrict(
        select(
            NoticeTarget.notice_id,
            Notice.level,
            Notice.reason,
            Notice.starts_at,
            Notice.ends_at,
            func.count(),
        )
        .join(Notice, Notice.id == NoticeTarget.notice_id)
        .where(
            Notice.kind == NoticeKind.PEAK_WARNING,
            Notice.state.in_(EVENT_STATES),
            Notice.ends_at <= (now or utcnow()),
        )
        .group_by(
            NoticeTarget.notice_id, Notice.level, Notice.reason, Notice.starts_at, Notice.ends_at
        )
        .order_by(Notice.starts_at.desc(), NoticeTarget.notice_id.desc())
        .limit(limit),
        viewer,
    )
    return [PastEvent(*row) for row in session.execute(query)]


def get_event(session: Session, viewer: Viewer, notice_id: object) -> Notice:
    """A peak-load warning that reached a site the viewer may see (else :class:`NotFound`)."""
    try:
        number = int(str(notice_id))
    except ValueError:
        raise access.NotFound(notice_id) from None
    notice = session.get(Notice, number)
    if notice is None or notice.kind != NoticeKind.PEAK_WARNING:
        raise access.NotFound(notice_id)
    visible = access.restrict(
        select(NoticeTarget.site_id).where(NoticeTarget.notice_id == notice.id), viewer
    )
    if session.scalar(visible.limit(1)) is None:
        raise access.NotFound(notice_id)
    return notice


#: A reached site as :func:`measure_many` reads it: site, customer, region, their names.
Row = tuple[str, str, str, str, str]


def measure(
    session: Session,
    viewer: Viewer,
    notice_id: object,
    now: dt.datetime | None = None,
    customer_id: str | None = None,
) -> Reduction:
    """The load reduction of a past peak-load warning at the sites it reached that the viewer
    may see (a client: its own; an account manager: the portfolio's; staff: all); with
    ``customer_id``, of that customer's sites only (a meeting pack measures one customer, not
    the whole portfolio)."""
    return measure_many(session, viewer, [notice_id], now, customer_id)[0]


def measure_many(
    session: Session,
    viewer: Viewer,
    notice_ids: Sequence[object],
    now: dt.datetime | None = None,
    customer_id: str | None = None,
) -> list[Reduction]:
    """:func:`measure` of several past warnings, in the order given, with one read of the
    sites' profiles and one of their other events for all of them (a meeting pack measures
    every warning of a customer's year)."""
    notices = [get_event(session, viewer, notice_id) for notice_id in notice_ids]
    if not notices:
        return []
    for notice in notices:
        if notice.state not in EVENT_STATES or notice.ends_at > (now or utcnow()):
            raise NotMeasured(_(NOT_OVER))
    reached: list[ColumnElement[bool]] = [
        NoticeTarget.notice_id.in_([notice.id for notice in notices])
    ]
    if customer_id is not None:
        reached.append(NoticeTarget.customer_id == customer_id)
    targets = access.restrict(
        select(
            NoticeTarget.notice_id,
            NoticeTarget.site_id,
            NoticeTarget.customer_id,
            NoticeTarget.region,
            Site.name,
            Customer.name,
        )
        .join(Site, Site.id == NoticeTarget.site_id)
        .join(Customer, Customer.id == NoticeTarget.customer_id)
        .where(*reached)
        .order_by(NoticeTarget.site_id),
        viewer,
    )
    found: dict[int, list[Row]] = {notice.id: [] for notice in notices}
    for notice_id, site_id, customer, region, site_name, customer_name in session.execute(targets):
        found[notice_id].append((site_id, customer, region, site_name, customer_name))
    site_ids = sorted({row[0] for rows in found.values() for row in rows})
    sites = access.restrict(select(NoticeTarget.site_id).where(*reached), viewer)
    windows = [(int(n.starts_at.timestamp()), int(n.ends_at.timestamp())) for n in notices]
    days = sorted({day for start_s, end_s in windows for day in days_to_read(start_s, end_s)})
    profiles = read_profiles(session, site_ids, sites, days)
    events = _event_days(session, notices, sites, profiles.first)
    position = pd.Index(site_ids)
    reductions = []
    for notice, (start_s, end_s) in zip(notices, windows, strict=True):
        rows = found[notice.id]
        own = [row[0] for row in rows]
        mine = Profiles(profiles.first, profiles.row[position.get_indexer(own)], profiles.values)
        figures = compute(mine, _excluded(notice, own, mine, events), start_s, end_s)
        reductions.append(_reduction(notice, rows, figures))
    return reductions


def _reduction(notice: Notice, found: Sequence[Row], figures: Figures) -> Reduction:
    """The figures of one event's sites as the screens and reports read them."""
    lines = [
        SiteReduction(
            site_id=row[0],
            site_name=row[3],
            customer_id=row[1],
            customer_name=row[4],
            region=row[2],
            days=int(figures.days[n]),
            adjustment=float(figures.adjustment[n]),
            baseline_wh=int(figures.baseline_wh[n]),
            actual_wh=int(figures.actual_wh[n]),
            reduction_wh=int(figures.reduction_wh[n]),
            reduction_w=int(figures.reduction_w[n]),
        )
        for n, row in enumerate(found)
        if figures.measured[n]
    ]
    measured = figures.measured
    per_hour = 3600 / rollups.QUARTER_S
    series = pd.DataFrame(
        {
            "at": pd.to_datetime(figures.instants, unit="s", utc=True).tz_convert(TIMEZONE),
            "baseline_w": np.rint(figures.baseline_q[measured].sum(axis=0) * per_hour).astype(
                np.int64
            ),
            "actual_w": figures.actual_q[measured].sum(axis=0) * int(per_hour),
        }
    )
    return Reduction(
        notice_id=notice.id,
        starts_at=notice.starts_at,
        ends_at=notice.ends_at,
        sites=tuple(lines),
        customers=_totals(lines, lambda line: (line.customer_id, line.customer_name)),
        regions=_totals(lines, lambda line: (line.region, line.region)),
        total=_total("", "", lines),
        series=series,
        unmeasured=tuple(row[0] for n, row in enumerate(found) if not figures.measured[n]),
    )


def _total(key: str, name: str, lines: Sequence[SiteReduction]) -> Total:
    return Total(
        key,
        name,
        len(lines),
        sum(line.baseline_wh for line in lines),
        sum(line.actual_wh for line in lines),
        sum(line.reduction_wh for line in lines),
        sum(line.reduction_w for line in lines),
    )


def _totals(
    lines: Sequence[SiteReduction], group: Callable[[SiteReduction], tuple[str, str]]
) -> tuple[Total, ...]:
    groups: dict[tuple[str, str], list[SiteReduction]] = {}
    for line in lines:
        groups.setdefault(group(line), []).append(line)
    return tuple(_total(key, name, members) for (key, name), members in sorted(groups.items()))
