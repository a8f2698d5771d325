"""ISO 8601 timestamps to Unix seconds, vectorised.

A time with an offset (or ``Z``) is that instant. A time without one is local
Asia/Jerusalem wall time; around the autumn DST change such a time is
ambiguous (01:00-01:59 happens twice) and around the spring change it may not
exist at all. Ambiguous times keep both candidates so that the caller, who
knows the interval, can pick; times that do not exist are errors.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from lounge import localtime
from lounge.settings import TIMEZONE


@dataclass
class Instants:
    """Parsed times. ``seconds`` is valid where ``ok``; where ``ambiguous`` it holds
    the first (summer-time) occurrence and ``later`` the second one.

    ``wall`` is the time as written, read as if it were UTC (for times with an
    offset: the instant itself), so that ``end.wall - start.wall`` is the length
    a person reads on the clock. Where ``closes_fold``, the time is the wall time
    at which the clocks went back (02:00 on the autumn day): it exists once, in
    winter time, but as the *end* of a reading in the repeated hour it may also
    mean the last moment of summer time, ``fold_end``.
    """

    seconds: np.ndarray
    later: np.ndarray
    ok: np.ndarray
    ambiguous: np.ndarray
    nonexistent: np.ndarray
    wall: np.ndarray | None = None
    closes_fold: np.ndarray | None = None
    fold_end: np.ndarray | None = None


def _to_seconds(values: pd.Series) -> np.ndarray:
    """Seconds of tz-aware timestamps (NaT becomes 0; callers mask it)."""
    utc = values.dt.tz_convert("UTC").dt.tz_localize(None)
    return ((utc - pd.Timestamp(0)) // pd.Timedelta(seconds=1)).fillna(0).to_numpy("int64")


def has_offset(value: str) -> bool:
    """True for ``...Z`` and ``...+02:00`` style times (the date part holds no sign)."""
    tail = value[10:]
    return "Z" in tail or "z" in tail or "+" in tail or "-" in tail


def _parse(values: list[str], utc: bool) -> pd.Series:
    series = pd.Series(values, dtype=object)
    if any("," in value for value in values):  # ISO 8601 allows a decimal comma
        series = series.str.replace(",", ".", regex=False)
    if utc and any("z" in value for value in values):  # RFC 3339 allows a small z
        series = series.str.replace("z", "Z", regex=False)
    return pd.to_datetime(series, format="ISO8601", utc=utc, errors="coerce")


def _wall_seconds(wall: pd.Series) -> np.ndarray:
    return ((wall - pd.Timestamp(0)) // pd.Timedelta(seconds=1)).fillna(0).to_numpy("int64")


def _fold_ends(wall: pd.Series, usable: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Which wall times are the moment the clocks went back, and that moment in
    summer time (the end of the first pass through the repeated hour)."""
    n = len(wall)
    closes, fold_end = np.zeros(n, dtype=bool), np.zeros(n, dtype=np.int64)
    before = wall - pd.Timedelta(seconds=1)
    days = before.dt.normalize()
    # only days of 25 hours have a repeated hour; there are few distinct days
    long_days = [
        day
        for day in days[usable].unique()
        if localtime.local_midnight_s(day.date() + dt.timedelta(days=1))
        - localtime.local_midnight_s(day.date())
        > 86400
    ]
    candidates = usable & days.isin(long_days).to_numpy()
    if candidates.any():
        subset = before[candidates]
        summer = subset.dt.tz_localize(TIMEZONE, ambiguous=np.ones(len(subset), dtype=bool))
        winter = subset.dt.tz_localize(TIMEZONE, ambiguous=np.zeros(len(subset), dtype=bool))
        first, second = _to_seconds(summer), _to_seconds(winter)
        closes[candidates] = first != second
        fold_end[candidates] = first + 1
    return closes, fold_end


def parse_instants(raw: list[str]) -> Instants:
    n = len(raw)
    seconds = np.zeros(n, dtype=np.int64)
    later = np.zeros(n, dtype=np.int64)
    ok = np.zeros(n, dtype=bool)
    ambiguous = np.zeros(n, dtype=bool)
    nonexistent = np.zeros(n, dtype=bool)
    wall = np.zeros(n, dtype=np.int64)
    closes_fold = np.zeros(n, dtype=bool)
    fold_end = np.zeros(n, dtype=np.int64)
    # pandas also reads words such as "today" and "now"; ISO 8601 starts with the year
    present = np.fromiter((value[:4].isdigit() for value in raw), dtype=bool, count=n)
    aware = present & np.fromiter((has_offset(value) for value in raw), dtype=bool, count=n)
    naive = present & ~aware

    if aware.any():
        parsed = _parse([raw[i] for i in np.flatnonzero(aware)], utc=True)
        seconds[aware] = _to_seconds(parsed)
        wall[aware] = seconds[aware]
        ok[aware] = parsed.notna().to_numpy()

    if naive.any():
        wall_times = _parse([raw[i] for i in np.flatnonzero(naive)], utc=False)
        valid = wall_times.notna().to_numpy()
        summer = wall_times.dt.tz_localize(
            TIMEZONE, ambiguous=np.ones(len(wall_times), dtype=bool), nonexistent="NaT"
        )
        winter = wall_times.dt.tz_localize(
            TIMEZONE, ambiguous=np.zeros(len(wall_times), dtype=bool), nonexistent="NaT"
        )
        exists = summer.notna().to_numpy()
        first, second = _to_seconds(summer), _to_seconds(winter)
        seconds[naive] = first
        later[naive] = second
        ok[naive] = valid & exists
        ambiguous[naive] = valid & exists & (first != second)
        nonexistent[naive] = valid & ~exists
        wall[naive] = _wall_seconds(wall_times)
        closes, ends = _fold_ends(wall_times, valid & exists & (first == second))
        closes_fold[naive], fold_end[naive] = closes, ends
    return Instants(seconds, later, ok, ambiguous, nonexistent, wall, closes_fold, fold_end)
