"""Time-of-use (TAOZ) bands: which local hours of which days are peak, shoulder or off-peak.

The bands are a table, not code: ``lounge/data/tou_bands.csv`` (or the file
named by ``LOUNGE_TOU_TABLE``) maps season (by month), day type and hour to a
band, and is checked on load so that every hour of every season and day type
has exactly one band. The bundled table is illustrative (the shape of an
Israeli TAOZ tariff), so replacing it must need no code change.

Day types (working, short, rest) come from :mod:`lounge.calendar`, the one
Israeli calendar of the lounge, which defines holidays and their eves.

Bands are cut at read time from the hourly profiles of the daily rollup, so a
new table applies to past data at once, without a rebuild.
"""

from __future__ import annotations

import csv
import datetime as dt
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import ConsumptionDaily
from lounge import rollups
from lounge.calendar import DAY_TYPES, REST, SHORT, WORKING, day_type, day_type_codes
from lounge.i18n import N_
from lounge.settings import TIMEZONE

PEAK, SHOULDER, OFFPEAK = "peak", "shoulder", "offpeak"
#: Band names; a band's code (in :func:`band_matrix`) is its index here.
BANDS = (PEAK, SHOULDER, OFFPEAK)
BAND_LABELS = {PEAK: N_("Peak"), SHOULDER: N_("Shoulder"), OFFPEAK: N_("Off-peak")}

DAY_TYPE_LABELS = {
    WORKING: N_("Working day (Sunday to Thursday)"),
    SHORT: N_("Friday or holiday eve"),
    REST: N_("Saturday or holiday"),
}

#: The bundled, illustrative table.
DEFAULT_TABLE = Path(__file__).resolve().parent / "data" / "tou_bands.csv"
#: Environment variable naming another table file.
TABLE_ENV = "LOUNGE_TOU_TABLE"
HEADER = ("season", "months", "day_type", "start_hour", "end_hour", "band")


# --- the table ------------------------------------------------------------------------


class BandTableError(ValueError):
    """A band table that cannot be used; every problem names its line."""

    def __init__(self, source: str, problems: list[str]) -> None:
        self.source = source
        self.problems = problems
        super().__init__(
            f"invalid time-of-use table {source}:\n" + "\n".join(f"  {p}" for p in problems)
        )


@dataclass(frozen=True, eq=False)
class BandTable:
    """A validated band table.

    ``codes[month - 1, day_type_code, hour]`` is the band code of that hour;
    ``seasons[month - 1]`` the name of the month's season.
    """

    source: str
    seasons: tuple[str, ...]
    codes: np.ndarray

    def band(self, day: dt.date, hour: int) -> str:
        """The band of local wall-clock ``hour`` on ``day``."""
        return BANDS[self.codes[day.month - 1, DAY_TYPES.index(day_type(day)), hour]]

    def matrix(self, days: Iterable[dt.date] | np.ndarray) -> np.ndarray:
        """Band codes of every hour of ``days``: shape (len(days), 24), int8."""
        dates = np.asarray(days if isinstance(days, np.ndarray) else list(days), "datetime64[D]")
        month = dates.astype("datetime64[M]").astype(np.int64) % 12
        return self.codes[month, day_type_codes(dates)]


@dataclass(frozen=True)
class _Row:
    line: int
    season: str
    months: frozenset[int]
    day_type: str
    start: int
    end: int
    band: str

    def hours(self) -> str:
        return f"{self.start}-{self.end}"

    def where(self) -> str:
        return f"{self.season} {self.day_type} days"


def _months(text: str) -> frozenset[int]:
    """``"6-9"``, ``"12-2"`` (wrapping), ``"3-5 10-11"``, ``"7"`` -> month numbers."""
    months: set[int] = set()
    for token in text.split():
        first, _, last = token.partition("-")
        low, high = int(first), int(last or first)
        if not (1 <= low <= 12 and 1 <= high <= 12):
            raise ValueError(token)
        months.update((low - 1 + n) % 12 + 1 for n in range((high - low) % 12 + 1))
    if not months:
        raise ValueError(text)
    return frozenset(months)


