"""Daily and monthly rollups of readings: built at import, read by everything else.

Two rules live here, once:
- A reading that spans a bucket edge (midnight, the first of a month, the
  classification window) counts pro rata by time. Energy is split in integer
  watt-hours by cumulative flooring, so the parts always add up to the reading.
- Where a site has both interval readings (up to a day long) and a coarser
  billing read over the same time, the finer data wins: the billing read
  counts only for the part of its period that no interval reading covers,
  pro rata by time.

Each daily row also keeps the day's energy per local wall-clock hour
(``hourly_wh``) and per quarter hour (``quarter_wh``), cut from the same split
at quarter-hour edges: the day's cumulative shares are the same whichever
finer edges lie between, so the quarter hours add up exactly to their hours
and the hours to the day. Time-of-use bands and load profiles are read from
the hours, the coincident peak of a group from the quarter hours.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import (
    ColumnElement,
    Connection,
    Select,
    bindparam,
    delete,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.orm import InstrumentedAttribute

from db.models import ConsumptionDaily, ConsumptionMonthly, Reading, Site
from lounge import chunks, localtime
from lounge.settings import TIMEZONE

#: Readings up to this long are interval data (a local day can last 25 hours).
INTERVAL_MAX_S = 25 * 3600
#: The longest reading accepted: two months, plus a DST hour.
READING_MAX_S = 62 * 86400 + 3600
#: Slots of a daily hourly profile: local wall-clock hours 0-23.
HOURS = 24
#: How a profile is stored: 24 little-endian int64 Wh.
HOURLY_DTYPE = np.dtype("<i8")
#: Seconds in a quarter hour, the finest slot of the daily rollup.
QUARTER_S = 900
QUARTERS_PER_HOUR = 3600 // QUARTER_S
#: Quarter hours of the longest local day (the autumn one: 25 hours).
MAX_QUARTERS = 25 * QUARTERS_PER_HOUR
#: How a quarter-hour profile may be stored: int32 when every value fits, else int64.
QUARTER_DTYPES = (np.dtype("<i4"), np.dtype("<i8"))


@dataclass
class ReadingFrame:
    """Readings as parallel arrays (what the database and importers hand over)."""

    site: np.ndarray
    start: np.ndarray
    end: np.ndarray
    wh: np.ndarray
    estimated: np.ndarray

    @classmethod
    def from_frame(cls, frame: pd.DataFrame) -> ReadingFrame:
        return cls(
            frame["site_id"].to_numpy(object),
            frame["start_s"].to_numpy(np.int64),
            frame["end_s"].to_numpy(np.int64),
            frame["wh"].to_numpy(np.int64),
            frame["estimated"].to_numpy(bool),
        )

    def take(self, mask: np.ndarray) -> ReadingFrame:
        return ReadingFrame(
            self.site[mask], self.start[mask], self.end[mask], self.wh[mask], self.estimated[mask]
        )

    def __len__(self) -> int:
        return len(self.start)


@dataclass
class Pieces:
    """Readings cut at bucket edges: which reading, which bucket, how much energy."""

    row: np.ndarray
    bucket: np.ndarray
    wh: np.ndarray


def split(start: np.ndarray, end: np.ndarray, wh: np.ndarray, edges: np.ndarray) -> Pieces:
    """Cut each [start, end) at ``edges`` (sorted seconds) and share ``wh`` by time.

    Bucket ``k`` is [edges[k], edges[k+1]); every reading must lie within
    [edges[0], edges[-1]). The share of each piece is the floor of the
    cumulative share minus the one before, so the pieces sum exactly to ``wh``.
    """
    first = np.searchsorted(edges, start, side="right") - 1
    last = np.searchsorted(edges, end - 1, side="right") - 1
    counts = last - first + 1
    row = np.repeat(np.arange(len(start)), counts)
    offsets = np.repeat(np.cumsum(counts) - counts, counts)
    bucket = first[row] + (np.arange(len(row)) - offsets)
    piece_end = np.minimum(end[row], edges[bucket + 1])
    duration = end[row] - start[row]
    cumulative = (wh[row] * (piece_end - start[row])) // duration
    is_first = np.arange(len(row)) == offsets
    before = np.where(is_first, 0, np.roll(cumulative, 1))
    return Pieces(row, bucket, cumulative - before)


def _billing_pieces(
    billing: ReadingFrame, interval: ReadingFrame, month_edges: np.ndarray
) -> Pieces:
    """Billing reads cut at month edges, keeping only time no interval reading covers.

    Most sites have either interval data or billing reads; those are cut in one
    vectorised step. Reads of sites that have both go through the slower
    coverage path, one read at a time, each against its own site's interval
    readings only (found by sorting the sites once, so that many mixed sites
    with a lot of interval data stay cheap).
    """
    mixed = np.isin(billing.site, np.unique(interval.site))
    plain = np.flatnonzero(~mixed)
    parts = [split(billing.start[plain], billing.end[plain], billing.wh[plain], month_edges)]
    parts[0].row = plain[parts[0].row]
    by_site = np.argsort(interval.site, kind="stable")
    sorted_sites = interval.site[by_site]
    for i in np.flatnonzero(mixed):
        first, end = (
            int(np.searchsorted(sorted_sites, billing.site[i], side="left")),
            int(np.searchsorted(sorted_sites, billing.site[i], side="right")),
        )
        rows = by_site[first:end]
        parts.append(
            _uncovered_read_pieces(
                int(i), billing, interval.start[rows], interval.end[rows], month_edges
            )
        )
    return Pieces(
        np.concatenate([part.row for part in parts]),
        np.concatenate([part.bucket for part in parts]),
        np.concatenate([part.wh for part in parts]),
    )


def _uncovered_read_pieces(
    i: int,
    billing: ReadingFrame,
    site_start: np.ndarray,
    site_end: np.ndarray,
    month_edges: np.ndarray,
) -> Pieces:
    """Billing read ``i`` less what its site's interval readings (``site_start``/``_end``) cover."""
    b_start, b_end = int(billing.start[i]), int(billing.end[i])
    hit = (site_start < b_end) & (site_end > b_start)
    if not hit.any():  # the site has interval data, but not during this read
        whole = split(np.array([b_start]), np.array([b_end]), billing.wh[i : i + 1], month_edges)
        return Pieces(np.full(len(whole.row), i, dtype=np.int64), whole.bucket, whole.wh)
    covered_start = np.maximum(site_start[hit], b_start)
    covered_end = np.minimum(site_end[hit], b_end)
    cuts = np.unique(
        np.concatenate(
            [
                [b_start, b_end],
                month_edges[(month_edges > b_start) & (month_edges < b_end)],
                covered_start,
                covered_end,
            ]
        ).astype(np.int64)
    )
    pieces = split(np.array([b_start]), np.array([b_end]), billing.wh[i : i + 1], cuts)
    piece_start = cuts[pieces.bucket]
    # interval readings of one site never overlap, so a piece is covered iff the
    # last covered span starting at or before it is still running
    order = np.argsort(covered_start)
    spans_start, spans_end = covered_start[order], covered_end[order]
    last = np.searchsorted(spans_start, piece_start, side="right") - 1
    is_covered = (last >= 0) & (piece_start < spans_end[np.maximum(last, 0)])
    keep = ~is_covered
    month = np.searchsorted(month_edges, piece_start[keep], side="right") - 1
    return Pieces(np.full(int(keep.sum()), i, dtype=np.int64), month, pieces.wh[keep])


