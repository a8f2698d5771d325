"""Import of meter readings: ``site_id,start,end,kwh[,quality]``.

All or nothing: every row is checked first (and every problem reported with
its line), then existing readings are compared, then one transaction writes
the changes and rebuilds the rollups of the months they touch. A row with the
same site, start and end as a stored reading replaces it (a correction), so
importing the same file twice changes nothing the second time.
"""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pandas as pd
from sqlalchemy import Connection, bindparam, select
from sqlalchemy.orm import Session

from db.models import Site
from lounge import chunks, localtime, rollups
from lounge.i18n import _
from lounge.ingest import bulk
from lounge.ingest.csvtable import CsvTable, read_csv_table
from lounge.ingest.problems import ImportRejected, Problems, RowError
from lounge.ingest.summary import ImportSummary, record_batch
from lounge.ingest.timestamps import Instants, parse_instants

REQUIRED = ("site_id", "start", "end", "kwh")
OPTIONAL = ("quality",)
MIN_INTERVAL_S = 15 * 60
#: One reading above this is a unit error (Wh given as kWh), not a measurement.
MAX_KWH = 1_000_000_000
#: A reading's identity: a row with the same values is a correction of it.
KEY = ["site_id", "start_s", "end_s"]


def import_readings(session: Session, data: bytes, filename: str, actor: str) -> ImportSummary:
    table = read_csv_table(data, filename, REQUIRED, OPTIONAL)
    connection = session.connection()
    frame, errors = _parse(connection, table)
    if errors:
        # rows fine on their own may still clash with each other or with stored
        # readings: list those as well, so that one round of fixes is enough
        bad = np.isin(frame["line"].to_numpy(), [error.line for error in errors])
        good = frame[~bad]
        if not good.empty:
            errors += _clashes(good, _stored_near(connection, good))
        raise ImportRejected(filename, errors)
    return store_readings(session, frame, filename, actor, "readings")


def store_readings(
    session: Session, frame: pd.DataFrame, filename: str, actor: str, kind: str
) -> ImportSummary:
    """Write checked rows (columns line, site_id, start_s, end_s, wh, estimated and,
    optionally, rounding_wh: what rounding to whole Wh added to each value).

    Each row must already be valid on its own and name an existing site; this
    checks the rows against each other and the stored readings, then writes
    all of them or raises :class:`ImportRejected` and writes nothing.
    """
    if frame.empty:
        summary = ImportSummary(kind, filename, 0, 0, 0, 0)
        record_batch(session, summary, actor)
        return summary
    connection = session.connection()
    stored_frame = _stored_near(connection, frame)
    errors = _clashes(frame, stored_frame)
    if errors:
        raise ImportRejected(filename, errors)
    merged = frame.merge(stored_frame, on=KEY, how="left", suffixes=("", "_stored"))
    known = merged["wh_stored"].notna().to_numpy()
    same = (
        known
        & (merged["wh"].to_numpy() == merged["wh_stored"].fillna(-1).to_numpy())
        & (merged["estimated"].to_numpy() == merged["estimated_stored"].fillna(False).to_numpy())
    )
    changed = frame[~same]
    replaced = changed[known[~same]]
    rounding = frame["rounding_wh"] if "rounding_wh" in frame else pd.Series(0.0, frame.index)
    summary = ImportSummary(
        kind,
        filename,
        rows=len(frame),
        inserted=int((~known).sum()),
        replaced=len(replaced),
        unchanged=int(same.sum()),
        finer_than_wh=int((rounding != 0).sum()),
        rounding_wh=float(rounding.sum()),
    )
    batch = record_batch(session, summary, actor)
    if not changed.empty:
        bulk.delete_readings(connection, replaced)
        bulk.insert_readings(connection, changed, batch.id)
        rollups.rebuild(
            connection,
            sorted(changed["site_id"].unique().tolist()),
            int(changed["start_s"].min()),
            int(changed["end_s"].max()),
        )
    return summary


# --- row checks -------------------------------------------------------------------


