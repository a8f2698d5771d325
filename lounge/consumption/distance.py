"""How far a customer stood from the lounge thresholds, month by month."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
from sqlalchemy.orm import Session

from db.models import ConsumptionMonthly
from lounge import localtime
from lounge.access import Viewer
from lounge.classification import Figures, Window
from lounge.consumption.periods import month_list, month_of
from lounge.consumption.scope import scope
from lounge.consumption.sums import bucket_sums


def vip_distance(
    session: Session, viewer: Viewer, customer_id: object, start: dt.date, end: dt.date
) -> pd.DataFrame:
    """How far the customer stood from the VIP thresholds, month by month.

    For each month in [start, end), the figures a classification on its first
    day sees: the 12 complete months before it (:meth:`Window.for_date`), the
    biggest single site against 1,000,000 kWh and all sites together against
    5,000,000 kWh. Columns month, window_start, window_end, max_site_id,
    max_site_wh, total_wh, site_gap_wh and total_gap_wh (still missing when
    positive, margin above when negative), is_vip and rule. The whole
    customer always: membership is decided on all of its sites.
    """
    found = scope(session, viewer, customer_id)
    months = month_list(start, end)
    if not months:
        return pd.DataFrame(columns=_VIP_COLUMNS)
    first = localtime.add_months(months[0], -12)
    sums = bucket_sums(
        session,
        found,
        ConsumptionMonthly,
        ConsumptionMonthly.month,
        first,
        months[-1],
        by_site=True,
    )
    # energy per site (rows, in id order) and month from `first` (columns), exact integers
    matrix = np.zeros((len(found.site_ids), len(months) + 11), dtype=np.int64)
    np.add.at(
        matrix,
        (
            np.searchsorted(found.site_ids, sums["site_id"].to_numpy(object)),
            month_of(sums["bucket"].to_numpy("datetime64[D]"), month_list(first, months[-1])),
        ),
        sums["wh"].to_numpy(np.int64),
    )
    running = np.concatenate([np.zeros((len(matrix), 1), np.int64), matrix.cumsum(axis=1)], 1)
    windows = running[:, 12:] - running[:, :-12]  # (sites, months): the 12 months before each
    rows = []
    for month, per_site in zip(months, windows.T, strict=True):
        best = int(np.argmax(per_site)) if len(per_site) else -1  # the smallest id on a tie
        figures = Figures(
            found.customer_id,
            int(per_site.sum()),
            int(per_site[best]) if best >= 0 else 0,
            found.site_ids[best] if best >= 0 and per_site[best] > 0 else None,
        )
        window = Window.for_date(month)
        rows.append(
            {
                "month": month,
                "window_start": window.start,
                "window_end": window.end,
                "max_site_id": figures.max_site_id,
                "max_site_wh": figures.max_site_wh,
                "total_wh": figures.total_wh,
                "site_gap_wh": figures.site_gap_wh,
                "total_gap_wh": figures.total_gap_wh,
                "is_vip": figures.is_vip,
                "rule": figures.rule,
            }
        )
    return pd.DataFrame(rows, columns=_VIP_COLUMNS)


_VIP_COLUMNS = [
    "month",
    "window_start",
    "window_end",
    "max_site_id",
    "max_site_wh",
    "total_wh",
    "site_gap_wh",
    "total_gap_wh",
    "is_vip",
    "rule",
]
