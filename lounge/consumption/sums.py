"""The one grouped read of the rollups that the monthly and daily cuts share."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from db.models import ConsumptionDaily, ConsumptionMonthly
from lounge.consumption.scope import Scope


def frame_of(rows: Iterable[Sequence[Any]], columns: list[str]) -> pd.DataFrame:
    """A query's rows as a frame. Plain tuples first: pandas probes every ``Row``
    object for attributes, which made a frame of a thousand rows ten times slower."""
    return pd.DataFrame([tuple(row) for row in rows], columns=columns)


def bucket_sums(
    session: Session,
    scope: Scope,
    model: type[ConsumptionDaily] | type[ConsumptionMonthly],
    bucket: InstrumentedAttribute[dt.date],
    start: dt.date,
    end: dt.date,
    by_site: bool = False,
) -> pd.DataFrame:
    """wh and estimated_wh per bucket (and site) of a scope over [start, end), one query."""
    keys = [model.site_id, bucket] if by_site else [bucket]
    result = session.execute(
        select(*keys, func.sum(model.wh), func.sum(model.estimated_wh))
        .where(scope.covers(model.site_id), bucket >= start, bucket < end)
        .group_by(*keys)
    )
    names = ["site_id", "bucket"] if by_site else ["bucket"]
    frame = frame_of(result, [*names, "wh", "estimated_wh"])
    # PostgreSQL sums BIGINT as NUMERIC: back to exact integers
    return frame.astype({"wh": "int64", "estimated_wh": "int64"})