def _parse(connection: Connection, table: CsvTable) -> tuple[pd.DataFrame, list[RowError]]:
    lines = np.array(table.lines, dtype=np.int64)
    site = np.array(table.column("site_id"), dtype=object)
    raw_start, raw_end = table.column("start"), table.column("end")
    raw_kwh = pd.Series(table.column("kwh"), dtype=object)
    quality = np.array([value.lower() for value in table.column("quality")], dtype=object)

    problems = Problems(lines)
    flag = problems.flag
    known_sites = _existing_sites(connection, sorted(set(site.tolist()) - {""}))
    flag(site == "", _("site_id is empty"))
    unknown = (site != "") & ~np.isin(site, list(known_sites))
    flag(unknown, [_("unknown site '{site}'").format(site=s) for s in site[unknown]])

    start = parse_instants(raw_start)
    end = parse_instants(raw_end)
    for name, parsed, raw in (("start", start, raw_start), ("end", end, raw_end)):
        _flag_bad_times(problems, name, parsed, raw)
    start_s, end_s = _resolve_ambiguous(site, start, end)
    times_ok = start.ok & end.ok
    duration = end_s - start_s
    flag(
        times_ok & (duration <= 0),
        [
            _("end '{end}' is not after start '{start}'").format(start=raw_start[i], end=raw_end[i])
            for i in np.flatnonzero(times_ok & (duration <= 0))
        ],
    )
    short = times_ok & (duration > 0) & (duration < MIN_INTERVAL_S)
    flag(short, _("the interval is shorter than 15 minutes"))
    flag(times_ok & (duration > rollups.READING_MAX_S), _("the interval is longer than two months"))

    kwh = pd.to_numeric(raw_kwh, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    bad_number = ~np.isfinite(kwh)
    flag(
        bad_number,
        [
            _("kwh '{value}' is not a number").format(value=raw_kwh.iloc[i])
            for i in np.flatnonzero(bad_number)
        ],
    )
    with np.errstate(invalid="ignore"):
        flag(~bad_number & (kwh < 0), _("kwh is negative"))
        flag(
            ~bad_number & (kwh > MAX_KWH),
            _("kwh is above {limit} for one reading").format(limit=f"{MAX_KWH:,}"),
        )

    bad_quality = ~np.isin(quality, ["", "actual", "estimated"])
    flag(
        bad_quality,
        [
            _("quality '{value}' is not one of: actual, estimated").format(value=q)
            for q in quality[bad_quality]
        ],
    )

    errors = problems.errors
    with np.errstate(invalid="ignore"):
        usable = ~bad_number & (np.abs(kwh) <= MAX_KWH)
    frame = pd.DataFrame(
        {
            "line": lines,
            "site_id": site,
            "start_s": start_s,
            "end_s": end_s,
            "wh": np.rint(np.where(usable, kwh, 0) * 1000).astype(np.int64),
            "estimated": quality == "estimated",
        }
    )
    frame["rounding_wh"] = _rounding_wh(raw_kwh, frame["wh"].to_numpy(), usable)
    return frame, errors


def _rounding_wh(raw_kwh: pd.Series, wh: np.ndarray, usable: np.ndarray) -> np.ndarray:
    """What rounding to whole Wh added to each value, from its exact decimal text.

    Only values written with more than three decimals (or an exponent) can be
    finer than 1 Wh; those few are read exactly, as decimals, not as floats.
    """
    rounding = np.zeros(len(wh))
    finer = usable & raw_kwh.str.contains(r"[eE]|\.\d{4}", regex=True).to_numpy(dtype=bool)
    for i in np.flatnonzero(finer):
        rounding[i] = float(int(wh[i]) - Decimal(raw_kwh.iloc[i]) * 1000)
    return rounding


def _flag_bad_times(problems: Problems, name: str, parsed: Instants, raw: list[str]) -> None:
    flag = problems.flag
    empty = np.array([value == "" for value in raw], dtype=bool)
    flag(empty, _("{column} is empty").format(column=name))
    bad = ~parsed.ok & ~parsed.nonexistent & ~empty
    flag(
        bad,
        [
            _("{column} '{value}' is not an ISO 8601 date and time").format(
                column=name, value=raw[i]
            )
            for i in np.flatnonzero(bad)
        ],
    )
    flag(
        parsed.nonexistent,
        [
            _(
                "{column} '{value}' does not exist in Israel time (clocks move forward); "
                "give the time with its UTC offset"
            ).format(column=name, value=raw[i])
            for i in np.flatnonzero(parsed.nonexistent)
        ],
    )


def _resolve_ambiguous(
    site: np.ndarray, start: Instants, end: Instants
) -> tuple[np.ndarray, np.ndarray]:
    """Pick the occurrence of local times that happen twice (autumn DST change).

    Of the candidate intervals, keep those of positive length; prefer those as
    long as the clock says (end minus start as written); of those, take the
    first one no earlier row of the site took. So the repeated hour given twice
    in file order is first the summer-time pass, then the winter-time one,
    whether the summer-time pass ends at "01:00" (the wall time of that instant)
    or at "02:00" (start plus the interval, as many exporters write it).
    """
    start_s, end_s = start.seconds.copy(), end.seconds.copy()
    start_wall = start.wall if start.wall is not None else start.seconds
    end_wall = end.wall if end.wall is not None else end.seconds
    closes_fold = end.closes_fold if end.closes_fold is not None else np.zeros(len(site), bool)
    rows = np.flatnonzero((start.ambiguous | end.ambiguous) & start.ok & end.ok)
    taken: set[tuple[str, int, int]] = set()
    for i in rows:
        starts = [start.seconds[i], start.later[i]] if start.ambiguous[i] else [start.seconds[i]]
        ends = [end.seconds[i], end.later[i]] if end.ambiguous[i] else [end.seconds[i]]
        if closes_fold[i] and start.ambiguous[i] and end.fold_end is not None:
            ends.append(end.fold_end[i])
        options = sorted({(int(s), int(e)) for s in starts for e in ends if e > s})
        if not options:
            continue
        wall = int(end_wall[i] - start_wall[i])
        preferred = [(s, e) for s, e in options if e - s == wall] or options
        free = [(s, e) for s, e in preferred if (str(site[i]), s, e) not in taken]
        start_s[i], end_s[i] = (free or preferred)[0]
        taken.add((str(site[i]), int(start_s[i]), int(end_s[i])))
    return start_s, end_s


def _existing_sites(connection: Connection, candidates: list[str]) -> set[str]:
    query = select(Site.id).where(Site.id.in_(bindparam("ids", expanding=True)))
    found: set[str] = set()
    for chunk in chunks.chunked(candidates):
        found.update(connection.scalars(query, {"ids": chunk}))
    return found


# --- checks against each other and the database -----------------------------------


def _stored_near(connection: Connection, frame: pd.DataFrame) -> pd.DataFrame:
    """Stored readings of the frame's sites that could overlap any of its rows."""
    lo = int(frame["start_s"].min()) - rollups.READING_MAX_S
    hi = int(frame["end_s"].max()) + rollups.READING_MAX_S
    sites = sorted(frame["site_id"].unique().tolist())
    stored = rollups.load_readings(connection, sites, lo, hi)
    return pd.DataFrame(
        {
            "site_id": stored.site,
            "start_s": stored.start,
            "end_s": stored.end,
            "wh": stored.wh,
            "estimated": stored.estimated,
        }
    )


def _clashes(frame: pd.DataFrame, stored: pd.DataFrame) -> list[RowError]:
    """Keys given twice, and overlaps within the file or with stored readings."""
    return _duplicates(frame) + _overlaps(frame.drop_duplicates(KEY), stored)


def _duplicates(frame: pd.DataFrame) -> list[RowError]:
    repeated = frame[frame.duplicated(KEY, keep=False)]
    errors: list[RowError] = []
    for _key, group in repeated.groupby(KEY, sort=False):
        first = int(group["line"].iloc[0])
        errors.extend(
            RowError(
                int(line),
                _("same site, start and end as line {other}").format(other=first),
            )
            for line in group["line"].iloc[1:]
        )
    return errors


def _overlaps(new: pd.DataFrame, stored: pd.DataFrame) -> list[RowError]:
    """Readings of one site and one kind (interval / billing) may not overlap.

    Stored readings that the file replaces (same key) are left out; an interval
    reading may overlap a billing read (the finer data wins in the rollups).
    """
    keys = KEY
    kept = stored.merge(new[keys], on=keys, how="left", indicator=True)
    kept = kept[kept["_merge"] == "left_only"].drop(columns="_merge")
    both = pd.concat([new[[*keys, "line"]], kept[keys].assign(line=0)], ignore_index=True)
    both["interval"] = (both["end_s"] - both["start_s"]) <= rollups.INTERVAL_MAX_S
    both = both.sort_values(["site_id", "interval", "start_s", "end_s"], kind="stable")
    group = [both["site_id"], both["interval"]]
    reach = both.groupby(group, sort=False)["end_s"].cummax()
    previous_reach = reach.groupby(group, sort=False).shift(1)
    clash = both["start_s"].to_numpy() < previous_reach.fillna(np.iinfo(np.int64).min).to_numpy()
    if not clash.any():
        return []
    ordered = both.reset_index(drop=True)
    ends, starts = ordered["end_s"].to_numpy(), ordered["start_s"].to_numpy()
    errors = []
    for position in np.flatnonzero(clash):
        other = position - 1  # the clash is with an earlier row of the same group
        while ends[other] <= starts[position]:
            other -= 1
        errors.append(_overlap_error(ordered.iloc[position], ordered.iloc[other]))
    return errors


def _overlap_error(row: pd.Series, other: pd.Series) -> RowError:
    if row["line"] and other["line"]:
        message = _("overlaps the reading on line {other}").format(other=int(other["line"]))
        return RowError(int(row["line"]), message)
    new, stored = (row, other) if row["line"] else (other, row)
    return RowError(
        int(new["line"]),
        _("overlaps a stored reading of site {site} from {start} to {end}").format(
            site=stored["site_id"],
            start=localtime.to_local(int(stored["start_s"])).isoformat(),
            end=localtime.to_local(int(stored["end_s"])).isoformat(),
        ),
    )