@dataclass
class Rollups:
    daily: pd.DataFrame
    monthly: pd.DataFrame


def compute(readings: ReadingFrame, first_month: dt.date, end_month: dt.date) -> Rollups:
    """Rollups for months [first_month, end_month) from every reading that touches them.

    ``readings`` must hold, for the sites concerned, every reading overlapping the
    months and, for billing reads among them, the interval readings over their
    whole period (so the uncovered share is right).
    """
    is_interval = (readings.end - readings.start) <= INTERVAL_MAX_S
    interval = readings.take(is_interval)
    billing = readings.take(~is_interval)

    bounds = [localtime.local_midnight_s(first_month), localtime.local_midnight_s(end_month)]
    if len(readings):
        bounds += [int(readings.start.min()), int(readings.end.max())]
    first_day = localtime.local_date(min(bounds)) - dt.timedelta(days=1)
    last_day = localtime.local_date(max(bounds)) + dt.timedelta(days=1)
    days = localtime.day_starts(first_day, last_day)
    months = localtime.month_starts(first_day, localtime.add_months(last_day, 1))
    day_edges = localtime.boundaries_s(days)
    month_edges = localtime.boundaries_s(months)
    month_of_day = np.searchsorted(month_edges, day_edges, side="right") - 1

    daily = _daily(interval, day_edges)
    monthly = [
        pd.DataFrame(
            {
                "site_id": daily["site_id"],
                "bucket": month_of_day[daily["bucket"].to_numpy(np.int64)],
                "wh": daily["wh"],
                "estimated_wh": daily["estimated_wh"],
            }
        )
    ]
    if len(billing):
        pieces = _billing_pieces(billing, interval, month_edges)
        monthly.append(
            pd.DataFrame(
                {
                    "site_id": billing.site[pieces.row],
                    "bucket": pieces.bucket,
                    "wh": pieces.wh,
                    "estimated_wh": np.where(billing.estimated[pieces.row], pieces.wh, 0),
                }
            )
        )
    monthly_frame = (
        pd.concat(monthly, ignore_index=True)
        .groupby(["site_id", "bucket"], as_index=False)[["wh", "estimated_wh"]]
        .sum()
    )
    return Rollups(
        _dated(daily, days, "day", first_month, end_month),
        _dated(monthly_frame, months, "month", first_month, end_month),
    )