def _parse_row(line: int, fields: list[str]) -> _Row | str:
    """A row, or the problem with it."""
    if len(fields) != len(HEADER):
        return f"line {line}: expected {len(HEADER)} fields ({','.join(HEADER)}), got {len(fields)}"
    season, months, kind, start, end, band = (field.strip() for field in fields)
    if not season:
        return f"line {line}: the season has no name"
    if kind not in DAY_TYPES:
        return f"line {line}: unknown day type '{kind}' (expected {', '.join(DAY_TYPES)})"
    if band not in BANDS:
        return f"line {line}: unknown band '{band}' (expected {', '.join(BANDS)})"
    try:
        month_set = _months(months)
    except ValueError:
        return f"line {line}: months '{months}' are not months 1-12 such as 6-9 or 12-2"
    if not (start.isdigit() and end.isdigit() and 0 <= int(start) < int(end) <= 24):
        return f"line {line}: hours '{start}' to '{end}' are not 0 <= start < end <= 24"
    return _Row(line, season, month_set, kind, int(start), int(end), band)


def _rows(text: str) -> tuple[list[_Row], list[str]]:
    """Data rows (comments and blank lines skipped) and the problems found reading them."""
    rows: list[_Row] = []
    problems: list[str] = []
    header_seen = False
    for number, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip() or raw.lstrip().startswith("#"):
            continue
        fields = next(csv.reader([raw]))
        if not header_seen:
            header_seen = True
            if tuple(field.strip() for field in fields) != HEADER:
                problems.append(f"line {number}: expected the header {','.join(HEADER)}")
            continue
        parsed = _parse_row(number, fields)
        if isinstance(parsed, str):
            problems.append(parsed)
        else:
            rows.append(parsed)
    if not header_seen:
        problems.append(f"line 1: expected the header {','.join(HEADER)}")
    return rows, problems


def _season_problems(rows: list[_Row]) -> tuple[dict[str, _Row], list[str]]:
    """The first row of each season, and problems with the seasons' months."""
    first: dict[str, _Row] = {}
    owner: dict[int, _Row] = {}
    problems: list[str] = []
    for row in rows:
        known = first.setdefault(row.season, row)
        if row.months != known.months:
            problems.append(
                f"line {row.line}: season '{row.season}' has other months on line {known.line}"
            )
            continue
        if known is not row:
            continue
        for month in sorted(row.months):
            if month in owner:
                other = owner[month]
                problems.append(
                    f"line {row.line}: month {month} is already in season "
                    f"'{other.season}' (line {other.line})"
                )
            owner.setdefault(month, row)
    missing = ", ".join(str(month) for month in range(1, 13) if month not in owner)
    if missing:
        line = rows[-1].line if rows else 1
        problems.append(f"line {line}: no season has month(s) {missing}")
    return first, problems


def _coverage_problems(group: list[_Row]) -> list[str]:
    """Gaps and overlaps in the hours of one season and day type (rows sorted by start)."""
    problems: list[str] = []
    reach, last = 0, group[0]
    for row in group:
        if row.start > reach:
            problems.append(
                f"line {row.line}: hours {reach}-{row.start} of {row.where()} have no band"
            )
        elif row.start < reach:
            problems.append(
                f"line {row.line}: hours {row.hours()} of {row.where()} overlap "
                f"line {last.line} ({last.hours()})"
            )
        if row.end > reach:
            reach, last = row.end, row
    if reach < 24:
        problems.append(f"line {last.line}: hours {reach}-24 of {last.where()} have no band")
    return problems


def parse_table(text: str, source: str = "<text>") -> BandTable:
    """Read and check a band table; raises :class:`BandTableError` naming every bad line."""
    rows, problems = _rows(text)
    first, season_problems = _season_problems(rows)
    problems += season_problems
    codes = np.full((12, len(DAY_TYPES), 24), -1, dtype=np.int8)
    for season, head in first.items():
        for kind in DAY_TYPES:
            group = sorted(
                (r for r in rows if r.season == season and r.day_type == kind),
                key=lambda r: (r.start, r.line),
            )
            if not group:
                problems.append(f"line {head.line}: season '{season}' has no {kind} rows")
                continue
            problems += _coverage_problems(group)
            for row in group:
                months = [month - 1 for month in sorted(row.months)]
                codes[months, DAY_TYPES.index(kind), row.start : row.end] = BANDS.index(row.band)
    if problems:
        raise BandTableError(source, problems)
    seasons = {month: row.season for row in first.values() for month in row.months}
    return BandTable(source, tuple(seasons[month] for month in range(1, 13)), codes)


