"""The VIP (lounge) rule and its history.

A customer is a member iff, over the 12 complete local calendar months before
the as-of date's month, some single site used at least 1,000,000 kWh or all
its sites together at least 5,000,000 kWh (thresholds inclusive, supplier
irrelevant). Readings that straddle the window edge count pro rata by time;
that split is already in the monthly rollup, so the rule is one grouped sum.

Each run compares the result with the stored status and records an event
only where membership changed (enter / exit, effective on the as-of date).
The stored status is always the latest as-of date's: a run dated before the
latest one rewinds the history to that date and replays every later as-of date
(:func:`classify`), so each customer's events still alternate enter, exit, ...

A run reads every customer at once (``benchmarks/classify.py`` times it on
200,000 sites against a bare ``GROUP BY`` over the readings). Its cost should
be one grouped pass over the rollup and little else, so: the per-site sums come
from one statement, read straight off the driver cursor; per-customer figures
are numpy arrays, not an object per customer; stored statuses are read as
plain rows; and only the changes are written, in bulk through the driver.
"""

from __future__ import annotations

import datetime as dt
import typing
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import (
    BigInteger,
    Connection,
    Date,
    Table,
    bindparam,
    cast,
    delete,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from db.models import (
    ClassificationRun,
    ConsumptionMonthly,
    Customer,
    Site,
    VipEvent,
    VipStatus,
)
from lounge import chunks, localtime, rollups

SITE_THRESHOLD_WH = 1_000_000 * 1000
TOTAL_THRESHOLD_WH = 5_000_000 * 1000
RULE_SITE = "site"
RULE_MULTI_SITE = "multi-site"


@dataclass(frozen=True)
class Window:
    """Months [start, end): the 12 complete months before the as-of month."""

    start: dt.date
    end: dt.date

    @classmethod
    def for_date(cls, as_of: dt.date) -> Window:
        end = localtime.first_of_month(as_of)
        return cls(localtime.add_months(end, -12), end)

    @property
    def last_day(self) -> dt.date:
        return self.end - dt.timedelta(days=1)

    @property
    def last_month(self) -> dt.date:
        """The first day of the window's last month."""
        return localtime.add_months(self.end, -1)


@dataclass(frozen=True)
class Figures:
    """A customer's consumption in a window, measured against both thresholds."""

    customer_id: str
    total_wh: int = 0
    max_site_wh: int = 0
    max_site_id: str | None = None

    @property
    def site_qualifies(self) -> bool:
        return self.max_site_wh >= SITE_THRESHOLD_WH

    @property
    def total_qualifies(self) -> bool:
        return self.total_wh >= TOTAL_THRESHOLD_WH

    @property
    def is_vip(self) -> bool:
        return self.site_qualifies or self.total_qualifies

    @property
    def rule(self) -> str | None:
        if self.site_qualifies:
            return RULE_SITE
        if self.total_qualifies:
            return RULE_MULTI_SITE
        return None

    @property
    def site_gap_wh(self) -> int:
        """Positive: still missing at the biggest site; negative: margin above."""
        return SITE_THRESHOLD_WH - self.max_site_wh

    @property
    def total_gap_wh(self) -> int:
        return TOTAL_THRESHOLD_WH - self.total_wh

    @property
    def margin_wh(self) -> int:
        """How far from changing status: for a member, the energy it could lose and
        stay (on its best rule); for others, the least energy that would bring it in."""
        if self.is_vip:
            return max(-self.site_gap_wh, -self.total_gap_wh)
        return min(self.site_gap_wh, self.total_gap_wh)


#: A site's energy in the window, as the driver hands it over.
_SITE_ENERGY = np.dtype([("customer", object), ("site", object), ("wh", np.int64)])


def _site_energy(
    connection: Connection, window: Window, customer_ids: list[str] | None
) -> np.ndarray:
    """customer, site, wh of every site with rollup rows in the window (a record array).

    A site's rollup row of the window's last month holds, in ``rolling_wh``,
    its energy over the whole window, so one row per site is read, off the
    month index, instead of twelve. A site whose readings end inside the
    window has no row there (the rollup is dense only from a site's first to
    its last month with data): those few are found by ``Site.last_data_month``
    and their months summed by primary key. The rows go straight from the
    driver's cursor into arrays: a ``Row`` object per site costs more than the
    query.
    """
    if customer_ids is not None and len(customer_ids) > chunks.SIZE:
        return np.concatenate(
            [_site_energy(connection, window, part) for part in chunks.chunked(customer_ids)]
        )
    last = window.last_month
    month = ConsumptionMonthly.month
    at_last = (
        select(Site.customer_id, ConsumptionMonthly.site_id, ConsumptionMonthly.rolling_wh)
        .join(Site, Site.id == ConsumptionMonthly.site_id)
        # true of every row; it lets the database use the month's index (see the model)
        .where(month == last, ConsumptionMonthly.rolling_wh.is_not(None))
    )
    ended = select(Site.customer_id, Site.id).where(
        Site.last_data_month >= window.start, Site.last_data_month < last
    )
    if customer_ids is not None:
        at_last = at_last.where(Site.customer_id.in_(customer_ids))
        ended = ended.where(Site.customer_id.in_(customer_ids))
    parts = [rollups.fetch_records(connection, at_last, _SITE_ENERGY)]
    owners = {site: customer for customer, site in connection.execute(ended).all()}
    sites = list(owners)
    for chunk in chunks.chunked(sites):
        summed = connection.execute(
            # cast: PostgreSQL sums BIGINT as NUMERIC, which would arrive as Decimal
            select(ConsumptionMonthly.site_id, cast(func.sum(ConsumptionMonthly.wh), BigInteger))
            .where(ConsumptionMonthly.site_id.in_(chunk))
            .where(month >= window.start, month < last)
            .group_by(ConsumptionMonthly.site_id)
        ).all()
        parts.append(
            np.array([(owners[site], site, wh) for site, wh in summed], dtype=_SITE_ENERGY)
        )
    return np.concatenate(parts)


def site_totals(
    connection: Connection, window: Window, customer_ids: list[str] | None = None
) -> pd.DataFrame:
    """Energy per site in the window: columns customer_id, site_id, wh."""
    energy = _site_energy(connection, window, customer_ids)
    return pd.DataFrame(
        {"customer_id": energy["customer"], "site_id": energy["site"], "wh": energy["wh"]}
    )


@dataclass(frozen=True)
class _FigureTable:
    """Figures of many customers as parallel arrays: no Python object per customer.

    Row ``i`` is customer ``customer[i]``; ``max_site[i]`` is its biggest site
    (on a tie, the smallest site id; None without consumption), and
    ``stored_member[i]`` says whether its stored status is a member.
    """

    customer: np.ndarray
    total_wh: np.ndarray
    max_site_wh: np.ndarray
    max_site: np.ndarray
    stored_member: np.ndarray

    @classmethod
    def from_sites(cls, energy: np.ndarray, stored_members: Sequence[str] = ()) -> _FigureTable:
        """Aggregate the sites' energy (see :func:`_site_energy`) per customer, vectorised.

        Stored members without consumption get a row of zeros, so that their
        exit is found by the same comparison as every entry.
        """
        count = len(energy)
        sites, wh = energy["site"], energy["wh"]
        codes, customer = pd.factorize(
            np.concatenate([energy["customer"], np.array(stored_members, dtype=object)])
        )
        site_codes = codes[:count]
        size = len(customer)
        total = np.zeros(size, dtype=np.int64)
        np.add.at(total, site_codes, wh)
        best = np.full(size, np.iinfo(np.int64).min, dtype=np.int64)
        np.maximum.at(best, site_codes, wh)
        best[np.bincount(site_codes, minlength=size) == 0] = 0
        # rows holding their customer's maximum: the first one of each customer
        # wins, unless the customer has several; then the smallest site id does
        candidate = np.flatnonzero(wh == best[site_codes])
        candidate_code = site_codes[candidate]
        with_sites, first = np.unique(candidate_code, return_index=True)
        pick = np.full(size, -1, dtype=np.int64)
        pick[with_sites] = candidate[first]
        tied = np.bincount(candidate_code, minlength=size)[candidate_code] > 1
        for row, code in zip(candidate[tied].tolist(), candidate_code[tied].tolist(), strict=True):
            if sites[row] < sites[pick[code]]:
                pick[code] = row
        max_site = np.full(size, None, dtype=object)
        max_site[pick >= 0] = sites[pick[pick >= 0]]
        stored_member = np.zeros(size, dtype=bool)
        stored_member[codes[count:]] = True
        return cls(np.asarray(customer, dtype=object), total, best, max_site, stored_member)

    def __len__(self) -> int:
        return len(self.customer)

    def is_vip(self) -> np.ndarray:
        return (self.max_site_wh >= SITE_THRESHOLD_WH) | (self.total_wh >= TOTAL_THRESHOLD_WH)

    def figures_of(self, rows: np.ndarray) -> list[Figures]:
        """Figures of many rows (numpy scalars converted in bulk, not one by one)."""
        return [
            Figures(customer, total, best, site)
            for customer, total, best, site in zip(
                self.customer[rows].tolist(),
                self.total_wh[rows].tolist(),
                self.max_site_wh[rows].tolist(),
                self.max_site[rows].tolist(),
                strict=True,
            )
        ]


def figures(
    connection: Connection, window: Window, customer_ids: list[str] | None = None
) -> dict[str, Figures]:
    """Figures of every customer that consumed in the window (others have none).

    Biggest site first, as people read a ranking.
    """
    table = _FigureTable.from_sites(_site_energy(connection, window, customer_ids))
    found = table.figures_of(np.arange(len(table)))
    found.sort(key=lambda figs: (-figs.max_site_wh, figs.max_site_id))
    return {figs.customer_id: figs for figs in found}


@dataclass
class RunResult:
    run: ClassificationRun
    window: Window
    entered: list[str] = field(default_factory=list)
    exited: list[str] = field(default_factory=list)
    #: Later as-of dates classified again because this run was dated before them.
    replayed: list[dt.date] = field(default_factory=list)


@dataclass(frozen=True)
class _Change:
    """A customer whose membership differs from its stored status."""

    figures: Figures
    #: True: an entry; False: an exit.
    entered: bool
    #: Whether a status row exists (a first entry has none yet).
    has_status: bool
    #: The rule stored with the membership that ends (exits only).
    stored_rule: str | None

    def status(self, as_of: dt.date) -> dict[str, Any]:
        return {"is_vip": self.entered, "since": as_of, "rule": self.figures.rule}

    def event(self, run: ClassificationRun) -> dict[str, Any]:
        figs = self.figures
        # an exit is recorded under the rule of the membership that ended
        rule = figs.rule if self.entered else self.stored_rule
        return {
            "customer_id": figs.customer_id,
            "event": "enter" if self.entered else "exit",
            "effective_date": run.as_of,
            "rule": rule or RULE_SITE,
            "window_start": run.window_start,
            "window_end": run.window_end,
            "window_wh": figs.total_wh,
            "max_site_wh": figs.max_site_wh,
            "max_site_id": figs.max_site_id,
            "run_id": run.id,
        }


def _changes(table: _FigureTable, stored: dict[str, tuple[bool, str | None]]) -> list[_Change]:
    """Entries and exits, by customer id: a vectorised comparison, then only the changes."""
    changed = np.flatnonzero(table.is_vip() != table.stored_member)
    changed = changed[np.argsort(table.customer[changed], kind="stable")]
    changes = []
    for figs, entered in zip(
        table.figures_of(changed), (~table.stored_member[changed]).tolist(), strict=True
    ):
        status = stored.get(figs.customer_id)
        changes.append(
            _Change(
                figs,
                entered=entered,
                has_status=status is not None,
                stored_rule=status[1] if status else None,
            )
        )
    return changes


def _rule_switches(
    table: _FigureTable, stored: dict[str, tuple[bool, str | None]]
) -> dict[str, str]:
    """Members that stay in under the other rule than the stored one: customer -> rule.

    Their status takes the rule they are in by now (no event: membership goes
    on), so that an exit later names the rule of the membership that ended.
    """
    staying = np.flatnonzero(table.stored_member & table.is_vip())
    rules = np.where(
        table.max_site_wh[staying] >= SITE_THRESHOLD_WH, RULE_SITE, RULE_MULTI_SITE
    ).tolist()
    return {
        customer: rule
        for customer, rule in zip(table.customer[staying].tolist(), rules, strict=True)
        if stored[customer][1] != rule
    }


def _table(model: type[VipStatus] | type[VipEvent]) -> Table:
    return typing.cast(Table, model.__table__)


def _insert_rows(session: Session, table: Table, rows: list[dict[str, Any]]) -> None:
    """Insert rows in bulk, in the session's transaction, through the driver.

    Through SQLAlchemy, ``executemany`` costs some 10 us a row in parameter
    processing, and on PostgreSQL one statement per row. ``COPY`` (as the
    readings import uses) and SQLite's own ``executemany`` take all rows at
    once. SQLite gets dates as ISO text, the form SQLAlchemy stores there.
    """
    if not rows:
        return
    connection = session.connection()
    columns = list(rows[0])
    names = ", ".join(columns)
    if connection.dialect.name == "postgresql":
        cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
        with cursor.copy(f"COPY {table.name} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row([row[column] for column in columns])
    elif connection.dialect.name == "sqlite":
        values = [[row[column] for row in rows] for column in columns]
        for i, column in enumerate(columns):
            if isinstance(table.c[column].type, Date):  # a run's rows share a few dates
                iso = {day: day.isoformat() for day in set(values[i]) - {None}}
                values[i] = [iso.get(day) for day in values[i]]
        connection.exec_driver_sql(
            f"INSERT INTO {table.name} ({names}) VALUES ({', '.join('?' * len(columns))})",
            list(zip(*values, strict=True)),
        )
    else:
        session.execute(insert(table), rows)


def _write_statuses(
    session: Session, changes: list[_Change], switches: dict[str, str], as_of: dt.date
) -> None:
    """Insert first entries, update the other changes and the rule switches, in bulk.

    Core statements bypass the session, so a status the caller already has
    loaded gets the new values too (as committed state: nothing left to flush).
    """
    table = _table(VipStatus)
    _insert_rows(
        session,
        table,
        [
            {"customer_id": c.figures.customer_id, **c.status(as_of)}
            for c in changes
            if not c.has_status
        ],
    )
    updated = {c.figures.customer_id: c.status(as_of) for c in changes if c.has_status}
    switched = {customer: {"rule": rule} for customer, rule in switches.items()}
    for values in (updated, switched):  # one statement per set of columns
        if values:
            session.execute(
                update(table).where(table.c.customer_id == bindparam("key")),
                [{"key": customer, **row} for customer, row in values.items()],
            )
    written = {c.figures.customer_id: c.status(as_of) for c in changes} | switched
    for loaded in list(session.identity_map.values()):
        if isinstance(loaded, VipStatus) and loaded.customer_id in written:
            for name, value in written[loaded.customer_id].items():
                set_committed_value(loaded, name, value)


def classify(session: Session, as_of: dt.date, actor: str) -> RunResult:
    """Classify every customer as of ``as_of``; record entries and exits.

    A date before the latest run's as-of date would otherwise overwrite the
    current status with an older one and write events out of order (an exit
    after an exit). Instead the history from ``as_of`` on is dropped, the
    statuses rewound to what the events before it say, and every later as-of
    date classified again, in order, after this one.
    """
    session.flush()
    later = list(
        session.scalars(
            select(ClassificationRun.as_of)
            .where(ClassificationRun.as_of > as_of)
            .distinct()
            .order_by(ClassificationRun.as_of)
        )
    )
    if later:
        _rewind(session, as_of)
    result = _run(session, as_of, actor)
    for date in later:
        _run(session, date, actor)
    result.replayed = later
    return result


def _rewind(session: Session, as_of: dt.date) -> None:
    """Forget the runs and events from ``as_of`` on; statuses as the earlier events say.

    A customer's status is its last remaining event (members keep the rule of
    their entry; the replayed runs switch it if need be); a customer left
    without events has never been a member, so it has no status row.
    """
    session.execute(delete(VipEvent).where(VipEvent.effective_date >= as_of))
    session.execute(delete(ClassificationRun).where(ClassificationRun.as_of >= as_of))
    session.execute(delete(VipStatus))
    ranked = select(
        VipEvent.customer_id,
        VipEvent.event,
        VipEvent.effective_date,
        VipEvent.rule,
        func.row_number()
        .over(
            partition_by=VipEvent.customer_id,
            order_by=(VipEvent.effective_date.desc(), VipEvent.id.desc()),
        )
        .label("rank"),
    ).subquery()
    last = session.execute(
        select(ranked.c.customer_id, ranked.c.event, ranked.c.effective_date, ranked.c.rule)
        .where(ranked.c.rank == 1)
        .order_by(ranked.c.customer_id)
    ).all()
    _insert_rows(
        session,
        _table(VipStatus),
        [
            {
                "customer_id": customer,
                "is_vip": event == "enter",
                "since": since,
                "rule": rule if event == "enter" else None,
            }
            for customer, event, since, rule in last
        ],
    )
    session.expire_all()


def _run(session: Session, as_of: dt.date, actor: str) -> RunResult:
    """One classification as of ``as_of`` against the stored statuses."""
    connection = session.connection()
    window = Window.for_date(as_of)
    statuses = select(VipStatus.customer_id, VipStatus.is_vip, VipStatus.rule)
    # driver tuples again: one status row per customer that was ever a member
    rows = connection.execute(statuses).cursor.fetchall()
    stored = {customer: (bool(is_vip), rule) for customer, is_vip, rule in rows}
    table = _FigureTable.from_sites(
        _site_energy(connection, window, None),
        [customer for customer, (is_vip, _rule) in stored.items() if is_vip],
    )
    changes = _changes(table, stored)
    entered = [c.figures.customer_id for c in changes if c.entered]
    exited = [c.figures.customer_id for c in changes if not c.entered]
    run = ClassificationRun(
        as_of=as_of,
        window_start=window.start,
        window_end=window.end,
        customers=connection.execute(select(func.count()).select_from(Customer)).scalar_one(),
        members=int(table.is_vip().sum()),
        entered=len(entered),
        exited=len(exited),
        actor=actor,
    )
    session.add(run)
    session.flush()
    _write_statuses(session, changes, _rule_switches(table, stored), as_of)
    _insert_rows(session, _table(VipEvent), [change.event(run) for change in changes])
    return RunResult(run, window, entered, exited)


def latest_run(session: Session) -> ClassificationRun | None:
    """The run of the latest as-of date (the one the stored statuses come from)."""
    return session.scalars(
        select(ClassificationRun).order_by(
            ClassificationRun.as_of.desc(), ClassificationRun.id.desc()
        )
    ).first()