def _dated(
    frame: pd.DataFrame, dates: list[dt.date], name: str, first: dt.date, end: dt.date
) -> pd.DataFrame:
    """Turn bucket numbers into dates and keep the buckets inside [first, end)."""
    labels = np.array(dates, dtype=object)[frame["bucket"].to_numpy(np.int64)]
    frame = frame.drop(columns="bucket")
    frame.insert(1, name, labels)
    inside = (frame[name] >= first) & (frame[name] < end)
    return frame[inside].reset_index(drop=True)


@dataclass(frozen=True)
class HourGrid:
    """Every hour of some consecutive local days, as UTC seconds and profile slots.

    Israel's offsets are whole hours, so local hours are UTC hours: bucket
    ``k`` is [edges[k], edges[k+1]), it belongs to day ``day[k]`` (an index
    into the days given) and to the wall-clock hour ``slot[k]``. The autumn
    day has two buckets in slot 1, the spring day none in slot 2.
    """

    edges: np.ndarray
    day: np.ndarray
    slot: np.ndarray

    @classmethod
    def over(cls, day_edges: np.ndarray) -> HourGrid:
        """The hours of the days [day_edges[0], day_edges[-1]) (local midnights)."""
        if ((day_edges - day_edges[0]) % 3600).any():
            raise ValueError(f"local midnights of {TIMEZONE} are not whole UTC hours apart")
        edges = np.arange(int(day_edges[0]), int(day_edges[-1]) + 1, 3600, dtype=np.int64)
        starts = edges[:-1]
        wall = pd.to_datetime(starts, unit="s", utc=True).tz_convert(TIMEZONE)
        return cls(
            edges,
            np.searchsorted(day_edges, starts, side="right") - 1,
            np.asarray(wall.hour, dtype=np.int64),
        )

    @classmethod
    def of_days(cls, days: list[dt.date]) -> HourGrid:
        """The hours of ``days`` (consecutive local dates)."""
        return cls.over(localtime.boundaries_s([*days, days[-1] + dt.timedelta(days=1)]))

    def slot_hours(self) -> np.ndarray:
        """Hours in each (day, slot): mostly 1; 2 and 0 on the DST days. Shape (days, 24)."""
        days = int(self.day[-1]) + 1 if len(self.day) else 0
        lengths = np.diff(self.edges) // 3600
        hours = np.zeros(days * HOURS, dtype=np.int64)
        np.add.at(hours, self.day * HOURS + self.slot, lengths)
        return hours.reshape(days, HOURS)

    def slot_starts(self) -> np.ndarray:
        """UTC seconds at which each (day, slot) begins (-1 for the missing spring hour)."""
        days = int(self.day[-1]) + 1 if len(self.day) else 0
        key = self.day * HOURS + self.slot
        # keys never decrease; the second bucket of the autumn slot 1 repeats one
        first = np.diff(key, prepend=-1) != 0
        starts = np.full(days * HOURS, -1, dtype=np.int64)
        starts[key[first]] = self.edges[:-1][first]
        return starts.reshape(days, HOURS)


def encode_hourly(profiles: np.ndarray) -> list[bytes]:
    """One ``hourly_wh`` value per row of a (rows, 24) integer array."""
    packed = np.ascontiguousarray(profiles, dtype=HOURLY_DTYPE)
    return [row.tobytes() for row in packed]


def decode_hourly(values: list[bytes]) -> np.ndarray:
    """A read-only (rows, 24) int64 array of ``hourly_wh`` values (none may be NULL)."""
    if not values:
        return np.zeros((0, HOURS), dtype=np.int64)
    flat = np.frombuffer(b"".join(values), dtype=HOURLY_DTYPE)
    # a view of the bytes on little-endian machines (all of ours), a copy elsewhere
    return flat.reshape(len(values), HOURS).astype(np.int64, copy=False)