def load_table(path: Path) -> BandTable:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise BandTableError(str(path), [f"cannot read the file: {exc.strerror}"]) from exc
    return parse_table(text, str(path))


@cache
def _cached_table(path: Path, _version: tuple[int, int]) -> BandTable:
    return load_table(path)


def table() -> BandTable:
    """The table in force: ``LOUNGE_TOU_TABLE`` if set, else the bundled one.

    Read once per file version (path, modification time and size), so an
    edited file is picked up without a restart and an unchanged one is not
    read again.
    """
    path = Path(os.environ.get(TABLE_ENV) or DEFAULT_TABLE).resolve()
    try:
        stat = path.stat()
    except OSError as exc:
        raise BandTableError(str(path), [f"cannot read the file: {exc.strerror}"]) from exc
    return _cached_table(path, (stat.st_mtime_ns, stat.st_size))


# --- bands of days and energy ---------------------------------------------------------


def band_matrix(days: Sequence[dt.date] | np.ndarray, bands: BandTable | None = None) -> np.ndarray:
    """Band codes (indexes into :data:`BANDS`) of every local hour of ``days``.

    Shape (len(days), 24), int8; columns are the wall-clock hours of the
    hourly profiles, so ``band_matrix(days) == code`` masks a profile array.
    """
    return (bands or table()).matrix(days)


def band_of(moment: dt.datetime, bands: BandTable | None = None) -> str:
    """The band of an instant (a naive datetime is taken as Israel wall time)."""
    local = moment.astimezone(TIMEZONE) if moment.tzinfo else moment
    return (bands or table()).band(local.date(), local.hour)


def band_totals(
    days: Sequence[dt.date] | np.ndarray, profiles: np.ndarray, bands: BandTable | None = None
) -> np.ndarray:
    """Wh per band of each row of ``profiles`` (rows, 24) on ``days``: shape (rows, 3)."""
    codes = band_matrix(days, bands)
    return np.stack(
        [np.where(codes == code, profiles, 0).sum(axis=1) for code in range(len(BANDS))], axis=1
    )


class ProfileMissing(LookupError):
    """Daily rows without an hourly profile: their rollups predate ``hourly_wh``."""


def band_energy(session: Session, site_id: str, start: dt.date, end: dt.date) -> dict[str, int]:
    """Wh per band (``peak``, ``shoulder``, ``offpeak``) of a site over local days [start, end).

    From the hourly profiles of the daily rollup, so only interval data
    counts: the bands sum exactly to the site's daily energy of the period.
    No viewer: billing calls this for its own invoices. Raises
    :class:`ProfileMissing` rather than undercount when some daily row has no
    profile yet (``python -m lounge rollups rebuild`` fills them).
    """
    rows = session.execute(
        select(ConsumptionDaily.day, ConsumptionDaily.hourly_wh)
        .where(ConsumptionDaily.site_id == site_id)
        .where(ConsumptionDaily.day >= start, ConsumptionDaily.day < end)
    ).all()
    profiles = [profile for _day, profile in rows if profile is not None]
    if len(profiles) < len(rows):
        first = min(day for day, profile in rows if profile is None)
        raise ProfileMissing(
            f"site {site_id}: {len(rows) - len(profiles)} day(s) from {first} have no hourly "
            f"profile; run: python -m lounge rollups rebuild --site {site_id}"
        )
    days = [day for day, _profile in rows]
    totals = band_totals(days, rollups.decode_hourly(profiles)).sum(axis=0)
    return {band: int(total) for band, total in zip(BANDS, totals, strict=True)}
