"""Monthly cuts of a scope: energy per month or year, year over year, site shares.

They read the monthly rollup, so they cover every site, billing reads included.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db.models import ConsumptionDaily, ConsumptionMonthly, Site
from lounge import access, localtime
from lounge.access import Viewer
from lounge.consumption.periods import Period, day_list, month_list, months_before
from lounge.consumption.scope import WHOLE_CUSTOMER, Scope, Selection, scope, scoped
from lounge.consumption.sums import bucket_sums


def monthly(
    session: Session,
    viewer: Viewer,
    customer_id: object,
    end: dt.date,
    count: int = 24,
    site_id: object = None,
) -> pd.DataFrame:
    """Energy per month (columns month, wh, estimated_wh) for a customer or one of its sites.

    Months without data are present with zero, so charts show gaps honestly.
    """
    customer = access.get_customer(session, viewer, customer_id)
    months = months_before(end, count)
    query = (
        select(
            ConsumptionMonthly.month,
            func.sum(ConsumptionMonthly.wh),
            func.sum(ConsumptionMonthly.estimated_wh),
        )
        .join(Site, Site.id == ConsumptionMonthly.site_id)
        .where(Site.customer_id == customer.id)
        .where(ConsumptionMonthly.month >= months[0], ConsumptionMonthly.month < end)
        .group_by(ConsumptionMonthly.month)
    )
    if site_id is not None:
        site = access.get_site(session, viewer, site_id)
        if site.customer_id != customer.id:
            raise access.NotFound(site_id)
        query = query.where(ConsumptionMonthly.site_id == site.id)
    found = {month: (int(wh), int(est)) for month, wh, est in session.execute(query)}
    return pd.DataFrame(
        {
            "month": months,
            "wh": [found.get(m, (0, 0))[0] for m in months],
            "estimated_wh": [found.get(m, (0, 0))[1] for m in months],
        }
    )


def series(
    session: Session,
    viewer: Viewer,
    customer_id: object,
    start: dt.date,
    end: dt.date,
    period: Period = "month",
    selection: Selection = WHOLE_CUSTOMER,
) -> pd.DataFrame:
    """Energy per day, month or year over [start, end): columns period, wh, estimated_wh.

    Every period is present (zero without data) so charts show gaps honestly;
    ``estimated_wh`` is the part from estimated readings, for the screen to
    mark. Months and years come from the monthly rollup (every site); for
    them ``start`` and ``end`` must be firsts of months, and a year is the sum
    of its months inside the range. Days come from the daily rollup, so they
    cover interval-metered sites only.
    """
    return scope_series(session, scope(session, viewer, customer_id, selection), start, end, period)


def scope_series(
    session: Session, found: Scope, start: dt.date, end: dt.date, period: Period
) -> pd.DataFrame:
    """:func:`series` of a resolved scope."""
    if period == "day":
        periods = day_list(start, end)
        sums = bucket_sums(session, found, ConsumptionDaily, ConsumptionDaily.day, start, end)
    elif period in ("month", "year"):
        periods = month_list(start, end)
        sums = bucket_sums(session, found, ConsumptionMonthly, ConsumptionMonthly.month, start, end)
    else:
        raise ValueError(f"unknown period {period!r}")
    frame = (
        sums.set_index("bucket")[["wh", "estimated_wh"]]
        .reindex(pd.Index(periods, name="period"), fill_value=0)
        .reset_index()
    )
    if period == "year":
        frame["period"] = [month.replace(month=1) for month in frame["period"]]
        frame = frame.groupby("period", as_index=False).sum()
    return frame


@dataclass(frozen=True)
class YearOverYear:
    """Months beside the same months a year earlier, and the like-for-like totals.

    ``months`` has columns month, wh, estimated_wh, previous_wh,
    previous_estimated_wh and compared (the month counts in the totals).
    ``wh`` and ``previous_wh`` sum the compared months only: comparing eleven
    months of one year with twelve of the one before showed -6.1% where
    like-for-like was +2.5%.
    """

    months: pd.DataFrame
    wh: int
    previous_wh: int

    @property
    def compared(self) -> tuple[dt.date, dt.date] | None:
        """The first and last compared month, for the screen and reports to name."""
        months = self.months.loc[self.months["compared"], "month"].tolist()
        return (months[0], months[-1]) if months else None

    @property
    def change(self) -> float | None:
        """The relative change of the compared months (None when there is nothing to compare)."""
        return self.wh / self.previous_wh - 1 if self.compared and self.previous_wh else None


@scoped
def year_over_year(session: Session, found: Scope, start: dt.date, end: dt.date) -> YearOverYear:
    """The months [start, end) beside the same months a year earlier.

    Months with no data yet are zero and left out of the comparison: it runs
    from ``start`` to the last month with data, never including the month under way
    (its data are partial), so both years cover the same months.
    """
    both = scope_series(session, found, localtime.add_months(start, -12), end, "month")
    count = len(both) - 12
    previous, current = (
        both.iloc[:count].reset_index(drop=True),
        both.iloc[12:].reset_index(drop=True),
    )
    this_month = localtime.first_of_month(localtime.today())
    with_data = current.loc[(current["wh"] > 0) & (current["period"] < this_month), "period"]
    last = max(with_data, default=None)
    compared = [last is not None and month <= last for month in current["period"]]
    frame = pd.DataFrame(
        {
            "month": current["period"],
            "wh": current["wh"],
            "estimated_wh": current["estimated_wh"],
            "previous_wh": previous["wh"],
            "previous_estimated_wh": previous["estimated_wh"],
            "compared": np.array(compared, dtype=bool),
        }
    )
    return YearOverYear(
        frame,
        int(frame.loc[frame["compared"], "wh"].sum()),
        int(frame.loc[frame["compared"], "previous_wh"].sum()),
    )


@scoped
def site_shares(session: Session, found: Scope, start: dt.date, end: dt.date) -> pd.DataFrame:
    """Each site's energy over the months [start, end), month by month, and its share.

    Columns site_id, name, region, site_type, one column per month (labelled
    by its first day, a ``date``: the site's Wh that month), wh and
    estimated_wh (the site's totals) and share (0-1 of the scope's total; 0
    when the total is 0); every site of the scope, biggest first. All sites
    are read in one grouped query, so a report of forty sites by month costs
    what a chart of one does. The one computation of site shares: the
    overview's table (over the lounge window) and the reports use it too.
    """
    months = month_list(start, end)
    sums = bucket_sums(
        session, found, ConsumptionMonthly, ConsumptionMonthly.month, start, end, by_site=True
    )
    row = pd.Index(found.site_ids).get_indexer(sums["site_id"])
    by_month = np.zeros((len(found.sites), len(months)), dtype=np.int64)
    column = pd.Index(months).get_indexer(sums["bucket"])
    np.add.at(by_month, (row, column), sums["wh"].to_numpy(np.int64))
    estimated = np.zeros(len(found.sites), dtype=np.int64)
    np.add.at(estimated, row, sums["estimated_wh"].to_numpy(np.int64))
    frame = pd.concat(
        [
            pd.DataFrame(
                [vars(site) for site in found.sites],
                columns=["site_id", "name", "region", "site_type"],
            ),
            pd.DataFrame(by_month, columns=months),
        ],
        axis=1,
    )
    frame["wh"] = by_month.sum(axis=1)
    frame["estimated_wh"] = estimated
    total = int(frame["wh"].sum())
    frame["share"] = frame["wh"] / total if total else 0.0
    return frame.sort_values(["wh", "site_id"], ascending=[False, True], ignore_index=True)