def encode_quarters(profiles: np.ndarray, lengths: np.ndarray) -> list[bytes]:
    """One ``quarter_wh`` value per row of a (rows, 100) integer array, ``lengths[i]`` long.

    A row is stored as little-endian int32 when every value fits, else as
    int64: exact either way, and the byte length tells them apart (at most
    400 bytes of int32, at least 736 of int64).
    """
    fits = (np.abs(profiles) <= np.iinfo(np.int32).max).all(axis=1)
    small = profiles.astype("<i4")
    large = profiles.astype("<i8")
    return [
        (small if fit else large)[index, :length].tobytes()
        for index, (fit, length) in enumerate(zip(fits.tolist(), lengths.tolist(), strict=True))
    ]


def decode_quarters(values: list[bytes]) -> tuple[np.ndarray, np.ndarray]:
    """``quarter_wh`` values as a (rows, 100) int64 array, zero past each day's end,
    and the number of quarter hours of each row (none may be NULL)."""
    sizes = np.fromiter(map(len, values), dtype=np.int64, count=len(values))
    lengths = np.where(sizes <= MAX_QUARTERS * 4, sizes // 4, sizes // 8)
    profiles = np.zeros((len(values), MAX_QUARTERS), dtype=np.int64)
    for size in np.unique(sizes).tolist():
        rows = np.flatnonzero(sizes == size)
        dtype = QUARTER_DTYPES[0] if size <= MAX_QUARTERS * 4 else QUARTER_DTYPES[1]
        packed = np.frombuffer(b"".join(values[index] for index in rows.tolist()), dtype=dtype)
        width = size // dtype.itemsize
        profiles[rows, :width] = packed.reshape(len(rows), width)
    return profiles, lengths


def _runs(keys: np.ndarray) -> np.ndarray:
    """Start index of every run of equal values in sorted ``keys``."""
    return np.flatnonzero(np.diff(keys, prepend=keys[0] - 1))


def _daily(interval: ReadingFrame, day_edges: np.ndarray) -> pd.DataFrame:
    """Energy, estimated energy, peak demand, hourly and quarter-hour profiles per site and day.

    Readings are cut at every quarter-hour edge and summed per (site, day,
    quarter hour) with sort-based integer reductions (exact, no floats); the
    wall-clock hours are sums of their quarter hours, the days of their hours.
    """
    columns = ["site_id", "bucket", "wh", "estimated_wh", "peak_w", "hourly_wh", "quarter_wh"]
    if not len(interval):
        frame = pd.DataFrame({name: pd.Series(dtype=np.int64) for name in columns})
        return frame.astype({"hourly_wh": object, "quarter_wh": object})
    grid = HourGrid.over(day_edges)
    edges = np.arange(int(day_edges[0]), int(day_edges[-1]) + 1, QUARTER_S, dtype=np.int64)
    pieces = split(interval.start, interval.end, interval.wh, edges)
    site_code, site_names = pd.factorize(interval.site)
    days = len(day_edges) - 1
    hour = pieces.bucket // QUARTERS_PER_HOUR  # local midnights are whole UTC hours
    day = grid.day[hour]
    position = (edges[pieces.bucket] - day_edges[day]) // QUARTER_S
    key = (site_code[pieces.row] * days + day) * MAX_QUARTERS + position
    order = np.argsort(key, kind="stable")
    key = key[order]
    row = pieces.row[order]
    wh = pieces.wh[order]
    # a reading's average demand counts for every day it covers (one crossing
    # midnight, or a day-long reading not aligned to local days, covers two)
    demand = interval.wh * 3600 // (interval.end - interval.start)
    first = _runs(key)
    quarter_key = key[first]
    quarter_wh = np.add.reduceat(wh, first)
    quarter_estimated = np.add.reduceat(np.where(interval.estimated[row], wh, 0), first)
    quarter_peak = np.maximum.reduceat(demand[row], first)

    day_key = quarter_key // MAX_QUARTERS
    day_first = _runs(day_key)
    site_day = day_key[day_first]
    day_row = np.searchsorted(site_day, day_key)
    quarters = np.zeros((len(site_day), MAX_QUARTERS), dtype=np.int64)
    quarters[day_row, quarter_key % MAX_QUARTERS] = quarter_wh
    # wall-clock hours never go back within a day (the doubled autumn hour
    # is one slot), so the quarter hours come in runs of their hour's slot
    hour_key = day_key * HOURS + grid.slot[hour[order][first]]
    hour_first = _runs(hour_key)
    profiles = np.zeros((len(site_day), HOURS), dtype=np.int64)
    profiles[day_row[hour_first], hour_key[hour_first] % HOURS] = np.add.reduceat(
        quarter_wh, hour_first
    )
    bucket = site_day % days
    return pd.DataFrame(
        {
            "site_id": np.asarray(site_names, dtype=object)[site_day // days],
            "bucket": bucket,
            "wh": np.add.reduceat(quarter_wh, day_first),
            "estimated_wh": np.add.reduceat(quarter_estimated, day_first),
            "peak_w": np.maximum.reduceat(quarter_peak, day_first),
            "hourly_wh": encode_hourly(profiles),
            "quarter_wh": encode_quarters(quarters, np.diff(day_edges)[bucket] // QUARTER_S),
        }
    )


# --- reading and writing the tables -------------------------------------------------


#: One reading as the driver hands it over.
_READING_ROW = np.dtype(
    [
        ("site", object),
        ("start", np.int64),
        ("end", np.int64),
        ("wh", np.int64),
        ("estimated", bool),
    ]
)


def load_readings(
    connection: Connection, site_ids: list[str], start_s: int, end_s: int
) -> ReadingFrame:
    """Readings of ``site_ids`` overlapping [start_s, end_s)."""
    columns = (Reading.site_id, Reading.start_s, Reading.end_s, Reading.wh, Reading.estimated)
    parts = [
        fetch_records(
            connection,
            select(*columns)
            .where(_among(Reading.site_id, chunk))
            .where(Reading.end_s > start_s, Reading.start_s < end_s),
            _READING_ROW,
        )
        for chunk in chunks.chunked(site_ids)
    ]
    table = np.concatenate([np.empty(0, dtype=_READING_ROW), *parts])
    return ReadingFrame(
        *(np.ascontiguousarray(table[name]) for name in ("site", "start", "end", "wh", "estimated"))
    )


#: Rows converted per batch by :func:`fetch_records`.
FETCH_BATCH = 10_000


def fetch_records(
    connection: Connection, query: Select[*tuple[Any, ...]], dtype: np.dtype
) -> np.ndarray:
    """The rows of ``query`` (its parameters bound) as a record array of ``dtype``.

    Built for the reads of many rows (readings at import, a screen's daily
    profiles):

    - rows come as plain driver tuples: a ``Row`` object each would cost
      more than the query;
    - :func:`numpy.fromiter` turns them into arrays in one C pass
      (``zip(*rows)`` took five times as long);
    - batch by batch, so few tuples are alive at once: tens of thousands of
      surviving tuples set off full garbage collections that scan the whole
      heap, which doubled the time of a screen's largest read;
    - on PostgreSQL in binary format: ``bytea`` arrives as raw bytes rather
      than hex text, and numbers and dates need no parsing.
    """
    cursor = _driver_cursor(connection, query)
    try:
        parts = [np.empty(0, dtype=dtype)]
        while rows := cursor.fetchmany(FETCH_BATCH):
            parts.append(np.fromiter(rows, dtype=dtype, count=len(rows)))
        return np.concatenate(parts)
    finally:
        cursor.close()


def _driver_cursor(connection: Connection, query: Select[*tuple[Any, ...]]) -> Any:
    """A DBAPI cursor holding the rows of ``query``."""
    if connection.dialect.name != "postgresql":
        return connection.execute(query).cursor
    compiled = query.compile(
        dialect=connection.dialect, compile_kwargs={"render_postcompile": True}
    )
    driver = connection.connection.driver_connection
    cursor = driver.cursor(binary=True)  # type: ignore[union-attr]
    cursor.execute(compiled.string, compiled.params)
    return cursor


def _among(column: InstrumentedAttribute[str], site_ids: list[str]) -> ColumnElement[bool]:
    """``column IN site_ids``, the ids written into the statement.

    As bound parameters they would give the statement of every chunk of sites
    the same text, and psycopg prepares a statement run five times: PostgreSQL
    then kept one generic plan, made while an import's transaction had barely
    begun to fill the rollup tables (a scan, testing each row against the
    5,000 parameters), and took minutes per chunk once they were full. With
    the ids in the text each statement is planned for its own values.
    """
    return column.in_(bindparam("sites", site_ids, expanding=True, literal_execute=True))


def rebuild(connection: Connection, site_ids: list[str], start_s: int, end_s: int) -> None:
    """Recompute the rollups of ``site_ids`` for every local month touching [start_s, end_s).

    Besides the months themselves, the monthly rollup changes around them: the
    zero rows of a gap the new months open or close, and ``rolling_wh`` of the
    11 months after them (see :func:`_monthly_rows`).
    """
    if not site_ids:
        return
    first_month = localtime.first_of_month(localtime.local_date(start_s))
    end_month = localtime.add_months(localtime.local_date(end_s - 1).replace(day=1), 1)
    window_start = localtime.local_midnight_s(first_month)
    window_end = localtime.local_midnight_s(end_month)
    readings = load_readings(
        connection, site_ids, window_start - READING_MAX_S, window_end + READING_MAX_S
    )
    rollups = compute(readings, first_month, end_month)
    rebuilt = _MonthRange(_month_number(first_month), _month_number(end_month))
    new = _MonthlyEnergy.of(rollups.monthly)
    spans = _Spans.load(connection, site_ids)
    spans.extend(new)
    rewrite = spans.rewrite_range(rebuilt)
    stored = _load_monthly(connection, site_ids, rewrite, rebuilt)
    rewrite_first, rewrite_end = rewrite.dates()
    for chunk in chunks.chunked(site_ids):
        connection.execute(
            delete(ConsumptionDaily)
            .where(_among(ConsumptionDaily.site_id, chunk))
            .where(ConsumptionDaily.day >= first_month, ConsumptionDaily.day < end_month)
        )
        connection.execute(
            delete(ConsumptionMonthly)
            .where(_among(ConsumptionMonthly.site_id, chunk))
            .where(
                ConsumptionMonthly.month >= rewrite_first, ConsumptionMonthly.month < rewrite_end
            )
        )
    _insert(connection, ConsumptionDaily, rollups.daily)
    _insert(connection, ConsumptionMonthly, _monthly_rows(spans, rewrite, stored + new))
    spans.store(connection)


# --- the monthly rollup: dense spans and rolling sums -------------------------------------

#: Months summed by ``rolling_wh``: the VIP rule's window.
ROLLING_MONTHS = 12
#: The month number of a missing month (what NaT becomes).
NO_MONTH = np.iinfo(np.int64).min


def _month_number(month: dt.date) -> int:
    """Months since January 1970: consecutive months are consecutive integers."""
    return (month.year - 1970) * 12 + month.month - 1


def _month_date(number: int) -> dt.date:
    return dt.date(1970 + number // 12, number % 12 + 1, 1)


def _month_numbers(months: np.ndarray) -> np.ndarray:
    """:func:`_month_number` of an object array of dates, ISO text (SQLite) or None (NO_MONTH).

    Each distinct value is converted once: numpy parses a date object or
    string in microseconds, and the rows of a rebuild hold few distinct months.
    """
    codes, distinct = pd.factorize(months)
    numbers = np.asarray([*distinct, None], dtype=object).astype("datetime64[M]").astype(np.int64)
    return numbers[codes]  # a missing month's code is -1: the None at the end, NaT


def _month_dates(numbers: np.ndarray) -> np.ndarray:
    """The first-of-month dates of many month numbers, as an object array."""
    if not len(numbers):
        return np.empty(0, dtype=object)
    low = int(numbers.min())
    dates = np.array(
        [_month_date(number) for number in range(low, int(numbers.max()) + 1)], dtype=object
    )
    return dates[numbers - low]


@dataclass(frozen=True)
class _MonthRange:
    """Months [first, end), as month numbers."""

    first: int
    end: int

    def dates(self) -> tuple[dt.date, dt.date]:
        return _month_date(self.first), _month_date(self.end)


@dataclass
class _MonthlyEnergy:
    """Monthly rollup rows as parallel arrays; ``month`` in month numbers."""

    site: np.ndarray
    month: np.ndarray
    wh: np.ndarray
    estimated: np.ndarray

    @classmethod
    def of(cls, frame: pd.DataFrame) -> _MonthlyEnergy:
        """The rows of :func:`compute`'s monthly frame."""
        return cls(
            frame["site_id"].to_numpy(object),
            _month_numbers(frame["month"].to_numpy(object)),
            frame["wh"].to_numpy(np.int64),
            frame["estimated_wh"].to_numpy(np.int64),
        )

    def __add__(self, other: _MonthlyEnergy) -> _MonthlyEnergy:
        return _MonthlyEnergy(
            np.concatenate([self.site, other.site]),
            np.concatenate([self.month, other.month]),
            np.concatenate([self.wh, other.wh]),
            np.concatenate([self.estimated, other.estimated]),
        )


#: A stored monthly row as the driver hands it over (the month as text or a date).
_MONTHLY_ROW = np.dtype(
    [("site", object), ("month", object), ("wh", np.int64), ("estimated", np.int64)]
)
#: A site's span of months with data as the driver hands it over.
_SPAN_ROW = np.dtype([("site", object), ("first", object), ("last", object)])


@dataclass
class _Spans:
    """Each site's first and last month with data (month numbers), stored and current."""

    site: pd.Index
    stored_first: np.ndarray
    stored_last: np.ndarray
    first: np.ndarray
    last: np.ndarray

    @classmethod
    def load(cls, connection: Connection, site_ids: list[str]) -> _Spans:
        columns = (Site.id, Site.first_data_month, Site.last_data_month)
        parts = [
            fetch_records(connection, select(*columns).where(_among(Site.id, chunk)), _SPAN_ROW)
            for chunk in chunks.chunked(site_ids)
        ]
        table = np.concatenate([np.empty(0, dtype=_SPAN_ROW), *parts])
        first, last = _month_numbers(table["first"]), _month_numbers(table["last"])
        return cls(pd.Index(table["site"], dtype=object), first, last, first.copy(), last.copy())

    def has_data(self) -> np.ndarray:
        return self.last != NO_MONTH

    def extend(self, energy: _MonthlyEnergy) -> None:
        """Take in the months of ``energy`` (rows of these sites)."""
        code = self.site.get_indexer(energy.site)
        first = np.where(self.has_data(), self.first, np.iinfo(np.int64).max)
        np.minimum.at(first, code, energy.month)
        np.maximum.at(self.last, code, energy.month)
        self.first = np.where(self.has_data(), first, NO_MONTH)

    def rewrite_range(self, rebuilt: _MonthRange) -> _MonthRange:
        """The months whose rows change when the months ``rebuilt`` are rebuilt.

        For each site: the rebuilt months; a gap they open before or after the
        stored span (zero rows); the 11 months after them (their ``rolling_wh``
        counts the rebuilt months); all clipped to the site's span. The range
        returned covers every site (one delete and one read for the lot), so a
        site may get rows rewritten unchanged.
        """
        had_data = self.stored_last != NO_MONTH
        gap_before = had_data & (self.stored_last + 1 < rebuilt.first)
        gap_after = had_data & (self.stored_first > rebuilt.end)
        first = np.where(gap_before, self.stored_last + 1, rebuilt.first)
        end = np.maximum(
            np.where(gap_after, self.stored_first, rebuilt.end),
            rebuilt.end + ROLLING_MONTHS - 1,
        )
        first, end = np.maximum(first, self.first), np.minimum(end, self.last + 1)
        some = self.has_data() & (first < end)
        if not some.any():
            return _MonthRange(rebuilt.first, rebuilt.first)
        return _MonthRange(int(first[some].min()), int(end[some].max()))

    def store(self, connection: Connection) -> None:
        """Write the spans that changed to the site table."""
        changed = np.flatnonzero(
            (self.first != self.stored_first) | (self.last != self.stored_last)
        )
        if not len(changed):
            return
        connection.execute(
            update(Site).where(Site.id == bindparam("key")),
            [
                {
                    "key": site,
                    "first_data_month": _month_date(first),
                    "last_data_month": _month_date(last),
                }
                for site, first, last in zip(
                    np.asarray(self.site, dtype=object)[changed].tolist(),
                    self.first[changed].tolist(),
                    self.last[changed].tolist(),
                    strict=True,
                )
            ],
        )


def _load_monthly(
    connection: Connection, site_ids: list[str], rewrite: _MonthRange, rebuilt: _MonthRange
) -> _MonthlyEnergy:
    """The stored monthly rows that the rows of ``rewrite`` depend on, but the rebuilt ones.

    That is the months [rewrite.first - 11, rewrite.end): the months before
    for the rolling sums, the rewritten months for their energy.
    """
    first, end = _MonthRange(rewrite.first - ROLLING_MONTHS + 1, rewrite.end).dates()
    rebuilt_first, rebuilt_end = rebuilt.dates()
    month = ConsumptionMonthly.month
    parts = [
        fetch_records(
            connection,
            select(
                ConsumptionMonthly.site_id,
                month,
                ConsumptionMonthly.wh,
                ConsumptionMonthly.estimated_wh,
            )
            .where(_among(ConsumptionMonthly.site_id, chunk))
            .where(month >= first, month < end)
            .where((month < rebuilt_first) | (month >= rebuilt_end)),
            _MONTHLY_ROW,
        )
        for chunk in chunks.chunked(site_ids)
    ]
    table = np.concatenate([np.empty(0, dtype=_MONTHLY_ROW), *parts])
    return _MonthlyEnergy(
        table["site"], _month_numbers(table["month"]), table["wh"], table["estimated"]
    )


def _monthly_rows(spans: _Spans, rewrite: _MonthRange, known: _MonthlyEnergy) -> pd.DataFrame:
    """Every row of the months ``rewrite`` within each site's span, with ``rolling_wh``.

    Each site is laid out as one run of consecutive months, from 11 months
    before its first rewritten month to its last, holding the energy of
    ``known`` and zero where it has no row. Over the whole layout a running
    sum then gives each month's 12-month sum as the difference of two values.
    """
    first = np.maximum(spans.first, rewrite.first)
    end = np.minimum(spans.last + 1, rewrite.end)
    sites = np.flatnonzero(spans.has_data() & (first < end))
    if not len(sites):
        return pd.DataFrame(columns=["site_id", "month", "wh", "estimated_wh", "rolling_wh"])
    first, end = first[sites], end[sites]
    lead = ROLLING_MONTHS - 1
    length = end - first + lead
    offset = np.cumsum(length) - length
    size = int(length.sum())
    block = np.repeat(np.arange(len(sites)), length)
    position = np.arange(size)
    month = first[block] - lead + position - offset[block]

    known_block = pd.Index(sites).get_indexer(spans.site.get_indexer(known.site))
    at = offset[known_block] + known.month - first[known_block] + lead
    inside = (
        (known_block >= 0) & (at >= offset[known_block]) & (at < (offset + length)[known_block])
    )
    wh = np.zeros(size, dtype=np.int64)
    estimated = np.zeros(size, dtype=np.int64)
    wh[at[inside]] = known.wh[inside]
    estimated[at[inside]] = known.estimated[inside]

    running = np.concatenate([[0], np.cumsum(wh)])
    rows = position[position - offset[block] >= lead]
    return pd.DataFrame(
        {
            "site_id": np.asarray(spans.site, dtype=object)[sites[block[rows]]],
            "month": _month_dates(month[rows]),
            "wh": wh[rows],
            "estimated_wh": estimated[rows],
            "rolling_wh": running[rows + 1] - running[rows + 1 - ROLLING_MONTHS],
        }
    )


def _insert(
    connection: Connection,
    model: type[ConsumptionDaily] | type[ConsumptionMonthly],
    frame: pd.DataFrame,
) -> None:
    if not frame.empty:
        connection.execute(insert(model), frame.to_dict("records"))


@dataclass(frozen=True)
class RebuildSummary:
    sites: int
    readings: int


#: Readings per :func:`rebuild` call of :func:`rebuild_sites`, to bound memory
#: (compute holds a few hundred bytes per reading while it runs).
REBUILD_BATCH_READINGS = 2_000_000


def rebuild_sites(
    connection: Connection, site_ids: list[str], batch_readings: int = REBUILD_BATCH_READINGS
) -> RebuildSummary:
    """Recompute every rollup of ``site_ids`` from all of their readings.

    Imports keep the rollups current by themselves; this is for when the way
    they are built changes (daily rows written before ``hourly_wh`` existed
    have none). Every rollup row of the sites goes first, and their spans of
    months with data, so a month whose readings are gone does not linger; then
    the sites are rebuilt in batches of about ``batch_readings`` readings, all
    in the caller's transaction.
    """
    query = (
        select(Reading.site_id, func.count(), func.min(Reading.start_s), func.max(Reading.end_s))
        .where(Reading.site_id.in_(bindparam("sites", expanding=True)))
        .group_by(Reading.site_id)
    )
    spans: list[tuple[str, int, int, int]] = []
    for chunk in chunks.chunked(site_ids):
        connection.execute(delete(ConsumptionDaily).where(ConsumptionDaily.site_id.in_(chunk)))
        connection.execute(delete(ConsumptionMonthly).where(ConsumptionMonthly.site_id.in_(chunk)))
        connection.execute(
            update(Site)
            .where(Site.id.in_(chunk))
            .values(first_data_month=None, last_data_month=None)
        )
        spans.extend(
            (site, count, lo, hi)
            for site, count, lo, hi in connection.execute(query, {"sites": chunk})
        )
    spans.sort()
    for batch in reading_batches(spans, batch_readings):
        rebuild(
            connection,
            [site for site, _count, _lo, _hi in batch],
            min(lo for _site, _count, lo, _hi in batch),
            max(hi for _site, _count, _lo, hi in batch),
        )
    return RebuildSummary(len(spans), sum(count for _site, count, _lo, _hi in spans))


def reading_batches(
    spans: list[tuple[str, int, int, int]], readings: int
) -> list[list[tuple[str, int, int, int]]]:
    """Consecutive groups of (site, count, start, end) holding about ``readings`` readings."""
    batches: list[list[tuple[str, int, int, int]]] = []
    held = readings
    for span in spans:
        if held >= readings:
            batches.append([])
            held = 0
        batches[-1].append(span)
        held += span[1]
    return batches
